// approvals::SharedChallenges on the database's pending_ceremonies table
// (broker/store/pending_ceremonies.hpp): how the brokers of one PostgreSQL deployment accept each
// other's WebAuthn challenges, so that login/begin at one broker and POST /v1/login at another
// work behind a load balancer without affinity (docs/architecture.md, "Ceremonies across
// brokers"). IdentityService installs one when its store is on PostgreSQL.
#pragma once

#include "approvals/challenge_store.hpp"
#include "broker/store/store.hpp"

namespace jit::broker {

class SharedChallengeTable final : public approvals::SharedChallenges {
 public:
  explicit SharedChallengeTable(Store& store) : store_(store) {}

  Result<void> publish(ca::ByteView challenge, approvals::ChallengePurpose purpose,
                       std::string_view user, ca::ByteView nonce,
                       approvals::TimePoint expires_at) override;
  Result<std::optional<Taken>> take(ca::ByteView challenge, approvals::ChallengePurpose purpose,
                                    std::string_view user) override;
  void withdraw(ca::ByteView challenge, approvals::ChallengePurpose purpose) override;

 private:
  Store& store_;
};

}  // namespace jit::broker
