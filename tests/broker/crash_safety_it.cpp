// Crash safety (issue 8): under request, approval and mint load, `jit-broker serve` is killed with
// SIGKILL at a random moment, its database is checked as the kill left it, and it is started
// again on the same data folder. Each round checks that every request, approval, grant and SSH
// certificate a client saw acknowledged is stored with its audit record, that spent second factors
// stay spent, that no SSH serial was issued twice, that `jit-broker audit verify` passes, and that
// the grants which ended while the broker was down are expired by the time it serves again.
// 3 rounds by default; JIT_CRASH_ROUNDS=N for the long run (tests/broker/crash_long.sh), and
// JIT_CRASH_SEED=S to repeat a run's kill moments.
#include "support/crash_broker.hpp"
#include "support/crash_database.hpp"
#include "support/crash_ledger.hpp"
#include "support/crash_load.hpp"

#include "tests/support/files.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  std::uint64_t value = 0;
  const std::string_view view(text);
  const auto [end, ec] = std::from_chars(view.data(), view.data() + view.size(), value);
  if (ec != std::errc{} || end != view.data() + view.size()) {
    throw std::invalid_argument(std::string(name) + " is not a number: " + text);
  }
  return value;
}

long long ms(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

std::string first_lines(const std::vector<std::string>& lines, std::size_t limit = 20) {
  std::ostringstream out;
  for (std::size_t i = 0; i < lines.size() && i < limit; ++i) out << "\n  " << lines[i];
  if (lines.size() > limit) out << "\n  ... and " << lines.size() - limit << " more";
  return out.str();
}

struct Tally {
  std::size_t requests = 0;
  std::size_t approvals = 0;
  std::size_t certificates = 0;
  std::size_t lost = 0;
};

Tally tally(const LedgerContents& acked, std::size_t lost) {
  return {acked.requests.size(), acked.approvals.size(), acked.certificates.size(), lost};
}

// Asks the broker, as the auditor, for the state of `grant`, as soon as it answers.
std::string grant_state(BrokerConnection& auditor, const std::string& grant) {
  const auto deadline = Clock::now() + 30s;
  while (Clock::now() < deadline) {
    if (auto answer = auditor.get("/v1/grants/" + grant)) {
      if (answer->status != 200) return "HTTP " + std::to_string(answer->status);
      return std::string(answer->body.at("state").as_string());
    }
    std::this_thread::sleep_for(1ms);
  }
  return "no answer";
}

// `jit-broker audit verify` passes and has checked every record in the database.
void expect_audit_chain_verifies(const CrashBroker& broker, const CrashDatabase& db,
                                 const std::string& when) {
  auto [code, out, err] = broker.admin({"audit", "verify"});
  EXPECT_EQ(code, 0) << when << ": " << out << err;
  EXPECT_NE(out.find("audit chain ok: " + std::to_string(db.audit_records) + " records"),
            std::string::npos)
      << when << ": " << out;
}

TEST(CrashSafetyTest, AcknowledgedWritesSurviveKill9UnderLoad) {
  const auto rounds = env_number("JIT_CRASH_ROUNDS", 3);
  const auto seed = env_number("JIT_CRASH_SEED", std::random_device{}());
  std::cout << "crash safety: " << rounds << " rounds, JIT_CRASH_SEED=" << seed << std::endl;
  std::mt19937_64 random(seed);

  CrashBroker broker;
  TotpCodes codes;
  for (const char* user : {"alice", "bob", "carol", "dave", "frank"}) {
    codes.add_user(user, broker.enroll(user));
  }
  broker.start();
  CrashLedger ledger;
  LoadSettings settings;
  settings.seed = seed;
  CrashLoad load(broker.port(), broker.tls_certificate(), ledger, codes, settings);
  load.sign_in();
  BrokerConnection auditor(broker.port(), broker.tls_certificate(),
                           load.token(CrashLoad::kAuditor));
  load.start();

  std::set<std::string> expired_at_start;
  Tally before;
  std::vector<long long> restart_ms;
  for (std::uint64_t round = 1; round <= rounds; ++round) {
    const auto delay =
        std::chrono::milliseconds(std::uniform_int_distribution<int>(200, 2500)(random));
    std::this_thread::sleep_for(delay);
    // A grant must be running at the kill, so that one ends while the broker is down.
    const auto waited_from = Clock::now();
    while (!ledger.grant_ending_after(unix_now() + 1) && Clock::now() - waited_from < 20s) {
      std::this_thread::sleep_for(20ms);
    }
    broker.kill();
    const auto killed_at = Clock::now();
    const auto kill_second = unix_now();

    // What the killed broker left on disk.
    const auto acked = ledger.contents();
    const auto now = tally(acked, load.lost_calls());
    const auto db = read_crash_database(broker.database());
    const auto losses = find_losses(acked, db);
    EXPECT_TRUE(losses.empty()) << "round " << round << first_lines(losses);
    expect_audit_chain_verifies(broker, db, "round " + std::to_string(round));

    // Down until a grant that ran at the kill has ended, then up again.
    std::int64_t first_end = std::numeric_limits<std::int64_t>::max();
    for (const auto& [id, grant] : db.grants) {
      if (grant.state == "active" && grant.not_after > kill_second) {
        first_end = std::min(first_end, grant.not_after);
      }
    }
    EXPECT_NE(first_end, std::numeric_limits<std::int64_t>::max())
        << "round " << round << ": no grant ran at the kill";
    while (first_end != std::numeric_limits<std::int64_t>::max() && unix_now() < first_end) {
      std::this_thread::sleep_for(10ms);
    }
    const auto launch_second = unix_now();
    std::vector<std::string> ended;    // while the broker was down
    std::vector<std::string> overdue;  // before the kill, but not yet expired by the sweeper
    for (const auto& [id, grant] : db.grants) {
      if (grant.state != "active" || grant.not_after > launch_second) continue;
      (grant.not_after > kill_second ? ended : overdue).push_back(id);
    }
    const auto down = Clock::now() - killed_at;
    broker.launch();
    const auto launched_at = Clock::now();
    // The restarted broker's first answers (asked for from the moment it is launched, before its
    // "listening on" line): no sweep interval can have passed, only the sweep at start-up.
    std::optional<Clock::duration> serving;
    for (const auto* group : {&ended, &overdue}) {
      for (const auto& id : *group) {
        EXPECT_EQ(grant_state(auditor, id), "expired") << "round " << round << ": grant " << id;
        if (!serving) serving = Clock::now() - launched_at;
        expired_at_start.insert(id);
      }
    }
    broker.wait_listening();
    const auto restart = serving.value_or(Clock::now() - launched_at);
    restart_ms.push_back(ms(restart));
    EXPECT_FALSE(ended.empty()) << "round " << round << ": no grant ended during the downtime";

    std::cout << "round " << round << "/" << rounds << ": load " << delay.count()
              << " ms; acknowledged " << now.certificates - before.certificates << " mints, "
              << now.approvals - before.approvals << " approvals, "
              << now.requests - before.requests << " requests; " << now.lost - before.lost
              << " calls cut off by the kill; down " << ms(down) << " ms; serving again "
              << ms(restart) << " ms after the restart; " << ended.size() + overdue.size()
              << " grants expired at start (" << overdue.size()
              << " of them ended before the kill); audit " << db.audit_records << " records"
              << std::endl;
    before = now;
  }
  load.stop();

  // A graceful stop at the end, then the whole history once more.
  EXPECT_EQ(broker.stop(), 0);
  const auto acked = ledger.contents();
  const auto db = read_crash_database(broker.database());
  const auto losses = find_losses(acked, db);
  EXPECT_TRUE(losses.empty()) << "after the last round" << first_lines(losses);
  expect_audit_chain_verifies(broker, db, "after the last round");
  for (const auto& id : expired_at_start) {
    const auto grant = db.grants.find(id);
    ASSERT_NE(grant, db.grants.end()) << id;
    EXPECT_EQ(grant->second.state, "expired") << id;
    EXPECT_EQ(grant->second.end_reason, "grant ended") << id;
    const auto records = db.audit.find(audit_key("grant.expire", "grant/" + id, "system"));
    EXPECT_TRUE(records != db.audit.end() && records->second == 1) << id;
  }
  EXPECT_TRUE(acked.unexpected.empty()) << "unexpected answers" << first_lines(acked.unexpected);
  if (::testing::Test::HasFailure()) {
    std::cout << "broker stderr:\n" << broker.errors() << std::endl;
  }
  // The load did run: the checks above were not about an empty ledger.
  EXPECT_GT(acked.certificates.size(), 0u);
  EXPECT_GT(acked.approvals.size(), 0u);

  std::size_t totp = 0;
  for (const auto& approval : acked.approvals) totp += approval.factor == "totp" ? 1 : 0;
  std::set<std::uint64_t> serials;
  for (const auto& certificate : acked.certificates) serials.insert(certificate.serial);
  const auto slowest =
      restart_ms.empty() ? 0 : *std::max_element(restart_ms.begin(), restart_ms.end());
  long long sum = 0;
  for (const auto value : restart_ms) sum += value;
  std::cout << "total: " << rounds << " kills; acknowledged " << acked.certificates.size()
            << " SSH certificates (" << serials.size() << " distinct serials), "
            << acked.approvals.size() << " approvals (" << totp << " by TOTP), "
            << acked.requests.size() << " requests, " << acked.grants.size() << " grants; "
            << load.lost_calls() << " calls cut off by kills; serving again after a restart: mean "
            << (restart_ms.empty() ? 0 : sum / static_cast<long long>(restart_ms.size()))
            << " ms, max " << slowest << " ms; " << expired_at_start.size()
            << " grants expired at start; " << db.audit_records << " audit records verified"
            << std::endl;
}

}  // namespace
}  // namespace jit::broker
