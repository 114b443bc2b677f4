// The access workflow's API without sockets: ApiFixture plus the request, grant and minting routes
// over a fresh SSH CA and X.509 hierarchy, with the hooks recorded instead of sent.
#pragma once

#include "broker/api/grants_api.hpp"
#include "broker/api/requests_api.hpp"
#include "broker/service/access_service.hpp"
#include "broker/service/certificate_service.hpp"
#include "ca/ssh_certificate_authority.hpp"
#include "ca/x509_hierarchy.hpp"
#include "support/api_fixture.hpp"

#include <mutex>
#include <vector>

namespace jit::testing {

class AccessFixture : public ApiFixture {
 public:
  // `validity`: of the X.509 hierarchy, made at the real clock's now.
  explicit AccessFixture(std::string_view policy_yaml = kDemoPolicy,
                         const ca::X509HierarchyValidity& validity = {})
      : ApiFixture(policy_yaml),
        ssh_ca_(make_ssh_ca()),
        x509_ca_(*ca::create_dev_hierarchy(ca::KeyAlgorithm::ecdsa_p256, {}, validity,
                                           std::chrono::system_clock::now())) {
    broker::AccessHooks hooks;
    hooks.notify = [this](std::string event, boost::json::object data) {
      std::lock_guard lock(mutex_);
      events_.emplace_back(std::move(event), std::move(data));
    };
    hooks.deadlines_changed = [this] { ++deadline_pokes_; };
    hooks.revocations_changed = [this](std::function<void(boost::json::object)> published) {
      ++revocation_pokes_;
      published({});
    };
    access_ = std::make_unique<broker::AccessService>(*identity_, limits(), std::move(hooks));
    certificates_ = std::make_unique<broker::CertificateService>(
        *access_, ssh_ca_, x509_ca_, broker::MintSettings{std::chrono::seconds(30), "", "", {}});
    broker::add_request_routes(router_, *access_);
    broker::add_grant_routes(router_, *access_, *certificates_);
  }

  static config::Limits limits() { return config::Limits{}; }

  static ca::SshCertificateAuthority make_ssh_ca() {
    std::vector<ca::SshCaKey> keys;
    keys.push_back(*ca::SshCaKey::generate());
    return *ca::SshCertificateAuthority::create(std::move(keys));
  }

  // Enrols and logs in `user`; returns the bearer headers. TOTP secrets are kept for mfa().
  std::map<std::string, std::string> sign_in(const std::string& user) {
    secrets_[user] = enroll(user, std::string(kTestPassword));
    auto answer = login(user, std::string(kTestPassword), totp(secrets_[user]));
    return bearer(answer);
  }

  // A new session for an enrolled user (after the clock moved past the old one's timeouts).
  std::map<std::string, std::string> relogin(const std::string& user) {
    advance(std::chrono::seconds(30));
    return bearer(login(user, std::string(kTestPassword), totp(secrets_.at(user))));
  }

  // A fresh TOTP factor for `user`: each code is accepted once, so the clock moves a step first.
  boost::json::object mfa(const std::string& user) {
    advance(std::chrono::seconds(30));
    return {{"totp", totp(secrets_.at(user))}};
  }

  std::vector<std::string> event_names() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> names;
    for (const auto& [name, data] : events_) names.push_back(name);
    return names;
  }

  std::int64_t count_rows(const std::string& table) {
    return store_->read([&](SQLite::Database& db) {
      return db.execAndGet("SELECT count(*) FROM " + table).getInt64();
    });
  }

  std::int64_t now_seconds() const { return approvals::to_unix_seconds(now_); }

  ca::SshCertificateAuthority ssh_ca_;
  ca::X509CaHierarchy x509_ca_;
  std::unique_ptr<broker::AccessService> access_;
  std::unique_ptr<broker::CertificateService> certificates_;
  std::map<std::string, ca::Bytes> secrets_;
  std::mutex mutex_;
  std::vector<std::pair<std::string, boost::json::object>> events_;
  std::atomic<int> deadline_pokes_{0};
  std::atomic<int> revocation_pokes_{0};
};

}  // namespace jit::testing
