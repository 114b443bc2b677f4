// The `jit-broker` admin commands. Each returns the process exit code; start-up problems are thrown
// as exceptions (ConfigError, StoreOpenError, SchemaError, runtime_error) and printed as one line
// by main.
#pragma once

#include "config/broker_config.hpp"

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

namespace jit::broker {

int run_serve(const config::BrokerConfig& config);

// A head the auditor noted earlier (from this command or GET /v1/audit/verify) and trusts; either
// detects records cut off the end of the chain.
struct AuditVerifyOptions {
  std::optional<std::string> head;             // --head HASH: must still be in the chain
  std::optional<std::int64_t> expect_records;  // --expect-records N: at least N records
  // --against FILE: also check a copy the audit stream wrote (audit_copy_check.hpp); --from SEQ:
  // the first record it must hold; --allow-duplicates: records repeated by at-least-once delivery
  // at a reconnect or restart do not fail the check.
  std::optional<std::filesystem::path> against;
  std::optional<std::int64_t> against_from;
  bool allow_duplicates = false;
};

// Verifies the keyed chain with the key derived from the data key file. Prints "audit chain ok: N
// records, head HASH", or names the first bad record (or the missing trusted head) and returns 1.
// With `against`, then checks that copy and returns 1 when it is not a faithful copy.
int run_audit_verify(const config::BrokerConfig& config, const AuditVerifyOptions& options,
                     std::ostream& out, std::ostream& err);

// Prints the public CA material: each SSH CA key line with its SHA256 fingerprint (newest first),
// then the X.509 chain PEM.
// Generates missing dev keys exactly as `serve` would.
int run_ca_show(const config::BrokerConfig& config, std::ostream& out);

// Writes the SSH KRL (revoked, unexpired certificates) to `file` atomically, for hosts that pull it
// from cron; prints "wrote KRL version N with M revoked certificates to FILE". Runs beside a
// running broker: it reads through a read-only connection and takes only the next KRL version in
// one short write job (with an audit record), so versions keep growing across the broker and this
// command. Needs the SSH CA keys (never generates them). Throws with one line when the database or
// a key is missing, or when `file` already holds a KRL with a version not lower than the new one.
int run_krl_write(const config::BrokerConfig& config, const std::filesystem::path& file,
                  std::ostream& out);

enum class UserAction { enroll, reset, lock, unlock };

// enroll/reset read the password from the first line of `in` and print the otpauth:// URI, and
// with `qr` also that URI as a QR code for the terminal (terminal_qr.hpp).
int run_user_command(const config::BrokerConfig& config, UserAction action, const std::string& user,
                     std::istream& in, std::ostream& out, bool qr = false);

}  // namespace jit::broker
