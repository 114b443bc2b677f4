// The terminal QR code of `jit-broker user enroll --qr` (broker/admin/terminal_qr.hpp): the module
// matrix libqrencode gives us is a real QR symbol (finder patterns where the standard puts them),
// and the half-block drawing holds exactly that matrix inside its quiet zone.
#include "broker/admin/terminal_qr.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace jit::broker {
namespace {

constexpr std::string_view kQrTestUri =
    "otpauth://totp/jitbroker:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=jitbroker";

// The text block read back into light/dark pixels, one row per module row.
std::vector<std::vector<bool>> light_pixels(const std::string& block) {
  std::vector<std::vector<bool>> rows;
  std::istringstream lines(block);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<bool> top;
    std::vector<bool> bottom;
    for (std::size_t i = 0; i < line.size();) {
      if (line[i] == ' ') {
        top.push_back(false), bottom.push_back(false), ++i;
        continue;
      }
      const std::string glyph = line.substr(i, 3);  // the three blocks are 3 bytes in UTF-8
      top.push_back(glyph == "\u2588" || glyph == "\u2580");
      bottom.push_back(glyph == "\u2588" || glyph == "\u2584");
      EXPECT_TRUE(top.back() || bottom.back()) << "unexpected glyph in " << line;
      i += 3;
    }
    rows.push_back(top);
    rows.push_back(bottom);
  }
  return rows;
}

TEST(TerminalQr, ModulesAreAQrSymbolWithItsThreeFinderPatterns) {
  const auto modules = qr_modules(kQrTestUri);
  ASSERT_TRUE(modules);
  EXPECT_EQ((modules->width - 17) % 4, 0);  // version v is 17 + 4v modules wide
  EXPECT_GE(modules->width, 21);
  const int w = modules->width;
  for (const auto& [top, left] : {std::pair{0, 0}, std::pair{0, w - 7}, std::pair{w - 7, 0}}) {
    for (int r = 0; r < 7; ++r) {
      for (int c = 0; c < 7; ++c) {
        const bool ring = r == 0 || r == 6 || c == 0 || c == 6;
        const bool centre = r >= 2 && r <= 4 && c >= 2 && c <= 4;
        EXPECT_EQ(modules->at(top + r, left + c), ring || centre) << top << "," << left;
      }
    }
  }
  // No finder pattern in the fourth corner.
  EXPECT_FALSE(modules->at(w - 7, w - 7) && modules->at(w - 1, w - 1) && modules->at(w - 7, w - 1));
}

TEST(TerminalQr, TheBlockHoldsTheMatrixInsideAFourModuleQuietZone) {
  const auto modules = qr_modules(kQrTestUri);
  ASSERT_TRUE(modules);
  const std::string block = render_terminal_qr(*modules);
  const int size = modules->width + 2 * kQrQuietZone;
  const auto pixels = light_pixels(block);
  ASSERT_EQ(static_cast<int>(pixels.size()), size + size % 2);  // the last half row is padding
  for (int row = 0; row < size; ++row) {
    ASSERT_EQ(static_cast<int>(pixels[row].size()), size);
    for (int column = 0; column < size; ++column) {
      const bool inside = row >= kQrQuietZone && column >= kQrQuietZone &&
                          row < size - kQrQuietZone && column < size - kQrQuietZone;
      const bool dark = inside && modules->at(row - kQrQuietZone, column - kQrQuietZone);
      EXPECT_EQ(pixels[row][column], !dark) << row << "," << column;
    }
  }
}

TEST(TerminalQr, TextTooLongForAnyVersionIsRefused) {
  EXPECT_FALSE(qr_modules(std::string(8000, 'x')));
}

}  // namespace
}  // namespace jit::broker
