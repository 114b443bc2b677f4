#include "support/fuzz_broker.hpp"

#include "broker/api/auth_api.hpp"
#include "broker/api/ca_api.hpp"
#include "broker/api/grants_api.hpp"
#include "broker/api/passkey_api.hpp"
#include "broker/api/requests_api.hpp"
#include "broker/api/revocation_api.hpp"
#include "broker/auth/derived_keys.hpp"
#include "broker/auth/enrollment.hpp"
#include "broker/auth/identity_service.hpp"
#include "broker/auth/session_tokens.hpp"
#include "broker/http/health_routes.hpp"
#include "broker/http/metrics.hpp"
#include "broker/http/router.hpp"
#include "broker/service/access_service.hpp"
#include "broker/service/certificate_service.hpp"
#include "broker/store/audit_chain.hpp"
#include "broker/store/store.hpp"
#include "broker/workers/revocation_publisher.hpp"
#include "ca/ssh_certificate_authority.hpp"
#include "ca/x509_hierarchy.hpp"
#include "config/policy.hpp"
#include "support/fuzz_check.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/json.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <limits>
#include <map>
#include <mutex>

namespace jit::fuzz {
namespace {

namespace json = boost::json;
using broker::HttpRequest;
using broker::HttpResponse;

// The demo policy plus a role that is approved at once, so that an active grant costs one write.
constexpr std::string_view kPolicy = R"yaml(
groups:
  developers: [alice, bob]
  sre-leads: [carol, dave]
  oncall: [erin]
  auditors: [frank]
roles:
  prod-db-read:
    requestable_by: [developers]
    approvers: [sre-leads]
    approvals_required: 2
    max_duration: 1h
    require_reason: true
    require_ticket: true
    ssh: { principals: [dbread], extensions: [permit-pty], source_address: [127.0.0.0/8] }
    x509: { san_uri: "spiffe://corp.example/user/{user}/role/{role}", organizational_unit: prod-db-read }
    breakglass: { allowed: [oncall], max_duration: 30m, review_within: 24h }
  auto-read:
    requestable_by: [developers]
    auto_approve: true
    approvals_required: 0
    max_duration: 1h
    ssh: { principals: [autoread] }
    x509: { san_uri: "spiffe://corp.example/user/{user}/role/{role}", organizational_unit: auto-read }
)yaml";

constexpr std::array<std::string_view, 6> kUsers = {"alice", "bob",  "carol",
                                                    "dave",  "erin", "frank"};

// The database is rebuilt from scratch beyond this (checked every kSizeCheckEvery inputs).
constexpr std::uintmax_t kMaxStoreBytes = 128u << 20;
constexpr unsigned kSizeCheckEvery = 1024;

// A handler that has not answered by then never will: the connection would hang until its timeout.
constexpr std::chrono::seconds kAnswerDeadline{30};

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

template <typename T>
T wait_for(std::future<T>& future, std::string_view what) {
  if (future.wait_for(kAnswerDeadline) != std::future_status::ready) {
    report_finding(std::string(what) + ": no answer within the deadline");
  }
  return future.get();
}

}  // namespace

struct FuzzBroker::State {
  State()
      : now(std::chrono::floor<std::chrono::seconds>(approvals::Clock::now())),
        policy(config::parse_policy(kPolicy, "/fuzz/policy.yaml", config::Limits{})),
        data_key(32, std::byte{7}),
        store(broker::Store::open(dir / "broker.db", broker::audit_chain_key(data_key))),
        identity(*store, policy, data_key, auth_settings(), [this] { return now; }),
        ssh_ca(make_ssh_ca()),
        x509_ca(make_x509_ca(now)),
        access(*store, identity, config::Limits{}),
        certificates(*store, identity, ssh_ca, x509_ca,
                     broker::MintSettings{std::chrono::seconds(30), "", "", {}}),
        publisher(*store, ssh_ca, x509_ca, broker::RevocationSettings{},
                  [this] { return approvals::to_unix_seconds(now); }) {
    if (publisher.rebuild()) throw std::runtime_error("fuzz broker: no revocation lists");
    broker::add_health_routes(router, metrics);
    broker::add_auth_routes(router, identity);
    broker::add_passkey_routes(router, identity);
    broker::add_ca_routes(router, ssh_ca, x509_ca);
    broker::add_request_routes(router, access);
    broker::add_grant_routes(router, access, certificates);
    broker::add_revocation_routes(router, publisher);
    for (const auto user : kUsers) {
      (void)broker::enroll_user(*store, policy, data_key, user, "correct horse battery staple",
                                false);
    }
    restore();
  }

