// The shipped examples/ files: they load cleanly, hold exactly the demo cast, and a copy of the
// folder works anywhere because relative paths resolve against the config file's folder.
#include "config/broker_config.hpp"
#include "config/policy.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace jit::config {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const std::filesystem::path kExamples = std::filesystem::path(JIT_SOURCE_DIR) / "examples";

// A mkdtemp folder removed when the test ends, pass or fail.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/jit-config-examples-XXXXXX";
    if (mkdtemp(name) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = name;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST(Examples, BrokerYamlIsTheDemoConfig) {
  const BrokerConfig c = load_broker_config(kExamples / "broker.yaml");
  const auto root = std::filesystem::path(JIT_SOURCE_DIR).lexically_normal();
  EXPECT_EQ(c.file, (kExamples / "broker.yaml").lexically_normal());
  EXPECT_EQ(format_listen_address(c.listen), "127.0.0.1:8443");
  EXPECT_EQ(c.data_dir, root / "var");
  EXPECT_EQ(c.policy_file, (kExamples / "policy.yaml").lexically_normal());
  EXPECT_EQ(c.data_key_file, root / "var" / "data.key");
  EXPECT_TRUE(c.tls.dev_tls);
  EXPECT_EQ(c.tls.cert_file, root / "var" / "tls" / "server.crt");
  EXPECT_TRUE(c.ca.generate_missing);
  EXPECT_EQ(c.ca.ssh_key_files, (std::vector<std::filesystem::path>{root / "var/ca/ssh_ca.key"}));
  EXPECT_FALSE(c.ca.passphrase_env);
  EXPECT_FALSE(c.ca.passphrase_file);
  EXPECT_EQ(c.mfa.webauthn.rp_id, "localhost");
  EXPECT_EQ(c.mfa.webauthn.origin, "https://localhost:8443");
  EXPECT_EQ(c.limits.max_grant_duration, hours{8});
  EXPECT_EQ(c.limits.max_breakglass_duration, hours{1});
  EXPECT_EQ(c.http.max_body_bytes, 65536u);
}

TEST(Examples, PolicyYamlIsExactlyTheDemoCast) {
  const BrokerConfig c = load_broker_config(kExamples / "broker.yaml");
  const Policy p = load_policy(c.policy_file, c.limits);
  const std::map<std::string, std::vector<std::string>> groups = {
      {"developers", {"alice", "bob"}},
      {"sre-leads", {"carol", "dave"}},
      {"oncall", {"erin"}},
      {"auditors", {"frank"}},
  };
  EXPECT_EQ(p.groups, groups);
  ASSERT_EQ(p.users.size(), 6u);
  for (const auto& [group, members] : groups) {
    for (const std::string& name : members) {
      const User* user = p.find_user(name);
      ASSERT_NE(user, nullptr) << name;
      EXPECT_EQ(user->groups, std::vector<std::string>{group}) << name;
      EXPECT_EQ(user->email, std::optional<std::string>(name + "@corp.example"));
    }
  }
  EXPECT_TRUE(p.in_group("frank", kAuditorsGroup));

  ASSERT_EQ(p.roles.size(), 1u);
  const Role& role = p.roles.at("prod-db-read");
  EXPECT_EQ(role.requestable_by, std::vector<std::string>{"developers"});
  EXPECT_EQ(role.approvers, std::vector<std::string>{"sre-leads"});
  EXPECT_EQ(role.approvals_required, 2);
  EXPECT_EQ(role.denials_required, 1);
  EXPECT_FALSE(role.auto_approve);
  EXPECT_EQ(role.max_duration, hours{1});
  EXPECT_EQ(role.default_duration, hours{1});
  EXPECT_TRUE(role.require_reason);
  EXPECT_TRUE(role.require_ticket);
  ASSERT_TRUE(role.ssh);
  EXPECT_EQ(role.ssh->principals, std::vector<std::string>{"dbread"});
  EXPECT_EQ(role.ssh->extensions, std::vector<std::string>{"permit-pty"});
  EXPECT_EQ(role.ssh->source_address, (std::vector<std::string>{"127.0.0.0/8", "::1/128"}));
  EXPECT_FALSE(role.ssh->force_command);
  ASSERT_TRUE(role.x509);
  EXPECT_EQ(role.x509->san_uri_template, "spiffe://corp.example/user/{user}/role/{role}");
  EXPECT_EQ(role.x509->organizational_unit, "prod-db-read");
  ASSERT_TRUE(role.breakglass);
  EXPECT_EQ(role.breakglass->allowed_groups, std::vector<std::string>{"oncall"});
  EXPECT_EQ(role.breakglass->max_duration, minutes{30});
  EXPECT_EQ(role.breakglass->review_within, hours{24});
}

TEST(Examples, CopiedFolderResolvesPathsAgainstItsNewPlace) {
  TempDir temp;
  const auto copy = temp.path() / "somewhere" / "examples";
  std::filesystem::create_directories(copy);
  std::filesystem::copy_file(kExamples / "broker.yaml", copy / "broker.yaml");
  std::filesystem::copy_file(kExamples / "policy.yaml", copy / "policy.yaml");

  const BrokerConfig c = load_broker_config(copy / "broker.yaml");
  EXPECT_EQ(c.file, copy / "broker.yaml");
  EXPECT_EQ(c.data_dir, temp.path() / "somewhere" / "var");
  EXPECT_EQ(c.policy_file, copy / "policy.yaml");
  EXPECT_EQ(c.ca.x509_root_key_file, temp.path() / "somewhere" / "var" / "ca" / "x509_root.key");
  const Policy p = load_policy(c.policy_file, c.limits);
  EXPECT_EQ(p.file, copy / "policy.yaml");
  EXPECT_EQ(p.roles.size(), 1u);

  // Loading through a relative path from another working directory gives the same result.
  const auto previous = std::filesystem::current_path();
  std::filesystem::current_path(temp.path());
  BrokerConfig relative;
  try {
    relative = load_broker_config("somewhere/examples/broker.yaml");
  } catch (...) {
    std::filesystem::current_path(previous);
    throw;
  }
  std::filesystem::current_path(previous);
  EXPECT_EQ(relative.data_dir, c.data_dir);
  EXPECT_EQ(relative.policy_file, c.policy_file);
}

}  // namespace
}  // namespace jit::config
