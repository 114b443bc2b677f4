// `jit-broker user enroll --qr` end to end: the printed block, turned into an image pixel for
// pixel, is read by an independent decoder (zbarimg, zbar-tools) as the same otpauth URI the
// command printed above it; without --qr the output stays the one URI line. Also: --config works
// after the subcommand.
#include "tests/support/broker_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/files.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace jit::broker {
namespace {

using jit::testing::ChildProcess;

// The block as a plain PGM image, 4 pixels per module, light 255 and dark 0.
std::string block_as_pgm(const std::string& block) {
  std::vector<std::vector<bool>> rows;
  std::istringstream lines(block);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<bool> top;
    std::vector<bool> bottom;
    for (std::size_t i = 0; i < line.size();) {
      const bool space = line[i] == ' ';
      const std::string glyph = space ? " " : line.substr(i, 3);
      top.push_back(glyph == "\u2588" || glyph == "\u2580");
      bottom.push_back(glyph == "\u2588" || glyph == "\u2584");
      i += space ? 1 : 3;
    }
    rows.push_back(top);
    rows.push_back(bottom);
  }
  constexpr int kScale = 4;
  const std::size_t width = rows.empty() ? 0 : rows[0].size();
  std::string pgm = "P2\n" + std::to_string(width * kScale) + " " +
                    std::to_string(rows.size() * kScale) + "\n255\n";
  for (const auto& row : rows) {
    std::string pixel_row;
    for (bool light : row) {
      for (int i = 0; i < kScale; ++i) pixel_row += light ? "255 " : "0 ";
    }
    pixel_row += "\n";
    for (int i = 0; i < kScale; ++i) pgm += pixel_row;
  }
  return pgm;
}

TEST(EnrollQr, ThePrintedQrCodeDecodesToTheOtpauthUri) {
  testing::BrokerProcess broker;
  auto [code, out, err] =
      broker.admin({"user", "enroll", "alice", "--qr"}, std::string(testing::kTestPassword) + "\n");
  ASSERT_EQ(code, 0) << err;
  const auto first_line_end = out.find('\n');
  const std::string uri = out.substr(0, first_line_end);
  ASSERT_TRUE(uri.starts_with("otpauth://totp/")) << out;
  const std::string block = out.substr(first_line_end + 1);
  ASSERT_NE(block.find("\u2588"), std::string::npos) << out;
  const auto image = broker.dir() / "qr.pgm";
  testing::write_text(image, block_as_pgm(block));
  auto [z_code, z_out, z_err] =
      ChildProcess::run({"/usr/bin/zbarimg", "--raw", "-q", image.string()}, broker.dir());
  ASSERT_EQ(z_code, 0) << z_err;
  EXPECT_EQ(z_out, uri + "\n");

  // Without --qr: the one URI line as before (and --config after the subcommand works too).
  auto [plain_code, plain_out, plain_err] = ChildProcess::run(
      {testing::kBrokerBinary, "user", "enroll", "bob", "--config", broker.config_file()},
      broker.dir(), {}, std::string(testing::kTestPassword) + "\n");
  ASSERT_EQ(plain_code, 0) << plain_err;
  EXPECT_TRUE(plain_out.starts_with("otpauth://totp/")) << plain_out;
  EXPECT_EQ(plain_out.find('\n'), plain_out.size() - 1) << plain_out;
}

}  // namespace
}  // namespace jit::broker
