// The crash-safety test's load clients (support/crash_load.hpp); named *_it.cpp so that only the
// integration binary, which has the TLS test client, builds them.
#include "support/crash_load.hpp"

#include "approvals/totp.hpp"
#include "ca/ssh_ca_key.hpp"
#include "ca/ssh_certificate.hpp"
#include "support/crash_broker.hpp"
#include "tests/support/files.hpp"
#include "tests/support/http_test_client.hpp"
#include "tests/support/software_authenticator.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/json.hpp>

#include <functional>
#include <random>
#include <stdexcept>

namespace jit::testing {
namespace {

using testing::unix_now;

namespace json = boost::json;
namespace sw = jit::testing;
using namespace std::chrono_literals;

// The broker's default WebAuthn relying party (mfa.webauthn in broker.yaml).
constexpr std::string_view kOrigin = "https://localhost:8443";

// Whether anything listens on the loopback `port`: while the broker is down, a bare TCP connect
// finds out without building a TLS context at each attempt, which would take the CPU the
// restarting broker needs.
bool listening(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool accepted = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return accepted;
}

std::string describe(const ApiReply& reply) {
  return std::to_string(reply.status) + " " + reply.text.substr(0, 300);
}

// The challenge of WebAuthn options; throws (the thread's guard reports it) when there is none.
ca::Bytes challenge_of(const ApiReply& options) {
  ca::Bytes challenge;
  const auto* field =
      options.body.is_object() ? options.body.as_object().if_contains("challenge") : nullptr;
  if (field == nullptr || !field->is_string() ||
      !ca::base64url_decode_unpadded(std::string_view(field->as_string()), challenge)) {
    throw std::runtime_error("no WebAuthn challenge in " + describe(options));
  }
  return challenge;
}

// Grants are listed newest first; requests too. Approving oldest first keeps the queue short.
std::vector<std::string> unreviewed_by(const json::array& requests, const std::string& reviewer) {
  std::vector<std::string> ids;
  for (auto it = requests.rbegin(); it != requests.rend(); ++it) {
    const auto& request = it->as_object();
    bool reviewed = false;
    for (const auto& review : request.at("reviews").as_array()) {
      reviewed = reviewed || review.at("reviewer").as_string() == reviewer;
    }
    if (!reviewed) ids.emplace_back(request.at("id").as_string());
  }
  return ids;
}

}  // namespace

std::string ApiReply::code() const {
  if (!body.is_object()) return {};
  const auto* code = body.as_object().if_contains("code");
  return code != nullptr && code->is_string() ? std::string(code->as_string()) : std::string();
}

BrokerConnection::BrokerConnection(int port, std::filesystem::path ca_file, std::string token,
                                   std::atomic<std::size_t>* lost)
    : port_(port), ca_file_(std::move(ca_file)), token_(std::move(token)), lost_(lost) {}

BrokerConnection::~BrokerConnection() = default;

std::optional<ApiReply> BrokerConnection::call(broker::http::verb method, const std::string& target,
                                               const json::value* body) {
  namespace http = broker::http;
  if (!client_) {
    if (!listening(port_)) return std::nullopt;  // the broker is down
    client_ = std::make_unique<testing::TlsTestClient>(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(),
                                       static_cast<unsigned short>(port_)),
        ca_file_, 10s);
    if (client_->connect()) {
      client_.reset();
      return std::nullopt;
    }
  }
  broker::HttpRequest request(method, target, 11);
  if (!token_.empty()) request.set(http::field::authorization, "Bearer " + token_);
  if (body != nullptr) {
    request.set(http::field::content_type, "application/json");
    request.body() = json::serialize(*body);
  }
  broker::HttpResponse response;
  try {
    response = client_->request(std::move(request));
  } catch (const std::runtime_error&) {
    client_.reset();
    if (lost_ != nullptr) ++*lost_;
    return std::nullopt;
  }
  if (!response.keep_alive()) client_.reset();
  ApiReply reply;
  reply.status = response.result_int();
  reply.text = std::move(response.body());
  boost::system::error_code ec;
  reply.body = json::parse(reply.text, ec);
  if (ec) reply.body = nullptr;
  return reply;
}

void TotpCodes::add_user(const std::string& user, ca::Bytes secret) {
  std::lock_guard lock(mutex_);
  users_[user].secret = std::move(secret);
}

std::optional<TotpCodes::Code> TotpCodes::take(const std::string& user, bool wait) {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      auto& entry = users_.at(user);
      const std::int64_t now_step = unix_now() / 30;
      const std::int64_t step = std::max(now_step, entry.last_step + 1);
      if (step <= now_step + 1) {
        entry.last_step = step;
        auto digits = approvals::totp_code(
            entry.secret, std::chrono::sys_seconds(std::chrono::seconds(step * 30)));
        if (!digits) throw std::runtime_error("cannot compute a TOTP code");
        return Code{*digits, step};
      }
    }
    if (!wait) return std::nullopt;
    std::this_thread::sleep_for(200ms);
  }
}

