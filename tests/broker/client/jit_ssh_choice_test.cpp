// `jit ssh`'s decisions without a broker: which role a login user maps to (GET /v1/roles'
// ssh_principals), and the ssh command line it runs.
#include "broker/client/jit_ssh_command.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace jit::broker {
namespace {

boost::json::array ssh_choice_roles() {
  return {{{"name", "prod-db-read"}, {"requestable", true}, {"ssh_principals", {"dbread"}}},
          {{"name", "prod-db-admin"}, {"requestable", true}, {"ssh_principals", {"dbadmin"}}},
          {{"name", "prod-db-admin2"}, {"requestable", true}, {"ssh_principals", {"dbadmin"}}},
          {{"name", "prod-web"}, {"requestable", false}, {"ssh_principals", {"web"}}}};
}

TEST(JitSshChoice, LoginUserIsBeforeTheLastAtOrTheLocalUser) {
  EXPECT_EQ(ssh_login_user("dbread@db1.example", "alice"), "dbread");
  EXPECT_EQ(ssh_login_user("db1.example", "alice"), "alice");
}

TEST(JitSshChoice, TheOnlyRequestableRoleWithThePrincipalIsPicked) {
  std::string why;
  EXPECT_EQ(pick_ssh_role(ssh_choice_roles(), "dbread", std::nullopt, why), "prod-db-read");
}

TEST(JitSshChoice, NoneOrSeveralMatchingRolesNeedRole) {
  std::string why;
  EXPECT_FALSE(pick_ssh_role(ssh_choice_roles(), "web", std::nullopt, why));
  EXPECT_EQ(why,
            "no role you may request logs in as 'web'; give --role (roles you may request: "
            "prod-db-read, prod-db-admin, prod-db-admin2)");
  EXPECT_FALSE(pick_ssh_role(ssh_choice_roles(), "dbadmin", std::nullopt, why));
  EXPECT_EQ(why, "several roles log in as 'dbadmin': prod-db-admin, prod-db-admin2; give --role");
  EXPECT_EQ(pick_ssh_role(ssh_choice_roles(), "dbadmin", std::string("prod-db-admin2"), why),
            "prod-db-admin2");
}

TEST(JitSshChoice, AChosenRoleMustBeRequestable) {
  std::string why;
  EXPECT_FALSE(pick_ssh_role(ssh_choice_roles(), "web", std::string("prod-web"), why));
  EXPECT_EQ(why, "you may not request the role prod-web");
  EXPECT_FALSE(pick_ssh_role(ssh_choice_roles(), "root", std::string("nope"), why));
}

TEST(JitSshChoice, SshCommandLineCarriesKeyCertificatePortOptionsAndCommand) {
  SshOptions options;
  options.destination = "dbread@db1";
  options.port = 2222;
  options.ssh_options = {"StrictHostKeyChecking=no"};
  options.command = {"echo", "-n", "hi"};
  EXPECT_EQ(ssh_command_line(options, "/k/jit-grt", "/k/jit-grt-cert.pub"),
            (std::vector<std::string>{
                "ssh", "-i", "/k/jit-grt", "-o", "CertificateFile=/k/jit-grt-cert.pub", "-o",
                "IdentitiesOnly=yes", "-p", "2222", "-o", "StrictHostKeyChecking=no", "--",
                "dbread@db1", "echo", "-n", "hi"}));
  options = SshOptions{};
  options.destination = "db1";
  EXPECT_EQ(ssh_command_line(options, "/k/a", "/k/a-cert.pub").size(), 9u);
}

}  // namespace
}  // namespace jit::broker
