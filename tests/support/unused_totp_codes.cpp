#include "tests/support/unused_totp_codes.hpp"

#include "approvals/totp.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace jit::testing {
namespace {

std::int64_t step_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() /
         30;
}

}  // namespace

std::string UnusedTotpCodes::next(const std::string& user, const ca::Bytes& secret) {
  std::int64_t step = 0;
  {
    std::lock_guard lock(mutex_);
    auto& last = last_step_.try_emplace(user, -1).first->second;
    step = std::max(step_now(), last + 1);
    last = step;  // reserved before the wait, so another thread takes the step after it
  }
  while (step > step_now() + 1) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto code =
      approvals::totp_code(secret, std::chrono::sys_seconds(std::chrono::seconds(step * 30)));
  if (!code) throw std::runtime_error("cannot compute a TOTP code");
  return *code;
}

}  // namespace jit::testing
