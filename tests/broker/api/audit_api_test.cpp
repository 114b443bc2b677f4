// Issue 14 C14: auditors read the audit log over the API. GET /v1/audit pages through the chain
// (bounded pages, `next` for the following one), GET /v1/audit/verify checks it with the broker's
// key; both are for members of the group `auditors` only.
#include "broker/api/audit_api.hpp"
#include "tests/support/access_fixture.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;

class AuditApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker::add_audit_routes(f_.router_, *f_.identity_);
    frank_ = f_.sign_in("frank");  // auditors
    alice_ = f_.sign_in("alice");  // developers
  }

  std::int64_t audit_rows() { return f_.count_rows("audit"); }

  AccessFixture f_;
  std::map<std::string, std::string> frank_, alice_;
};

TEST_F(AuditApiTest, AuditorPagesThroughTheWholeLogInOrder) {
  const auto total = audit_rows();
  ASSERT_GE(total, 4);  // two enrolments and two logins at least
  std::int64_t expected_seq = 1;
  std::string after;
  std::string prev_hash(64, '0');
  for (int pages = 0; pages < 100; ++pages) {
    const auto page = f_.get("/v1/audit?limit=3" + after, frank_);
    ASSERT_EQ(page.status, 200u) << page.raw.body();
    const auto& records = page.body.at("records").as_array();
    ASSERT_LE(records.size(), 3u);
    for (const auto& value : records) {
      const auto& record = value.as_object();
      EXPECT_EQ(record.at("seq").to_number<std::int64_t>(), expected_seq);
      EXPECT_EQ(record.at("prev_hash").as_string(), prev_hash);
      EXPECT_TRUE(record.at("details").is_object());
      EXPECT_TRUE(record.at("actor").is_string());
      EXPECT_TRUE(record.at("action").is_string());
      EXPECT_TRUE(record.at("object").is_string());
      EXPECT_TRUE(record.at("time_us").is_int64());
      prev_hash = std::string(record.at("hash").as_string());
      ++expected_seq;
    }
    if (page.body.at("next").is_null()) break;
    EXPECT_EQ(page.body.at("next").to_number<std::int64_t>(), expected_seq - 1);
    after = "&after=" + std::to_string(page.body.at("next").to_number<std::int64_t>());
  }
  // Reading is not audited, so the log did not grow while we paged.
  EXPECT_EQ(expected_seq - 1, total);
}

TEST_F(AuditApiTest, PagesAreBounded) {
  // The default page is 100 records, the largest 1000.
  for (int i = 0; i < 120; ++i) {
    ASSERT_FALSE(f_.store_->write_sync([](broker::WriteContext& tx) {
      tx.audit({"system", "test.fill", "test", "{}"});
      return boost::system::error_code{};
    }));
  }
  const auto first = f_.get("/v1/audit", frank_);
  ASSERT_EQ(first.status, 200u) << first.raw.body();
  EXPECT_EQ(first.body.at("records").as_array().size(), 100u);
  EXPECT_EQ(first.body.at("next").to_number<std::int64_t>(), 100);
  const auto rest = f_.get("/v1/audit?after=100&limit=1000", frank_);
  ASSERT_EQ(rest.status, 200u);
  EXPECT_EQ(static_cast<std::int64_t>(rest.body.at("records").as_array().size()),
            audit_rows() - 100);
  EXPECT_TRUE(rest.body.at("next").is_null());
  for (const char* bad : {"?limit=0", "?limit=1001", "?limit=abc", "?after=-1", "?after=1x",
                          "?limit=99999999999999999999"}) {
    const auto refused = f_.get(std::string("/v1/audit") + bad, frank_);
    EXPECT_EQ(refused.status, 400u) << bad;
    EXPECT_EQ(refused.body.at("code").as_string(), "invalid_input") << bad;
  }
}

TEST_F(AuditApiTest, OnlyAuditorsMayReadOrVerify) {
  for (const char* path : {"/v1/audit", "/v1/audit/verify"}) {
    const auto refused = f_.get(path, alice_);
    EXPECT_EQ(refused.status, 403u) << path << refused.raw.body();
    EXPECT_EQ(refused.body.at("code").as_string(), "permission_denied") << path;
    EXPECT_EQ(f_.get(path).status, 401u) << path;
  }
}

TEST_F(AuditApiTest, VerifyReportsOkThenTheTamperedRecord) {
  const auto before = f_.get("/v1/audit/verify", frank_);
  ASSERT_EQ(before.status, 200u) << before.raw.body();
  EXPECT_TRUE(before.body.at("ok").as_bool());
  EXPECT_EQ(before.body.at("records").to_number<std::int64_t>(), audit_rows());
  const std::string head = f_.store_->read([](SQLite::Database& db) {
    return db.execAndGet("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").getString();
  });
  EXPECT_EQ(before.body.at("head").as_string(), head);

  {
    SQLite::Database db((f_.dir_ / "broker.db").string(), SQLite::OPEN_READWRITE);
    db.exec("UPDATE audit SET actor = 'mallory' WHERE seq = 2");
  }
  const auto after = f_.get("/v1/audit/verify", frank_);
  ASSERT_EQ(after.status, 200u) << after.raw.body();
  EXPECT_FALSE(after.body.at("ok").as_bool());
  EXPECT_EQ(after.body.at("first_bad_seq").to_number<std::int64_t>(), 2);
  EXPECT_EQ(after.body.at("records").to_number<std::int64_t>(), 1);
}

}  // namespace
}  // namespace jit::broker
