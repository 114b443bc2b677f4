// Issue 14 C13: a login under a name that is no user is audited without the name and without an
// unkeyed hash of it (which a dictionary recovers): only a tag keyed by the broker's data key, so
// attempts with the same name still group together.
#include "approvals/digest.hpp"
#include "tests/support/api_fixture.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;

class UnknownLoginAuditTest : public ::testing::Test {
 protected:
  // Logs in as `name` through `identity` and returns the details of the audit record it wrote.
  json::object failure_details(broker::IdentityService& identity, const std::string& name) {
    std::promise<void> finished;
    identity.login(name, "a password", json::object{{"totp", "123456"}}, "192.0.2.1",
                   [&finished](Result<broker::IssuedSession>) { finished.set_value(); });
    finished.get_future().wait();
    const auto details = f_.store_->read([](SQLite::Database& db) {
      return db
          .execAndGet(
              "SELECT details FROM audit WHERE action = 'login.failure' ORDER BY seq DESC LIMIT 1")
          .getString();
    });
    return json::parse(details).as_object();
  }

  static std::string plain_sha256_hex(const std::string& text) {
    return ca::hex_encode(*approvals::sha256(ca::as_bytes(text)));
  }

  ApiFixture f_;
};

TEST_F(UnknownLoginAuditTest, NameIsRecordedOnlyAsATagKeyedByTheDataKey) {
  const std::string name = "Tr0ub4dor";  // e.g. a password typed into the name field
  const auto details = failure_details(*f_.identity_, name);
  const std::string text = json::serialize(details);
  EXPECT_EQ(text.find(name), std::string::npos) << text;
  // No prefix of the plain SHA-256 of the name (what a dictionary attack would compute).
  EXPECT_EQ(text.find(plain_sha256_hex(name).substr(0, 8)), std::string::npos) << text;
  ASSERT_TRUE(details.contains("name_tag")) << text;
  const std::string tag(details.at("name_tag").as_string());

  // The same name gives the same tag (an auditor can group attempts), another name another tag.
  EXPECT_EQ(std::string(failure_details(*f_.identity_, name).at("name_tag").as_string()), tag);
  EXPECT_NE(std::string(failure_details(*f_.identity_, "bob2").at("name_tag").as_string()), tag);

  // Under another data key the same name gives another tag: without the key nothing can be
  // computed from the name to compare with the log.
  broker::IdentityService other(*f_.store_, f_.policy_, ca::Bytes(32, std::byte{8}),
                                ApiFixture::settings(), [this] { return f_.now_; });
  EXPECT_NE(std::string(failure_details(other, name).at("name_tag").as_string()), tag);
}

}  // namespace
}  // namespace jit::broker
