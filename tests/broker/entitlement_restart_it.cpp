// A user removed from the requesting groups while the broker was down: a real `jit-broker serve`
// restarted with the new policy revokes their active grants and cancels their pending requests
// before it serves anyone, each audited, and leaves everyone else's alone.
#include "tests/support/running_broker.hpp"

#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;
namespace http = broker::http;

constexpr const char* kEntitlementPolicy = R"yaml(
groups:
  developers: [alice, bob]
  sre-leads: [carol, dave]
  oncall: [erin]
roles:
  dev-shell:
    requestable_by: [developers]
    auto_approve: true
    max_duration: 1h
    ssh: { principals: [dev] }
  prod-db-read:
    requestable_by: [developers]
    approvers: [sre-leads]
    max_duration: 1h
    ssh: { principals: [dbread] }
)yaml";

class EntitlementRestartTest : public ::testing::Test {
 protected:
  json::object post(const std::string& user, const std::string& target, const json::object& body,
                    unsigned expected_status) {
    broker::HttpRequest request(http::verb::post, target, 11);
    request.set(http::field::authorization, "Bearer " + broker_.token(user));
    request.set(http::field::content_type, "application/json");
    request.body() = json::serialize(body);
    const auto answer = broker_.client()->request(std::move(request));
    EXPECT_EQ(answer.result_int(), expected_status) << target << ": " << answer.body();
    return json::parse(answer.body()).as_object();
  }

  std::string state_of(const std::string& table, const std::string& id) {
    auto db = broker_.open();
    SQLite::Statement query(*db, "SELECT state FROM " + table + " WHERE id = ?");
    query.bind(1, id);
    return query.executeStep() ? query.getColumn(0).getString() : "<none>";
  }

  RunningBroker broker_{kEntitlementPolicy, "", {"alice", "bob"}};
};

TEST_F(EntitlementRestartTest, RestartWithAliceRemovedRevokesHerGrantAndCancelsHerRequest) {
  // Fresh sessions need no factor for these: an auto-approved grant and a pending request each.
  const auto alice_grant = post("alice", "/v1/requests", {{"role", "dev-shell"}}, 201);
  const auto alice_pending = post("alice", "/v1/requests", {{"role", "prod-db-read"}}, 201);
  const auto bob_grant = post("bob", "/v1/requests", {{"role", "dev-shell"}}, 201);
  const auto bob_pending = post("bob", "/v1/requests", {{"role", "prod-db-read"}}, 201);
  const std::string alice_grant_id(alice_grant.at("grant").at("id").as_string());
  const std::string bob_grant_id(bob_grant.at("grant").at("id").as_string());
  const std::string alice_request_id(alice_pending.at("id").as_string());
  const std::string bob_request_id(bob_pending.at("id").as_string());
  ASSERT_EQ(state_of("grants", alice_grant_id), "active");
  ASSERT_EQ(state_of("requests", alice_request_id), "pending");
  const auto seq_before = broker_.snapshot().audit_seq;

  // alice moves to oncall: still a user (her session stays valid), no longer a requester.
  std::string changed(kEntitlementPolicy);
  changed.replace(changed.find("[alice, bob]"), 12, "[bob]");
  changed.replace(changed.find("[erin]"), 6, "[erin, alice]");
  broker_.restart_with_policy(changed);

  EXPECT_EQ(state_of("grants", alice_grant_id), "revoked");
  EXPECT_EQ(state_of("requests", alice_request_id), "cancelled");
  EXPECT_EQ(state_of("grants", bob_grant_id), "active");
  EXPECT_EQ(state_of("requests", bob_request_id), "pending");

  std::vector<std::string> actions;
  for (const auto& row : broker_.audit_after(seq_before)) {
    if (row.object == "grant/" + alice_grant_id || row.object == "request/" + alice_request_id) {
      EXPECT_EQ(row.actor, "system") << row;
      actions.push_back(row.action);
    }
    EXPECT_NE(row.object, "grant/" + bob_grant_id) << row;
    EXPECT_NE(row.object, "request/" + bob_request_id) << row;
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"grant.revoke", "request.cancel"}));
}

}  // namespace
}  // namespace jit::broker
