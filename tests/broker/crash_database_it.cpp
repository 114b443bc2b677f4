// The crash-safety test's database reader and loss finder (support/crash_database.hpp).
#include "support/crash_database.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <optional>

namespace jit::testing {
namespace {

namespace json = boost::json;

std::optional<std::uint64_t> decimal(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

void read_audit(SQLite::Database& db, CrashDatabase& out) {
  SQLite::Statement q(db, "SELECT seq, action, object, actor, details FROM audit ORDER BY seq");
  while (q.executeStep()) {
    ++out.audit_records;
    const std::string action = q.getColumn(1).getString();
    out.audit[audit_key(action, q.getColumn(2).getString(), q.getColumn(3).getString())] += 1;
    if (action != "certificate.issue") continue;
    boost::system::error_code ec;
    const auto details = json::parse(q.getColumn(4).getString(), ec);
    const auto* kind =
        ec || !details.is_object() ? nullptr : details.as_object().if_contains("kind");
    const auto* serial = kind == nullptr ? nullptr : details.as_object().if_contains("serial");
    if (kind == nullptr || serial == nullptr || !serial->is_string()) {
      out.problems.push_back("audit record " + q.getColumn(0).getString() +
                             ": certificate.issue without kind and serial");
      continue;
    }
    if (kind->as_string() != "ssh") continue;
    const auto number = decimal(serial->as_string());
    if (!number) {
      out.problems.push_back("audit record " + q.getColumn(0).getString() + ": SSH serial " +
                             std::string(serial->as_string()) + " is not decimal");
      continue;
    }
    out.ssh_serials_audited[*number] += 1;
  }
}

}  // namespace

std::string audit_key(const std::string& action, const std::string& object,
                      const std::string& actor) {
  return action + " " + object + " " + actor;
}

CrashDatabase read_crash_database(const std::filesystem::path& file) {
  SQLite::Database db(file.string(), SQLite::OPEN_READONLY);
  CrashDatabase out;
  SQLite::Statement requests(db, "SELECT id FROM requests");
  while (requests.executeStep()) out.requests.insert(requests.getColumn(0).getString());
  SQLite::Statement reviews(db,
                            "SELECT request_id, reviewer FROM reviews WHERE decision = 'approve'");
  while (reviews.executeStep()) {
    out.approvals.emplace(reviews.getColumn(0).getString(), reviews.getColumn(1).getString());
  }
  SQLite::Statement grants(
      db, "SELECT id, request_id, user, state, not_after, coalesce(end_reason, '') FROM grants");
  while (grants.executeStep()) {
    out.grants[grants.getColumn(0).getString()] =
        StoredGrant{grants.getColumn(1).getString(), grants.getColumn(2).getString(),
                    grants.getColumn(3).getString(), grants.getColumn(4).getInt64(),
                    grants.getColumn(5).getString()};
  }
  SQLite::Statement certificates(db,
                                 "SELECT serial, grant_id FROM certificates WHERE kind = 'ssh'");
  while (certificates.executeStep()) {
    const std::string serial = certificates.getColumn(0).getString();
    const auto number = decimal(serial);
    if (!number) {
      out.problems.push_back("SSH certificate serial " + serial + " is not decimal");
    } else if (!out.ssh_certificates.emplace(*number, certificates.getColumn(1).getString())
                    .second) {
      out.problems.push_back("SSH serial " + serial + " stored twice");
    }
  }
  out.ssh_serial_counter =
      db.execAndGet("SELECT value FROM counters WHERE name = 'ssh_serial'").getInt64();
  SQLite::Statement steps(db, "SELECT user, totp_last_step FROM credentials");
  while (steps.executeStep()) {
    out.totp_last_step[steps.getColumn(0).getString()] = steps.getColumn(1).getInt64();
  }
  SQLite::Statement counts(db,
                           "SELECT user, max(sign_count) FROM webauthn_credentials GROUP BY user");
  while (counts.executeStep()) {
    out.passkey_sign_count[counts.getColumn(0).getString()] = counts.getColumn(1).getInt64();
  }
  read_audit(db, out);
  return out;
}

std::vector<std::string> find_losses(const LedgerContents& acked, const CrashDatabase& db) {
  std::vector<std::string> losses = db.problems;
  auto audited = [&](const std::string& action, const std::string& object,
                     const std::string& actor) {
    const auto found = db.audit.find(audit_key(action, object, actor));
    return found != db.audit.end() && found->second > 0;
  };
  for (const auto& [id, requester] : acked.requests) {
    if (!db.requests.contains(id)) losses.push_back("request " + id + " acknowledged, not stored");
    if (!audited("request.create", "request/" + id, requester)) {
      losses.push_back("request " + id + " acknowledged without its audit record");
    }
  }
  std::map<std::string, std::int64_t> totp_steps;
  std::map<std::string, std::int64_t> sign_counts;
  for (const auto& approval : acked.approvals) {
    const auto what = "approval of " + approval.request + " by " + approval.reviewer;
    if (!db.approvals.contains({approval.request, approval.reviewer})) {
      losses.push_back(what + " acknowledged, not stored");
    }
    if (!audited("request.approve", "request/" + approval.request, approval.reviewer)) {
      losses.push_back(what + " acknowledged without its audit record");
    }
    auto& highest = (approval.factor == "totp" ? totp_steps : sign_counts)[approval.reviewer];
    highest = std::max(highest, approval.proof);
  }
  // A spent factor must stay spent: a TOTP step or passkey counter the database forgot would
  // accept a replay after the restart.
  for (const auto& [user, step] : totp_steps) {
    const auto stored = db.totp_last_step.find(user);
    if (stored == db.totp_last_step.end() || stored->second < step) {
      losses.push_back("TOTP step " + std::to_string(step) + " of " + user +
                       " was accepted, the database forgot it");
    }
  }
  for (const auto& [user, count] : sign_counts) {
    const auto stored = db.passkey_sign_count.find(user);
    if (stored == db.passkey_sign_count.end() || stored->second < count) {
      losses.push_back("passkey counter " + std::to_string(count) + " of " + user +
                       " was accepted, the database forgot it");
    }
  }
  for (const auto& [id, grant] : acked.grants) {
    const auto stored = db.grants.find(id);
    if (stored == db.grants.end()) {
      losses.push_back("grant " + id + " acknowledged, not stored");
    } else if (stored->second.request != grant.request || stored->second.user != grant.user ||
               stored->second.not_after != grant.not_after) {
      losses.push_back("grant " + id + " stored differently from its acknowledgement");
    }
    if (!audited("grant.create", "grant/" + id, "system")) {
      losses.push_back("grant " + id + " acknowledged without its audit record");
    }
  }
  std::map<std::uint64_t, int> received;
  for (const auto& certificate : acked.certificates) {
    const auto serial = std::to_string(certificate.serial);
    if (++received[certificate.serial] == 2)
      losses.push_back("SSH serial " + serial + " received twice");
    const auto stored = db.ssh_certificates.find(certificate.serial);
    if (stored == db.ssh_certificates.end()) {
      losses.push_back("SSH certificate " + serial + " acknowledged, not stored");
    } else if (stored->second != certificate.grant) {
      losses.push_back("SSH certificate " + serial + " stored for another grant");
    }
  }
  // Every stored certificate has exactly one issue record and the other way round; the counter
  // that hands out serials is past every serial issued.
  for (const auto& [serial, grant] : db.ssh_certificates) {
    const auto records = db.ssh_serials_audited.find(serial);
    const int count = records == db.ssh_serials_audited.end() ? 0 : records->second;
    if (count != 1) {
      losses.push_back("SSH certificate " + std::to_string(serial) + " has " +
                       std::to_string(count) + " certificate.issue audit records");
    }
    if (static_cast<std::int64_t>(serial) > db.ssh_serial_counter) {
      losses.push_back("SSH serial " + std::to_string(serial) + " is above the serial counter " +
                       std::to_string(db.ssh_serial_counter));
    }
  }
  for (const auto& [serial, count] : db.ssh_serials_audited) {
    if (!db.ssh_certificates.contains(serial)) {
      losses.push_back("SSH serial " + std::to_string(serial) + " audited, not stored");
    }
  }
  return losses;
}

}  // namespace jit::testing
