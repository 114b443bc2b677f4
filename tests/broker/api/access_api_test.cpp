// The access workflow via its API (docs/architecture.md invariants 1, 2, 3, 8, and the issue's bad
// input list), on a store in a temporary folder and a clock the test moves.
#include "ca/ssh_certificate.hpp"
#include "ca/ssh_public_key.hpp"
#include "support/signed_in_access_test.hpp"
#include "tests/support/access_fixture.hpp"
#include "tests/support/x509_test_support.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;
using Headers = std::map<std::string, std::string>;

class AccessApiTest : public SignedInAccessTest {};

TEST_F(AccessApiTest, TwoApprovalsMakeOneGrantAndNobodyApprovesTheirOwn) {
  auto created = f_.post("/v1/requests", ask(), headers_["alice"]);
  ASSERT_EQ(created.status, 201u) << created.raw.body();
  const auto id = str(created.body, "id");
  EXPECT_EQ(id.size(), 36u);
  EXPECT_EQ(str(created.body, "state"), "pending");
  EXPECT_EQ(created.body.at("approvals_required").as_int64(), 2);
  EXPECT_TRUE(created.body.at("grant").is_null());

  // Invariant 1: the requester's own approval is refused (and audited), even with a valid factor.
  auto own =
      f_.post("/v1/requests/" + id + "/approve", {{"mfa", f_.mfa("alice")}}, headers_["alice"]);
  EXPECT_EQ(own.status, 403u);
  EXPECT_EQ(code_of(own), "self_review");
  EXPECT_EQ(f_.audit_count("request.approve.refused"), 1);

  auto first = f_.post("/v1/requests/" + id + "/approve",
                       {{"comment", "ok"}, {"mfa", f_.mfa("carol")}}, headers_["carol"]);
  ASSERT_EQ(first.status, 200u) << first.raw.body();
  EXPECT_EQ(str(first.body, "state"), "pending");
  EXPECT_EQ(first.body.at("approvals").as_int64(), 1);

  // Each approver counts once.
  auto again =
      f_.post("/v1/requests/" + id + "/approve", {{"mfa", f_.mfa("carol")}}, headers_["carol"]);
  EXPECT_EQ(again.status, 409u);
  EXPECT_EQ(code_of(again), "already_reviewed");

  auto outsider =
      f_.post("/v1/requests/" + id + "/approve", {{"mfa", f_.mfa("bob")}}, headers_["bob"]);
  EXPECT_EQ(outsider.status, 403u);
  EXPECT_EQ(code_of(outsider), "not_an_approver");

  // Approval needs a factor in the call, even right after login.
  auto no_mfa = f_.post("/v1/requests/" + id + "/approve", json::object{}, headers_["dave"]);
  EXPECT_EQ(no_mfa.status, 401u);
  EXPECT_EQ(code_of(no_mfa), "mfa_required");

  auto second =
      f_.post("/v1/requests/" + id + "/approve", {{"mfa", f_.mfa("dave")}}, headers_["dave"]);
  ASSERT_EQ(second.status, 200u) << second.raw.body();
  EXPECT_EQ(str(second.body, "state"), "active");
  const auto& grant = second.body.at("grant");
  EXPECT_EQ(str(grant, "user"), "alice");
  EXPECT_EQ(str(grant, "state"), "active");
  EXPECT_EQ(grant.at("not_after").as_int64() - grant.at("not_before").as_int64(), 1800);
  // Invariant 4: each review carries the evidence of its factor.
  const auto& reviews = second.body.at("reviews").as_array();
  ASSERT_EQ(reviews.size(), 2u);
  EXPECT_EQ(str(reviews[0].at("mfa"), "factor"), "totp");
  EXPECT_EQ(str(reviews[1], "reviewer"), "dave");
  EXPECT_EQ(f_.count_rows("grants"), 1);
  EXPECT_EQ(f_.event_names(), (std::vector<std::string>{"request.created", "request.approved"}));

  // Approving a request that is already active is refused; no second grant appears.
  auto late =
      f_.post("/v1/requests/" + id + "/deny", {{"mfa", f_.mfa("carol")}}, headers_["carol"]);
  EXPECT_EQ(late.status, 409u);
  EXPECT_EQ(f_.count_rows("grants"), 1);
}

