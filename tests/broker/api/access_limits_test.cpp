// Caller-driven growth of the access workflow (issue 14, B9): pending requests are capped per user
// and role and per user, and listings come in pages with a cursor instead of being cut at 500.
#include "tests/support/access_fixture.hpp"

#include <gtest/gtest.h>

#include <set>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;
using Headers = std::map<std::string, std::string>;

// Four roles that need an approval and one that is approved at once, all open to developers.
constexpr std::string_view kAccessLimitsPolicy = R"yaml(
groups: { developers: [alice, bob], sre-leads: [carol, dave] }
roles:
  db-a: { requestable_by: [developers], approvers: [sre-leads], max_duration: 1h, ssh: { principals: [a] } }
  db-b: { requestable_by: [developers], approvers: [sre-leads], max_duration: 1h, ssh: { principals: [b] } }
  db-c: { requestable_by: [developers], approvers: [sre-leads], max_duration: 1h, ssh: { principals: [c] } }
  db-d: { requestable_by: [developers], approvers: [sre-leads], max_duration: 1h, ssh: { principals: [d] } }
  quick: { requestable_by: [developers], auto_approve: true, max_duration: 1h, ssh: { principals: [q] } }
)yaml";

class AccessLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* user : {"alice", "bob", "carol"}) headers_[user] = f_.sign_in(user);
  }

  Answer ask(const std::string& user, const std::string& role) {
    f_.advance(std::chrono::seconds(1));  // distinct created_at, except where a test wants ties
    return f_.post("/v1/requests",
                   {{"role", role}, {"reason", "migrate orders"}, {"ticket", "OPS-1"}},
                   headers_[user]);
  }

  // Every id of a listing, following `next` with `limit` per page; fails on a repeated id.
  std::vector<std::string> all_pages(const std::string& path, const std::string& key,
                                     const std::string& user, int limit, int* pages = nullptr) {
    std::vector<std::string> ids;
    std::set<std::string> seen;
    std::string after;
    for (int page = 1; page <= 100; ++page) {
      std::string target = path + (path.find('?') == std::string::npos ? "?" : "&") +
                           "limit=" + std::to_string(limit);
      if (!after.empty()) target += "&after=" + after;
      auto answer = f_.get(target, headers_[user]);
      EXPECT_EQ(answer.status, 200u) << target << " " << answer.raw.body();
      if (answer.status != 200) break;
      const auto& items = answer.body.at(key).as_array();
      EXPECT_LE(items.size(), static_cast<std::size_t>(limit));
      for (const auto& item : items) {
        const std::string id(item.at("id").as_string());
        EXPECT_TRUE(seen.insert(id).second) << "repeated " << id;
        ids.push_back(id);
      }
      if (pages != nullptr) *pages = page;
      const auto* next = answer.body.as_object().if_contains("next");
      if (next == nullptr) break;
      after = std::string(next->as_string());
    }
    return ids;
  }

  AccessFixture f_{kAccessLimitsPolicy};
  std::map<std::string, Headers> headers_;
};

TEST_F(AccessLimitsTest, PendingRequestsAreCappedPerUserAndRole) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(ask("alice", "db-a").status, 201u);
  const auto refused = ask("alice", "db-a");
  EXPECT_EQ(refused.status, 409u) << refused.raw.body();
  EXPECT_EQ(code_of(refused), "too_many_pending_for_role");
  EXPECT_EQ(f_.count_rows("requests"), 3);
  // Another user, and another role of the same user, are not affected.
  EXPECT_EQ(ask("bob", "db-a").status, 201u);
  EXPECT_EQ(ask("alice", "db-b").status, 201u);
  // A cancelled request frees its place.
  const auto mine = f_.get("/v1/requests?state=pending", headers_["alice"]);
  const std::string id(mine.body.at("requests").as_array().back().at("id").as_string());
  ASSERT_EQ(f_.post("/v1/requests/" + id + "/cancel", json::object{}, headers_["alice"]).status,
            200u);
  EXPECT_EQ(ask("alice", "db-a").status, 201u);
  // Auto-approved requests are never pending, so they are never refused for it.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(ask("alice", "quick").status, 201u);
}

