// The crash-safety test's view of the broker's database, read with a read-only connection (while
// the broker is down after a kill, so exactly what it left on disk), and the comparison with what
// the clients saw acknowledged. The implementation is in crash_database_it.cpp.
#pragma once

#include "support/crash_ledger.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace jit::testing {

struct StoredGrant {
  std::string request;
  std::string user;
  std::string state;
  std::int64_t not_after = 0;
  std::string end_reason;
};

struct CrashDatabase {
  std::set<std::string> requests;
  std::set<std::pair<std::string, std::string>> approvals;  // (request, reviewer), approve only
  std::map<std::string, StoredGrant> grants;
  std::map<std::uint64_t, std::string> ssh_certificates;  // serial -> grant
  std::int64_t ssh_serial_counter = 0;
  std::map<std::string, std::int64_t> totp_last_step;      // user -> last accepted TOTP step
  std::map<std::string, std::int64_t> passkey_sign_count;  // user -> highest stored counter
  std::map<std::string, int> audit;                        // "action object actor" -> records
  std::map<std::uint64_t, int> ssh_serials_audited;        // serial -> certificate.issue records
  std::size_t audit_records = 0;
  std::vector<std::string> problems;  // rows that cannot be read as the schema promises
};

// Throws SQLite::Exception when the database cannot be read.
CrashDatabase read_crash_database(const std::filesystem::path& file);

// "action object actor", the key of CrashDatabase::audit.
std::string audit_key(const std::string& action, const std::string& object,
                      const std::string& actor);

// One line per broken promise: an acknowledged request, approval, grant or certificate that is not
// stored with its audit record, a TOTP step or passkey counter the database forgot, an SSH serial
// issued twice (among the certificates the clients received, or in the database), a certificate
// without exactly one audit record, a serial above the stored counter.
std::vector<std::string> find_losses(const LedgerContents& acked, const CrashDatabase& db);

}  // namespace jit::testing
