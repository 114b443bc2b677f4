// The PKCS#11 plumbing under Pkcs11Signer (docs/architecture.md "CA signers"): RFC 7512 URIs and
// module loading through p11-kit, the token a URI names, and a pool of logged-in sessions so that
// several threads sign at once (a PKCS#11 session runs one operation at a time). Failures while
// opening are Pkcs11Error exceptions with one line naming the URI (never the PIN); failures while
// signing are CaErrc::signer_unavailable.
#pragma once

#include "ca/ca_error.hpp"

#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace jit::ca {

class Pkcs11Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "pkcs11:..." (RFC 7512 section 2.3: the scheme is case-insensitive).
[[nodiscard]] bool is_pkcs11_uri(std::string_view text) noexcept;
// The URI with any pin-value attribute removed, for messages.
[[nodiscard]] std::string redact_pkcs11_uri(std::string_view uri);

// A parsed URI naming an object on a token. Throws Pkcs11Error for text that does not parse or
// that carries a PIN (pin-value/pin-source: the PIN comes from ca.pkcs11.pin_env or pin_file).
class Pkcs11Uri {
 public:
  explicit Pkcs11Uri(std::string_view text);
  [[nodiscard]] bool matches(const CK_TOKEN_INFO& token) const;
  // The object attributes the URI names (id, label, class), pointing into this object.
  [[nodiscard]] std::vector<CK_ATTRIBUTE> object_attributes() const;
  [[nodiscard]] const std::string& text() const noexcept { return text_; }  // redacted

 private:
  struct Free {
    void operator()(P11KitUri* uri) const noexcept { p11_kit_uri_free(uri); }
  };
  std::unique_ptr<P11KitUri, Free> uri_;
  std::string text_;
};

// A PKCS#11 module loaded and initialised by p11-kit (managed: p11-kit lets several users of one
// module in one process initialise and finalise it independently). Finalised when the last user
// lets go.
class Pkcs11Module {
 public:
  // Throws Pkcs11Error naming the path and `uri` when the file is not a loadable PKCS#11 module.
  Pkcs11Module(const std::filesystem::path& path, const std::string& uri);
  ~Pkcs11Module();
  Pkcs11Module(const Pkcs11Module&) = delete;
  Pkcs11Module& operator=(const Pkcs11Module&) = delete;

  // The one instance of the module at `path` in this process, shared by every key on it, so that
  // reinitialize() really restarts the module (throws as the constructor).
  [[nodiscard]] static std::shared_ptr<Pkcs11Module> shared(const std::filesystem::path& path,
                                                            const std::string& uri);

  [[nodiscard]] CK_FUNCTION_LIST& api() const noexcept { return *functions_; }
  // The slot of the one present token the URI matches; Pkcs11Error when none or several do.
  [[nodiscard]] CK_SLOT_ID find_slot(const Pkcs11Uri& uri) const;

  // Held for a whole operation by whoever calls api() after opening (session leases):
  // reinitialize() waits for them, since PKCS#11 forbids C_Finalize during other calls.
  [[nodiscard]] std::shared_lock<std::shared_mutex> use() const { return std::shared_lock(calls_); }
  // Counts reinitialize() calls that ran: every session and handle of an older one is gone.
  [[nodiscard]] std::uint64_t generation() const noexcept { return generation_.load(); }
  // C_Finalize then C_Initialize, so the module looks for its tokens anew: SoftHSM2 keeps a token
  // whose files vanished unusable until then, and network HSM clients often need it after a
  // disconnect (docs/architecture.md "CA signers"). Does nothing when another caller did it since
  // `seen` (a generation()) or less than a second ago. Never call it while holding use().
  void reinitialize(std::uint64_t seen);

 private:
  CK_FUNCTION_LIST* functions_ = nullptr;
  bool initialized_ = false;  // guarded by calls_ (exclusive) after construction
  mutable std::shared_mutex calls_;
  std::atomic<std::uint64_t> generation_{0};
  std::chrono::steady_clock::time_point last_reinitialized_;  // guarded by calls_
};

// Logged-in sessions on one token, reused. The PIN stays in memory (wiped when the pool goes) so
// that after the token comes back (re-plugged, a network HSM reconnected) new sessions can log in
// again without a restart.
class Pkcs11SessionPool {
 public:
  // `uri` (optional) finds the token's slot again after the module was reinitialised.
  Pkcs11SessionPool(std::shared_ptr<Pkcs11Module> module, CK_SLOT_ID slot, std::string pin,
                    bool read_write, std::shared_ptr<const Pkcs11Uri> uri = nullptr);
  ~Pkcs11SessionPool();
  Pkcs11SessionPool(const Pkcs11SessionPool&) = delete;
  Pkcs11SessionPool& operator=(const Pkcs11SessionPool&) = delete;

  // One session, back to the pool when destroyed unless discard() was called (after a failure:
  // the session may be dead with its token). Holds the module's use() while it lives.
  class Lease {
   public:
    Lease(Pkcs11SessionPool* pool, CK_SESSION_HANDLE handle,
          std::shared_lock<std::shared_mutex> use)
        : pool_(pool), handle_(handle), use_(std::move(use)) {}
    Lease(Lease&& other) noexcept
        : pool_(other.pool_), handle_(other.handle_), use_(std::move(other.use_)) {
      other.pool_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    [[nodiscard]] CK_SESSION_HANDLE handle() const noexcept { return handle_; }
    void discard() noexcept;

   private:
    Pkcs11SessionPool* pool_;
    CK_SESSION_HANDLE handle_;
    std::shared_lock<std::shared_mutex> use_;
  };

  // A pooled session or a new logged-in one; the PKCS#11 return value when a new one cannot be
  // opened or logged in (CKR_PIN_INCORRECT, CKR_TOKEN_NOT_PRESENT, ...).
  [[nodiscard]] CK_RV acquire(std::unique_ptr<Lease>& out);
  // acquire() at start-up: Pkcs11Error naming the URI when the PIN is refused or the token fails.
  [[nodiscard]] std::unique_ptr<Lease> acquire_or_throw(const Pkcs11Uri& uri);
  // Closes every idle session (the token went away: they are all dead). Not while holding a lease.
  void drop_idle() noexcept;
  [[nodiscard]] CK_FUNCTION_LIST& api() const noexcept { return module_->api(); }
  [[nodiscard]] Pkcs11Module& module() const noexcept { return *module_; }

 private:
  void give_back(CK_SESSION_HANDLE handle) noexcept;

  std::shared_ptr<Pkcs11Module> module_;
  std::shared_ptr<const Pkcs11Uri> uri_;
  CK_SLOT_ID slot_;           // guarded by mutex_
  bool slot_known_ = true;    // false once the token was not found after a reinitialisation
  std::uint64_t generation_;  // the module's generation slot_ and idle_ belong to; by mutex_
  std::string pin_;
  bool read_write_;
  std::mutex mutex_;
  std::vector<CK_SESSION_HANDLE> idle_;
};

// A PKCS#11 return value as its CKR_ name ("CKR_PIN_INCORRECT"), for messages.
[[nodiscard]] std::string pkcs11_rv_name(CK_RV rv);

}  // namespace jit::ca
