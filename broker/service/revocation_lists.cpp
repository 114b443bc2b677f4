#include "broker/service/revocation_lists.hpp"
#include "broker/store/db/db_connection.hpp"

#include "ca/x509_digest.hpp"

#include <sqlite3.h>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <string_view>

namespace jit::broker {
namespace {

// A decimal SSH serial as the minting code stores it: digits only, no sign, no leading zero, not
// zero, within uint64. Anything else is unusable as a KRL serial (0 is never revoked by serial).
std::uint64_t parse_ssh_serial(std::string_view text) {
  if (text.empty() || text.front() == '0') return 0;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return 0;
  return value;
}

std::uint64_t bump(db::Connection& db, const char* name) {
  db::Statement update(db, "UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value");
  update.bind(1, name);
  if (!update.step()) throw db::Error(db::Failure::other, "counter row missing");
  return static_cast<std::uint64_t>(update.get_int64(0));
}

}  // namespace

Result<std::string> x509_ca_fingerprint(const ca::X509CertificateAuthority& ca) {
  auto digest = ca::compute_digest(ca::DigestKind::sha256, ca.certificate_der());
  if (!digest) return BrokerErrc::internal;
  return ca::hex_encode(*digest);
}

Result<std::vector<std::string>> x509_issuer_fingerprints(const ca::X509CaHierarchy& x509_ca) {
  std::vector<std::string> fingerprints;
  auto current = x509_ca_fingerprint(x509_ca.issuing());
  if (!current) return current.error();
  fingerprints.push_back(std::move(*current));
  for (const auto& previous : x509_ca.previous_issuing()) {
    auto fingerprint = x509_ca_fingerprint(previous);
    if (!fingerprint) return fingerprint.error();
    fingerprints.push_back(std::move(*fingerprint));
  }
  return fingerprints;
}

RevocationSources::RevocationSources(const ca::SshCertificateAuthority& ssh_ca,
                                     std::vector<std::string> x509_issuing_fingerprints,
                                     std::chrono::seconds clock_skew)
    : x509_fingerprints_(std::move(x509_issuing_fingerprints)), clock_skew_(clock_skew.count()) {
  for (const auto& key : ssh_ca.keys()) {
    ssh_fingerprints_.push_back(key.public_key().fingerprint_sha256());
  }
}

RevokedCertificates RevocationSources::load(db::Connection& db, std::int64_t now) const {
  RevokedCertificates out;
  // A range search of the partial index certificates_revoked(revoked_at, not_after), so the cost
  // follows the revoked rows, not all certificates ever issued. No ORDER BY: SQLite would then scan
  // the whole table in id order. Index order (revoked_at, not_after, id) is just as deterministic,
  // which is all the publisher's change detection needs.
  db::Statement query(db,
                      "SELECT kind, serial, ca_key, key_id, not_after, revoked_at "
                      "FROM certificates WHERE revoked_at IS NOT NULL AND not_after > ?");
  query.bind(1, now - clock_skew_);
  while (query.step()) {
    const std::string kind = query.get_text(0);
    const std::string serial = query.get_text(1);
    const std::string ca_key = query.get_text(2);
    const std::int64_t listed_until = query.get_int64(4) + clock_skew_;
    if (kind == "ssh") {
      std::size_t index = 0;
      while (index < ssh_fingerprints_.size() && ssh_fingerprints_[index] != ca_key) ++index;
      if (index == ssh_fingerprints_.size()) {
        ++out.skipped;
        continue;
      }
      SshRevocation revocation;
      revocation.ca_key = index;
      revocation.serial = parse_ssh_serial(serial);
      revocation.listed_until = static_cast<std::uint64_t>(listed_until);
      if (revocation.serial == 0) {
        revocation.key_id = query.get_text(3);
        if (revocation.key_id.empty()) {
          ++out.skipped;
          continue;
        }
      }
      out.ssh.push_back(std::move(revocation));
    } else if (kind == "x509") {
      auto parsed = ca::X509Serial::from_hex(serial);
      std::size_t issuer = 0;
      while (issuer < x509_fingerprints_.size() && x509_fingerprints_[issuer] != ca_key) ++issuer;
      if (issuer == x509_fingerprints_.size() || !parsed) {
        ++out.skipped;
        continue;
      }
      out.x509.push_back({issuer, *parsed, query.get_int64(5), listed_until});
    }
  }
  return out;
}

Result<PublicationNumbers> take_publication_numbers(Store& store, bool krl, bool crl,
                                                    const std::string& actor,
                                                    const PublicationCounts& counts) {
  PublicationNumbers numbers;
  const auto ec = store.write_sync([&](WriteContext& tx) {
    PublicationNumbers taken;
    boost::json::object details;
    if (krl) {
      taken.krl_version = bump(tx.db(), "krl_version");
      details["krl_version"] = *taken.krl_version;
      details["ssh_revoked"] = counts.ssh_revoked;
    }
    if (crl) {
      taken.crl_number = bump(tx.db(), "crl_number");
      details["crl_number"] = *taken.crl_number;
      details["x509_revoked"] = counts.x509_revoked;
    }
    details["skipped"] = counts.skipped;
    tx.audit({actor, "revocation.publish", "revocation", boost::json::serialize(details)});
    numbers = taken;  // the job commits from here on (a later batch failure reports its error)
    return boost::system::error_code{};
  });
  if (ec) return ec;
  return numbers;
}

Result<ca::BuiltKrl> build_revocation_krl(const ca::SshCertificateAuthority& ssh_ca,
                                          std::span<const SshRevocation> revoked,
                                          std::uint64_t version, std::chrono::sys_seconds now) {
  const auto keys = ssh_ca.keys();
  ca::KrlBuilder builder;
  builder.reserve(revoked.size());
  for (const auto& revocation : revoked) {
    if (revocation.ca_key >= keys.size()) return ca::CaErrc::invalid_argument;
    auto added = builder.add(keys[revocation.ca_key].public_key(),
                             {revocation.serial, revocation.key_id, revocation.listed_until});
    if (!added) return added.error();
  }
  return builder.build(version, now, "jitbroker");
}

Result<ca::BuiltCrl> build_revocation_crl(const ca::X509CertificateAuthority& issuer,
                                          std::span<const X509Revocation> revoked,
                                          std::uint64_t crl_number,
                                          std::chrono::sys_seconds this_update,
                                          std::chrono::sys_seconds next_update,
                                          std::chrono::sys_seconds now) {
  std::vector<ca::CrlEntry> entries;
  entries.reserve(revoked.size());
  for (const auto& revocation : revoked) {
    ca::CrlEntry entry;
    entry.serial = revocation.serial;
    entry.revoked_at =
        std::chrono::system_clock::time_point(std::chrono::seconds(revocation.revoked_at));
    entry.reason = ca::CrlReason::unspecified;
    // The CRL builder leaves out entries whose not_after passed: give it the end of the listing.
    entry.not_after =
        std::chrono::system_clock::time_point(std::chrono::seconds(revocation.listed_until));
    entries.push_back(entry);
  }
  return ca::build_crl(issuer, entries, crl_number, this_update, next_update, now);
}

}  // namespace jit::broker
