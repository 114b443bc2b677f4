// RevocationPublisher over a real store: what the lists contain (parsed back with ca/krl.hpp and
// OpenSSL), when they are rebuilt and with which numbers, expiry, a reopened store, concurrent
// revocations, the root key offline, and the refresh timer.
#include "support/revocation_fixture.hpp"

#include "ca/openssl_handles.hpp"
#include "ca/x509_serial.hpp"
#include "tests/support/test_audit_key.hpp"

#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <map>
#include <thread>

namespace jit::broker {
namespace {

using jit::testing::RevocationFixture;
using namespace std::chrono_literals;

ca::Krl parse_krl_text(const std::string& bytes) {
  auto krl = ca::parse_krl(ca::as_bytes(bytes));
  EXPECT_TRUE(krl) << krl.error().message();
  return krl ? std::move(*krl) : ca::Krl{};
}

ca::X509CrlPtr parse_crl(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ca::X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  EXPECT_TRUE(crl);
  EXPECT_EQ(p, reinterpret_cast<const unsigned char*>(der.data() + der.size()));
  return crl;
}

std::int64_t crl_number_of(X509_CRL* crl) {
  ca::Asn1IntegerPtr number(
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr)));
  return number ? ASN1_INTEGER_get(number.get()) : -1;
}

// Serial (lowercase hex) -> revocation time of every entry, and whether any has a reason code.
std::map<std::string, std::int64_t> crl_entries(X509_CRL* crl, bool& any_reason) {
  std::map<std::string, std::int64_t> out;
  any_reason = false;
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl);
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    X509_REVOKED* entry = sk_X509_REVOKED_value(revoked, i);
    const ASN1_INTEGER* serial = X509_REVOKED_get0_serialNumber(entry);
    const auto serial_bytes = ca::ByteView(reinterpret_cast<const std::byte*>(serial->data),
                                           static_cast<std::size_t>(serial->length));
    std::chrono::system_clock::time_point when;
    EXPECT_TRUE(ca::asn1_time_to_time_point(X509_REVOKED_get0_revocationDate(entry), when));
    out[ca::hex_encode(serial_bytes)] =
        std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
    if (X509_REVOKED_get_ext_by_NID(entry, NID_crl_reason, -1) >= 0) any_reason = true;
  }
  return out;
}

bool signed_by(X509_CRL* crl, const ca::X509CertificateAuthority& ca) {
  EVP_PKEY* key = X509_get0_pubkey(ca.certificate());
  return X509_CRL_verify(crl, key) == 1 &&
         X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca.certificate())) == 0;
}

class RevocationPublisherTest : public ::testing::Test, public RevocationFixture {};

TEST_F(RevocationPublisherTest, FirstRebuildPublishesEmptyListsWithNumberOneAndAnAuditRecord) {
  auto publisher = make_publisher();
  EXPECT_EQ(publisher->snapshot(), nullptr);
  ASSERT_FALSE(publisher->rebuild());
  const auto snapshot = publisher->snapshot();
  ASSERT_NE(snapshot, nullptr);
  const auto krl = parse_krl_text(snapshot->krl->bytes);
  EXPECT_EQ(krl.version, 1u);
  EXPECT_EQ(krl.generated_date, static_cast<std::uint64_t>(now_.load()));
  EXPECT_TRUE(krl.certificate_scopes.empty());
  EXPECT_EQ(snapshot->krl->version, 1u);

  const auto crl = parse_crl(snapshot->crls->der);
  ASSERT_TRUE(crl);
  EXPECT_TRUE(signed_by(crl.get(), x509_ca_.issuing()));
  EXPECT_EQ(crl_number_of(crl.get()), 1);
  EXPECT_EQ(X509_CRL_get_REVOKED(crl.get()), nullptr);       // absent when empty (RFC 5280)
  EXPECT_EQ(snapshot->crls->this_update, now_.load() - 30);  // backdated by the clock skew
  EXPECT_EQ(snapshot->crls->next_update, now_.load() + 300);
  EXPECT_EQ(snapshot->crls->refresh_at, now_.load() + 150);
  EXPECT_TRUE(snapshot->crls->pem.starts_with("-----BEGIN X509 CRL-----\n"));
  EXPECT_TRUE(snapshot->crls->root_pem.starts_with("-----BEGIN X509 CRL-----\n"));
  EXPECT_EQ(snapshot->crls->bundle_pem, snapshot->crls->pem + snapshot->crls->root_pem);

  EXPECT_EQ(counter("krl_version"), 1);
  EXPECT_EQ(counter("crl_number"), 1);
  EXPECT_EQ(audit_count("revocation.publish"), 1);
  const auto details = boost::json::parse(last_audit_details("revocation.publish"));
  EXPECT_EQ(details, boost::json::parse(R"({"krl_version":1,"ssh_revoked":0,"crl_number":1,)"
                                        R"("x509_revoked":0,"skipped":0})"));
}