TEST_F(AccessApiTest, OneDenialDeniesAndTheRequesterMayCancel) {
  auto created = f_.post("/v1/requests", ask(), headers_["alice"]);
  const auto id = str(created.body, "id");
  auto denied =
      f_.post("/v1/requests/" + id + "/deny", {{"mfa", f_.mfa("carol")}}, headers_["carol"]);
  ASSERT_EQ(denied.status, 200u);
  EXPECT_EQ(str(denied.body, "state"), "denied");
  EXPECT_EQ(f_.count_rows("grants"), 0);

  auto other = f_.post("/v1/requests", ask(), headers_["alice"]);
  const auto other_id = str(other.body, "id");
  auto by_someone_else =
      f_.post("/v1/requests/" + other_id + "/cancel", json::object{}, headers_["carol"]);
  EXPECT_EQ(by_someone_else.status, 403u);
  EXPECT_EQ(code_of(by_someone_else), "not_requester");
  auto cancelled =
      f_.post("/v1/requests/" + other_id + "/cancel", json::object{}, headers_["alice"]);
  ASSERT_EQ(cancelled.status, 200u);
  EXPECT_EQ(str(cancelled.body, "state"), "cancelled");
}

TEST_F(AccessApiTest, PendingRequestsTimeOut) {
  auto created = f_.post("/v1/requests", ask(), headers_["alice"]);
  const auto id = str(created.body, "id");
  f_.advance(std::chrono::hours(1));
  EXPECT_EQ(f_.access_->grants().sweep(f_.now_seconds()).value(), 1u);
  // The sessions of an hour ago have expired too.
  auto request = f_.get("/v1/requests/" + id, f_.relogin("alice"));
  EXPECT_EQ(str(request.body, "state"), "timed_out");
  auto carol = f_.relogin("carol");
  auto late = f_.post("/v1/requests/" + id + "/approve", {{"mfa", f_.mfa("carol")}}, carol);
  EXPECT_EQ(late.status, 409u);
  EXPECT_EQ(code_of(late), "not_pending");
}

TEST_F(AccessApiTest, SshCertificateCarriesPolicyOnlyAndEndsWithTheGrant) {
  const auto grant_id = active_grant();
  const auto key_line = new_user_key_line();
  auto minted = f_.post("/v1/grants/" + grant_id + "/ssh-cert", {{"public_key", key_line}},
                        headers_["alice"]);
  ASSERT_EQ(minted.status, 201u) << minted.raw.body();
  auto certificate = ca::parse_ssh_certificate_line(str(minted.body, "certificate"));
  ASSERT_TRUE(certificate);
  auto grant = f_.get("/v1/grants/" + grant_id, headers_["alice"]);
  // Invariants 2 and 3: principals, extensions and source addresses from policy; valid until the
  // grant's end and no later.
  EXPECT_EQ(certificate->principals, (std::vector<std::string>{"dbread"}));
  EXPECT_EQ(certificate->valid_before,
            static_cast<std::uint64_t>(grant.body.at("not_after").as_int64()));
  const auto serial = minted.body.at("serial").to_number<std::uint64_t>();
  EXPECT_EQ(certificate->serial, serial);
  EXPECT_NE(certificate->key_id.find(grant.body.at("request").as_string().c_str()),
            std::string::npos);
  EXPECT_EQ(f_.count_rows("certificates"), 1);
  EXPECT_EQ(f_.audit_count("certificate.issue"), 1);

  // Serials come from storage and never repeat.
  auto second = f_.post("/v1/grants/" + grant_id + "/ssh-cert",
                        {{"public_key", new_user_key_line()}}, headers_["alice"]);
  ASSERT_EQ(second.status, 201u);
  EXPECT_EQ(second.body.at("serial").to_number<std::uint64_t>(), serial + 1);

  // An approver may see the grant but never mint with it; a stranger does not even see it.
  auto approver = f_.post("/v1/grants/" + grant_id + "/ssh-cert", {{"public_key", key_line}},
                          headers_["carol"]);
  EXPECT_EQ(approver.status, 403u);
  EXPECT_EQ(code_of(approver), "not_grant_user");
  auto stranger =
      f_.post("/v1/grants/" + grant_id + "/ssh-cert", {{"public_key", key_line}}, headers_["bob"]);
  EXPECT_EQ(stranger.status, 404u);

  // At the grant's end the sweeper expires it and minting stops.
  f_.advance(std::chrono::minutes(31));
  EXPECT_EQ(f_.access_->grants().sweep(f_.now_seconds()).value(), 1u);
  const auto alice = f_.relogin("alice");  // the old session idled out meanwhile
  EXPECT_EQ(str(f_.get("/v1/grants/" + grant_id, alice).body, "state"), "expired");
  auto after = f_.post("/v1/grants/" + grant_id + "/ssh-cert",
                       {{"public_key", key_line}, {"mfa", f_.mfa("alice")}}, alice);
  EXPECT_EQ(after.status, 409u);
  EXPECT_EQ(code_of(after), "grant_not_active");
  EXPECT_EQ(f_.event_names().back(), "grant.expired");
}