  ~State() { store->close(); }

  static broker::AuthSettings auth_settings() {
    broker::AuthSettings settings;
    // Inputs send wrong second factors all the time; a lockout would close the paths behind the
    // factor check (TOTP and WebAuthn verification) for every later input.
    settings.lockout.max_failures = std::numeric_limits<std::uint32_t>::max();
    settings.user_lockout.max_failures = std::numeric_limits<std::uint32_t>::max();
    // The fuzzer's clock does not move, so no login rate may ever refuse an input.
    settings.login_rate.per_source = {1.0, std::numeric_limits<std::uint32_t>::max()};
    settings.login_rate.overall = {1.0, std::numeric_limits<std::uint32_t>::max()};
    return settings;
  }

  static ca::SshCertificateAuthority make_ssh_ca() {
    std::vector<ca::SshCaKey> keys;
    keys.push_back(ca::SshCaKey::generate().value());
    return ca::SshCertificateAuthority::create(std::move(keys)).value();
  }

  static ca::X509CaHierarchy make_x509_ca(approvals::TimePoint now) {
    return ca::create_dev_hierarchy(ca::KeyAlgorithm::ecdsa_p256, {}, {}, now).value();
  }

  std::int64_t now_seconds() const { return approvals::to_unix_seconds(now); }

  broker::Caller caller(std::string_view user) {
    HttpRequest request;
    request.set(broker::http::field::authorization,
                "Bearer " + sessions.at(std::string(user)).token);
    auto caller = identity.authenticate(request);
    if (!caller) throw std::runtime_error("fuzz broker: a fresh session does not authenticate");
    return std::move(*caller);
  }

  // A request of alice's for `role`; returns its answer (the request, with its grant if any).
  json::object new_request(std::string role) {
    std::promise<Result<json::object>> promise;
    auto future = promise.get_future();
    access.requests().create_request(
        caller("alice"), broker::NewRequest{std::move(role), "fuzz baseline", "OPS-1", "30m"},
        nullptr, [&promise](Result<json::object> result) { promise.set_value(std::move(result)); });
    auto result = wait_for(future, "fuzz broker: create request");
    if (!result) throw std::runtime_error("fuzz broker: cannot create the baseline request");
    return std::move(*result);
  }

  std::int64_t audit_seq() {
    return store->read([](broker::db::Connection& db) { return broker::load_audit_head(db).seq; });
  }

  void restore() {
    // Every change that can end a session, the request or the grant is audited: without a new
    // audit record since the last restore there is nothing to check (one read instead of eight).
    if (restored_at_seq != 0 && audit_seq() == restored_at_seq) return;
    for (const auto user : kUsers) {
      const std::string name(user);
      const auto found = sessions.find(name);
      const bool live = found != sessions.end() && store
                                                       ->read([&](broker::db::Connection& db) {
                                                         return broker::find_live_session(
                                                             db, found->second.token, now_seconds(),
                                                             identity.settings().sessions);
                                                       })
                                                       .has_value();
      if (live) continue;
      broker::IssuedSession issued;
      const auto ec = store->write_sync([&](broker::WriteContext& tx) {
        issued = broker::create_session(tx, name, now_seconds(), identity.settings().sessions);
        return boost::system::error_code{};
      });
      if (ec) throw std::runtime_error("fuzz broker: cannot create a session");
      sessions[name] = std::move(issued);
    }
    const auto alice = caller("alice");
    const auto request = access.queries().get_request(alice, request_id);
    if (!request || request->at("state") != "pending") {
      request_id = json::value_to<std::string>(new_request("prod-db-read").at("id"));
    }
    const auto grant = access.queries().get_grant(alice, grant_id);
    if (!grant || grant->at("state") != "active") {
      grant_id = json::value_to<std::string>(new_request("auto-read").at("grant").at("id"));
    }
    restored_at_seq = audit_seq();
  }