TEST_F(AccessLimitsTest, PendingRequestsAreCappedPerUserOverAllRoles) {
  // Three each of db-a, db-b, db-c, then one of db-d: ten in all, the per-user default.
  for (const char* role : {"db-a", "db-b", "db-c"}) {
    for (int i = 0; i < 3; ++i) ASSERT_EQ(ask("alice", role).status, 201u) << role;
  }
  ASSERT_EQ(ask("alice", "db-d").status, 201u);
  const auto refused = ask("alice", "db-d");
  EXPECT_EQ(refused.status, 409u) << refused.raw.body();
  EXPECT_EQ(code_of(refused), "too_many_pending");
  // Timed-out requests no longer count.
  f_.advance(std::chrono::hours(2));
  headers_["alice"] = f_.relogin("alice");
  EXPECT_EQ(ask("alice", "db-d").status, 201u);
}

TEST_F(AccessLimitsTest, RequestListingsComeInPagesWithACursor) {
  // Five requests of alice and five of bob, some created in the same second.
  for (const char* user : {"alice", "bob"}) {
    for (const char* role : {"db-a", "db-b", "db-c"}) ASSERT_EQ(ask(user, role).status, 201u);
    f_.advance(std::chrono::seconds(-1));  // ties on created_at: the cursor must still be exact
    ASSERT_EQ(ask(user, "db-d").status, 201u);
    ASSERT_EQ(ask(user, "db-a").status, 201u);
  }
  const auto first = f_.get("/v1/requests?limit=4", headers_["carol"]);
  ASSERT_EQ(first.status, 200u) << first.raw.body();
  EXPECT_EQ(first.body.at("requests").as_array().size(), 4u);
  ASSERT_TRUE(first.body.as_object().contains("next"));

  int pages = 0;
  const auto paged = all_pages("/v1/requests", "requests", "carol", 4, &pages);
  EXPECT_EQ(pages, 3);
  const auto whole = f_.get("/v1/requests", headers_["carol"]);  // default page size holds all
  ASSERT_EQ(whole.status, 200u);
  EXPECT_FALSE(whole.body.as_object().contains("next"));
  std::vector<std::string> expected;
  for (const auto& item : whole.body.at("requests").as_array()) {
    expected.emplace_back(item.at("id").as_string());
  }
  EXPECT_EQ(expected.size(), 10u);
  EXPECT_EQ(paged, expected);  // the same order, nothing left out, nothing twice
  // A requester pages through their own requests only; filters apply on every page.
  EXPECT_EQ(all_pages("/v1/requests", "requests", "alice", 2).size(), 5u);
  EXPECT_EQ(all_pages("/v1/requests?state=pending", "requests", "bob", 1).size(), 5u);
}

TEST_F(AccessLimitsTest, GrantListingsComeInPagesWithACursor) {
  for (int i = 0; i < 5; ++i) ASSERT_EQ(ask("alice", "quick").status, 201u);
  const auto paged = all_pages("/v1/grants", "grants", "alice", 2);
  EXPECT_EQ(paged.size(), 5u);
  const auto whole = f_.get("/v1/grants", headers_["alice"]);
  std::vector<std::string> expected;
  for (const auto& item : whole.body.at("grants").as_array()) {
    expected.emplace_back(item.at("id").as_string());
  }
  EXPECT_EQ(paged, expected);
  EXPECT_EQ(all_pages("/v1/grants?state=active", "grants", "alice", 3).size(), 5u);
}

TEST_F(AccessLimitsTest, PagingParametersAreBounded) {
  for (const char* path : {"/v1/requests", "/v1/grants"}) {
    for (const char* query : {"?limit=0", "?limit=501", "?limit=abc", "?limit=-1", "?limit=",
                              "?after=", "?after=x", "?after=123.req-zz", "?after=1.grt-0",
                              "?after=99999999999999999999.req-00000000000000000000000000000000"}) {
      SCOPED_TRACE(std::string(path) + query);
      const auto answer = f_.get(std::string(path) + query, headers_["alice"]);
      EXPECT_EQ(answer.status, 400u) << answer.raw.body();
      EXPECT_EQ(code_of(answer), "invalid_input");
    }
  }
  EXPECT_EQ(f_.get("/v1/requests?limit=500", headers_["alice"]).status, 200u);
  EXPECT_EQ(f_.get("/v1/grants?limit=1", headers_["alice"]).status, 200u);
}

}  // namespace
}  // namespace jit::broker
