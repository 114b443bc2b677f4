#include "broker/store/migrations.hpp"
#include "broker/store/db/db_connection.hpp"

#include "broker/store/audit_rekey.hpp"
#include "broker/store/postgres_schema.hpp"
#include "broker/store/store_error.hpp"

#include <array>
#include <chrono>
#include <string>

namespace jit::broker {
namespace {

// Version 1: the data model of docs/architecture.md. Times are Unix seconds unless named *_us.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE credentials (
  user              TEXT PRIMARY KEY,
  password_hash     TEXT NOT NULL,
  totp_secret       BLOB,              -- sealed under the broker's data key (approvals/secret_box)
  totp_last_step    INTEGER NOT NULL DEFAULT 0,
  failed_attempts   INTEGER NOT NULL DEFAULT 0,
  locked_until      INTEGER NOT NULL DEFAULT 0,
  admin_locked      INTEGER NOT NULL DEFAULT 0,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
) STRICT;
CREATE TABLE webauthn_credentials (
  credential_id     BLOB PRIMARY KEY,
  user              TEXT NOT NULL REFERENCES credentials(user) ON DELETE CASCADE,
  cose_key          BLOB NOT NULL,
  algorithm         INTEGER NOT NULL,
  sign_count        INTEGER NOT NULL,
  possibly_cloned   INTEGER NOT NULL DEFAULT 0,
  created_at        INTEGER NOT NULL,
  last_used_at      INTEGER
) STRICT;
CREATE TABLE sessions (
  token_hash        TEXT PRIMARY KEY,  -- hex SHA-256 of the 256-bit token; the token itself is never stored
  user              TEXT NOT NULL,
  csrf_hash         TEXT NOT NULL,     -- hex SHA-256 of the CSRF token
  created_at        INTEGER NOT NULL,
  last_seen_at      INTEGER NOT NULL,
  last_mfa_at       INTEGER NOT NULL,
  expires_at        INTEGER NOT NULL
) STRICT;
CREATE TABLE requests (
  id                TEXT PRIMARY KEY,
  requester         TEXT NOT NULL,
  role              TEXT NOT NULL,
  reason            TEXT NOT NULL,
  ticket            TEXT NOT NULL,
  duration_s        INTEGER NOT NULL,
  state             TEXT NOT NULL CHECK (state IN
                      ('pending','active','denied','cancelled','timed_out','expired','revoked')),
  created_at        INTEGER NOT NULL,
  pending_deadline  INTEGER NOT NULL,
  breakglass        INTEGER NOT NULL DEFAULT 0,
  incident          TEXT,
  review_due_at     INTEGER,
  reviewed_at       INTEGER,
  reviewed_by       TEXT
) STRICT;
CREATE TABLE reviews (
  id                INTEGER PRIMARY KEY,
  request_id        TEXT NOT NULL REFERENCES requests(id),
  reviewer          TEXT NOT NULL,
  decision          TEXT NOT NULL CHECK (decision IN ('approve','deny')),
  comment           TEXT NOT NULL,
  created_at        INTEGER NOT NULL,
  mfa_evidence      TEXT NOT NULL,     -- JSON: factor, credential id, sign count, time
  UNIQUE (request_id, reviewer)        -- each reviewer counts once
) STRICT;
CREATE TABLE grants (
  id                TEXT PRIMARY KEY,
  request_id        TEXT NOT NULL UNIQUE REFERENCES requests(id),  -- one grant per request
  user              TEXT NOT NULL,
  role              TEXT NOT NULL,
  not_before        INTEGER NOT NULL,
  not_after         INTEGER NOT NULL,
  state             TEXT NOT NULL CHECK (state IN ('active','expired','revoked')),
  ended_at          INTEGER,
  end_reason        TEXT
) STRICT;
CREATE TABLE certificates (
  id                INTEGER PRIMARY KEY,
  kind              TEXT NOT NULL CHECK (kind IN ('ssh','x509')),
  serial            TEXT NOT NULL,     -- decimal for SSH, lower-case hex for X.509
  grant_id          TEXT NOT NULL REFERENCES grants(id),
  ca_key            TEXT NOT NULL,     -- fingerprint of the signing CA key
  key_fingerprint   TEXT NOT NULL,
  key_id            TEXT NOT NULL,
  not_after         INTEGER NOT NULL,
  issued_at         INTEGER NOT NULL,
  revoked_at        INTEGER,
  UNIQUE (kind, serial)                -- a serial is never issued twice
) STRICT;
CREATE TABLE audit (
  seq               INTEGER PRIMARY KEY,
  time_us           INTEGER NOT NULL,
  actor             TEXT NOT NULL,
  action            TEXT NOT NULL,
  object            TEXT NOT NULL,
  details           TEXT NOT NULL,     -- JSON object
  prev_hash         TEXT NOT NULL,
  hash              TEXT NOT NULL
) STRICT;
)sql";

