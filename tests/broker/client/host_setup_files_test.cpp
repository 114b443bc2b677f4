// The text `jit host-setup` writes and prints (paths, principals files, sshd and nginx lines,
// systemd units, cron line) and the checks a revocation list must pass before it replaces the one
// sshd or nginx reads.
#include "broker/client/host_setup_files.hpp"
#include "broker/client/host_file_update.hpp"
#include "broker/client/host_list_checks.hpp"
#include "ca/crl_builder.hpp"
#include "ca/krl_builder.hpp"
#include "ca/ssh_ca_key.hpp"
#include "ca/x509_hierarchy.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace std::chrono_literals;

HostPaths host_setup_test_paths() {
  HostPathOptions options;
  options.out = "/etc/jit";
  options.ssh = true;
  options.nginx = true;
  return host_paths(options);
}

RefreshCommand host_setup_test_refresh(bool ssh, bool nginx) {
  return {"/usr/bin/jit",
          "https://jit.example:8443",
          "/etc/jit/broker-ca.pem",
          host_setup_test_paths(),
          ssh,
          nginx,
          "systemctl reload nginx"};
}

TEST(HostSetupFilesTest, PathsDefaultUnderTheOutputFolderAndEachCanBeMovedAlone) {
  const auto paths = host_setup_test_paths();
  EXPECT_EQ(paths.trusted_ca_file, "/etc/jit/ssh/trusted_user_ca_keys.pub");
  EXPECT_EQ(paths.krl_file, "/etc/jit/ssh/revoked_keys.krl");
  EXPECT_EQ(paths.principals_dir, "/etc/jit/ssh/auth_principals");
  EXPECT_EQ(paths.x509_ca_file, "/etc/jit/nginx/client_ca_chain.pem");
  EXPECT_EQ(paths.crl_file, "/etc/jit/nginx/client_crl.pem");
  EXPECT_EQ(etag_path(paths.krl_file), "/etc/jit/ssh/revoked_keys.krl.etag");

  HostPathOptions moved;
  moved.out = "/srv/host/../host";
  moved.krl_file = "/etc/ssh/revoked_keys";
  const auto other = host_paths(moved);
  EXPECT_EQ(other.out, "/srv/host");
  EXPECT_EQ(other.krl_file, "/etc/ssh/revoked_keys");
  EXPECT_EQ(other.trusted_ca_file, "/srv/host/ssh/trusted_user_ca_keys.pub");
}

TEST(HostSetupFilesTest, PrincipalsOptionsMergePerAccountAndRefuseWhatSshdWouldMisread) {
  const auto parsed = parse_principals_options(
      {"deploy=dbread,dbadmin", "root=breakglass", "deploy=dbread,ops", "_svc-1.a=x"});
  ASSERT_EQ(parsed.problem, "");
  EXPECT_EQ(parsed.accounts.at("deploy"), (std::vector<std::string>{"dbread", "dbadmin", "ops"}));
  EXPECT_EQ(parsed.accounts.at("root"), (std::vector<std::string>{"breakglass"}));
  EXPECT_EQ(principals_file_text(parsed.accounts.at("deploy")), "dbread\ndbadmin\nops\n");

  for (const char* bad :
       {"deploy", "=dbread", "../etc=x", "Deploy=x", "deploy=", "deploy=a,,b", "deploy=a b",
        "deploy=a\nb", "a/b=x", "averyveryveryverylongaccountname1=x"}) {
    const auto refused = parse_principals_options({bad});
    EXPECT_NE(refused.problem, "") << bad;
    EXPECT_NE(refused.problem.find("--principals"), std::string::npos) << refused.problem;
  }
}

TEST(HostSetupFilesTest, SshdAndNginxLinesNameTheWrittenFiles) {
  const auto paths = host_setup_test_paths();
  EXPECT_EQ(sshd_config_lines(paths),
            "TrustedUserCAKeys /etc/jit/ssh/trusted_user_ca_keys.pub\n"
            "RevokedKeys /etc/jit/ssh/revoked_keys.krl\n"
            "AuthorizedPrincipalsFile /etc/jit/ssh/auth_principals/%u\n");
  EXPECT_EQ(nginx_lines(paths),
            "ssl_client_certificate /etc/jit/nginx/client_ca_chain.pem;\n"
            "ssl_crl /etc/jit/nginx/client_crl.pem;\n"
            "ssl_verify_client on;\n"
            "ssl_verify_depth 2;\n");
}

