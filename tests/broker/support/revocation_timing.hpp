// What the revocation timing and OCSP tests do against a RunningBroker: an auto-approved grant,
// SSH and X.509 certificates minted on it through the API, and the served KRL and CRL parsed back
// (ca/ KRL parser, OpenSSL for the CRL).
#pragma once

#include "ca/bytes.hpp"
#include "ca/krl.hpp"
#include "ca/openssl_handles.hpp"
#include "ca/private_key.hpp"
#include "ca/ssh_public_key.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/files.hpp"
#include "tests/support/running_broker.hpp"

#include <openssl/x509.h>
#include <boost/json.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace jit::testing {

inline constexpr const char* kTimingPolicy = R"yaml(
groups: { developers: [alice], sre-leads: [carol] }
roles:
  prod-db-read:
    requestable_by: [developers]
    approvers: [sre-leads]
    auto_approve: true
    max_duration: 1h
    ssh: { principals: [dbread] }
    x509: { san_uri: "spiffe://corp.example/user/{user}/role/{role}", organizational_unit: prod-db-read }
)yaml";

// True when the KRL lists `serial` in any CA scope.
inline bool krl_lists(const std::string& bytes, std::uint64_t serial) {
  auto krl = ca::parse_krl(ca::as_bytes(bytes));
  if (!krl) throw std::runtime_error("served KRL does not parse");
  for (const auto& scope : krl->certificate_scopes) {
    for (const auto& range : scope.serials) {
      if (range.first <= serial && serial <= range.last) return true;
    }
  }
  return false;
}

inline ca::X509CrlPtr parse_der_crl(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ca::X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  if (!crl) throw std::runtime_error("served CRL does not parse");
  return crl;
}

// True when the DER CRL lists `serial_hex` (lowercase hex, as the API answers it).
inline bool crl_lists(const std::string& der, const std::string& serial_hex) {
  const auto crl = parse_der_crl(der);
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    const ASN1_INTEGER* serial = X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i));
    const auto bytes = ca::ByteView(reinterpret_cast<const std::byte*>(serial->data),
                                    static_cast<std::size_t>(serial->length));
    if (ca::hex_encode(bytes) == serial_hex) return true;
  }
  return false;
}

inline std::int64_t crl_number(const std::string& der) {
  const auto crl = parse_der_crl(der);
  ca::Asn1IntegerPtr number(static_cast<ASN1_INTEGER*>(
      X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr)));
  return number ? ASN1_INTEGER_get(number.get()) : -1;
}

class TimingApi {
 public:
  explicit TimingApi(RunningBroker& broker) : broker_(broker) {}

  broker::HttpResponse call(broker::http::verb method, const std::string& target,
                            const std::string& user, const boost::json::object& body = {}) {
    broker::HttpRequest request(method, target, 11);
    if (!user.empty()) {
      request.set(broker::http::field::authorization, "Bearer " + broker_.token(user));
    }
    if (method == broker::http::verb::post) {
      request.set(broker::http::field::content_type, "application/json");
      request.body() = boost::json::serialize(body);
    }
    return broker_.client()->request(std::move(request));
  }

  boost::json::object call_ok(broker::http::verb method, const std::string& target,
                              const std::string& user, const boost::json::object& body = {}) {
    const auto answer = call(method, target, user, body);
    const auto status = static_cast<unsigned>(answer.result());
    if (status != 200 && status != 201) {
      throw std::runtime_error(target + " answered " + std::to_string(status) + ": " +
                               answer.body());
    }
    return boost::json::parse(answer.body()).as_object();
  }

  // A new request of the auto-approved role: its active grant's id.
  std::string active_grant(const std::string& user) {
    const auto created =
        call_ok(broker::http::verb::post, "/v1/requests", user,
                {{"role", "prod-db-read"}, {"reason", "check"}, {"ticket", "T-1"}});
    const std::string id(created.at("id").as_string());
    const auto request = call_ok(broker::http::verb::get, "/v1/requests/" + id, user);
    return std::string(request.at("grant").at("id").as_string());
  }

  std::uint64_t mint_ssh(const std::string& grant, const std::string& user) {
    const auto key = ca::generate_private_key(ca::KeyAlgorithm::ed25519);
    const auto line = ca::SshPublicKey::from_evp(key->get())->line();
    const auto minted = call_ok(broker::http::verb::post, "/v1/grants/" + grant + "/ssh-cert", user,
                                {{"public_key", line}});
    return minted.at("serial").to_number<std::uint64_t>();
  }

  // Mints for one P-256 key made by openssl (client.key/client.csr in the broker's folder) and
  // writes the certificate to `certificate_file` when given. Returns the serial (lowercase hex).
  std::string mint_x509(const std::string& grant, const std::string& user,
                        const std::filesystem::path& certificate_file = {}) {
    const auto csr = broker_.dir() / "client.csr";
    if (!std::filesystem::exists(csr)) {
      auto [code, out, err] = ChildProcess::run(
          {"/usr/bin/openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
           "ec_paramgen_curve:P-256", "-nodes", "-keyout", (broker_.dir() / "client.key").string(),
           "-subj", "/CN=ignored", "-out", csr.string()},
          broker_.dir());
      if (code != 0) throw std::runtime_error("openssl req: " + err);
    }
    const auto minted = call_ok(broker::http::verb::post, "/v1/grants/" + grant + "/x509-cert",
                                user, {{"csr", read_text(csr)}});
    if (!certificate_file.empty()) {
      std::ofstream(certificate_file) << minted.at("certificate").as_string().c_str();
    }
    return std::string(minted.at("serial").as_string());
  }

  std::string krl() { return get_body("/v1/ca/ssh/krl"); }
  std::string crl() { return get_body("/v1/ca/x509/crl"); }

  std::string get_body(const std::string& target) {
    const auto answer = broker_.client()->get(target);
    if (answer.result() != broker::http::status::ok) {
      throw std::runtime_error(target + " answered " + answer.body());
    }
    return answer.body();
  }

 private:
  RunningBroker& broker_;
};

}  // namespace jit::testing