TEST_F(AccessApiTest, X509CertificateHasPolicySansAndRevocationMarksIt) {
  const auto grant_id = active_grant();
  auto key = testing::generate(ca::KeyAlgorithm::ecdsa_p256);
  testing::CsrOptions options;
  options.subject_common_name = "root";  // ignored: the subject comes from the grant
  auto minted = f_.post("/v1/grants/" + grant_id + "/x509-cert",
                        {{"csr", testing::make_csr_pem(key.get(), options)}}, headers_["alice"]);
  ASSERT_EQ(minted.status, 201u) << minted.raw.body();
  auto certificate = testing::parse_certificate_pem(str(minted.body, "certificate"));
  ASSERT_TRUE(certificate);
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(certificate.get()), NID_commonName, name,
                            sizeof(name));
  EXPECT_STREQ(name, "alice");
  EXPECT_EQ(str(minted.body, "chain"), f_.x509_ca_.chain_pem());
  auto grant = f_.get("/v1/grants/" + grant_id, headers_["alice"]);
  EXPECT_LE(minted.body.at("not_after").as_int64(), grant.body.at("not_after").as_int64());

  auto by_other =
      f_.post("/v1/grants/" + grant_id + "/revoke", {{"reason", "no"}}, headers_["bob"]);
  EXPECT_EQ(by_other.status, 404u);
  auto revoked = f_.post("/v1/grants/" + grant_id + "/revoke", {{"reason", "incident over"}},
                         headers_["carol"]);
  ASSERT_EQ(revoked.status, 200u) << revoked.raw.body();
  EXPECT_EQ(str(revoked.body, "state"), "revoked");
  EXPECT_EQ(f_.revocation_pokes_.load(), 1);
  const auto revoked_rows = f_.store_->read([](SQLite::Database& db) {
    return db.execAndGet("SELECT count(*) FROM certificates WHERE revoked_at IS NOT NULL")
        .getInt64();
  });
  EXPECT_EQ(revoked_rows, 1);
  auto request = f_.get("/v1/requests/" + str(grant.body, "request"), headers_["alice"]);
  EXPECT_EQ(str(request.body, "state"), "revoked");

  auto after = f_.post("/v1/grants/" + grant_id + "/x509-cert",
                       {{"csr", testing::make_csr_pem(key.get())}}, headers_["alice"]);
  EXPECT_EQ(after.status, 409u);
  EXPECT_EQ(code_of(after), "grant_not_active");
  auto twice =
      f_.post("/v1/grants/" + grant_id + "/revoke", {{"reason", "again"}}, headers_["alice"]);
  EXPECT_EQ(twice.status, 409u);
}