TEST_F(RevocationPublisherTest, ListsRevokedUnexpiredCertificatesOnly) {
  const std::int64_t later = now_ + 3600;
  const auto revoked = issue_ssh(5, later);
  const auto kept = issue_ssh(6, later);
  insert_certificate("ssh", "5", ssh_ca_key(), later, now_ - 10);
  insert_certificate("ssh", "6", ssh_ca_key(), later);
  insert_certificate("ssh", "7", ssh_ca_key(0), later, now_ - 5);  // the older CA key
  const auto x_revoked = *ca::random_serial();
  const auto x_kept = *ca::random_serial();
  insert_certificate("x509", x_revoked.hex(), x509_fingerprint_, later, now_ - 20);
  insert_certificate("x509", x_kept.hex(), x509_fingerprint_, later);

  auto publisher = make_publisher();
  ASSERT_FALSE(publisher->rebuild());
  const auto snapshot = publisher->snapshot();
  const auto krl = parse_krl_text(snapshot->krl->bytes);
  EXPECT_TRUE(ca::is_revoked(krl, revoked));
  EXPECT_FALSE(ca::is_revoked(krl, kept));
  ASSERT_EQ(krl.certificate_scopes.size(), 2u);  // one per CA key
  for (const auto& scope : krl.certificate_scopes) {
    const bool newest =
        std::ranges::equal(scope.ca_key_blob, ssh_ca_.keys()[1].public_key().blob());
    EXPECT_EQ(scope.serials, (std::vector<ca::KrlSerialRange>{newest ? ca::KrlSerialRange{5, 5}
                                                                     : ca::KrlSerialRange{7, 7}}));
    EXPECT_TRUE(scope.key_ids.empty());
  }
  EXPECT_EQ(snapshot->krl->revoked, 2u);

  const auto crl = parse_crl(snapshot->crls->der);
  bool any_reason = true;
  const auto entries = crl_entries(crl.get(), any_reason);
  EXPECT_EQ(entries, (std::map<std::string, std::int64_t>{{x_revoked.hex(), now_ - 20}}));
  EXPECT_FALSE(any_reason);  // "unspecified" is written as no reasonCode
  EXPECT_EQ(snapshot->crls->revoked, 1u);
}

TEST_F(RevocationPublisherTest, SkipsRowsOfCaKeysItDoesNotHoldAndFallsBackToKeyIdForBadSerials) {
  const std::int64_t later = now_ + 3600;
  insert_certificate("ssh", "11", "SHA256:not-one-of-ours", later, now_);
  insert_certificate("x509", ca::random_serial()->hex(), std::string(64, 'a'), later, now_);
  insert_certificate("ssh", "012", ssh_ca_key(), later, now_, "jit:req-bad:bob:prod-db-read",
                     "grt-2");
  insert_certificate("ssh", "not-a-number", ssh_ca_key(), later, now_, "", "grt-3");
  insert_certificate("x509", "zz", x509_fingerprint_, later, now_);

  auto publisher = make_publisher();
  ASSERT_FALSE(publisher->rebuild());
  const auto snapshot = publisher->snapshot();
  const auto krl = parse_krl_text(snapshot->krl->bytes);
  ASSERT_EQ(krl.certificate_scopes.size(), 1u);
  EXPECT_TRUE(krl.certificate_scopes[0].serials.empty());
  EXPECT_EQ(krl.certificate_scopes[0].key_ids,
            std::vector<std::string>{"jit:req-bad:bob:prod-db-read"});
  EXPECT_EQ(snapshot->crls->revoked, 0u);
  const auto details = boost::json::parse(last_audit_details("revocation.publish"));
  EXPECT_EQ(details.at("skipped"), 4);
  EXPECT_EQ(details.at("ssh_revoked"), 1);
}