class CrashLoad::Approver {
 public:
  explicit Approver(std::string name) : user(std::move(name)) {}
  std::string user;
  sw::SoftwareAuthenticator key = sw::SoftwareAuthenticator::es256();
  std::uint32_t counter = 0;  // the passkey's signature counter: grows with every assertion
};

CrashLoad::CrashLoad(int port, std::filesystem::path ca_file, CrashLedger& ledger, TotpCodes& codes,
                     LoadSettings settings)
    : port_(port),
      ca_file_(std::move(ca_file)),
      ledger_(ledger),
      codes_(codes),
      settings_(settings) {
  for (const auto& user : kApprovers) approvers_.push_back(std::make_unique<Approver>(user));
}

CrashLoad::~CrashLoad() { stop(); }

std::unique_ptr<BrokerConnection> CrashLoad::connect(const std::string& user) {
  return std::make_unique<BrokerConnection>(port_, ca_file_, tokens_.at(user), &lost_calls_);
}

void CrashLoad::sign_in() {
  BrokerConnection connection(port_, ca_file_);
  std::vector<std::string> users = kRequesters;
  users.insert(users.end(), kApprovers.begin(), kApprovers.end());
  users.emplace_back(kAuditor);
  for (const auto& user : users) {
    const auto code = codes_.take(user, true);
    auto answer =
        connection.post("/v1/login", json::object{{"user", user},
                                                  {"password", CrashBroker::password(user)},
                                                  {"mfa", {{"totp", code->digits}}}});
    if (!answer || answer->status != 200) {
      throw std::runtime_error("login " + user + ": " + (answer ? describe(*answer) : "no answer"));
    }
    tokens_[user] = std::string(answer->body.at("token").as_string());
  }
  for (auto& approver : approvers_) {
    connection.set_token(tokens_.at(approver->user));
    auto options = connection.post("/v1/webauthn/register/begin", json::object{});
    if (!options || options->status != 200) {
      throw std::runtime_error("passkey registration of " + approver->user);
    }
    const auto client_data =
        sw::make_client_data("webauthn.create", challenge_of(*options), kOrigin);
    auto registered = connection.post(
        "/v1/webauthn/register/finish",
        json::object{
            {"client_data_json", ca::base64url_encode_unpadded(client_data)},
            {"attestation_object",
             ca::base64url_encode_unpadded(approver->key.attestation_object(client_data, {}))},
            // Adding a passkey takes a fresh factor: a code of a step the login did not use.
            {"mfa", {{"totp", codes_.take(approver->user, true)->digits}}}});
    if (!registered || registered->status != 201) {
      throw std::runtime_error("passkey registration of " + approver->user + ": " +
                               (registered ? describe(*registered) : "no answer"));
    }
  }
}

void CrashLoad::start() {
  stopping_ = false;
  // An answer of a shape the loop does not expect (JSON lookups throw) ends that thread; the
  // ledger says why, which fails the test.
  auto guarded = [this](std::string name, std::function<void()> loop) {
    threads_.emplace_back([this, name = std::move(name), loop = std::move(loop)] {
      try {
        loop();
      } catch (const std::exception& e) {
        ledger_.unexpected(name + " stopped: " + e.what());
      }
    });
  };
  std::uint64_t seed = settings_.seed;
  for (const auto& user : kRequesters) {
    guarded("requester " + user, [this, user, s = seed++] { requester_loop(user, s); });
  }
  for (auto& approver : approvers_) {
    guarded("approver " + approver->user, [this, a = approver.get()] { approver_loop(*a); });
  }
  for (const auto& user : kRequesters) {
    for (unsigned i = 0; i < settings_.minters_per_user; ++i) {
      auto key = ca::SshCaKey::generate();
      if (!key) throw std::runtime_error("cannot generate an SSH key");
      guarded("minter " + user, [this, user, line = key->public_key().line(), s = seed++] {
        minter_loop(user, line, s);
      });
    }
  }
}

