#include "broker/service/certificate_service.hpp"
#include "broker/store/db/db_connection.hpp"

#include "approvals/grant_rules.hpp"
#include "approvals/mfa_evidence.hpp"
#include "approvals/session_factor.hpp"
#include "broker/auth/presence.hpp"
#include "ca/bytes.hpp"
#include "ca/csr_parser.hpp"
#include "ca/ssh_certificate.hpp"
#include "ca/ssh_public_key.hpp"
#include "ca/x509_client_certificate.hpp"
#include "ca/x509_digest.hpp"
#include "ca/x509_serial.hpp"

#include <boost/json.hpp>

namespace jit::broker {
namespace {

namespace json = boost::json;
using approvals::CertificateKind;

std::string certificate_fingerprint(ca::ByteView der) {
  auto digest = ca::compute_digest(ca::DigestKind::sha256, der);
  return digest ? ca::hex_encode(*digest) : std::string();
}

// The CRL distribution point names the certificate's issuing CA (GET /v1/ca/x509/crl?issuer=),
// so a certificate signed before a rotation still finds its own issuer's list after it
// (docs/operations.md "CA rotation").
std::string crl_url_for_issuer(const std::string& crl_url, const std::string& fingerprint) {
  if (crl_url.empty()) return crl_url;
  return crl_url + (crl_url.find('?') == std::string::npos ? "?" : "&") + "issuer=" + fingerprint;
}

std::chrono::system_clock::time_point at(std::int64_t unix_seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
}

std::int64_t unix_seconds(std::chrono::system_clock::time_point time) {
  return std::chrono::floor<std::chrono::seconds>(time.time_since_epoch()).count();
}

// The factor in the call, or that the session's recent MFA sufficed.
json::value mfa_details(const std::optional<approvals::MfaEvidence>& evidence) {
  if (!evidence) return json::object{{"factor", "fresh_session"}};
  return approvals::mfa_evidence_to_json(*evidence);
}

json::array string_array(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& value : values) out.emplace_back(value);
  return out;
}

// The certificate's validity for this grant, decided by approvals::certificate_window (invariant
// 3): an X.509 certificate is also bounded by the issuing CA certificate; an SSH CA key has no end.
Result<approvals::CertificateWindow> mint_window(const ca::X509CaHierarchy& x509_ca,
                                                 std::chrono::seconds backdate, const GrantRow& row,
                                                 CertificateKind kind, std::int64_t now) {
  std::optional<approvals::IssuerValidity> issuer;
  if (kind == CertificateKind::x509) {
    issuer = approvals::IssuerValidity{unix_seconds(x509_ca.issuing().not_before()),
                                       unix_seconds(x509_ca.issuing().not_after())};
  }
  return approvals::certificate_window(to_snapshot(row), backdate, now, issuer);
}

}  // namespace

CertificateService::CertificateService(Store& store, IdentityService& identity,
                                       const ca::SshCertificateAuthority& ssh_ca,
                                       const ca::X509CaHierarchy& x509_ca, MintSettings settings)
    : store_(store),
      identity_(identity),
      ssh_ca_(ssh_ca),
      x509_ca_(x509_ca),
      settings_(std::move(settings)),
      ssh_ca_fingerprint_(ssh_ca.signing_key().public_key().fingerprint_sha256()),
      x509_ca_fingerprint_(certificate_fingerprint(x509_ca.issuing().certificate_der())) {
  next_ssh_serial_ = static_cast<std::uint64_t>(store_.read(
                         [](db::Connection& db) { return stored_counter(db, "ssh_serial"); })) +
                     1;
}

Result<std::uint64_t> CertificateService::take_ssh_serial() {
  if (store_.backend() != db::Backend::postgresql) return next_ssh_serial_.fetch_add(1);
  // Several brokers may sign with one CA over one database, so serials are reserved there before
  // signing, a block at a time by an UPDATE ... RETURNING committed on its own: the counter's row
  // is locked for one short transaction per block, not per mint (docs/architecture.md, "Store
  // backends (SQLite and PostgreSQL)"). Serials of a block left at exit stay unused.
  constexpr std::int64_t kSshSerialBlock = 64;
  std::lock_guard lock(serial_block_mutex_);
  if (serial_block_next_ == serial_block_end_) {
    try {
      const auto first = static_cast<std::uint64_t>(store_.read(
          [](db::Connection& db) { return reserve_counter(db, "ssh_serial", kSshSerialBlock); }));
      serial_block_next_ = first;
      serial_block_end_ = first + kSshSerialBlock;
    } catch (const db::Error& e) {
      return e.code();
    }
  }
  return serial_block_next_++;
}

