// The access workflow's API without sockets: ApiFixture plus the request, grant and minting routes
// over a fresh SSH CA and X.509 hierarchy, with the hooks recorded instead of sent.
#pragma once

#include "broker/api/grants_api.hpp"
#include "broker/api/requests_api.hpp"
#include "broker/service/access_service.hpp"
#include "broker/service/certificate_service.hpp"
#include "ca/ssh_certificate_authority.hpp"
#include "ca/x509_hierarchy.hpp"
#include "tests/support/api_fixture.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace jit::testing {

class AccessFixture : public ApiFixture {
 public:
  // `validity`: of the X.509 hierarchy, made at the real clock's now.
  explicit AccessFixture(std::string_view policy_yaml = kDemoPolicy,
                         const ca::X509HierarchyValidity& validity = {});

  static config::Limits limits() { return config::Limits{}; }

  static ca::SshCertificateAuthority make_ssh_ca();

  // Enrols and logs in `user`; returns the bearer headers. TOTP secrets are kept for mfa().
  std::map<std::string, std::string> sign_in(const std::string& user);

  // A new session for an enrolled user (after the clock moved past the old one's timeouts).
  std::map<std::string, std::string> relogin(const std::string& user);

  // A fresh TOTP factor for `user`: each code is accepted once, so the clock moves a step first.
  boost::json::object mfa(const std::string& user);

  std::vector<std::string> event_names();

  std::int64_t count_rows(const std::string& table);

  std::int64_t now_seconds() const { return approvals::to_unix_seconds(now_); }

  ca::SshCertificateAuthority ssh_ca_;
  ca::X509CaHierarchy x509_ca_;
  std::unique_ptr<broker::AccessService> access_;
  std::unique_ptr<broker::CertificateService> certificates_;
  std::map<std::string, ca::Bytes> secrets_;
  std::atomic<int> deadline_pokes_{0};
  std::atomic<int> revocation_pokes_{0};
};

}  // namespace jit::testing