void CrashLoad::stop() {
  stopping_ = true;
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

bool CrashLoad::expect(const std::optional<ApiReply>& reply, const std::string& what,
                       std::initializer_list<unsigned> allowed) {
  if (!reply) return false;
  for (const unsigned status : allowed) {
    if (reply->status == status) return true;
  }
  ledger_.unexpected(what + ": " + describe(*reply));
  return false;
}

void CrashLoad::requester_loop(const std::string& user, std::uint64_t seed) {
  auto connection = connect(user);
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<std::int64_t> seconds(settings_.min_grant_seconds,
                                                      settings_.max_grant_seconds);
  while (!stopping_) {
    // Keeps a few requests waiting, so that the approvers always have work but no backlog.
    auto pending = connection->get("/v1/requests?state=pending");
    if (!expect(pending, "list pending as " + user, {200})) {
      std::this_thread::sleep_for(20ms);
      continue;
    }
    if (pending->body.at("requests").as_array().size() >= settings_.max_pending_per_requester) {
      std::this_thread::sleep_for(10ms);
      continue;
    }
    auto created = connection->post(
        "/v1/requests", json::object{{"role", kRole},
                                     {"reason", "crash test"},
                                     {"ticket", "OPS-9"},
                                     {"duration", std::to_string(seconds(random)) + "s"}});
    if (expect(created, "create as " + user, {201})) {
      ledger_.request_created(std::string(created->body.at("id").as_string()), user);
    }
  }
}

void CrashLoad::approver_loop(Approver& approver) {
  auto connection = connect(approver.user);
  while (!stopping_) {
    auto pending = connection->get("/v1/requests?state=pending");
    if (!expect(pending, "list pending as " + approver.user, {200})) {
      std::this_thread::sleep_for(20ms);
      continue;
    }
    const auto ids = unreviewed_by(pending->body.at("requests").as_array(), approver.user);
    if (ids.empty()) std::this_thread::sleep_for(5ms);
    for (const auto& id : ids) {
      if (stopping_) break;
      AckedApproval ack{id, approver.user, "totp", 0};
      json::object mfa;
      if (auto code = codes_.take(approver.user, false)) {
        mfa = {{"totp", code->digits}};
        ack.proof = code->step;
      } else {
        auto options = connection->post("/v1/requests/" + id + "/webauthn/begin",
                                        json::object{{"decision", "approve"}});
        if (!expect(options, "passkey challenge as " + approver.user, {200})) break;
        const auto client_data =
            sw::make_client_data("webauthn.get", challenge_of(*options), kOrigin);
        const auto assertion =
            approver.key.get_assertion(client_data, {"localhost", 0x05, ++approver.counter});
        mfa = {
            {"webauthn",
             {{"credential_id", ca::base64url_encode_unpadded(approver.key.credential_id())},
              {"client_data_json", ca::base64url_encode_unpadded(client_data)},
              {"authenticator_data", ca::base64url_encode_unpadded(assertion.authenticator_data)},
              {"signature", ca::base64url_encode_unpadded(assertion.signature)}}}};
        ack.factor = "webauthn";
        ack.proof = approver.counter;
      }
      auto answer = connection->post("/v1/requests/" + id + "/approve",
                                     json::object{{"comment", "crash test"}, {"mfa", mfa}});
      // A review that committed just before a crash, unacknowledged, shows in the next listing;
      // this covers the same review racing the listing.
      if (answer && answer->status == 409 && answer->code() == "already_reviewed") continue;
      if (!expect(answer, "approve as " + approver.user, {200})) break;
      ledger_.approved(ack);
      const auto& grant = answer->body.at("grant");
      if (grant.is_object()) {
        ledger_.grant_seen({std::string(grant.at("id").as_string()), id,
                            std::string(grant.at("user").as_string()),
                            grant.at("not_after").to_number<std::int64_t>()});
      }
    }
  }
}

void CrashLoad::minter_loop(const std::string& user, std::string public_key, std::uint64_t seed) {
  auto connection = connect(user);
  std::mt19937_64 random(seed);
  std::vector<std::string> grants;
  auto listed_at = std::chrono::steady_clock::time_point{};
  while (!stopping_) {
    if (grants.empty() || std::chrono::steady_clock::now() - listed_at > 250ms) {
      auto listed = connection->get("/v1/grants?state=active");
      if (!expect(listed, "list grants as " + user, {200})) {
        std::this_thread::sleep_for(20ms);
        continue;
      }
      grants.clear();
      for (const auto& grant : listed->body.at("grants").as_array()) {
        // Not one that ends within the next second: it may have ended by the time we ask.
        if (grant.at("user").as_string() == user &&
            grant.at("not_after").to_number<std::int64_t>() > unix_now() + 1) {
          grants.emplace_back(grant.at("id").as_string());
        }
      }
      listed_at = std::chrono::steady_clock::now();
      if (grants.empty()) {
        std::this_thread::sleep_for(20ms);
        continue;
      }
    }
    const auto pick = std::uniform_int_distribution<std::size_t>(0, grants.size() - 1)(random);
    const std::string grant = grants[pick];
    auto minted = connection->post("/v1/grants/" + grant + "/ssh-cert",
                                   json::object{{"public_key", public_key}});
    if (minted && minted->status == 409 && minted->code() == "grant_not_active") {
      grants.erase(grants.begin() + static_cast<std::ptrdiff_t>(pick));
      continue;
    }
    if (!expect(minted, "mint as " + user, {201})) continue;
    // The serial as sshd will see it: read from the certificate, not only from the JSON.
    auto certificate =
        ca::parse_ssh_certificate_line(std::string(minted->body.at("certificate").as_string()));
    if (!certificate) {
      ledger_.unexpected("mint as " + user + ": unreadable certificate " + describe(*minted));
      continue;
    }
    if (certificate->serial != minted->body.at("serial").to_number<std::uint64_t>()) {
      ledger_.unexpected("mint as " + user + ": serial field differs from the certificate's");
    }
    ledger_.certificate({certificate->serial, grant});
  }
}

}  // namespace jit::testing