  std::uintmax_t store_bytes() const {
    std::uintmax_t total = 0;
    for (const char* name : {"broker.db", "broker.db-wal"}) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(dir / name, ec);
      if (!ec) total += size;
    }
    return total;
  }

  testing::TempDir dir;
  approvals::TimePoint now;  // fixed: sessions and MFA stay fresh, grants stay active
  config::Policy policy;
  ca::Bytes data_key;  // before the store: its audit chain key is derived from it
  std::unique_ptr<broker::Store> store;
  broker::IdentityService identity;
  ca::SshCertificateAuthority ssh_ca;
  ca::X509CaHierarchy x509_ca;
  broker::AccessService access;
  broker::CertificateService certificates;
  broker::RevocationPublisher publisher;
  broker::Metrics metrics;
  broker::Router router;
  std::map<std::string, broker::IssuedSession> sessions;
  std::string request_id;
  std::string grant_id;
  std::int64_t restored_at_seq = 0;  // the audit head when restore() last checked everything
  unsigned inputs = 0;
};

FuzzBroker& FuzzBroker::instance() {
  static FuzzBroker broker;
  return broker;
}

FuzzBroker::FuzzBroker()
    : state_(std::make_unique<State>()), verbose_(std::getenv("JIT_FUZZ_VERBOSE") != nullptr) {}

FuzzBroker::~FuzzBroker() = default;

std::string FuzzBroker::substitute(std::string_view text, Field field) const {
  std::string out(text);
  if (out.find('@') == std::string::npos) return out;
  replace_all(out, "@request", state_->request_id);
  replace_all(out, "@grant", state_->grant_id);
  for (const auto user : kUsers) {
    const auto& session = state_->sessions.at(std::string(user));
    replace_all(out, "@" + std::string(user),
                field == Field::csrf ? session.csrf_token : session.token);
  }
  return out;
}

std::string FuzzBroker::bearer(std::string_view user) const {
  return "Bearer " + state_->sessions.at(std::string(user)).token;
}

const std::string& FuzzBroker::pending_request_id() const { return state_->request_id; }

const std::string& FuzzBroker::active_grant_id() const { return state_->grant_id; }

HttpResponse FuzzBroker::dispatch(HttpRequest request) {
  const std::string target(request.target());
  // Shared with the responder, which may run later on the store's writer thread.
  auto promise = std::make_shared<std::promise<HttpResponse>>();
  auto answered = std::make_shared<std::once_flag>();
  auto future = promise->get_future();
  broker::RequestContext context{std::move(request), {}, "127.0.0.1", {}, nullptr};
  state_->router.dispatch(std::move(context), [promise, answered](HttpResponse response) {
    std::call_once(*answered, [&] { promise->set_value(std::move(response)); });
  });
  auto response = wait_for(future, "request " + target);
  if (verbose_) {
    std::fprintf(stderr, "%u %s -> %s\n", response.result_int(), target.c_str(),
                 response.body().c_str());
  }
  // docs/architecture.md invariant 11: malformed input never gets a 5xx (503: a full write queue).
  const unsigned status = response.result_int();
  if (status >= 500 && status != 503) {
    report_finding("request " + target + " answered " + std::to_string(status) + ": " +
                   response.body());
  }
  return response;
}

void FuzzBroker::restore() {
  if (++state_->inputs % kSizeCheckEvery == 0 && state_->store_bytes() > kMaxStoreBytes) {
    state_.reset();
    state_ = std::make_unique<State>();
    return;
  }
  state_->restore();
}

}  // namespace jit::fuzz