Result<GrantRow> CertificateService::grant_for_mint(const Caller& caller,
                                                    const std::string& grant_id,
                                                    CertificateKind kind) {
  // One read: a grant the caller may not see is not found, like one that does not exist.
  auto row = store_.read([&](db::Connection& db) { return find_grant(db, grant_id); });
  if (!row || !approvals::may_view_request(identity_.policy(), row->role, row->user, caller.user)) {
    return make_error_code(BrokerErrc::not_found);
  }
  const auto now = identity_.now_seconds();
  if (auto allowed =
          approvals::check_mint(identity_.policy(), to_snapshot(*row), caller.user, kind, now);
      !allowed) {
    return allowed.error();
  }
  // Refused here, before the caller's factor is checked and spent (issue 14 E22).
  if (auto window = mint_window(x509_ca_, settings_.clock_skew, *row, kind, now); !window) {
    return window.error();
  }
  return std::move(*row);
}

void CertificateService::mint(const Caller& caller, const std::string& grant_id,
                              CertificateKind kind, const json::value* mfa, Prepare prepare,
                              Issue issue, AccessService::Answer done) {
  auto allowed = grant_for_mint(caller, grant_id, kind);
  if (!allowed) return done(allowed.error());
  // A session opened by SSO mints only with a factor of the broker's own in the call
  // (docs/architecture.md invariant 14).
  check_presence(
      identity_, caller, mfa, approvals::minting_rule(!caller.session.sso_login.empty()),
      approvals::ChallengePurpose::presence, std::nullopt,
      [this, caller, grant_id, kind, row = std::move(*allowed), prepare = std::move(prepare),
       issue = std::move(issue), done](Result<Presence> presence) {
        if (!presence) return done(presence.error());
        // Before the write job, off the writer: a failure here (signer_unavailable) spends and
        // records nothing.
        if (prepare) {
          if (auto prepared = prepare(row, identity_.now_seconds()); !prepared) {
            return done(prepared.error());
          }
        }
        auto result = std::make_shared<Result<Recorded>>(make_error_code(BrokerErrc::internal));
        store_.write(
            [this, caller, grant_id, kind, issue, presence = std::move(*presence),
             result](WriteContext& tx) -> boost::system::error_code {
              const auto now = identity_.now_seconds();
              auto row = find_grant(tx.db(), grant_id);
              if (!row) {
                *result = make_error_code(BrokerErrc::not_found);
                return {};
              }
              // Re-checked in the transaction: a revocation that committed first wins.
              if (auto ok = approvals::check_mint(identity_.policy(), to_snapshot(*row),
                                                  caller.user, kind, now);
                  !ok) {
                *result = ok.error();
                return {};
              }
              // The factor is spent in this transaction; a signing or recording failure rolls the
              // job back, factor included: nothing is issued and nothing spent.
              if (auto spent = spend_presence(tx, presence)) {
                *result = spent;
                return {};
              }
              auto recorded = issue(tx, *row, now, mfa_details(presence.evidence));
              if (!recorded) return recorded.error();
              *result = std::move(*recorded);
              return {};
            },
            [this, result, done](boost::system::error_code ec) {
              if (ec) return done(ec);
              if (!*result) return done(result->error());
              auto finish = [result, done] { done(std::move((**result).answer)); };
              if (settings_.after_commit) return settings_.after_commit(std::move(finish));
              finish();
            });
      });
}