TEST_F(AccessApiTest, BreakGlassIsImmediateFlaggedAndAwaitsReview) {
  auto without_mfa = f_.post(
      "/v1/breakglass", {{"role", "prod-db-read"}, {"incident", "INC-7"}, {"reason", "db down"}},
      headers_["erin"]);
  EXPECT_EQ(without_mfa.status, 401u);
  EXPECT_EQ(code_of(without_mfa), "mfa_required");
  auto not_oncall = f_.post("/v1/breakglass",
                            {{"role", "prod-db-read"},
                             {"incident", "INC-7"},
                             {"reason", "db down"},
                             {"mfa", f_.mfa("alice")}},
                            headers_["alice"]);
  EXPECT_EQ(code_of(not_oncall), "breakglass_not_allowed");
  auto too_long = f_.post("/v1/breakglass",
                          {{"role", "prod-db-read"},
                           {"incident", "INC-7"},
                           {"reason", "db down"},
                           {"duration", "31m"},
                           {"mfa", f_.mfa("erin")}},
                          headers_["erin"]);
  EXPECT_EQ(code_of(too_long), "duration_above_max");
  auto no_incident = f_.post(
      "/v1/breakglass", {{"role", "prod-db-read"}, {"reason", "db down"}, {"mfa", f_.mfa("erin")}},
      headers_["erin"]);
  EXPECT_EQ(code_of(no_incident), "incident_required");
  EXPECT_EQ(f_.count_rows("requests"), 0);
  EXPECT_EQ(f_.audit_count("breakglass.refused"), 3);  // each refusal says who tried and why not

  auto used = f_.post("/v1/breakglass",
                      {{"role", "prod-db-read"},
                       {"incident", "INC-7"},
                       {"reason", "db down"},
                       {"mfa", f_.mfa("erin")}},
                      headers_["erin"]);
  ASSERT_EQ(used.status, 201u) << used.raw.body();
  EXPECT_EQ(str(used.body, "state"), "active");
  EXPECT_TRUE(used.body.at("breakglass").as_bool());
  EXPECT_EQ(str(used.body.at("grant"), "state"), "active");
  EXPECT_EQ(used.body.at("grant").at("not_after").as_int64() -
                used.body.at("grant").at("not_before").as_int64(),
            30 * 60);
  EXPECT_EQ(f_.event_names(), (std::vector<std::string>{"breakglass"}));
  const auto id = str(used.body, "id");

  auto due = f_.get("/v1/requests?state=review_due", headers_["frank"]);
  ASSERT_EQ(due.status, 200u);
  ASSERT_EQ(due.body.at("requests").as_array().size(), 1u);
  EXPECT_EQ(str(due.body.at("requests").as_array()[0], "id"), id);
  EXPECT_EQ(f_.access_->queries().overdue_reviews(f_.now_seconds()), 0);
  EXPECT_EQ(f_.access_->queries().overdue_reviews(f_.now_seconds() + 24 * 3600), 1);

  auto self =
      f_.post("/v1/requests/" + id + "/review", {{"mfa", f_.mfa("erin")}}, headers_["erin"]);
  EXPECT_EQ(code_of(self), "self_review");
  auto auditor =
      f_.post("/v1/requests/" + id + "/review", {{"mfa", f_.mfa("frank")}}, headers_["frank"]);
  EXPECT_EQ(code_of(auditor), "not_an_approver");
  auto reviewed = f_.post("/v1/requests/" + id + "/review",
                          {{"comment", "justified"}, {"mfa", f_.mfa("carol")}}, headers_["carol"]);
  ASSERT_EQ(reviewed.status, 200u) << reviewed.raw.body();
  EXPECT_EQ(str(reviewed.body, "reviewed_by"), "carol");
  EXPECT_TRUE(f_.get("/v1/requests?state=review_due", headers_["frank"])
                  .body.at("requests")
                  .as_array()
                  .empty());
}