TEST(HostSetupFilesTest, UnitsAndCronRunTheRefreshWithTheSameBrokerAndPaths) {
  const auto both = host_setup_test_refresh(true, true);
  EXPECT_EQ(refresh_command_problem(both), "");
  const std::string expected_command =
      "/usr/bin/jit --broker https://jit.example:8443 --ca-file /etc/jit/broker-ca.pem "
      "host-refresh --out /etc/jit --ssh --krl-file /etc/jit/ssh/revoked_keys.krl --nginx "
      "--x509-ca-file /etc/jit/nginx/client_ca_chain.pem --crl-file "
      "/etc/jit/nginx/client_crl.pem --after-crl-change ";
  const auto service = systemd_service_unit(both);
  EXPECT_NE(service.find("\nExecStart=" + expected_command + "\"systemctl reload nginx\"\n"),
            std::string::npos)
      << service;
  EXPECT_NE(service.find("\nType=oneshot\n"), std::string::npos);
  EXPECT_NE(service.find("\nReadWritePaths=-/etc/jit/nginx -/etc/jit/ssh\n"), std::string::npos)
      << service;
  EXPECT_EQ(cron_line(both), "* * * * * root " + expected_command + "'systemctl reload nginx'\n");

  const auto timer = systemd_timer_unit(90s);
  EXPECT_NE(timer.find("\nOnUnitActiveSec=90s\n"), std::string::npos) << timer;
  EXPECT_NE(timer.find("\nWantedBy=timers.target\n"), std::string::npos) << timer;

  // Only the parts set up are refreshed; the after-change command only goes with the CRL.
  const auto ssh_only = refresh_argv(host_setup_test_refresh(true, false));
  EXPECT_EQ(std::count(ssh_only.begin(), ssh_only.end(), "--nginx"), 0);
  EXPECT_EQ(std::count(ssh_only.begin(), ssh_only.end(), "--after-crl-change"), 0);
}

TEST(HostSetupFilesTest, PathsAndCommandsThatTheFormatsWouldReadDifferentlyAreRefused) {
  auto command = host_setup_test_refresh(true, true);
  command.paths.krl_file = "/etc/jit/revoked keys.krl";
  EXPECT_NE(refresh_command_problem(command).find("revoked keys.krl"), std::string::npos);
  command = host_setup_test_refresh(true, true);
  command.after_crl_change = "systemctl reload nginx; rm -rf /";
  EXPECT_NE(refresh_command_problem(command), "");
  command = host_setup_test_refresh(true, true);
  command.broker_url = "https://jit.example/%h";
  EXPECT_NE(refresh_command_problem(command), "");
  command = host_setup_test_refresh(true, true);
  command.jit_binary = "jit";  // relative: systemd wants an absolute path
  EXPECT_NE(refresh_command_problem(command), "");
  EXPECT_FALSE(is_config_safe(""));
  EXPECT_FALSE(is_config_safe("/a\"b"));
  EXPECT_TRUE(is_config_safe("/etc/jit/ssh/krl"));
}

TEST(HostSetupFilesTest, EntityTagsAreQuotedVisibleAscii) {
  EXPECT_TRUE(is_entity_tag("\"krl-7-abc\""));
  EXPECT_TRUE(is_entity_tag("W/\"x\""));
  for (const char* bad : {"", "\"", "krl-7", "\"a b\"", "\"a\"b\"", "\"a\nb\""})
    EXPECT_FALSE(is_entity_tag(bad)) << bad;
  EXPECT_FALSE(is_entity_tag("\"" + std::string(300, 'a') + "\""));
}

std::string host_setup_test_krl(std::uint64_t version) {
  const auto ca_key = ca::SshCaKey::generate();
  ca::KrlBuilder builder;
  EXPECT_TRUE(builder.add(ca_key->public_key(), {7, "", 4102444800}));
  const auto built = builder.build(version, std::chrono::sys_seconds(1700000000s));
  return std::string(ca::as_chars(built->bytes));
}

