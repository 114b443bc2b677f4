#include "broker/workers/revocation_publisher.hpp"
#include "broker/store/db/db_connection.hpp"

#include "broker/log.hpp"
#include "broker/store/access_records.hpp"
#include "ca/bytes.hpp"
#include "ca/x509_digest.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <stdexcept>

namespace jit::broker {
namespace {

constexpr std::chrono::seconds kRetryAfterFailure{10};
// A generation that moved is retried by the poll at most this often while rebuilds fail.
constexpr std::chrono::milliseconds kPollRetryAfterFailure{1000};

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t system_unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> x509_fingerprints_or_throw(const ca::X509CaHierarchy& x509_ca) {
  auto fingerprints = x509_issuer_fingerprints(x509_ca);
  if (!fingerprints) throw std::runtime_error("cannot hash the issuing CA certificates");
  return std::move(*fingerprints);
}

// A strong ETag: the list's number, for people reading logs, and a digest of the exact bytes, so
// the tag changes with the representation even if a number were ever reused (a restored backup).
Result<std::string> etag_of(std::string_view kind, std::uint64_t number, std::string_view bytes) {
  auto digest = ca::compute_digest(ca::DigestKind::sha256, ca::as_bytes(bytes));
  if (!digest) return digest.error();
  return "\"" + std::string(kind) + "-" + std::to_string(number) + "-" +
         ca::hex_encode(ca::ByteView(*digest).first(16)) + "\"";
}

}  // namespace

RevocationPublisher::RevocationPublisher(Store& store, const ca::SshCertificateAuthority& ssh_ca,
                                         const ca::X509CaHierarchy& x509_ca,
                                         RevocationSettings settings, Clock clock)
    : store_(store),
      ssh_ca_(ssh_ca),
      x509_ca_(x509_ca),
      settings_(settings),
      clock_(clock ? std::move(clock) : Clock(system_unix_seconds)),
      issuer_fingerprints_(x509_fingerprints_or_throw(x509_ca)),
      sources_(ssh_ca, issuer_fingerprints_, settings.clock_skew) {
  if (settings_.crl_next_update < std::chrono::seconds(2) ||
      settings_.clock_skew < std::chrono::seconds(0) ||
      settings_.poll_interval < std::chrono::milliseconds(10)) {
    throw std::invalid_argument(
        "CRL lifetime must be at least 2 s, the clock skew not negative and the poll interval at "
        "least 10 ms");
  }
}

RevocationPublisher::~RevocationPublisher() { stop(); }

std::shared_ptr<const RevocationSnapshot> RevocationPublisher::snapshot() const {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_;
}

boost::system::error_code RevocationPublisher::rebuild() {
  // The caller's revocation committed before this increment, so any rebuild that reads the
  // counter at or past our ticket before reading the database sees that revocation.
  const std::uint64_t ticket = tickets_.fetch_add(1) + 1;
  std::lock_guard lock(rebuild_mutex_);
  if (covered_ >= ticket) return {};
  const std::uint64_t covers = tickets_.load();
  const auto ec = rebuild_locked();
  if (ec) {
    ++failures_;
    last_failure_ms_ = steady_ms();
    return ec;
  }
  covered_ = covers;
  return {};
}

boost::system::error_code RevocationPublisher::rebuild_locked() {
  const std::int64_t now = clock_();
  RevokedCertificates revoked;
  std::int64_t generation = 0;
  try {
    // The generation first: the certificates read after it include every revocation up to it.
    revoked = store_.read([&](db::Connection& db) {
      generation = revocation_generation(db);
      return sources_.load(db, now);
    });
  } catch (const db::Error&) {
    return BrokerErrc::unavailable;
  } catch (const std::runtime_error&) {  // the counter row is missing: a damaged database
    return BrokerErrc::internal;
  }
  const auto current = snapshot();
  const bool krl_due = !current || !last_ssh_ || *last_ssh_ != revoked.ssh;
  const bool crls_due =
      !current || !last_x509_ || *last_x509_ != revoked.x509 || now >= current->crls->refresh_at;
  if (!krl_due && !crls_due) {
    generation_ = generation;
    return {};
  }

  auto numbers =
      take_publication_numbers(store_, krl_due, crls_due, "system",
                               {revoked.ssh.size(), revoked.x509.size(), revoked.skipped});
  if (!numbers) return numbers.error();
  auto next = std::make_shared<RevocationSnapshot>();
  if (current) *next = *current;
  const std::chrono::sys_seconds now_time{std::chrono::seconds(now)};

  if (krl_due) {
    auto built = build_revocation_krl(ssh_ca_, revoked.ssh, *numbers->krl_version, now_time);
    if (!built) return built.error();
    auto krl = std::make_shared<PublishedKrl>();
    krl->version = *numbers->krl_version;
    krl->bytes = std::string(ca::as_chars(built->bytes));
    auto etag = etag_of("krl", krl->version, krl->bytes);
    if (!etag) return etag.error();
    krl->etag = std::move(*etag);
    krl->revoked = built->revoked_serials + built->revoked_key_ids;
    next->krl = std::move(krl);
  }

  if (crls_due) {
    const std::uint64_t number = *numbers->crl_number;
    const auto this_update = now_time - settings_.clock_skew;
    const auto next_update = now_time + settings_.crl_next_update;
    // One CRL per issuing CA, each with the entries of its own certificates.
    const auto& previous = x509_ca_.previous_issuing();
    std::vector<std::vector<X509Revocation>> by_issuer(1 + previous.size());
    for (const auto& revocation : revoked.x509) by_issuer[revocation.issuer].push_back(revocation);
    auto issuing = build_revocation_crl(x509_ca_.issuing(), by_issuer[0], number, this_update,
                                        next_update, now_time);
    if (!issuing) return issuing.error();
    auto crls = std::make_shared<PublishedCrls>();
    crls->number = number;
    crls->der = std::string(ca::as_chars(issuing->der));
    crls->pem = std::move(issuing->pem);
    crls->revoked = issuing->listed;
    crls->by_issuer.push_back({issuer_fingerprints_.at(0), crls->der, {}});
    for (std::size_t i = 0; i < previous.size(); ++i) {
      auto crl = build_revocation_crl(previous[i], by_issuer[i + 1], number, this_update,
                                      next_update, now_time);
      if (!crl) return crl.error();
      crls->previous_pem += crl->pem;
      crls->revoked += crl->listed;
      crls->by_issuer.push_back(
          {issuer_fingerprints_.at(i + 1), std::string(ca::as_chars(crl->der)), {}});
    }
    crls->this_update = this_update.time_since_epoch().count();
    crls->next_update = next_update.time_since_epoch().count();
    crls->refresh_at = now + std::max<std::int64_t>(1, settings_.crl_next_update.count() / 2);
    if (const ca::X509CertificateAuthority* root = x509_ca_.root()) {
      // The root certifies only the issuing CA, which is never revoked here: an empty list, but
      // one relying parties that check the whole chain (nginx ssl_crl) need.
      auto root_crl = ca::build_crl(*root, {}, number, this_update, next_update, now_time);
      if (!root_crl) return root_crl.error();
      crls->root_pem = std::move(root_crl->pem);
    }
    crls->bundle_pem = crls->pem + crls->previous_pem + crls->root_pem;
    for (auto [etag, kind, bytes] :
         {std::tuple{&crls->der_etag, "crl", &crls->der},
          std::tuple{&crls->pem_etag, "crl-pem", &crls->pem},
          std::tuple{&crls->bundle_etag, "crl-bundle", &crls->bundle_pem}}) {
      auto tag = etag_of(kind, number, *bytes);
      if (!tag) return tag.error();
      *etag = std::move(*tag);
    }
    for (auto& issuer : crls->by_issuer) {
      auto tag = etag_of("crl-" + issuer.fingerprint.substr(0, 16), number, issuer.der);
      if (!tag) return tag.error();
      issuer.etag = std::move(*tag);
    }
    next->crls = std::move(crls);
  }

  if (krl_due) last_ssh_ = std::move(revoked.ssh);
  if (crls_due) last_x509_ = std::move(revoked.x509);
  {
    std::lock_guard lock(snapshot_mutex_);
    snapshot_ = std::move(next);
  }
  generation_ = generation;
  ++published_;
  return {};
}

void RevocationPublisher::start(boost::asio::io_context& io) {
  if (const auto ec = rebuild()) {
    throw std::runtime_error("cannot publish the revocation lists: " + ec.message());
  }
  {
    std::lock_guard lock(timer_mutex_);
    io_ = &io;
    stopped_ = false;
    timer_.emplace(io);
    poll_timer_.emplace(io);
  }
  after_rebuild({});
  arm_poll();
}

void RevocationPublisher::stop() {
  std::lock_guard lock(timer_mutex_);
  stopped_ = true;
  io_ = nullptr;
  // Destroying a timer cancels its wait; the handler then sees operation_aborted and returns.
  timer_.reset();
  poll_timer_.reset();
}

void RevocationPublisher::rebuild_async(std::function<void(boost::system::error_code)> then) {
  {
    std::lock_guard lock(timer_mutex_);
    if (io_ != nullptr && !stopped_) {
      boost::asio::post(*io_, [this, then = std::move(then)] {
        const auto ec = rebuild();
        after_rebuild(ec);
        if (then) then(ec);
      });
      return;
    }
  }
  if (then) then(BrokerErrc::unavailable);
}

void RevocationPublisher::arm_poll() {
  std::lock_guard lock(timer_mutex_);
  if (stopped_ || !poll_timer_) return;
  poll_timer_->expires_after(settings_.poll_interval);
  poll_timer_->async_wait([this](boost::system::error_code wait_ec) {
    if (!wait_ec) on_poll();
  });
}

void RevocationPublisher::on_poll() {
  {
    std::lock_guard lock(timer_mutex_);
    if (stopped_) return;
  }
  check_generation();
  arm_poll();
}

void RevocationPublisher::check_generation() {
  std::int64_t generation = -1;
  try {
    generation = store_.read([](db::Connection& db) { return revocation_generation(db); });
  } catch (const std::exception&) {
    // The next poll reads again; a rebuild now would fail on the same storage.
  }
  const bool moved = generation >= 0 && generation != generation_.load();
  const bool backing_off = steady_ms() - last_failure_ms_.load() < kPollRetryAfterFailure.count();
  if (moved && !backing_off) after_rebuild(rebuild());
}

void RevocationPublisher::after_rebuild(boost::system::error_code ec) {
  std::chrono::seconds delay = kRetryAfterFailure;
  if (ec) {
    // The daemon's log; the error names a kind of failure, never a secret.
    log_event(
        LogLevel::error, "revocation_lists_not_rebuilt",
        {{"error", ec.message()}, {"retry_in_s", std::to_string(kRetryAfterFailure.count())}});
  } else if (const auto current = snapshot()) {
    delay = std::chrono::seconds(current->crls->refresh_at - clock_());
  }
  delay = std::clamp(delay, std::chrono::seconds(1), settings_.crl_next_update);
  std::lock_guard lock(timer_mutex_);
  if (stopped_ || !timer_) return;
  timer_->expires_after(delay);
  // A cancelled wait (stop, or re-armed by a later rebuild) touches nothing of this object.
  timer_->async_wait([this](boost::system::error_code wait_ec) {
    if (!wait_ec) on_timer();
  });
}

void RevocationPublisher::on_timer() {
  {
    std::lock_guard lock(timer_mutex_);
    if (stopped_) return;
  }
  after_rebuild(rebuild());
}

}  // namespace jit::broker
