// broker.yaml's `sso:` section (docs/sso.md "Configuration"), policy groups declared
// `source: idp`, and the check of group_map against the policy.
#include "config/broker_config.hpp"
#include "config/policy.hpp"

#include "config_test_support.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <string>

namespace jit::config {
namespace {

using testing::broker_error;
using testing::config_error;
using testing::kBrokerFile;
using testing::kMinimalBroker;
using testing::kPolicyFile;

// Lines 4-10 of broker.yaml: one valid provider, whose own keys start at line 6.
const std::string kSsoHead =
    "sso:\n"
    "  providers:\n"
    "    - name: corp\n"
    "      issuer: https://idp.corp.example/realms/main\n"
    "      client_id: jit-broker\n"
    "      client_secret_env: JIT_OIDC_SECRET\n"
    "      redirect_uri: https://jit.corp.example/v1/auth/sso/corp/callback\n";

std::string sso_yaml(const std::string& extra_provider_lines = "") {
  return kMinimalBroker + kSsoHead + extra_provider_lines;
}

TEST(SsoConfig, NoSectionMeansNoProviders) {
  EXPECT_TRUE(parse_broker_config(kMinimalBroker, kBrokerFile).sso.providers.empty());
}

TEST(SsoConfig, MinimalProviderGetsTheDefaults) {
  const auto config = parse_broker_config(sso_yaml(), kBrokerFile);
  ASSERT_EQ(config.sso.providers.size(), 1u);
  const OidcProviderSettings& p = config.sso.providers[0];
  EXPECT_EQ(p.name, "corp");
  EXPECT_EQ(p.display_name, "corp");
  EXPECT_EQ(p.issuer, "https://idp.corp.example/realms/main");
  EXPECT_EQ(p.client_id, "jit-broker");
  EXPECT_EQ(p.client_secret_env, "JIT_OIDC_SECRET");
  EXPECT_FALSE(p.client_secret_file);
  EXPECT_EQ(p.scopes, (std::vector<std::string>{"openid", "profile", "email"}));
  EXPECT_EQ(p.groups_claim, "groups");
  EXPECT_EQ(p.username_claim, "preferred_username");
  EXPECT_TRUE(p.group_map.empty());
  EXPECT_EQ(p.algorithms, (std::vector<std::string>{"RS256", "ES256", "EdDSA"}));
  EXPECT_EQ(p.clock_skew, Seconds{60});
  EXPECT_EQ(p.session_cap, std::chrono::hours{8});
  EXPECT_FALSE(p.ca_file);
}

TEST(SsoConfig, EveryKeyIsRead) {
  testing::TempDir dir;
  testing::write_text(dir.path() / "idp-ca.pem", "not checked here\n");
  testing::write_text(dir.path() / "broker.yaml", "");
  testing::write_text(dir.path() / "oidc.secret", "s3cr3t-from-the-idp\n");
  std::filesystem::permissions(dir.path() / "oidc.secret", std::filesystem::perms::owner_read |
                                                               std::filesystem::perms::owner_write);
  const auto config = parse_broker_config(
      kMinimalBroker +
          "sso:\n"
          "  providers:\n"
          "    - name: okta-2\n"
          "      display_name: Corp Okta\n"
          "      issuer: https://corp.okta.example\n"
          "      client_id: 0oa1b2c3\n"
          "      client_secret_file: oidc.secret\n"
          "      scopes: [openid, email, groups]\n"
          "      groups_claim: roles\n"
          "      group_map: {SRE Leads: sre-leads, Developers: devs}\n"
          "      username_claim: email\n"
          "      mfa_amr: [mfa, hwk]\n"
          "      mfa_acr: ['urn:okta:loa:2fa:any']\n"
          "      redirect_uri: https://jit.corp.example:8443/v1/auth/sso/okta-2/callback\n"
          "      ca_file: idp-ca.pem\n"
          "      algorithms: [ES256]\n"
          "      clock_skew: 5m\n"
          "      session_cap: 12h\n",
      dir.path() / "broker.yaml");
  const OidcProviderSettings& p = config.sso.providers.at(0);
  EXPECT_EQ(p.display_name, "Corp Okta");
  EXPECT_EQ(p.client_secret_file, dir.path() / "oidc.secret");
  EXPECT_EQ(p.scopes, (std::vector<std::string>{"openid", "email", "groups"}));
  EXPECT_EQ(p.groups_claim, "roles");
  EXPECT_EQ(p.group_map.at("SRE Leads"), "sre-leads");
  EXPECT_EQ(p.group_map.at("Developers"), "devs");
  EXPECT_EQ(p.username_claim, "email");
  EXPECT_EQ(p.mfa_amr, (std::vector<std::string>{"mfa", "hwk"}));
  EXPECT_EQ(p.mfa_acr, std::vector<std::string>{"urn:okta:loa:2fa:any"});
  EXPECT_EQ(p.ca_file, dir.path() / "idp-ca.pem");
  EXPECT_EQ(p.algorithms, std::vector<std::string>{"ES256"});
  EXPECT_EQ(p.clock_skew, std::chrono::minutes{5});
  EXPECT_EQ(p.session_cap, std::chrono::hours{12});
}

TEST(SsoConfig, ClientSecretFileMustBePrivateAndHoldOneLine) {
  testing::TempDir dir;
  const auto secret_yaml = [&](const std::string& file) {
    return kMinimalBroker +
           "sso:\n  providers:\n    - name: corp\n      issuer: https://idp.test\n"
           "      client_id: jit\n      client_secret_file: " +
           (dir.path() / file).string() +
           "\n      redirect_uri: https://jit.test/v1/auth/sso/corp/callback\n";
  };
  const auto private_file = [&](const std::string& name, const std::string& text) {
    testing::write_text(dir.path() / name, text);
    std::filesystem::permissions(dir.path() / name, std::filesystem::perms::owner_read |
                                                        std::filesystem::perms::owner_write);
  };
  private_file("good", "s3cr3t\r\n");
  EXPECT_EQ(
      parse_broker_config(secret_yaml("good"), kBrokerFile).sso.providers.at(0).client_secret_file,
      dir.path() / "good");
  testing::write_text(dir.path() / "open", "s3cr3t\n");
  std::filesystem::permissions(dir.path() / "open", std::filesystem::perms::owner_read |
                                                        std::filesystem::perms::owner_write |
                                                        std::filesystem::perms::others_read);
  private_file("empty", "\n");
  private_file("two-lines", "s3cr3t\nmore\n");
  for (const char* file : {"open", "empty", "two-lines", "missing"}) {
    SCOPED_TRACE(file);
    EXPECT_CONFIG_ERROR_AT(broker_error(secret_yaml(file)), kBrokerFile, 9,
                           "sso.providers[0].client_secret_file");
  }
}

TEST(SsoConfig, EachBadValueNamesItsLineAndKey) {
  const std::string p = "sso.providers[0].";
  const struct {
    const char* name;
    std::string yaml;
    int line;
    std::string key;
  } cases[] = {
      {"no providers key", kMinimalBroker + "sso: {}\n", 4, "sso.providers"},
      {"unknown key", sso_yaml("      client_secret: hunter2\n"), 11, p + "client_secret"},
      {"bad name", kMinimalBroker + "sso:\n  providers:\n    - name: Corp_IdP\n", 6, p + "name"},
      {"http issuer",
       kMinimalBroker + "sso:\n  providers:\n    - name: corp\n      issuer: http://idp.test\n", 7,
       p + "issuer"},
      {"issuer with a query",
       kMinimalBroker +
           "sso:\n  providers:\n    - name: corp\n      issuer: https://idp.test/?x=1\n",
       7, p + "issuer"},
      {"both secret sources", sso_yaml("      client_secret_file: /etc/jit/oidc.secret\n"), 11,
       p + "client_secret_file"},
      {"no secret source",
       kMinimalBroker + "sso:\n  providers:\n    - name: corp\n      issuer: https://idp.test\n"
                        "      client_id: jit\n",
       6, p + "client_secret_env"},
      {"bad env name",
       kMinimalBroker + "sso:\n  providers:\n    - name: corp\n      issuer: https://idp.test\n"
                        "      client_id: jit\n      client_secret_env: JIT-SECRET\n",
       9, p + "client_secret_env"},
      {"scopes without openid", sso_yaml("      scopes: [profile, email]\n"), 11, p + "scopes"},
      {"scope with a space", sso_yaml("      scopes: [openid, 'a b']\n"), 11, p + "scopes[1]"},
      {"scope twice", sso_yaml("      scopes: [openid, openid]\n"), 11, p + "scopes[1]"},
      {"alg none", sso_yaml("      algorithms: [RS256, none]\n"), 11, p + "algorithms[1]"},
      {"HS256", sso_yaml("      algorithms: [HS256]\n"), 11, p + "algorithms[0]"},
      {"no algorithms", sso_yaml("      algorithms: []\n"), 11, p + "algorithms"},
      {"clock skew of 6m", sso_yaml("      clock_skew: 6m\n"), 11, p + "clock_skew"},
      {"session cap of 0s", sso_yaml("      session_cap: 0s\n"), 11, p + "session_cap"},
      {"group_map to a bad name", sso_yaml("      group_map: {Admins: '-x'}\n"), 11,
       p + "group_map.Admins"},
      {"missing ca_file", sso_yaml("      ca_file: /nonexistent/ca.pem\n"), 11, p + "ca_file"},
      {"redirect_uri of another provider",
       kMinimalBroker + "sso:\n  providers:\n    - name: corp\n      issuer: https://idp.test\n"
                        "      client_id: jit\n      client_secret_env: S\n"
                        "      redirect_uri: https://jit.test/v1/auth/sso/other/callback\n",
       10, p + "redirect_uri"},
      {"http redirect_uri",
       kMinimalBroker + "sso:\n  providers:\n    - name: corp\n      issuer: https://idp.test\n"
                        "      client_id: jit\n      client_secret_env: S\n"
                        "      redirect_uri: http://jit.test/v1/auth/sso/corp/callback\n",
       10, p + "redirect_uri"},
      {"no redirect_uri",
       kMinimalBroker + "sso:\n  providers:\n    - name: corp\n      issuer: https://idp.test\n"
                        "      client_id: jit\n      client_secret_env: S\n",
       6, p + "redirect_uri"},
      {"two providers named corp",
       sso_yaml() + "    - name: corp\n      issuer: https://idp2.test\n      client_id: jit\n"
                    "      client_secret_env: S\n"
                    "      redirect_uri: https://jit.corp.example/v1/auth/sso/corp/callback\n",
       11, "sso.providers[1]"},
  };
  for (const auto& row : cases) {
    SCOPED_TRACE(row.name);
    const auto error = broker_error(row.yaml);
    EXPECT_CONFIG_ERROR_AT(error, kBrokerFile, row.line, row.key);
  }
}

// Lines 1-4 of policy.yaml: one static and two identity provider groups.
const std::string kIdpPolicyHead =
    "groups:\n"
    "  developers: [alice, bob]\n"
    "  sre-leads: {source: idp}\n"
    "  idp-devs: {source: idp}\n";

TEST(SsoPolicy, IdpGroupsExistWithoutMembers) {
  const Policy policy = parse_policy(kIdpPolicyHead + "approvals_survive_group_removal: true\n",
                                     kPolicyFile, Limits{});
  EXPECT_EQ(policy.idp_groups, (std::set<std::string>{"idp-devs", "sre-leads"}));
  ASSERT_TRUE(policy.groups.contains("sre-leads"));
  EXPECT_TRUE(policy.groups.at("sre-leads").empty());
  EXPECT_EQ(policy.groups.at("developers"), (std::vector<std::string>{"alice", "bob"}));
  EXPECT_TRUE(policy.approvals_survive_group_removal);
  EXPECT_FALSE(parse_policy(kIdpPolicyHead, kPolicyFile, Limits{}).approvals_survive_group_removal);
}

TEST(SsoPolicy, RoleWithAnIdpApproverGroupIsNotCounted) {
  // Two approvals from a group with no members listed: refused for a static group, accepted for
  // an identity provider group whose members are known at sign-in.
  const std::string role =
      "roles:\n"
      "  db:\n"
      "    requestable_by: [developers, idp-devs]\n"
      "    approvers: [sre-leads]\n"
      "    approvals_required: 2\n"
      "    max_duration: 1h\n"
      "    ssh: {principals: [dbread]}\n";
  const Policy policy = parse_policy(kIdpPolicyHead + role, kPolicyFile, Limits{});
  EXPECT_EQ(policy.find_role("db")->approvers, std::vector<std::string>{"sre-leads"});
  std::string static_head = kIdpPolicyHead;
  static_head.replace(static_head.find("{source: idp}"), 13, "[]");
  const auto refused =
      config_error([&] { (void)parse_policy(static_head + role, kPolicyFile, Limits{}); });
  EXPECT_CONFIG_ERROR_AT(refused, kPolicyFile, 9, "roles.db.approvals_required");
}

TEST(SsoPolicy, BadGroupSourceAndBadFlagAreRefused) {
  EXPECT_CONFIG_ERROR_AT(
      config_error(
          [] { (void)parse_policy("groups:\n  x: {source: ldap}\n", kPolicyFile, Limits{}); }),
      kPolicyFile, 2, "groups.x.source");
  EXPECT_CONFIG_ERROR_AT(config_error([] {
                           (void)parse_policy("groups:\n  x: {source: idp, members: [a]}\n",
                                              kPolicyFile, Limits{});
                         }),
                         kPolicyFile, 2, "groups.x.members");
  EXPECT_CONFIG_ERROR_AT(config_error([] {
                           (void)parse_policy("approvals_survive_group_removal: maybe\n",
                                              kPolicyFile, Limits{});
                         }),
                         kPolicyFile, 1, "approvals_survive_group_removal");
}

TEST(SsoPolicy, GroupMapMustTargetIdpGroups) {
  const Policy policy = parse_policy(kIdpPolicyHead, kPolicyFile, Limits{});
  const auto good = parse_broker_config(sso_yaml("      group_map:\n        SRE Leads: sre-leads\n"
                                                 "        Devs: idp-devs\n"),
                                        kBrokerFile);
  EXPECT_NO_THROW(check_sso_against_policy(good, policy));
  const auto to_static =
      parse_broker_config(sso_yaml("      group_map:\n        SRE Leads: sre-leads\n"
                                   "        Devs: developers\n"),
                          kBrokerFile);
  EXPECT_CONFIG_ERROR_AT(config_error([&] { check_sso_against_policy(to_static, policy); }),
                         kBrokerFile, 13, "sso.providers[0].group_map.Devs");
  const auto to_missing =
      parse_broker_config(sso_yaml("      group_map: {Ops: ops}\n"), kBrokerFile);
  EXPECT_CONFIG_ERROR_AT(config_error([&] { check_sso_against_policy(to_missing, policy); }),
                         kBrokerFile, 11, "sso.providers[0].group_map.Ops");
}

}  // namespace
}  // namespace jit::config
