// The proof, end to end with real processes (tests/broker/access_flow_fixture.hpp):
// `jit-broker serve` on 127.0.0.1 and a real sshd that trusts the broker's SSH CA and reads the
// KRL that `jit-broker krl write` produces.
// alice asks for prod-db-read, carol and dave approve, alice logs in over SSH, the grant is
// revoked and the same certificate is refused; a one-minute grant expires on its own; erin uses
// break-glass and frank the auditor sees the open review.
#include "tests/broker/access_flow_fixture.hpp"

namespace jit::broker::access_flow_testing {
namespace {

TEST_F(AccessFlowTest, FromRequestToSshLoginAndBackOut) {
  for (const char* user : {"alice", "bob", "carol", "dave", "erin", "frank"}) login(user);
  start_sshd();

  // The short grant first, so that its minute runs while the rest of the story happens.
  const auto short_id = approved_request("1m");
  const std::string short_grant(
      get("/v1/requests/" + short_id, "alice").at("grant").at("id").as_string());
  const auto short_key = mint_ssh(short_grant, "short_key");
  EXPECT_EQ(ssh(short_key).exit_code, 0);  // usable now

  // The main story through the `jit` command line.
  for (const char* user : {"alice", "bob", "carol", "dave"}) jit_login(user);
  auto [request_code, request_out, request_err] =
      jit("alice", {"request", "prod-db-read", "--reason", "migrate orders", "--ticket", "OPS-2",
                    "--duration", "30m"});
  ASSERT_EQ(request_code, 0) << request_err;
  const std::string id = request_out.substr(0, request_out.find('\n'));
  ASSERT_TRUE(id.starts_with("req-")) << request_out;
  auto [own_code, own_out, own_err] =
      jit("alice", {"approve", id, "--totp", code("alice"), "--yes"});
  EXPECT_NE(own_code, 0);
  EXPECT_NE(own_err.find("self_review"), std::string::npos) << own_err;
  auto [first_code, first_out, first_err] =
      jit("carol", {"approve", id, "--totp", code("carol"), "--yes"});
  EXPECT_EQ(first_code, 0) << first_err;
  EXPECT_EQ(get("/v1/requests/" + id, "alice").at("state").as_string(), "pending");
  auto [bob_code, bob_out, bob_err] = jit("bob", {"approve", id, "--totp", code("bob"), "--yes"});
  // `jit approve` shows the request before deciding; bob may not even see it.
  EXPECT_NE(bob_code, 0);
  EXPECT_NE(bob_err.find("not_found"), std::string::npos) << bob_err;
  auto [second_code, second_out, second_err] =
      jit("dave", {"approve", id, "--totp", code("dave"), "--yes"});
  EXPECT_EQ(second_code, 0) << second_err;
  auto [wait_code, wait_out, wait_err] = jit("alice", {"wait", id, "--timeout", "30s"});
  ASSERT_EQ(wait_code, 0) << wait_err;
  auto request = get("/v1/requests/" + id, "alice");
  ASSERT_EQ(request.at("state").as_string(), "active");
  const std::string grant(request.at("grant").at("id").as_string());
  EXPECT_NE(wait_out.find(grant), std::string::npos) << wait_out;

  const auto ssh_dir = dir_ / "alice-ssh";
  auto [cert_code, cert_out, cert_err] =
      jit("alice", {"ssh-cert", grant, "--dir", ssh_dir.string(), "--no-agent"});
  ASSERT_EQ(cert_code, 0) << cert_err;
  EXPECT_NE(cert_out.find("ssh -i"), std::string::npos) << cert_out;
  const auto key = ssh_dir / ("jit-" + grant);
  auto login = ssh(key);
  EXPECT_EQ(login.exit_code, 0) << login.err << read_text(dir_ / "sshd.log");
  EXPECT_NE(login.out.find("logged-in-as-"), std::string::npos);

  auto [revoke_code, revoke_out, revoke_err] =
      jit("carol", {"revoke", grant, "--reason", "done early"});
  EXPECT_EQ(revoke_code, 0) << revoke_err;
  EXPECT_EQ(get("/v1/grants/" + grant, "alice").at("state").as_string(), "revoked");
  // Until the host pulls the new KRL, sshd still accepts the certificate (it has not expired).
  EXPECT_EQ(ssh(key).exit_code, 0);
  write_krl();
  auto refused = ssh(key);
  EXPECT_NE(refused.exit_code, 0) << refused.out;

  // Break-glass: no approvals, active at once, flagged, and the auditor sees the open review.
  auto glass = post("/v1/breakglass", "erin",
                    {{"role", "prod-db-read"},
                     {"incident", "INC-42"},
                     {"reason", "primary down"},
                     {"mfa", {{"totp", code("erin")}}}},
                    201);
  EXPECT_EQ(glass.at("state").as_string(), "active");
  EXPECT_TRUE(glass.at("breakglass").as_bool());
  auto due = get("/v1/requests?state=review_due", "frank");
  ASSERT_EQ(due.at("requests").as_array().size(), 1u);
  EXPECT_EQ(due.at("requests").as_array()[0].at("id"), glass.at("id"));
  auto metrics = get_text("/metrics");
  EXPECT_NE(metrics.find("jit_breakglass_reviews_open 1"), std::string::npos) << metrics;

  // The one-minute grant: expired by the sweeper within a second of its end.
  const auto not_after =
      get("/v1/grants/" + short_grant, "alice").at("not_after").to_number<std::int64_t>();
  while (std::chrono::system_clock::now() <
         std::chrono::system_clock::time_point(std::chrono::seconds(not_after + 1))) {
    std::this_thread::sleep_for(200ms);
  }
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(get("/v1/grants/" + short_grant, "alice").at("state").as_string(), "expired");
  EXPECT_NE(ssh(short_key).exit_code, 0);

  // `user lock` beside the running broker ends erin's break-glass grant at once.
  auto [lock_code, lock_out, lock_err] =
      ChildProcess::run({kBrokerBinary, "--config", config(), "user", "lock", "erin"}, dir_);
  EXPECT_EQ(lock_code, 0) << lock_err;
  EXPECT_NE(lock_out.find("1 active grant(s) revoked"), std::string::npos) << lock_out;
  EXPECT_EQ(get("/v1/requests/" + std::string(glass.at("id").as_string()), "frank")
                .at("grant")
                .at("state")
                .as_string(),
            "revoked");

  // Webhooks went out for every step, without holding up the calls that caused them.
  const auto events = webhook_events();
  for (const char* event :
       {"request.created", "request.approved", "grant.revoked", "breakglass", "grant.expired"}) {
    EXPECT_NE(std::find(events.begin(), events.end(), event), events.end()) << event;
  }
  // Each event once, with its own id in the body and the header.
  std::set<std::string> ids;
  for (const auto& request : webhooks_.requests()) {
    EXPECT_EQ(json::parse(request.body).at("id").as_string(), request.headers.at("x-jit-event-id"));
    ids.insert(request.headers.at("x-jit-event-id"));
  }
  EXPECT_EQ(ids.size(), events.size());

  broker_.process().signal(SIGTERM);
  EXPECT_EQ(broker_.process().wait(15s), 0);
  auto [code_verify, out, err] =
      ChildProcess::run({kBrokerBinary, "--config", config(), "audit", "verify"}, dir_);
  EXPECT_EQ(code_verify, 0) << err << out;
}

}  // namespace
}  // namespace jit::broker::access_flow_testing
