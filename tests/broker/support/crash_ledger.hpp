// What the load clients of the crash-safety test saw acknowledged (a 2xx answer received), shared
// by their threads. Only acknowledged writes are promises the broker must keep after a crash; a
// call that died with the broker may or may not have committed.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace jit::testing {

struct AckedApproval {
  std::string request;
  std::string reviewer;
  std::string factor;      // "totp" or "webauthn"
  std::int64_t proof = 0;  // the TOTP step, or the passkey's signature counter
};

struct AckedGrant {
  std::string id;
  std::string request;
  std::string user;
  std::int64_t not_after = 0;
};

struct AckedCertificate {
  std::uint64_t serial = 0;  // read from the certificate itself
  std::string grant;
};

struct LedgerContents {
  std::map<std::string, std::string> requests;  // id -> requester
  std::vector<AckedApproval> approvals;
  std::map<std::string, AckedGrant> grants;
  std::vector<AckedCertificate> certificates;
  std::vector<std::string> unexpected;  // answers no operation of the load should get
  std::size_t transport_failures = 0;   // calls without an answer (the broker was down or died)
};

class CrashLedger {
 public:
  void request_created(const std::string& id, const std::string& requester) {
    std::lock_guard lock(mutex_);
    contents_.requests.emplace(id, requester);
  }
  void approved(AckedApproval approval) {
    std::lock_guard lock(mutex_);
    contents_.approvals.push_back(std::move(approval));
  }
  void grant_seen(AckedGrant grant) {
    std::lock_guard lock(mutex_);
    contents_.grants.emplace(grant.id, grant);
  }
  void certificate(AckedCertificate certificate) {
    std::lock_guard lock(mutex_);
    contents_.certificates.push_back(std::move(certificate));
  }
  void unexpected(std::string what) {
    std::lock_guard lock(mutex_);
    contents_.unexpected.push_back(std::move(what));
  }
  void transport_failure() {
    std::lock_guard lock(mutex_);
    ++contents_.transport_failures;
  }

  LedgerContents contents() const {
    std::lock_guard lock(mutex_);
    return contents_;
  }
  // True when an acknowledged grant ends after `unix_seconds` (so it is still active then).
  bool grant_ending_after(std::int64_t unix_seconds) const {
    std::lock_guard lock(mutex_);
    for (const auto& [id, grant] : contents_.grants) {
      if (grant.not_after > unix_seconds) return true;
    }
    return false;
  }

 private:
  mutable std::mutex mutex_;
  LedgerContents contents_;
};

}  // namespace jit::testing
