// TOTP codes a test user has not used yet. The broker accepts each 30 s step once per user, and
// the next step too (approvals/totp.hpp), so a test that signs in and then approves needs codes
// from different steps: this hands out the earliest unused step the broker accepts now and waits
// only when a user needs a third code within one step.
#pragma once

#include "ca/bytes.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace jit::testing {

class UnusedTotpCodes {
 public:
  // A code of `secret` (the user's TOTP secret) for a step `user` has not used. Safe to call from
  // several threads; a wait for the next step holds no lock.
  std::string next(const std::string& user, const ca::Bytes& secret);

 private:
  std::mutex mutex_;
  std::map<std::string, std::int64_t> last_step_;  // per user: the newest step handed out
};

}  // namespace jit::testing
