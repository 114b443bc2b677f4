// A store in a temporary folder with the tables the revocation lists read, real CAs (an Ed25519 SSH
// CA and a P-256 X.509 hierarchy), a clock the test moves, and helpers that insert and revoke
// certificate rows with SQL, as the minting and revocation code of the API would.
#pragma once

#include "broker/service/revocation_lists.hpp"
#include "broker/store/store.hpp"
#include "broker/workers/revocation_publisher.hpp"
#include "ca/krl.hpp"
#include "ca/private_key.hpp"
#include "ca/ssh_certificate_authority.hpp"
#include "ca/x509_hierarchy.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_audit_key.hpp"

#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace jit::testing {

inline ca::SshCertificateAuthority make_test_ssh_ca(std::size_t keys = 1) {
  std::vector<ca::SshCaKey> list;
  for (std::size_t i = 0; i < keys; ++i) list.push_back(*ca::SshCaKey::generate());
  return *ca::SshCertificateAuthority::create(std::move(list));
}

inline ca::X509CaHierarchy make_test_hierarchy() {
  return *ca::create_dev_hierarchy(ca::KeyAlgorithm::ecdsa_p256, {}, {},
                                   std::chrono::system_clock::now());
}

class RevocationFixture {
 public:
  RevocationFixture()
      : store_(broker::Store::open(dir_ / "broker.db", test_audit_key())),
        ssh_ca_(make_test_ssh_ca(2)),
        x509_ca_(make_test_hierarchy()),
        x509_fingerprint_(*broker::x509_ca_fingerprint(x509_ca_.issuing())) {}

  std::unique_ptr<broker::RevocationPublisher> make_publisher(
      std::chrono::seconds crl_next_update = std::chrono::minutes(5)) {
    broker::RevocationSettings settings;
    settings.crl_next_update = crl_next_update;
    settings.clock_skew = std::chrono::seconds(30);
    return std::make_unique<broker::RevocationPublisher>(*store_, ssh_ca_, x509_ca_, settings,
                                                         [this] { return now_.load(); });
  }

  // The fingerprint certificates.ca_key holds for SSH key `index` (0 = oldest).
  std::string ssh_ca_key(std::size_t index = 1) const {
    return ssh_ca_.keys()[index].public_key().fingerprint_sha256();
  }

  void exec(const std::string& sql) {
    const auto ec = store_->write_sync([&](broker::WriteContext& tx) {
      tx.sqlite().exec(sql);
      return boost::system::error_code{};
    });
    ASSERT_FALSE(ec) << sql;
  }

  // A request and its grant, which certificates reference.
  void ensure_grant(const std::string& grant) {
    exec(
        "INSERT OR IGNORE INTO requests(id, requester, role, reason, ticket, duration_s, state, "
        "created_at, pending_deadline) VALUES ('req-" +
        grant + "', 'alice', 'prod-db-read', 'r', 't', 3600, 'active', 0, 0)");
    exec(
        "INSERT OR IGNORE INTO grants(id, request_id, user, role, not_before, not_after, state) "
        "VALUES ('" +
        grant + "', 'req-" + grant + "', 'alice', 'prod-db-read', 0, 0, 'active')");
  }

  void insert_certificate(const std::string& kind, const std::string& serial,
                          const std::string& ca_key, std::int64_t not_after,
                          std::optional<std::int64_t> revoked_at = std::nullopt,
                          const std::string& key_id = "jit:req-1:alice:prod-db-read",
                          const std::string& grant = "grt-1") {
    ensure_grant(grant);
    const auto ec = store_->write_sync([&](broker::WriteContext& tx) {
      SQLite::Statement insert(tx.sqlite(),
                               "INSERT INTO certificates(kind, serial, grant_id, ca_key, "
                               "key_fingerprint, key_id, not_after, issued_at, revoked_at) "
                               "VALUES (?, ?, ?, ?, 'SHA256:x', ?, ?, ?, ?)");
      insert.bind(1, kind);
      insert.bind(2, serial);
      insert.bind(3, grant);
      insert.bind(4, ca_key);
      insert.bind(5, key_id);
      insert.bind(6, not_after);
      insert.bind(7, now_.load());
      if (revoked_at) {
        insert.bind(8, *revoked_at);
      } else {
        insert.bind(8);
      }
      insert.exec();
      return boost::system::error_code{};
    });
    ASSERT_FALSE(ec);
  }

  void revoke(const std::string& kind, const std::string& serial, std::int64_t at) {
    exec("UPDATE certificates SET revoked_at = " + std::to_string(at) + " WHERE kind = '" + kind +
         "' AND serial = '" + serial + "'");
  }

  std::int64_t counter(const std::string& name) {
    return store_->read([&](SQLite::Database& db) {
      SQLite::Statement q(db, "SELECT value FROM counters WHERE name = ?");
      q.bind(1, name);
      q.executeStep();
      return q.getColumn(0).getInt64();
    });
  }

  std::int64_t audit_count(const std::string& action) {
    return store_->read([&](SQLite::Database& db) {
      SQLite::Statement q(db, "SELECT count(*) FROM audit WHERE action = ?");
      q.bind(1, action);
      q.executeStep();
      return q.getColumn(0).getInt64();
    });
  }

  std::string last_audit_details(const std::string& action) {
    return store_->read([&](SQLite::Database& db) {
      SQLite::Statement q(db, "SELECT details FROM audit WHERE action = ? ORDER BY seq DESC");
      q.bind(1, action);
      return q.executeStep() ? q.getColumn(0).getString() : std::string();
    });
  }

  // A user certificate signed by the CA's newest key.
  ca::SshCertificate issue_ssh(std::uint64_t serial, std::int64_t valid_before) {
    auto key = ca::generate_private_key(ca::KeyAlgorithm::ed25519);
    auto subject = ca::SshPublicKey::from_evp(key->get());
    ca::SshCertificateProfile profile;
    profile.serial = serial;
    profile.key_id = "jit:req-" + std::to_string(serial) + ":alice:prod-db-read";
    profile.principals = {"dbread"};
    profile.valid_after = std::chrono::sys_seconds(std::chrono::seconds(now_.load() - 30));
    profile.valid_before = std::chrono::sys_seconds(std::chrono::seconds(valid_before));
    return *ssh_ca_.issue_user_certificate(*subject, profile);
  }

  static std::int64_t wall_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  TempDir dir_;
  std::unique_ptr<broker::Store> store_;
  ca::SshCertificateAuthority ssh_ca_;
  ca::X509CaHierarchy x509_ca_;
  std::string x509_fingerprint_;
  std::atomic<std::int64_t> now_{wall_now()};
};

}  // namespace jit::testing
