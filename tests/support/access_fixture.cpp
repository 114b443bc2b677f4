#include "tests/support/access_fixture.hpp"

namespace jit::testing {

AccessFixture::AccessFixture(std::string_view policy_yaml,
                             const ca::X509HierarchyValidity& validity)
    : ApiFixture(policy_yaml),
      ssh_ca_(make_ssh_ca()),
      x509_ca_(*ca::create_dev_hierarchy(ca::KeyAlgorithm::ecdsa_p256, {}, validity,
                                         std::chrono::system_clock::now())) {
  broker::AccessHooks hooks;
  hooks.deadlines_changed = [this] { ++deadline_pokes_; };
  hooks.revocations_changed = [this](std::function<void(boost::json::object)> published) {
    ++revocation_pokes_;
    published({});
  };
  access_ =
      std::make_unique<broker::AccessService>(*store_, *identity_, limits(), std::move(hooks));
  certificates_ = std::make_unique<broker::CertificateService>(
      *store_, *identity_, ssh_ca_, x509_ca_,
      broker::MintSettings{std::chrono::seconds(30), "", "", {}});
  broker::add_request_routes(router_, *access_);
  broker::add_grant_routes(router_, *access_, *certificates_);
}

ca::SshCertificateAuthority AccessFixture::make_ssh_ca() {
  std::vector<ca::SshCaKey> keys;
  keys.push_back(*ca::SshCaKey::generate());
  return *ca::SshCertificateAuthority::create(std::move(keys));
}

std::map<std::string, std::string> AccessFixture::sign_in(const std::string& user) {
  secrets_[user] = enroll(user, std::string(kTestPassword));
  auto answer = login(user, std::string(kTestPassword), totp(secrets_[user]));
  return bearer(answer);
}

std::map<std::string, std::string> AccessFixture::relogin(const std::string& user) {
  advance(std::chrono::seconds(30));
  return bearer(login(user, std::string(kTestPassword), totp(secrets_.at(user))));
}

boost::json::object AccessFixture::mfa(const std::string& user) {
  advance(std::chrono::seconds(30));
  return {{"totp", totp(secrets_.at(user))}};
}

std::vector<std::string> AccessFixture::event_names() { return outbox_events(); }

std::int64_t AccessFixture::count_rows(const std::string& table) {
  return store_->read([&](SQLite::Database& db) {
    return db.execAndGet("SELECT count(*) FROM " + table).getInt64();
  });
}

}  // namespace jit::testing
