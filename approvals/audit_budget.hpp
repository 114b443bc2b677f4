// How many audit records of a caller-driven kind (failed logins) are written per key and window
// (issue 14, B9). Beyond the budget a failure is only counted; the count goes into the next record
// of that key that is written, so the log stays bounded and still tells how many there were. Keys
// should be few (a user name, or one key for every unknown name): a caller-chosen key would let
// the map grow. Pure, not thread-safe: the caller serialises.
#pragma once

#include "approvals/time_point.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace jit::approvals {

class AuditBudget {
 public:
  struct Admission {
    bool record = false;                  // write this one
    std::uint64_t suppressed_before = 0;  // when written: how many of this key were left out
  };

  AuditBudget(std::size_t per_window, std::chrono::seconds window);

  Admission admit(const std::string& key, TimePoint now);
  // Left out since construction, over all keys.
  std::uint64_t suppressed_total() const { return suppressed_total_; }

 private:
  struct Window {
    TimePoint start;
    std::size_t recorded = 0;
    std::uint64_t suppressed = 0;  // since the last record of the key
  };

  std::size_t per_window_;
  std::chrono::seconds window_;
  std::unordered_map<std::string, Window> windows_;
  std::uint64_t suppressed_total_ = 0;
};

}  // namespace jit::approvals
