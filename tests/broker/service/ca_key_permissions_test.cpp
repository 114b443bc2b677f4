// CA private key files, and the passphrase file that unlocks them, readable by others are refused
// at start-up (issue 14 E24), as the data key already was: one line naming the file.
#include "broker/service/ca_keys.hpp"
#include "tests/support/temp_dir.hpp"

#include "tests/support/files.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

namespace jit::broker {
namespace {

using testing::file_mode;

config::CaSettings settings_under(const std::filesystem::path& dir, bool generate) {
  config::CaSettings ca;
  ca.generate_missing = generate;
  ca.ssh_key_files = {dir / "ssh_ca.key"};
  ca.x509_root_key_file = dir / "x509_root.key";
  ca.x509_root_cert_file = dir / "x509_root.crt";
  ca.x509_issuing_key_file = dir / "x509_issuing.key";
  ca.x509_issuing_cert_file = dir / "x509_issuing.crt";
  return ca;
}

// The message `load` throws, or "" when it loads.
template <typename Load>
std::string refusal(Load load) {
  try {
    (void)load();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(CaKeyPermissions, GeneratedKeysAre0600AndLoadAgain) {
  testing::TempDir dir;
  (void)load_ssh_ca(settings_under(dir.path(), true));
  (void)load_x509_ca(settings_under(dir.path(), true));
  for (const char* name : {"ssh_ca.key", "x509_root.key", "x509_issuing.key"}) {
    EXPECT_EQ(file_mode(dir.path() / name), 0600u) << name;
  }
  EXPECT_EQ(refusal([&] { return load_ssh_ca(settings_under(dir.path(), false)); }), "");
  EXPECT_EQ(refusal([&] { return load_x509_ca(settings_under(dir.path(), false)); }), "");
}

TEST(CaKeyPermissions, AKeyFileReadableByGroupOrWorldIsRefusedNamingIt) {
  testing::TempDir dir;
  (void)load_ssh_ca(settings_under(dir.path(), true));
  (void)load_x509_ca(settings_under(dir.path(), true));
  const auto settings = settings_under(dir.path(), false);
  const auto check = [&](const char* name, mode_t mode, auto load) {
    const auto file = dir.path() / name;
    ASSERT_EQ(::chmod(file.c_str(), mode), 0);
    const auto message = refusal(load);
    EXPECT_NE(message.find(file.string()), std::string::npos) << name << ": " << message;
    EXPECT_NE(message.find("readable by others"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
    EXPECT_EQ(refusal(load), "") << name;
  };
  const auto ssh = [&] { return load_ssh_ca(settings); };
  const auto x509 = [&] { return load_x509_ca(settings); };
  check("ssh_ca.key", 0644, ssh);
  check("ssh_ca.key", 0640, ssh);
  check("x509_issuing.key", 0604, x509);
  check("x509_root.key", 0660, x509);
  // With generate_missing too: an existing key is loaded, not replaced, and so is checked.
  ASSERT_EQ(::chmod((dir.path() / "ssh_ca.key").c_str(), 0644), 0);
  EXPECT_NE(refusal([&] { return load_ssh_ca(settings_under(dir.path(), true)); }), "");
}

TEST(CaKeyPermissions, APassphraseFileReadableByGroupOrWorldIsRefusedNamingIt) {
  testing::TempDir dir;
  config::CaSettings settings = settings_under(dir.path(), false);
  settings.passphrase_file = dir.path() / "ca.pass";
  testing::write_text(*settings.passphrase_file, "a passphrase\n");
  for (const mode_t mode : {0644, 0640, 0604}) {
    ASSERT_EQ(::chmod(settings.passphrase_file->c_str(), mode), 0);
    const auto message = refusal([&] { return ca_key_passphrase(settings); });
    EXPECT_NE(message.find(settings.passphrase_file->string() + " is readable by others"),
              std::string::npos)
        << mode << ": " << message;
    EXPECT_EQ(message.find("a passphrase"), std::string::npos) << message;
  }
  ASSERT_EQ(::chmod(settings.passphrase_file->c_str(), 0600), 0);
  EXPECT_EQ(ca_key_passphrase(settings).view(), std::optional<std::string_view>("a passphrase"));
}

}  // namespace
}  // namespace jit::broker