TEST(HostSetupListChecksTest, AKrlMustParseAndNotGoBackToAnOlderVersion) {
  const auto v5 = host_setup_test_krl(5);
  const auto v6 = host_setup_test_krl(6);
  EXPECT_EQ(krl_problem(v5, std::nullopt), "");
  EXPECT_EQ(krl_problem(v6, v5), "");
  EXPECT_EQ(krl_problem(v6, v6), "");  // the same list fetched again without its ETag
  EXPECT_EQ(krl_problem(v5, v6),
            "its version 5 is older than the installed 6 (remove the file to accept an older "
            "list)");
  EXPECT_EQ(krl_problem(v6, std::string_view("garbage")), "");  // a broken file is replaced
  EXPECT_EQ(krl_problem("<html>500</html>", std::nullopt),
            "it is not an OpenSSH KRL that sshd can read");
  EXPECT_NE(krl_problem(v6.substr(0, v6.size() - 1), std::nullopt), "");  // truncated
}

TEST(HostSetupListChecksTest, CaKeysAndChainMustParse) {
  const auto key = ca::SshCaKey::generate()->public_key().line();
  EXPECT_EQ(ssh_ca_keys_problem("# jitbroker SSH CA\n" + key + "\n"), "");
  EXPECT_EQ(ssh_ca_keys_problem("# only a comment\n"), "it holds no key");
  EXPECT_EQ(ssh_ca_keys_problem(key + "\nnot a key\n"), "a line is not an OpenSSH public key");
  EXPECT_EQ(x509_chain_problem("no pem here"), "it holds no PEM certificate");
  EXPECT_EQ(x509_chain_problem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
            "a certificate does not parse");
}

// The issuing and root CRLs of a dev hierarchy, as GET /v1/ca/x509/crl?format=pem-bundle serves
// them.
struct HostSetupCrls {
  ca::X509CaHierarchy hierarchy;
  std::string issuing_pem(std::uint64_t number) const {
    const auto now = std::chrono::system_clock::now();
    return ca::build_crl(hierarchy.issuing(), {}, number, now, now + 5min, now)->pem;
  }
  std::string bundle(std::uint64_t number) const {
    const auto now = std::chrono::system_clock::now();
    return issuing_pem(number) +
           ca::build_crl(*hierarchy.root(), {}, number, now, now + 5min, now)->pem;
  }
};

HostSetupCrls host_setup_test_crls() {
  return {*ca::create_dev_hierarchy(ca::KeyAlgorithm::ecdsa_p256, {}, {},
                                    std::chrono::system_clock::now())};
}

TEST(HostSetupListChecksTest, ACrlBundleMustBeSignedByTheCaFileCoverEachCaAndNotGoBack) {
  const auto ours = host_setup_test_crls();
  const auto chain = ours.hierarchy.chain_pem();
  EXPECT_EQ(x509_chain_problem(chain), "");
  EXPECT_EQ(crl_bundle_problem(ours.bundle(4), chain, std::nullopt), "");
  EXPECT_EQ(crl_bundle_problem(ours.bundle(5), chain, ours.bundle(4)), "");
  EXPECT_EQ(crl_bundle_problem(ours.bundle(4), chain, ours.bundle(4)), "");
  EXPECT_EQ(crl_bundle_problem(ours.bundle(3), chain, ours.bundle(4)),
            "a CRL in it has a lower CRL number than the installed one (remove the file to accept "
            "an older list)");
  // nginx checks the CRL of every CA in the chain: the issuing CA's alone would refuse everyone.
  EXPECT_EQ(crl_bundle_problem(ours.issuing_pem(4), chain, std::nullopt),
            "a CA certificate of the CA file has no CRL in it");
  const auto theirs = host_setup_test_crls();
  EXPECT_EQ(crl_bundle_problem(theirs.bundle(9), chain, std::nullopt),
            "a CRL in it is not signed by a certificate of the CA file");
  EXPECT_EQ(crl_bundle_problem("", chain, std::nullopt), "it holds no PEM CRL");
  EXPECT_EQ(crl_bundle_problem(ours.bundle(4), "", std::nullopt),
            "the CA file beside it holds no readable certificate");
  auto damaged = ours.bundle(4);
  damaged[damaged.find("\n") + 10] ^= 1;  // inside the first block's base64
  EXPECT_NE(crl_bundle_problem(damaged, chain, std::nullopt), "");
}

}  // namespace
}  // namespace jit::broker