TEST_F(AccessApiTest, ConcurrentLastApprovalsMakeExactlyOneGrant) {
  AccessFixture f(R"yaml(
groups:
  developers: [alice]
  sre-leads: [carol, dave, gina]
roles:
  prod-db-read:
    requestable_by: [developers]
    approvers: [sre-leads]
    approvals_required: 2
    max_duration: 1h
    ssh: { principals: [dbread] }
)yaml");
  std::map<std::string, Headers> headers;
  for (const char* user : {"alice", "carol", "dave", "gina"}) headers[user] = f.sign_in(user);
  for (int round = 0; round < 5; ++round) {
    auto created = f.post("/v1/requests", {{"role", "prod-db-read"}, {"mfa", f.mfa("alice")}},
                          headers["alice"]);
    ASSERT_EQ(created.status, 201u) << created.raw.body();
    const auto id = str(created.body, "id");
    f.post("/v1/requests/" + id + "/approve", {{"mfa", f.mfa("carol")}}, headers["carol"]);
    auto dave_mfa = f.mfa("dave");
    auto gina_mfa = f.mfa("gina");
    Answer dave_answer, gina_answer;
    std::thread dave([&] {
      dave_answer = f.post("/v1/requests/" + id + "/approve", {{"mfa", dave_mfa}}, headers["dave"]);
    });
    std::thread gina([&] {
      gina_answer = f.post("/v1/requests/" + id + "/approve", {{"mfa", gina_mfa}}, headers["gina"]);
    });
    dave.join();
    gina.join();
    std::multiset<unsigned> statuses{dave_answer.status, gina_answer.status};
    EXPECT_EQ(statuses, (std::multiset<unsigned>{200u, 409u}));
    EXPECT_EQ(f.count_rows("grants"), round + 1);
  }
}

