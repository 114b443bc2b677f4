#include "tests/support/running_broker.hpp"

#include "approvals/totp.hpp"

#include <SQLiteCpp/Statement.h>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/json.hpp>

#include <stdexcept>
#include <thread>

namespace jit::testing {

std::ostream& operator<<(std::ostream& out, const DatabaseSnapshot& s) {
  return out << "{requests " << s.requests << ", reviews " << s.reviews << ", grants " << s.grants
             << ", certificates " << s.certificates << ", credentials " << s.credentials
             << ", webauthn " << s.webauthn_credentials << ", sessions " << s.sessions
             << ", failed logins " << s.failed_logins << ", audit " << s.audit_records << " up to "
             << s.audit_seq << " " << s.audit_hash.substr(0, 12) << "}";
}

std::ostream& operator<<(std::ostream& out, const AuditRow& row) {
  return out << row.actor << " " << row.action << " " << row.object << " "
             << boost::json::serialize(row.details);
}

RunningBroker::RunningBroker(const std::string& policy_yaml, const std::string& extra_config,
                             const std::vector<std::string>& users)
    : broker_(policy_yaml, BrokerConfig{"127.0.0.1:0", "data", extra_config}) {
  for (const auto& user : users) secrets_[user] = broker_.enroll(user);
  start();
  for (const auto& user : users) login(user);
}

void RunningBroker::restart_with_policy(const std::string& policy_yaml) {
  if (stop() != 0) throw std::runtime_error("jit-broker did not stop cleanly: " + stderr_text());
  broker_.write_policy(policy_yaml);
  start();
}

boost::asio::ip::tcp::endpoint RunningBroker::endpoint() const {
  return {boost::asio::ip::address_v4::loopback(), port()};
}

std::unique_ptr<TlsTestClient> RunningBroker::client(bool connect,
                                                     std::chrono::milliseconds step_timeout) const {
  auto client = std::make_unique<TlsTestClient>(endpoint(), ca_file(), step_timeout);
  if (connect) {
    if (auto ec = client->connect()) throw std::runtime_error("connect: " + ec.message());
  }
  return client;
}

int RunningBroker::stop() {
  if (!stopped_) stopped_ = broker_.stop(std::chrono::seconds(15)).value_or(-1);
  return *stopped_;
}

bool RunningBroker::healthy() const {
  try {
    return client()->get("/healthz").result() == broker::http::status::ok;
  } catch (const std::exception&) {
    return false;
  }
}

std::string RunningBroker::metrics() const { return client()->get("/metrics").body(); }

DatabaseSnapshot RunningBroker::snapshot() const {
  auto db = open();
  DatabaseSnapshot s;
  const auto rows = [&](const char* table) {
    return db->execAndGet(std::string("SELECT count(*) FROM ") + table).getInt64();
  };
  s.requests = rows("requests");
  s.reviews = rows("reviews");
  s.grants = rows("grants");
  s.certificates = rows("certificates");
  s.credentials = rows("credentials");
  s.webauthn_credentials = rows("webauthn_credentials");
  s.sessions = rows("sessions");
  s.audit_records = rows("audit");
  s.failed_logins =
      db->execAndGet("SELECT total(failed_attempts) + total(locked_until) FROM credentials")
          .getInt64();
  SQLite::Statement head(*db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
  if (head.executeStep()) {
    s.audit_seq = head.getColumn(0).getInt64();
    s.audit_hash = head.getColumn(1).getString();
  }
  return s;
}

std::vector<AuditRow> RunningBroker::audit_after(std::int64_t seq) const {
  auto db = open();
  SQLite::Statement query(
      *db, "SELECT actor, action, object, details FROM audit WHERE seq > ? ORDER BY seq");
  query.bind(1, seq);
  std::vector<AuditRow> rows;
  while (query.executeStep()) {
    boost::system::error_code ec;
    auto details = boost::json::parse(query.getColumn(3).getString(), ec);
    if (ec) details = boost::json::string("UNPARSABLE: " + query.getColumn(3).getString());
    rows.push_back({query.getColumn(0).getString(), query.getColumn(1).getString(),
                    query.getColumn(2).getString(), std::move(details)});
  }
  return rows;
}

std::int64_t RunningBroker::count(const std::string& sql) const {
  return open()->execAndGet(sql).getInt64();
}

std::unique_ptr<SQLite::Database> RunningBroker::open() const {
  return std::make_unique<SQLite::Database>(broker_.database().string(), SQLite::OPEN_READONLY);
}

void RunningBroker::start() {
  const std::int64_t published_before =
      std::filesystem::exists(broker_.database())
          ? count("SELECT count(*) FROM audit WHERE action = 'revocation.publish'")
          : 0;
  broker_.start();
  stopped_.reset();
  for (int i = 0; i < 300 && count("SELECT count(*) FROM audit WHERE action = "
                                   "'revocation.publish'") == published_before;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void RunningBroker::login(const std::string& user) {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  broker::HttpRequest request(broker::http::verb::post, "/v1/login", 11);
  request.set(broker::http::field::content_type, "application/json");
  request.body() = boost::json::serialize(
      boost::json::object{{"user", user},
                          {"password", kPassword},
                          {"mfa", {{"totp", *approvals::totp_code(secrets_.at(user), now)}}}});
  const auto answer = client()->request(std::move(request));
  if (answer.result() != broker::http::status::ok) {
    throw std::runtime_error("login " + user + ": " + answer.body());
  }
  tokens_[user] = std::string(boost::json::parse(answer.body()).at("token").as_string());
}

}  // namespace jit::testing
