#include "broker/auth/enrollment.hpp"

#include "approvals/password_hash.hpp"
#include "approvals/password_rules.hpp"
#include "approvals/secret_box.hpp"
#include "approvals/totp.hpp"
#include "broker/admin/operator_account.hpp"
#include "broker/auth/credential_store.hpp"
#include "broker/auth/session_tokens.hpp"
#include "broker/store/event_outbox.hpp"

#include <stdexcept>

namespace jit::broker {

EnrollmentResult enroll_user(Store& store, const config::Policy& policy, ca::ByteView data_key,
                             std::string_view user, std::string_view password, bool reset) {
  if (policy.find_user(user) == nullptr) {
    throw std::runtime_error("user " + std::string(user) + " is not in the policy file " +
                             policy.file.string());
  }
  if (auto problem = approvals::new_password_problem(password, user)) {
    throw std::runtime_error(std::string(approvals::describe(*problem)));
  }
  auto hash = approvals::hash_password(password);
  if (!hash) throw std::runtime_error("cannot hash the password");
  auto secret = approvals::generate_totp_secret();
  if (!secret) throw std::runtime_error("cannot generate a TOTP secret");
  // The user's name is the associated data: a sealed secret cannot be moved to another user's row.
  auto sealed = approvals::seal_secret(data_key, *secret, ca::as_bytes(user));
  if (!sealed) throw std::runtime_error("cannot seal the TOTP secret");
  auto uri = approvals::otpauth_uri(user, *secret);
  ca::wipe(*secret);
  if (!uri) throw std::runtime_error("cannot build the otpauth URI");

  bool existed = false;
  const auto ec = store.write_sync([&](WriteContext& tx) -> boost::system::error_code {
    existed = find_credentials(tx.db(), user).has_value();
    if (existed && !reset) return BrokerErrc::conflict;
    if (!existed && reset) return BrokerErrc::not_found;
    upsert_credentials(tx, user, *hash, *sealed);
    if (reset) {
      // A reset is account recovery: a passkey registered by whoever held the account goes too.
      delete_user_sessions(tx, user);
      delete_webauthn_credentials(tx, user);
    }
    tx.audit({"admin", reset ? "user.reset" : "user.enroll", "user/" + std::string(user),
              operator_account_details()});
    return {};
  });
  if (ec == BrokerErrc::conflict) {
    throw std::runtime_error("user " + std::string(user) +
                             " is already enrolled; use `user reset`");
  }
  if (ec == BrokerErrc::not_found) {
    throw std::runtime_error("user " + std::string(user) + " is not enrolled; use `user enroll`");
  }
  if (ec) throw std::runtime_error("cannot store credentials: " + std::string(error_code_name(ec)));
  return {std::move(*uri)};
}

void set_user_locked(Store& store, std::string_view user, bool locked) {
  const auto ec = store.write_sync([&](WriteContext& tx) -> boost::system::error_code {
    if (!find_credentials(tx.db(), user)) return BrokerErrc::not_found;
    set_admin_lock(tx, user, locked);
    if (locked) delete_user_sessions(tx, user);
    tx.audit({"admin", locked ? "user.lock" : "user.unlock", "user/" + std::string(user),
              operator_account_details()});
    // Approvers and the security team hear of a lock from the outbox (docs/architecture.md,
    // "Events").
    if (locked)
      enqueue_event(tx.db(), "user.locked", {{"user", std::string(user)}}, tx.now_seconds());
    return {};
  });
  if (ec == BrokerErrc::not_found) {
    throw std::runtime_error("user " + std::string(user) + " is not enrolled");
  }
  if (ec) throw std::runtime_error("cannot update user: " + std::string(error_code_name(ec)));
}

}  // namespace jit::broker