TEST_F(AccessApiTest, BadInputIsRefusedWithACodeAndWritesNothing) {
  struct Case {
    json::object body;
    unsigned status;
    std::string code;
  };
  const std::string long_reason(1001, 'x');
  const std::vector<Case> cases = {
      {{{"role", "no-such-role"}, {"reason", "r"}, {"ticket", "t"}}, 400, "unknown_role"},
      {{{"role", "prod-db-read"}, {"reason", "r"}, {"ticket", "t"}, {"duration", "2h"}},
       400,
       "duration_above_max"},
      {{{"role", "prod-db-read"}, {"reason", "r"}, {"ticket", "t"}, {"duration", "soon"}},
       400,
       "invalid_duration"},
      {{{"role", "prod-db-read"}, {"ticket", "t"}}, 400, "reason_required"},
      {{{"role", "prod-db-read"}, {"reason", "r"}}, 400, "ticket_required"},
      {{{"role", "prod-db-read"}, {"reason", long_reason}, {"ticket", "t"}}, 400, "field_too_long"},
      {{{"role", "prod-db-read"}, {"reason", "a\x01"}, {"ticket", "t"}}, 400, "invalid_text"},
      {{{"role", "prod-db-read"}, {"reason", "r"}, {"ticket", "t"}, {"principals", "root"}},
       400,
       "invalid_input"},
      {{{"role", 7}}, 400, "invalid_input"},
      {{{"reason", "r"}}, 400, "invalid_input"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(json::serialize(c.body));
    auto answer = f_.post("/v1/requests", c.body, headers_["alice"]);
    EXPECT_EQ(answer.status, c.status);
    EXPECT_EQ(code_of(answer), c.code);
  }
  auto wrong_group = f_.post("/v1/requests", ask(), headers_["erin"]);
  EXPECT_EQ(code_of(wrong_group), "not_requestable");
  EXPECT_EQ(f_.count_rows("requests"), 0);

  const auto grant_id = active_grant();
  const auto certificates_before = f_.count_rows("certificates");
  auto garbage_key = f_.post("/v1/grants/" + grant_id + "/ssh-cert",
                             {{"public_key", "ssh-ed25519 AAAAnotakey"}}, headers_["alice"]);
  EXPECT_EQ(garbage_key.status, 400u);
  EXPECT_EQ(code_of(garbage_key), "invalid_public_key");
  auto certificate_as_key =
      f_.post("/v1/grants/" + grant_id + "/ssh-cert",
              {{"public_key", "-----BEGIN CERTIFICATE REQUEST-----"}}, headers_["alice"]);
  EXPECT_EQ(code_of(certificate_as_key), "invalid_public_key");
  auto garbage_csr = f_.post("/v1/grants/" + grant_id + "/x509-cert",
                             {{"csr", new_user_key_line()}}, headers_["alice"]);
  EXPECT_EQ(garbage_csr.status, 400u);
  EXPECT_EQ(code_of(garbage_csr), "invalid_csr");
  auto unknown_grant = f_.post("/v1/grants/grt-0000/ssh-cert",
                               {{"public_key", new_user_key_line()}}, headers_["alice"]);
  EXPECT_EQ(unknown_grant.status, 404u);
  EXPECT_EQ(f_.count_rows("certificates"), certificates_before);

  auto bad_state = f_.get("/v1/requests?state=almost", headers_["alice"]);
  EXPECT_EQ(bad_state.status, 400u);
  auto anonymous = f_.post("/v1/requests", ask(), {});
  EXPECT_EQ(anonymous.status, 401u);
}

TEST_F(AccessApiTest, RefusedReviewerKeepsTheirCode) {
  auto created = f_.post("/v1/requests", ask(), headers_["alice"]);
  const auto id = str(created.body, "id");
  const auto code = f_.mfa("bob");
  auto refused = f_.post("/v1/requests/" + id + "/approve", {{"mfa", code}}, headers_["bob"]);
  EXPECT_EQ(code_of(refused), "not_an_approver");
  // The refusal came before the factor was checked, so the same code still works once.
  auto with_code = ask();
  with_code["mfa"] = code;
  EXPECT_EQ(f_.post("/v1/requests", with_code, headers_["bob"]).status, 201u);
  auto unknown =
      f_.post("/v1/requests/req-00/approve", {{"mfa", f_.mfa("carol")}}, headers_["carol"]);
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(f_.audit_count("request.approve.refused"), 1);  // bob's try
}

TEST_F(AccessApiTest, LockingAUserEndsTheirGrantsAndPendingRequests) {
  const auto grant_id = active_grant();
  auto minted = f_.post("/v1/grants/" + grant_id + "/ssh-cert",
                        {{"public_key", new_user_key_line()}}, headers_["alice"]);
  ASSERT_EQ(minted.status, 201u);
  auto pending = f_.post("/v1/requests", ask(), headers_["alice"]);
  auto ended = f_.access_->grants().revoke_all_of("alice", "admin", "user locked");
  ASSERT_TRUE(ended);
  EXPECT_EQ(*ended, 1u);
  EXPECT_EQ(str(f_.get("/v1/grants/" + grant_id, headers_["carol"]).body, "state"), "revoked");
  EXPECT_EQ(str(f_.get("/v1/requests/" + str(pending.body, "id"), headers_["carol"]).body, "state"),
            "cancelled");
  EXPECT_EQ(f_.revocation_pokes_.load(), 1);
  EXPECT_EQ(f_.event_names().back(), "grant.revoked");
}

TEST_F(AccessApiTest, StaleSessionNeedsAFactorToRequestOrMint) {
  f_.advance(std::chrono::minutes(6));
  auto stale = f_.post("/v1/requests", ask(), headers_["alice"]);
  EXPECT_EQ(stale.status, 401u);
  EXPECT_EQ(code_of(stale), "mfa_required");
  auto with_factor = ask();
  with_factor["mfa"] = f_.mfa("alice");
  auto created = f_.post("/v1/requests", with_factor, headers_["alice"]);
  EXPECT_EQ(created.status, 201u) << created.raw.body();
}

TEST_F(AccessApiTest, ListsShowOwnAndReviewableRequestsOnly) {
  f_.post("/v1/requests", ask(), headers_["alice"]);
  f_.post("/v1/requests", ask(), headers_["bob"]);
  EXPECT_EQ(f_.get("/v1/requests", headers_["alice"]).body.at("requests").as_array().size(), 1u);
  EXPECT_EQ(
      f_.get("/v1/requests?state=pending", headers_["carol"]).body.at("requests").as_array().size(),
      2u);
  EXPECT_EQ(f_.get("/v1/requests", headers_["frank"]).body.at("requests").as_array().size(), 2u);
  EXPECT_EQ(f_.get("/v1/requests", headers_["erin"]).body.at("requests").as_array().size(), 0u);
}

}  // namespace
}  // namespace jit::broker
