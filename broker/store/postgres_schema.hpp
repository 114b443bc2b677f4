// The PostgreSQL text of the schema (docs/architecture.md, "Store backends (SQLite and
// PostgreSQL)"). A PostgreSQL database starts at kPostgresBaselineVersion with this baseline, the
// whole schema of that version written for PostgreSQL: bigint for SQLite's 64-bit INTEGER, bytea
// for BLOB, identity columns for rowids, "user" quoted (a reserved word), no STRICT or WITHOUT
// ROWID. Version 6's re-keying and version 7's back-fill have nothing to convert in a new
// database. Migrations after the baseline carry a PostgreSQL text beside their SQLite one
// (migrations.cpp). The version lives in the one-row table jitbroker_schema.
#pragma once

#include <string_view>

namespace jit::broker {

inline constexpr int kPostgresBaselineVersion = 9;

inline constexpr std::string_view kPostgresBaseline = R"sql(
CREATE TABLE jitbroker_schema (
  version           bigint NOT NULL
);
CREATE TABLE credentials (
  "user"            text PRIMARY KEY,
  password_hash     text NOT NULL,
  totp_secret       bytea,
  totp_last_step    bigint NOT NULL DEFAULT 0,
  failed_attempts   bigint NOT NULL DEFAULT 0,
  locked_until      bigint NOT NULL DEFAULT 0,
  admin_locked      bigint NOT NULL DEFAULT 0,
  created_at        bigint NOT NULL,
  updated_at        bigint NOT NULL
);
CREATE TABLE webauthn_credentials (
  credential_id     bytea PRIMARY KEY,
  "user"            text NOT NULL REFERENCES credentials("user") ON DELETE CASCADE,
  cose_key          bytea NOT NULL,
  algorithm         bigint NOT NULL,
  sign_count        bigint NOT NULL,
  possibly_cloned   bigint NOT NULL DEFAULT 0,
  created_at        bigint NOT NULL,
  last_used_at      bigint
);
CREATE TABLE sessions (
  token_hash        text PRIMARY KEY,
  "user"            text NOT NULL,
  csrf_hash         text NOT NULL,
  created_at        bigint NOT NULL,
  last_seen_at      bigint NOT NULL,
  last_mfa_at       bigint NOT NULL,
  expires_at        bigint NOT NULL,
  sso_login         text
);
CREATE TABLE requests (
  id                text PRIMARY KEY,
  requester         text NOT NULL,
  role              text NOT NULL,
  reason            text NOT NULL,
  ticket            text NOT NULL,
  duration_s        bigint NOT NULL,
  state             text NOT NULL CHECK (state IN
                      ('pending','active','denied','cancelled','timed_out','expired','revoked')),
  created_at        bigint NOT NULL,
  pending_deadline  bigint NOT NULL,
  breakglass        bigint NOT NULL DEFAULT 0,
  incident          text,
  review_due_at     bigint,
  reviewed_at       bigint,
  reviewed_by       text
);
CREATE TABLE reviews (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id        text NOT NULL REFERENCES requests(id),
  reviewer          text NOT NULL,
  decision          text NOT NULL CHECK (decision IN ('approve','deny')),
  comment           text NOT NULL,
  created_at        bigint NOT NULL,
  mfa_evidence      text NOT NULL,
  UNIQUE (request_id, reviewer)
);
CREATE TABLE grants (
  id                text PRIMARY KEY,
  request_id        text NOT NULL UNIQUE REFERENCES requests(id),
  "user"            text NOT NULL,
  role              text NOT NULL,
  not_before        bigint NOT NULL,
  not_after         bigint NOT NULL,
  state             text NOT NULL CHECK (state IN ('active','expired','revoked')),
  ended_at          bigint,
  end_reason        text
);
CREATE TABLE certificates (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind              text NOT NULL CHECK (kind IN ('ssh','x509')),
  serial            text NOT NULL,
  grant_id          text NOT NULL REFERENCES grants(id),
  ca_key            text NOT NULL,
  key_fingerprint   text NOT NULL,
  key_id            text NOT NULL,
  not_after         bigint NOT NULL,
  issued_at         bigint NOT NULL,
  revoked_at        bigint,
  UNIQUE (kind, serial)
);
CREATE TABLE audit (
  seq               bigint PRIMARY KEY,
  time_us           bigint NOT NULL,
  actor             text NOT NULL,
  action            text NOT NULL,
  object            text NOT NULL,
  details           text NOT NULL,
  prev_hash         text NOT NULL,
  hash              text NOT NULL
);
CREATE INDEX requests_by_state ON requests(state, pending_deadline);
CREATE INDEX requests_by_requester ON requests(requester, created_at);
CREATE INDEX grants_by_state ON grants(state, not_after);
CREATE INDEX grants_by_user ON grants("user", state);
CREATE INDEX certificates_by_grant ON certificates(grant_id);
CREATE INDEX certificates_revoked ON certificates(revoked_at, not_after) WHERE revoked_at IS NOT NULL;
CREATE INDEX sessions_by_user ON sessions("user");
CREATE TABLE counters (
  name              text PRIMARY KEY,
  value             bigint NOT NULL
);
INSERT INTO counters(name, value) VALUES ('ssh_serial', 0), ('krl_version', 0), ('crl_number', 0),
  ('revocation_generation', 0);
CREATE TABLE event_outbox (
  seq               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event             text NOT NULL,
  data              text NOT NULL,
  created_at        bigint NOT NULL,
  delivered_at      bigint,
  event_id          text,
  attempts          bigint NOT NULL DEFAULT 0,
  next_attempt_us   bigint NOT NULL DEFAULT 0,
  failed_at         bigint,
  last_error        text
);
CREATE INDEX event_outbox_undelivered ON event_outbox(seq) WHERE delivered_at IS NULL;
CREATE UNIQUE INDEX event_outbox_by_id ON event_outbox(event_id);
CREATE INDEX event_outbox_failed ON event_outbox(seq) WHERE failed_at IS NOT NULL AND delivered_at IS NULL;
CREATE TABLE event_deliveries (
  seq               bigint NOT NULL REFERENCES event_outbox(seq) ON DELETE CASCADE,
  url_digest        text NOT NULL,
  delivered_at      bigint NOT NULL,
  PRIMARY KEY (seq, url_digest)
);
CREATE TABLE login_failures (
  "user"            text NOT NULL REFERENCES credentials("user") ON DELETE CASCADE,
  source            text NOT NULL,
  failures          bigint NOT NULL DEFAULT 0,
  locked_until      bigint NOT NULL DEFAULT 0,
  last_success_at   bigint NOT NULL DEFAULT 0,
  updated_at        bigint NOT NULL,
  PRIMARY KEY ("user", source)
);
CREATE INDEX login_failures_by_age ON login_failures(updated_at);
CREATE TABLE audit_stream_positions (
  sink              text PRIMARY KEY,
  last_seq          bigint NOT NULL,
  updated_at        bigint NOT NULL
);
CREATE TABLE sso_identities (
  "user"            text PRIMARY KEY REFERENCES credentials("user") ON DELETE CASCADE,
  provider          text NOT NULL,
  subject           text NOT NULL,
  idp_groups        text NOT NULL DEFAULT '[]',
  created_at        bigint NOT NULL,
  last_login_at     bigint NOT NULL,
  UNIQUE (provider, subject)
);
)sql";

}  // namespace jit::broker