// Version 2: lookups the sweeper and the API make on every call, and monotonic counters (SSH
// serials, KRL version, CRL number) that must survive restarts.
constexpr std::string_view kSchemaV2 = R"sql(
CREATE INDEX requests_by_state ON requests(state, pending_deadline);
CREATE INDEX requests_by_requester ON requests(requester, created_at);
CREATE INDEX grants_by_state ON grants(state, not_after);
CREATE INDEX grants_by_user ON grants(user, state);
CREATE INDEX certificates_by_grant ON certificates(grant_id);
CREATE INDEX certificates_revoked ON certificates(revoked_at, not_after) WHERE revoked_at IS NOT NULL;
CREATE INDEX sessions_by_user ON sessions(user);
CREATE TABLE counters (
  name              TEXT PRIMARY KEY,
  value             INTEGER NOT NULL
) STRICT;
INSERT INTO counters(name, value) VALUES ('ssh_serial', 0), ('krl_version', 0), ('crl_number', 0);
)sql";

// Version 3: revocations reach the served lists within a second whichever process made them, and
// events of a process without webhooks of its own (an admin command) reach the running broker.
// revocation_generation grows in the transaction of every revocation; the running broker polls it.
// event_outbox holds events written in the transaction of their change, until the broker has
// handed them to every webhook (delivered_at).
constexpr std::string_view kSchemaV3 = R"sql(
INSERT INTO counters(name, value) VALUES ('revocation_generation', 0);
CREATE TABLE event_outbox (
  seq               INTEGER PRIMARY KEY,
  event             TEXT NOT NULL,
  data              TEXT NOT NULL,     -- JSON object
  created_at        INTEGER NOT NULL,
  delivered_at      INTEGER
) STRICT;
CREATE INDEX event_outbox_undelivered ON event_outbox(seq) WHERE delivered_at IS NULL;
)sql";

// Version 4: failure counters per (user, source) beside the per-user one in `credentials`, so
// guesses from one place lock out that place and not the user everywhere (issue 14, B6). `source`
// is an address ("192.0.2.7", "2001:db8::/64") or "session/<token hash>" for presence proofs.
constexpr std::string_view kSchemaV4 = R"sql(
CREATE TABLE login_failures (
  user              TEXT NOT NULL REFERENCES credentials(user) ON DELETE CASCADE,
  source            TEXT NOT NULL,
  failures          INTEGER NOT NULL DEFAULT 0,
  locked_until      INTEGER NOT NULL DEFAULT 0,
  last_success_at   INTEGER NOT NULL DEFAULT 0,
  updated_at        INTEGER NOT NULL,
  PRIMARY KEY (user, source)
) STRICT, WITHOUT ROWID;
CREATE INDEX login_failures_by_age ON login_failures(updated_at);
)sql";

// Version 6: the audit chain is keyed (HMAC-SHA256 under a key derived from the data key); the
// records written so far are re-keyed in place (audit_rekey.hpp says why, rather than a marker).
// Pages of GET /v1/audit read by seq, the primary key, so no index is needed.
constexpr std::string_view kSchemaV6 = "";

