#include "ca/ssh_certificate.hpp"

#include "support/ssh_test_support.hpp"

#include <gtest/gtest.h>

#include <functional>

namespace jit::ca {
namespace {

using testing::test_profile;

Result<void> validate_with(const std::function<void(SshCertificateProfile&)>& change) {
  SshCertificateProfile profile = test_profile();
  change(profile);
  return validate_ssh_certificate_profile(profile);
}

TEST(SshCertificateProfile, DefaultsAreValid) {
  EXPECT_TRUE(validate_ssh_certificate_profile(test_profile()));
  EXPECT_EQ(test_profile().valid_after, testing::kTestNow - std::chrono::seconds(30));
  EXPECT_EQ(test_profile().extensions, std::vector<std::string>{"permit-pty"});
}

TEST(SshCertificateProfile, SerialZeroIsRefused) {
  EXPECT_EQ(validate_with([](auto& p) { p.serial = 0; }).error(), CaErrc::invalid_argument);
}

TEST(SshCertificateProfile, PrincipalsAreChecked) {
  for (const std::string& bad :
       {std::string("a,b"), std::string("a\nb"), std::string("a\0b", 3), std::string(""),
        std::string("a b"), std::string("tab\t"), std::string(257, 'x')}) {
    EXPECT_EQ(validate_with([&](auto& p) {
                p.principals = {"ok", bad};
              }).error(),
              CaErrc::invalid_argument)
        << bad;
  }
  EXPECT_EQ(validate_with([](auto& p) { p.principals = {}; }).error(), CaErrc::invalid_argument);
  EXPECT_EQ(validate_with([](auto& p) {
              p.principals = {"a", "b", "a"};
            }).error(),
            CaErrc::invalid_argument);
  EXPECT_TRUE(validate_with([](auto& p) { p.principals = {std::string(256, 'x')}; }));
  std::vector<std::string> many;
  for (int i = 0; i < 256; ++i) many.push_back("p" + std::to_string(i));
  EXPECT_TRUE(validate_with([&](auto& p) { p.principals = many; }));
  many.push_back("p256");
  EXPECT_EQ(validate_with([&](auto& p) { p.principals = many; }).error(), CaErrc::invalid_argument);
}

TEST(SshCertificateProfile, KeyIdIsPrintableAndBounded) {
  EXPECT_EQ(validate_with([](auto& p) { p.key_id = ""; }).error(), CaErrc::invalid_argument);
  EXPECT_EQ(validate_with([](auto& p) { p.key_id = "a\nb"; }).error(), CaErrc::invalid_argument);
  EXPECT_EQ(validate_with([](auto& p) { p.key_id = std::string(1025, 'k'); }).error(),
            CaErrc::invalid_argument);
}

TEST(SshCertificateProfile, ValidityWindowIsChecked) {
  // The window itself (backdate, the grant's end) is decided by approvals::certificate_window
  // (tests/approvals/certificate_window_test.cpp); the CA refuses only a window it cannot write.
  EXPECT_EQ(validate_with([](auto& p) { p.valid_before = p.valid_after; }).error(),
            CaErrc::invalid_argument);
  EXPECT_EQ(validate_with([](auto& p) {
              p.valid_after = std::chrono::sys_seconds{std::chrono::seconds{-20}};
            }).error(),
            CaErrc::invalid_argument);  // before 1970
  EXPECT_TRUE(validate_with([](auto& p) { p.valid_after = std::chrono::sys_seconds{}; }));
}

TEST(SshCertificateProfile, CriticalOptionsAreChecked) {
  EXPECT_TRUE(validate_with([](auto& p) {
    p.force_command = "/usr/bin/psql -c 'select 1'";
    p.source_addresses = {"127.0.0.0/8", "::1", "10.1.0.0/16", "2001:db8::/32", "192.0.2.7"};
  }));
  EXPECT_EQ(validate_with([](auto& p) { p.force_command = ""; }).error(), CaErrc::invalid_argument);
  EXPECT_EQ(validate_with([](auto& p) { p.force_command = "a\nb"; }).error(),
            CaErrc::invalid_argument);
  for (const char* bad : {"10.0.0.1/8", "127.0.0.0/33", "::1/129", "host.example", "10.0.0.0/",
                          "10.0.0.0/+8", "1.2.3.4,5.6.7.8", "", "10.0.0.0/08x"}) {
    EXPECT_EQ(validate_with([&](auto& p) { p.source_addresses = {bad}; }).error(),
              CaErrc::invalid_argument)
        << bad;
  }
  EXPECT_EQ(validate_with([](auto& p) {
              p.source_addresses = {"::1", "::1"};
            }).error(),
            CaErrc::invalid_argument);
}

TEST(SshCertificateProfile, ExtensionsAreKnownAndUnique) {
  EXPECT_TRUE(validate_with([](auto& p) { p.extensions = {}; }));
  EXPECT_TRUE(validate_with([](auto& p) {
    p.extensions = {"permit-pty", "permit-X11-forwarding", "permit-agent-forwarding",
                    "permit-port-forwarding", "permit-user-rc"};
  }));
  EXPECT_EQ(validate_with([](auto& p) { p.extensions = {"permit-everything"}; }).error(),
            CaErrc::invalid_argument);
  EXPECT_EQ(validate_with([](auto& p) {
              p.extensions = {"permit-pty", "permit-pty"};
            }).error(),
            CaErrc::invalid_argument);
}

TEST(SshKeyId, BuildsJitKeyIds) {
  EXPECT_EQ(*make_ssh_key_id("req-17", "alice", "prod-db-read"), "jit:req-17:alice:prod-db-read");
  EXPECT_EQ(make_ssh_key_id("", "alice", "r").error(), CaErrc::invalid_argument);
  EXPECT_EQ(make_ssh_key_id("1", "al:ice", "r").error(), CaErrc::invalid_argument);
  EXPECT_EQ(make_ssh_key_id("1", "alice", "r\"").error(), CaErrc::invalid_argument);
  EXPECT_EQ(make_ssh_key_id("1", "al ice", "r").error(), CaErrc::invalid_argument);
  EXPECT_EQ(make_ssh_key_id("1", "alice", "r\n").error(), CaErrc::invalid_argument);
  EXPECT_EQ(make_ssh_key_id(std::string(1100, 'x'), "alice", "r").error(),
            CaErrc::invalid_argument);
}

}  // namespace
}  // namespace jit::ca