TEST_F(RevocationPublisherTest, NothingChangedMeansNoRebuildAndTheSameNumbers) {
  insert_certificate("ssh", "5", ssh_ca_key(), now_ + 3600, now_);
  auto publisher = make_publisher();
  ASSERT_FALSE(publisher->rebuild());
  const auto first = publisher->snapshot();
  now_ += 60;  // well before the CRL's refresh time
  ASSERT_FALSE(publisher->rebuild());
  ASSERT_FALSE(publisher->rebuild());
  EXPECT_EQ(publisher->snapshot(), first);
  EXPECT_EQ(publisher->published(), 1u);
  EXPECT_EQ(counter("krl_version"), 1);
  EXPECT_EQ(counter("crl_number"), 1);
  EXPECT_EQ(audit_count("revocation.publish"), 1);
}

TEST_F(RevocationPublisherTest, EachListIsRebuiltOnlyWhenItsOwnCertificatesChange) {
  auto publisher = make_publisher();
  ASSERT_FALSE(publisher->rebuild());
  const auto first = publisher->snapshot();

  insert_certificate("ssh", "5", ssh_ca_key(), now_ + 3600);
  ASSERT_FALSE(publisher->rebuild());  // an unrevoked certificate changes nothing
  EXPECT_EQ(publisher->snapshot(), first);

  revoke("ssh", "5", now_);
  ASSERT_FALSE(publisher->rebuild());
  const auto second = publisher->snapshot();
  EXPECT_EQ(second->krl->version, 2u);
  EXPECT_NE(second->krl->etag, first->krl->etag);
  EXPECT_EQ(second->crls, first->crls);  // same CRL object: not re-signed

  const auto serial = ca::random_serial()->hex();
  insert_certificate("x509", serial, x509_fingerprint_, now_ + 3600, now_);
  ASSERT_FALSE(publisher->rebuild());
  const auto third = publisher->snapshot();
  EXPECT_EQ(third->krl, second->krl);
  EXPECT_EQ(third->crls->number, 2u);
  EXPECT_EQ(crl_number_of(parse_crl(third->crls->der).get()), 2);
  EXPECT_NE(third->crls->der_etag, second->crls->der_etag);
  EXPECT_EQ(counter("krl_version"), 2);
  EXPECT_EQ(counter("crl_number"), 2);
}

TEST_F(RevocationPublisherTest, CrlIsReSignedOnceItReachesHalfItsLifetime) {
  auto publisher = make_publisher(300s);
  ASSERT_FALSE(publisher->rebuild());
  const auto first = publisher->snapshot();
  now_ += 149;
  ASSERT_FALSE(publisher->rebuild());
  EXPECT_EQ(publisher->snapshot(), first);
  now_ += 1;
  ASSERT_FALSE(publisher->rebuild());
  const auto second = publisher->snapshot();
  EXPECT_EQ(second->crls->number, 2u);
  EXPECT_EQ(second->crls->next_update, now_.load() + 300);
  EXPECT_EQ(second->krl, first->krl);  // the KRL has no expiry: untouched
  EXPECT_EQ(counter("krl_version"), 1);
}

TEST_F(RevocationPublisherTest, ExpiredCertificatesDropOutOfBothLists) {
  const auto x_serial = ca::random_serial()->hex();
  insert_certificate("ssh", "5", ssh_ca_key(), now_ + 100, now_);
  insert_certificate("ssh", "6", ssh_ca_key(), now_ + 1000, now_);
  insert_certificate("x509", x_serial, x509_fingerprint_, now_ + 100, now_);
  auto publisher = make_publisher();
  ASSERT_FALSE(publisher->rebuild());
  EXPECT_EQ(publisher->snapshot()->krl->revoked, 2u);
  EXPECT_EQ(publisher->snapshot()->crls->revoked, 1u);

  // Issuance backdates by the clock skew (30 s here), so a host whose clock is that far behind
  // still takes the certificate after not_after: it stays listed until not_after + skew.
  now_ += 100 + 30;
  ASSERT_FALSE(publisher->rebuild());
  const auto snapshot = publisher->snapshot();
  const auto krl = parse_krl_text(snapshot->krl->bytes);
  ASSERT_EQ(krl.certificate_scopes.size(), 1u);
  EXPECT_EQ(krl.certificate_scopes[0].serials, (std::vector<ca::KrlSerialRange>{{6, 6}}));
  EXPECT_EQ(snapshot->krl->version, 2u);
  EXPECT_EQ(X509_CRL_get_REVOKED(parse_crl(snapshot->crls->der).get()), nullptr);
  EXPECT_EQ(snapshot->crls->number, 2u);
}