// Version 7: one outbox for every event (docs/architecture.md, "Events"). Each event gets a stable
// id receivers deduplicate by (rows already waiting get one now), its delivery state (attempts,
// when the next one is due, failed for good), and event_deliveries records each webhook URL that
// accepted it, so a retry skips the URLs that have it already. URLs are kept as a digest: a URL's
// path may carry a token.
constexpr std::string_view kSchemaV7 = R"sql(
ALTER TABLE event_outbox ADD COLUMN event_id TEXT;
UPDATE event_outbox SET event_id = 'evt-' || lower(hex(randomblob(16)));
CREATE UNIQUE INDEX event_outbox_by_id ON event_outbox(event_id);
ALTER TABLE event_outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE event_outbox ADD COLUMN next_attempt_us INTEGER NOT NULL DEFAULT 0;
ALTER TABLE event_outbox ADD COLUMN failed_at INTEGER;
ALTER TABLE event_outbox ADD COLUMN last_error TEXT;
CREATE INDEX event_outbox_failed ON event_outbox(seq) WHERE failed_at IS NOT NULL AND delivered_at IS NULL;
CREATE TABLE event_deliveries (
  seq               INTEGER NOT NULL REFERENCES event_outbox(seq) ON DELETE CASCADE,
  url_digest        TEXT NOT NULL,     -- hex SHA-256 of the webhook URL
  delivered_at      INTEGER NOT NULL,
  PRIMARY KEY (seq, url_digest)
) STRICT, WITHOUT ROWID;
)sql";

// Version 8: the audit stream (docs/architecture.md, "Audit stream"). Each sink (a syslog server,
// a JSON-lines file; named by kind and destination) keeps the seq of the last audit record it
// delivered, so a restart resumes from there. The records themselves are read from `audit`.
constexpr std::string_view kSchemaV8 = R"sql(
CREATE TABLE audit_stream_positions (
  sink              TEXT PRIMARY KEY,  -- "syslog:HOST:PORT" or "file:PATH"
  last_seq          INTEGER NOT NULL,  -- audit.seq of the last record the sink has
  updated_at        INTEGER NOT NULL
) STRICT;
)sql";

// Version 9: single sign-on (docs/sso.md). A user first seen through an identity provider gets a
// credentials row with no password (passkeys and TOTP hang off it) and an sso_identities row: the
// provider and subject that user is, and the idp groups of their last SSO login (a JSON array),
// which Policy::in_group answers from. A session opened by SSO keeps how the provider signed the
// user in (provider, sub, amr, acr, auth_time as JSON), for the evidence of the reviews it gives.
constexpr std::string_view kSchemaV9 = R"sql(
CREATE TABLE sso_identities (
  user              TEXT PRIMARY KEY REFERENCES credentials(user) ON DELETE CASCADE,
  provider          TEXT NOT NULL,
  subject           TEXT NOT NULL,
  idp_groups        TEXT NOT NULL DEFAULT '[]',
  created_at        INTEGER NOT NULL,
  last_login_at     INTEGER NOT NULL,
  UNIQUE (provider, subject)
) STRICT;
ALTER TABLE sessions ADD COLUMN sso_login TEXT;
)sql";

// Version 10: delivery claims (docs/architecture.md, "Events"). Brokers sharing one database each
// claim the events they send: claimed_by names the broker process (broker_instance_id()),
// claimed_until (microseconds; 0: not claimed) is when its lease ends and another broker may
// claim the event. A claim ends when its round is recorded.
constexpr std::string_view kSchemaV10 = R"sql(
ALTER TABLE event_outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE event_outbox ADD COLUMN claimed_until INTEGER NOT NULL DEFAULT 0;
)sql";
constexpr std::string_view kPostgresV10 = R"sql(
ALTER TABLE event_outbox ADD COLUMN claimed_by text,
  ADD COLUMN claimed_until bigint NOT NULL DEFAULT 0;
)sql";

// Version 11: ceremonies under way that another broker may finish (docs/architecture.md,
// "Ceremonies across brokers"): WebAuthn challenges and SSO logins. PostgreSQL only: a SQLite file
// has one broker, which keeps them in memory. UNLOGGED, since a row lives two to ten minutes and
// losing them all (a crash or a failover empties the table) only makes users start again; it also
// spares the statements a WAL flush each. expires_at is in microseconds since the epoch.
constexpr std::string_view kPostgresV11 = R"sql(
CREATE UNLOGGED TABLE pending_ceremonies (
  key_hash          text PRIMARY KEY,
  kind              text NOT NULL,
  owner             text NOT NULL,
  payload           bytea NOT NULL,
  expires_at        bigint NOT NULL
);
CREATE INDEX pending_ceremonies_by_expiry ON pending_ceremonies (expires_at);
)sql";