void CertificateService::mint_ssh(const Caller& caller, const std::string& grant_id,
                                  const std::string& public_key, const json::value* mfa,
                                  AccessService::Answer done) {
  auto subject = ca::SshPublicKey::parse_line(public_key);
  if (!subject) return done(make_error_code(approvals::RequestErrc::invalid_public_key));
  // Signed before the write job, on this (HTTP) thread, so signatures run in parallel and a CA key
  // on a token can fail (signer_unavailable, 503) before anything is spent or recorded; the job
  // then re-checks the grant and records the certificate only if it still may exist: a row exists
  // only for a certificate that was signed (docs/architecture.md "CA signers"). The serial comes
  // from a counter in memory, seeded from the database; the job raises the stored counter to it,
  // so a restart never hands out a recorded serial again (a serial signed but never recorded may
  // be reused: that certificate never left the broker).
  struct Signed {
    std::uint64_t serial = 0;
    std::string line;
    std::vector<std::string> principals;
    std::int64_t not_after = 0;
    std::string key_id;
  };
  auto signed_certificate = std::make_shared<Signed>();
  auto prepare = [this, subject = *subject, signed_certificate](const GrantRow& row,
                                                                std::int64_t now) -> Result<void> {
    auto profile = approvals::ssh_profile_for(identity_.policy(), to_snapshot(row));
    auto key_id = ca::make_ssh_key_id(row.request_id, row.user, row.role);
    if (!profile || !key_id) return make_error_code(BrokerErrc::internal);
    auto window = mint_window(x509_ca_, settings_.clock_skew, row, CertificateKind::ssh, now);
    if (!window) return window.error();
    ca::SshCertificateProfile certificate_profile;
    auto serial = take_ssh_serial();
    if (!serial) return serial.error();
    certificate_profile.serial = *serial;
    certificate_profile.key_id = *key_id;
    certificate_profile.principals = profile->principals;
    certificate_profile.valid_after =
        std::chrono::sys_seconds(std::chrono::seconds(window->not_before));
    certificate_profile.valid_before =
        std::chrono::sys_seconds(std::chrono::seconds(window->not_after));
    certificate_profile.force_command = profile->force_command;
    certificate_profile.source_addresses = profile->source_addresses;
    certificate_profile.extensions = profile->extensions;
    auto certificate = ssh_ca_.issue_user_certificate(subject, certificate_profile);
    if (!certificate) return certificate.error();
    *signed_certificate = {certificate_profile.serial, certificate->line(*key_id),
                           profile->principals, window->not_after, *key_id};
    return {};
  };
  auto issue = [this, caller, subject = *subject, signed_certificate](
                   WriteContext& tx, const GrantRow& row, std::int64_t now,
                   json::value mfa) -> Result<Recorded> {
    const Signed& done_signing = *signed_certificate;
    // The grant as it is now must still allow what was signed a moment ago.
    auto window = mint_window(x509_ca_, settings_.clock_skew, row, CertificateKind::ssh, now);
    if (!window) return window.error();
    if (done_signing.not_after > window->not_after) return make_error_code(BrokerErrc::conflict);
    // On PostgreSQL the counter passed this serial when it was taken (take_ssh_serial).
    if (tx.db().backend() == db::Backend::sqlite) {
      raise_counter(tx.db(), "ssh_serial", static_cast<std::int64_t>(done_signing.serial));
    }
    const auto serial = std::to_string(done_signing.serial);
    const auto fingerprint = subject.fingerprint_sha256();
    insert_certificate(tx.db(), {"ssh", serial, row.id, ssh_ca_fingerprint_, fingerprint,
                                 done_signing.key_id, done_signing.not_after, now});
    json::object details{{"kind", "ssh"},
                         {"serial", serial},
                         {"key_fingerprint", fingerprint},
                         {"principals", string_array(done_signing.principals)},
                         {"valid_before", done_signing.not_after},
                         {"mfa", std::move(mfa)}};
    tx.audit({caller.user, "certificate.issue", grant_object(row.id), json::serialize(details)});
    Recorded recorded;
    recorded.answer = json::object{{"certificate", done_signing.line},
                                   {"serial", done_signing.serial},
                                   {"valid_before", done_signing.not_after},
                                   {"key_id", done_signing.key_id},
                                   {"principals", string_array(done_signing.principals)}};
    return recorded;
  };
  mint(caller, grant_id, CertificateKind::ssh, mfa, std::move(prepare), std::move(issue),
       std::move(done));
}

void CertificateService::mint_x509(const Caller& caller, const std::string& grant_id,
                                   const std::string& csr, const json::value* mfa,
                                   AccessService::Answer done) {
  // The CSR's self-signature is the costly part: checked here, outside the writer.
  auto verified = ca::parse_and_verify_csr(csr);
  if (!verified) return done(make_error_code(approvals::RequestErrc::invalid_csr));
  auto issue = [this, caller, csr = *verified](WriteContext& tx, const GrantRow& row,
                                               std::int64_t now,
                                               json::value mfa) -> Result<Recorded> {
    auto profile = approvals::x509_profile_for(identity_.policy(), to_snapshot(row));
    auto serial = ca::random_serial();
    if (!profile || !serial) return make_error_code(BrokerErrc::internal);
    auto window = mint_window(x509_ca_, settings_.clock_skew, row, CertificateKind::x509, now);
    if (!window) return window.error();
    ca::X509ClientProfile certificate_profile;
    certificate_profile.common_name = profile->common_name;
    certificate_profile.organizational_unit = profile->organizational_unit;
    certificate_profile.san_uri = profile->san_uri;
    certificate_profile.crl_distribution_url =
        crl_url_for_issuer(settings_.crl_url, x509_ca_fingerprint_);
    certificate_profile.ocsp_url = settings_.ocsp_url;
    auto issued =
        ca::issue_client_certificate(x509_ca_.issuing(), csr, certificate_profile, *serial,
                                     at(window->not_before), at(window->not_after));
    if (!issued) return issued.error();
    const auto not_after =
        std::chrono::duration_cast<std::chrono::seconds>(issued->not_after.time_since_epoch())
            .count();
    // A random 126-bit serial colliding is negligible; the UNIQUE constraint would turn it into
    // an internal error rather than a duplicate.
    insert_certificate(tx.db(), {"x509", issued->serial_hex, row.id, x509_ca_fingerprint_,
                                 issued->sha256_fingerprint, profile->common_name, not_after, now});
    json::object details{{"kind", "x509"},
                         {"serial", issued->serial_hex},
                         {"fingerprint", issued->sha256_fingerprint},
                         {"san_uri", profile->san_uri},
                         {"not_after", not_after},
                         {"mfa", std::move(mfa)}};
    tx.audit({caller.user, "certificate.issue", grant_object(row.id), json::serialize(details)});
    return Recorded{json::object{{"certificate", issued->pem},
                                 {"chain", x509_ca_.chain_pem()},
                                 {"serial", issued->serial_hex},
                                 {"not_after", not_after}}};
  };
  mint(caller, grant_id, CertificateKind::x509, mfa, nullptr, std::move(issue), std::move(done));
}

}  // namespace jit::broker