TEST_F(RevocationPublisherTest, EntriesStayListedUntilNotAfterPlusClockSkew) {
  const auto x_serial = ca::random_serial()->hex();
  insert_certificate("ssh", "5", ssh_ca_key(), now_ + 100, now_);
  insert_certificate("x509", x_serial, x509_fingerprint_, now_ + 100, now_);
  auto publisher = make_publisher();  // clock skew 30 s
  for (const std::int64_t step : {100, 29}) {
    now_ += step;  // at not_after, then one second before not_after + skew
    ASSERT_FALSE(publisher->rebuild());
    const auto snapshot = publisher->snapshot();
    const auto krl = parse_krl_text(snapshot->krl->bytes);
    ASSERT_EQ(krl.certificate_scopes.size(), 1u) << "after " << step;
    EXPECT_EQ(krl.certificate_scopes[0].serials, (std::vector<ca::KrlSerialRange>{{5, 5}}));
    bool any_reason = false;
    const auto entries = crl_entries(parse_crl(snapshot->crls->der).get(), any_reason);
    EXPECT_EQ(entries.count(x_serial), 1u) << "after " << step;
  }
  now_ += 1;  // not_after + skew: no host takes the certificate any more
  ASSERT_FALSE(publisher->rebuild());
  const auto snapshot = publisher->snapshot();
  EXPECT_TRUE(parse_krl_text(snapshot->krl->bytes).certificate_scopes.empty());
  EXPECT_EQ(X509_CRL_get_REVOKED(parse_crl(snapshot->crls->der).get()), nullptr);
}

TEST_F(RevocationPublisherTest, NumbersKeepGrowingAcrossAReopenedStore) {
  insert_certificate("ssh", "5", ssh_ca_key(), now_ + 3600, now_);
  {
    auto publisher = make_publisher();
    ASSERT_FALSE(publisher->rebuild());
    revoke("ssh", "5", now_ + 1);  // revoked_at changes: not an SSH change (serial list is equal)
    insert_certificate("x509", ca::random_serial()->hex(), x509_fingerprint_, now_ + 3600, now_);
    ASSERT_FALSE(publisher->rebuild());
    EXPECT_EQ(publisher->snapshot()->krl->version, 1u);
    EXPECT_EQ(publisher->snapshot()->crls->number, 2u);
  }
  store_.reset();
  store_ = Store::open(dir_ / "broker.db", jit::testing::test_audit_key());
  auto publisher = make_publisher();
  ASSERT_FALSE(publisher->rebuild());
  EXPECT_EQ(publisher->snapshot()->krl->version, 2u);
  EXPECT_EQ(publisher->snapshot()->crls->number, 3u);
  EXPECT_EQ(parse_krl_text(publisher->snapshot()->krl->bytes).version, 2u);
  EXPECT_EQ(crl_number_of(parse_crl(publisher->snapshot()->crls->der).get()), 3);
}

TEST_F(RevocationPublisherTest, ConcurrentRevocationsAndRebuildsLoseNothing) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 16;
  for (int i = 1; i <= kThreads * kPerThread; ++i) {
    insert_certificate("ssh", std::to_string(i), ssh_ca_key(), now_ + 3600);
  }
  auto publisher = make_publisher();
  ASSERT_FALSE(publisher->rebuild());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int serial = t * kPerThread + i + 1;
        revoke("ssh", std::to_string(serial), now_);
        // Right after rebuild() returns, the caller's own revocation must be published.
        if (publisher->rebuild()) ++failures;
        const auto krl = parse_krl_text(publisher->snapshot()->krl->bytes);
        bool listed = false;
        for (const auto& scope : krl.certificate_scopes) {
          for (const auto& range : scope.serials) {
            listed |= range.first <= static_cast<std::uint64_t>(serial) &&
                      static_cast<std::uint64_t>(serial) <= range.last;
          }
        }
        if (!listed) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  const auto krl = parse_krl_text(publisher->snapshot()->krl->bytes);
  ASSERT_EQ(krl.certificate_scopes.size(), 1u);
  EXPECT_EQ(krl.certificate_scopes[0].serials,
            (std::vector<ca::KrlSerialRange>{{1, kThreads * kPerThread}}));
  // Versions only grew, one per published KRL, and published KRLs never outnumber rebuild calls.
  EXPECT_EQ(static_cast<std::uint64_t>(counter("krl_version")),
            publisher->snapshot()->krl->version);
  EXPECT_LE(publisher->published(), static_cast<std::uint64_t>(kThreads * kPerThread + 1));
}