void rekey_audit_chain_now(db::Connection& db, const AuditChainKey& key) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  rekey_audit_chain(db, key, std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

constexpr std::array kMigrations = {
    Migration{1, kSchemaV1},
    Migration{2, kSchemaV2},
    Migration{3, kSchemaV3},
    Migration{4, kSchemaV4},
    Migration{6, kSchemaV6, rekey_audit_chain_now},
    Migration{7, kSchemaV7},
    Migration{8, kSchemaV8},
    Migration{9, kSchemaV9},
    Migration{10, kSchemaV10, nullptr, kPostgresV10},
    Migration{11, {}, nullptr, kPostgresV11},
};

}  // namespace

std::span<const Migration> all_migrations() { return kMigrations; }

int latest_schema_version() { return kMigrations.back().version; }

namespace {

// Brokers starting together on one PostgreSQL database migrate one after the other: each waits
// for this transaction-level advisory lock, then sees the version the one before left.
constexpr std::int64_t kMigrationLockKey = 0x6a69746d69677261;  // "jitmigra"

void set_postgres_version(db::Connection& db, int version) {
  db::Statement update(db, "UPDATE jitbroker_schema SET version = ?");
  update.bind(1, version);
  if (update.exec() != 1) throw SchemaError("the jitbroker_schema table has no row");
}

void migrate_postgres(db::Connection& db, const AuditChainKey& key, int target) {
  db::Transaction transaction(db);
  // A migration may rebuild an index of a big table, and a broker starting beside one that
  // migrates waits for it: neither may be cut short by the per-statement and lock-wait limits
  // every connection has (broker/store/pg/pg_connection.cpp). For this transaction only.
  db.exec_script("SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0");
  db::Statement lock(db, "SELECT pg_advisory_xact_lock(?)");
  lock.bind(1, kMigrationLockKey);
  lock.step();
  int current = schema_version(db);
  if (current > latest_schema_version()) {
    throw SchemaError("database schema version " + std::to_string(current) +
                      " is newer than this jit-broker understands (" +
                      std::to_string(latest_schema_version()) + "); upgrade jit-broker");
  }
  if (target < kPostgresBaselineVersion) {
    throw SchemaError("a PostgreSQL database starts at schema version " +
                      std::to_string(kPostgresBaselineVersion));
  }
  if (current == 0) {
    // DDL is transactional in PostgreSQL: a failure leaves the database empty.
    db.exec_script(kPostgresBaseline);
    db::Statement insert(db, "INSERT INTO jitbroker_schema(version) VALUES (?)");
    insert.bind(1, kPostgresBaselineVersion);
    insert.exec();
    current = kPostgresBaselineVersion;
  }
  for (const Migration& migration : kMigrations) {
    if (migration.version <= current || migration.version > target) continue;
    if (!migration.postgresql.empty()) db.exec_script(migration.postgresql);
    if (migration.rewrite != nullptr) migration.rewrite(db, key);
    set_postgres_version(db, migration.version);
  }
  transaction.commit();
}

}  // namespace

int schema_version(db::Connection& db) {
  if (db.backend() == db::Backend::postgresql) {
    db::Statement exists(db,
                         "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                         "current_schema() AND table_name = 'jitbroker_schema'");
    if (!exists.step() || exists.get_int64(0) == 0) return 0;
    db::Statement version(db, "SELECT coalesce(max(version), 0) FROM jitbroker_schema");
    if (!version.step()) return 0;
    return version.get_int(0);
  }
  db::Statement query(db, "PRAGMA user_version");
  if (!query.step()) throw SchemaError("the database has no schema version");
  return query.get_int(0);
}

void migrate(db::Connection& db, const AuditChainKey& key, int target) {
  if (db.backend() == db::Backend::postgresql) return migrate_postgres(db, key, target);
  const int current = schema_version(db);
  if (current > latest_schema_version()) {
    throw SchemaError("database schema version " + std::to_string(current) +
                      " is newer than this jit-broker understands (" +
                      std::to_string(latest_schema_version()) + "); upgrade jit-broker");
  }
  for (const Migration& migration : kMigrations) {
    if (migration.version <= current || migration.version > target) continue;
    db::Transaction transaction(db);
    if (!migration.sql.empty()) db.exec_script(migration.sql);
    if (migration.rewrite != nullptr) migration.rewrite(db, key);
    db.exec_script("PRAGMA user_version = " + std::to_string(migration.version));
    transaction.commit();
  }
}

void migrate(db::Connection& db, const AuditChainKey& key) {
  migrate(db, key, latest_schema_version());
}

}  // namespace jit::broker
