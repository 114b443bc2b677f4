// The load of the crash-safety test: client threads against a `jit-broker serve` that is killed and
// restarted under them. Developers create requests, two approvers approve every one with a second
// factor (a TOTP code when one is unused, else a passkey assertion bound to the request), and the
// developers mint SSH certificates for their active grants, each thread over its own kept-alive
// HTTPS connection. Every acknowledged write goes into the CrashLedger. The implementation is in
// crash_load_it.cpp (it needs the TLS test client, which only the integration binary builds).
#pragma once

#include "broker/http/http_types.hpp"
#include "ca/bytes.hpp"
#include "support/crash_ledger.hpp"

#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace jit::testing {

class TlsTestClient;

struct ApiReply {
  unsigned status = 0;
  boost::json::value body;  // null when the body is not JSON
  std::string text;
  // The error answer's `code`, or "" for a success.
  std::string code() const;
};

// One kept-alive HTTPS connection to whichever broker process listens now on `port`. A call that
// gets no answer drops the connection; the next call connects again.
class BrokerConnection {
 public:
  // `lost`, when given, counts the calls that were sent and then lost their connection.
  BrokerConnection(int port, std::filesystem::path ca_file, std::string token = {},
                   std::atomic<std::size_t>* lost = nullptr);
  ~BrokerConnection();
  BrokerConnection(const BrokerConnection&) = delete;
  BrokerConnection& operator=(const BrokerConnection&) = delete;

  // nullopt when there is no answer: nobody listens, or the connection broke (the broker died).
  std::optional<ApiReply> call(broker::http::verb method, const std::string& target,
                               const boost::json::value* body = nullptr);
  std::optional<ApiReply> get(const std::string& target) {
    return call(broker::http::verb::get, target);
  }
  std::optional<ApiReply> post(const std::string& target, const boost::json::value& body) {
    return call(broker::http::verb::post, target, &body);
  }
  void set_token(std::string token) { token_ = std::move(token); }

 private:
  int port_;
  std::filesystem::path ca_file_;
  std::string token_;
  std::atomic<std::size_t>* lost_;
  std::unique_ptr<TlsTestClient> client_;
};

// TOTP codes each user has not used yet: one per 30 s step, for the current or the next step (the
// broker accepts both, and each step once). Shared by the threads of a user.
class TotpCodes {
 public:
  struct Code {
    std::string digits;
    std::int64_t step = 0;
  };
  void add_user(const std::string& user, ca::Bytes secret);
  // A code of a step nobody used yet; when none is left for now, waits for one if `wait`, else
  // returns nullopt.
  std::optional<Code> take(const std::string& user, bool wait);

 private:
  struct User {
    ca::Bytes secret;
    std::int64_t last_step = 0;
  };
  std::mutex mutex_;
  std::map<std::string, User> users_;
};

struct LoadSettings {
  std::int64_t min_grant_seconds = 2;  // grants end seconds after approval, so that some of them
  std::int64_t max_grant_seconds = 6;  // end while the broker is down
  std::size_t max_pending_per_requester = 3;
  unsigned minters_per_user = 2;
  std::uint64_t seed = 1;
};

class CrashLoad {
 public:
  static constexpr const char* kRole = "prod-db-read";
  static inline const std::vector<std::string> kRequesters{"alice", "bob"};
  static inline const std::vector<std::string> kApprovers{"carol", "dave"};
  static constexpr const char* kAuditor = "frank";

  CrashLoad(int port, std::filesystem::path ca_file, CrashLedger& ledger, TotpCodes& codes,
            LoadSettings settings);
  ~CrashLoad();
  CrashLoad(const CrashLoad&) = delete;
  CrashLoad& operator=(const CrashLoad&) = delete;

  // With the broker up: logs every user in and registers the approvers' passkeys. Throws
  // std::runtime_error naming the step that failed.
  void sign_in();
  const std::string& token(const std::string& user) const { return tokens_.at(user); }

  void start();
  // Stops and joins every thread.
  void stop();
  // Calls sent on a connection that then broke (the kill cut them off, or they went out on a
  // connection the kill had already cut), over every thread: each may or may not have committed.
  std::size_t lost_calls() const { return lost_calls_; }

 private:
  class Approver;
  void requester_loop(const std::string& user, std::uint64_t seed);
  void approver_loop(Approver& approver);
  void minter_loop(const std::string& user, std::string public_key, std::uint64_t seed);
  // Notes an answer the operation may not get; true when it was one of `allowed`.
  bool expect(const std::optional<ApiReply>& reply, const std::string& what,
              std::initializer_list<unsigned> allowed);
  std::unique_ptr<BrokerConnection> connect(const std::string& user);

  int port_;
  std::filesystem::path ca_file_;
  CrashLedger& ledger_;
  TotpCodes& codes_;
  LoadSettings settings_;
  std::map<std::string, std::string> tokens_;
  std::vector<std::unique_ptr<Approver>> approvers_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> lost_calls_{0};
  std::vector<std::thread> threads_;
};

}  // namespace jit::testing