TEST_F(RevocationPublisherTest, WithTheRootKeyOfflineThereIsNoRootCrl) {
  const ca::X509HierarchyFiles files{
      dir_ / "root.crt", {}, dir_ / "issuing.crt", dir_ / "issuing.key"};
  ASSERT_TRUE(x509_ca_.save(files, std::nullopt));
  auto offline = ca::load_hierarchy(files, std::nullopt, std::chrono::system_clock::now());
  ASSERT_TRUE(offline);
  ASSERT_EQ(offline->root(), nullptr);
  RevocationPublisher publisher(*store_, ssh_ca_, *offline, {}, [this] { return now_.load(); });
  ASSERT_FALSE(publisher.rebuild());
  const auto crls = publisher.snapshot()->crls;
  EXPECT_TRUE(crls->root_pem.empty());
  EXPECT_EQ(crls->bundle_pem, crls->pem);
  EXPECT_TRUE(signed_by(parse_crl(crls->der).get(), offline->issuing()));
}

TEST_F(RevocationPublisherTest, RefusesSettingsThatCannotWork) {
  RevocationSettings settings;
  settings.crl_next_update = 1s;
  EXPECT_THROW(RevocationPublisher(*store_, ssh_ca_, x509_ca_, settings), std::invalid_argument);
}

TEST_F(RevocationPublisherTest, PollPublishesARevocationCommittedElsewhereWithinAPollInterval) {
  RevocationSettings settings;  // the real clock; CRL refresh far away (2.5 min)
  RevocationPublisher publisher(*store_, ssh_ca_, x509_ca_, settings);
  boost::asio::io_context io;
  publisher.start(io);
  // Another process revokes: the certificate row and the generation, in one transaction, and
  // nobody calls rebuild().
  insert_certificate("ssh", "9", ssh_ca_key(), wall_now() + 3600);
  exec("UPDATE certificates SET revoked_at = " + std::to_string(wall_now()) +
       " WHERE serial = '9'; UPDATE counters SET value = value + 1 WHERE name = "
       "'revocation_generation'");
  io.run_for(650ms);  // the poll interval is 250 ms
  const auto krl = parse_krl_text(publisher.snapshot()->krl->bytes);
  ASSERT_EQ(krl.certificate_scopes.size(), 1u);
  EXPECT_EQ(krl.certificate_scopes[0].serials, (std::vector<ca::KrlSerialRange>{{9, 9}}));
  // Nothing moved since: the polls read one row and publish nothing.
  const auto published = publisher.published();
  io.run_for(750ms);
  EXPECT_EQ(publisher.published(), published);
  publisher.stop();
}

TEST_F(RevocationPublisherTest, StartPublishesAndTheTimerReSignsTheCrlBeforeNextUpdate) {
  // The real clock: the timer waits on steady time until the CRL's refresh_at.
  RevocationSettings settings;
  settings.crl_next_update = 2s;  // refresh after 1 s
  RevocationPublisher publisher(*store_, ssh_ca_, x509_ca_, settings);
  boost::asio::io_context io;
  publisher.start(io);
  ASSERT_NE(publisher.snapshot(), nullptr);
  EXPECT_EQ(publisher.snapshot()->crls->number, 1u);
  io.run_for(1800ms);
  EXPECT_GE(publisher.snapshot()->crls->number, 2u);
  EXPECT_EQ(publisher.snapshot()->krl->version, 1u);

  // rebuild_async publishes a revocation from the io_context.
  insert_certificate("ssh", "9", ssh_ca_key(), wall_now() + 3600, wall_now());
  publisher.rebuild_async();
  io.run_for(300ms);
  EXPECT_EQ(publisher.snapshot()->krl->version, 2u);

  publisher.stop();
  publisher.rebuild_async();  // ignored once stopped
  io.restart();
  const auto crl_number = publisher.snapshot()->crls->number;
  io.run_for(1500ms);
  EXPECT_TRUE(io.stopped());  // ran out of work at once: no timer is armed any more
  EXPECT_EQ(publisher.snapshot()->crls->number, crl_number);
  EXPECT_EQ(publisher.snapshot()->krl->version, 2u);
}

}  // namespace
}  // namespace jit::broker
