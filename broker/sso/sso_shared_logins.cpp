#include "broker/sso/sso_shared_logins.hpp"

#include "approvals/secret_box.hpp"
#include "broker/log.hpp"
#include "broker/store/pending_ceremonies.hpp"

#include <boost/json.hpp>

namespace jit::broker {
namespace {

constexpr std::string_view kSsoKind = "sso.login";

std::string associated_data(const std::string& key) { return "jitbroker sso login " + key; }

std::optional<ca::Bytes> sealed(ca::ByteView data_key, const std::string& key,
                                const PendingSsoLogin& login) {
  std::string text =
      boost::json::serialize(boost::json::object{{"provider", login.provider},
                                                 {"flow", static_cast<int>(login.flow)},
                                                 {"nonce", login.nonce},
                                                 {"code_verifier", login.code_verifier},
                                                 {"code_challenge", login.code_challenge},
                                                 {"redirect_uri", login.redirect_uri},
                                                 {"binding_hash", login.binding_hash},
                                                 {"next", login.next},
                                                 {"device_code", login.device_code},
                                                 {"interval", login.interval.count()}});
  auto box =
      approvals::seal_secret(data_key, ca::as_bytes(text), ca::as_bytes(associated_data(key)));
  if (!box) return std::nullopt;
  return std::move(*box);
}

std::string text_of(const boost::json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

std::optional<PendingSsoLogin> opened(ca::ByteView data_key, const std::string& key,
                                      const ca::Bytes& payload) {
  auto plain = approvals::open_secret(data_key, payload, ca::as_bytes(associated_data(key)));
  if (!plain) return std::nullopt;
  boost::system::error_code ec;
  const auto value = boost::json::parse(ca::as_chars(*plain), ec);
  ca::wipe(*plain);
  if (ec || !value.is_object()) return std::nullopt;
  const auto& object = value.as_object();
  const auto* flow = object.if_contains("flow");
  const auto* interval = object.if_contains("interval");
  if (flow == nullptr || !flow->is_int64() || interval == nullptr || !interval->is_int64()) {
    return std::nullopt;
  }
  if (flow->as_int64() < 0 || flow->as_int64() > static_cast<int>(SsoFlow::device)) {
    return std::nullopt;
  }
  PendingSsoLogin login;
  login.provider = text_of(object, "provider");
  login.flow = static_cast<SsoFlow>(flow->as_int64());
  login.nonce = text_of(object, "nonce");
  login.code_verifier = text_of(object, "code_verifier");
  login.code_challenge = text_of(object, "code_challenge");
  login.redirect_uri = text_of(object, "redirect_uri");
  login.binding_hash = text_of(object, "binding_hash");
  login.next = text_of(object, "next");
  login.device_code = text_of(object, "device_code");
  login.interval = std::chrono::seconds(interval->as_int64());
  return login;
}

void log_unreachable(std::string_view what, const db::Error& e) {
  log_event(LogLevel::warning, "sso_shared_login_failed", {{"step", what}, {"error", e.what()}});
}

}  // namespace

bool publish_shared(Store& store, ca::ByteView data_key, const std::string& key,
                    const PendingSsoLogin& login, std::chrono::steady_clock::time_point now) {
  auto payload = sealed(data_key, key, login);
  if (!payload) return false;
  const auto left =
      std::chrono::duration_cast<std::chrono::microseconds>(login.expires_at - now).count();
  try {
    store.read([&](db::Connection& db) {
      const auto now_us = pending_ceremony_now_us();
      prune_pending_ceremonies_now_and_then(db, now_us);
      insert_pending_ceremony(db, key, kSsoKind, {"", std::move(*payload), now_us + left});
    });
    return true;
  } catch (const db::Error& e) {
    log_unreachable("publish", e);
    return false;
  }
}

Result<std::optional<PendingSsoLogin>> shared_login(Store& store, ca::ByteView data_key,
                                                    const std::string& key, bool take,
                                                    std::chrono::steady_clock::time_point now) {
  std::optional<PendingCeremony> row;
  try {
    row = store.read([&](db::Connection& db) {
      return take ? take_pending_ceremony(db, key, kSsoKind, "")
                  : find_pending_ceremony(db, key, kSsoKind);
    });
  } catch (const db::Error& e) {
    log_unreachable(take ? "take" : "find", e);
    return BrokerErrc::unavailable;
  }
  if (!row) return std::optional<PendingSsoLogin>();
  const std::int64_t left_us = row->expires_at_us - pending_ceremony_now_us();
  if (left_us <= 0) return std::optional<PendingSsoLogin>();
  auto login = opened(data_key, key, row->payload);
  if (!login) return std::optional<PendingSsoLogin>();
  login->expires_at = now + std::chrono::microseconds(left_us);
  login->next_poll = now;  // this broker has not passed a poll on yet
  return login;
}

void forget_shared(Store& store, const std::string& key) {
  try {
    store.read([&](db::Connection& db) { delete_pending_ceremony(db, key, kSsoKind); });
  } catch (const db::Error& e) {
    log_unreachable("delete", e);
  }
}

void replace_shared(Store& store, ca::ByteView data_key, const std::string& key,
                    const PendingSsoLogin& login) {
  auto payload = sealed(data_key, key, login);
  if (!payload) return;
  try {
    store.read(
        [&](db::Connection& db) { replace_pending_ceremony_payload(db, key, kSsoKind, *payload); });
  } catch (const db::Error& e) {
    log_unreachable("replace", e);  // the other brokers keep the older pace: the provider's rules
  }
}

}  // namespace jit::broker
