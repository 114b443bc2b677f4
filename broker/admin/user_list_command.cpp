#include "broker/admin/user_list_command.hpp"
#include "broker/admin/admin_store.hpp"
#include "broker/store/db/db_connection.hpp"

#include "broker/auth/credential_store.hpp"
#include "broker/broker_app.hpp"
#include "broker/data_dir.hpp"
#include "broker/sso/sso_identity_store.hpp"
#include "config/policy.hpp"

#include <map>
#include <set>

namespace jit::broker {

int run_user_list(const config::BrokerConfig& config, std::ostream& out) {
  const auto policy = config::load_policy(config.policy_file, config.limits);
  create_private_dir(config.data_dir);
  auto store = open_admin_store(config);
  struct Row {
    std::string source = "policy";
    std::string state = "-";
  };
  std::map<std::string, Row> users;
  for (const auto& [name, user] : policy.users) users[name];
  store->read([&](db::Connection& db) {
    db::Statement q(db, "SELECT \"user\", admin_locked FROM credentials");
    while (q.step()) {
      auto& row = users[q.get_text(0)];
      row.source = "local";
      row.state = q.get_int(1) != 0 ? "locked" : "active";
    }
    for (const auto& identity : all_sso_identities(db)) {
      users[identity.user].source = "sso:" + identity.provider;
      policy.idp_members->set(identity.user, identity.groups);
    }
    return 0;
  });
  out << "USER\tSOURCE\tSTATE\tGROUPS\n";
  for (const auto& [name, row] : users) {
    std::string groups;
    for (const auto& group : policy.groups_of(name)) groups += (groups.empty() ? "" : ",") + group;
    out << name << '\t' << row.source << '\t' << row.state << '\t'
        << (groups.empty() ? "-" : groups) << '\n';
  }
  return 0;
}

}  // namespace jit::broker
