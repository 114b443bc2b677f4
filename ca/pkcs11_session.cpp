#include "ca/pkcs11_session.hpp"

#include "ca/bytes.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

namespace jit::ca {

bool is_pkcs11_uri(std::string_view text) noexcept {
  constexpr std::string_view kScheme = "pkcs11:";
  if (text.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != kScheme[i]) return false;
  }
  return true;
}

std::string redact_pkcs11_uri(std::string_view uri) {
  // Attributes are separated by ';' in the path and '&' in the query (RFC 7512 section 2.3).
  std::string out;
  std::size_t start = 0;
  while (start <= uri.size()) {
    std::size_t end = uri.find_first_of(";?&", start);
    if (end == std::string_view::npos) end = uri.size();
    std::string_view part = uri.substr(start, end - start);
    const bool secret = part.starts_with("pin-value=") || part.starts_with("pkcs11:pin-value=");
    if (!secret) {
      out += part;
    } else if (part.starts_with("pkcs11:")) {
      out += "pkcs11:";
    }
    if (end == uri.size()) break;
    if (!secret || uri[end] == '?') out += uri[end];
    start = end + 1;
  }
  while (!out.empty() && (out.back() == ';' || out.back() == '&' || out.back() == '?')) {
    out.pop_back();
  }
  return out;
}

std::string pkcs11_rv_name(CK_RV rv) {
  char code[32];
  std::snprintf(code, sizeof code, "0x%lx", static_cast<unsigned long>(rv));
  const char* text = p11_kit_strerror(rv);
  return text != nullptr ? std::string(text) + " (" + code + ")" : std::string(code);
}

Pkcs11Uri::Pkcs11Uri(std::string_view text)
    : uri_(p11_kit_uri_new()), text_(redact_pkcs11_uri(text)) {
  if (!uri_) throw Pkcs11Error("out of memory parsing " + text_);
  const std::string copy(text);
  const int parsed = p11_kit_uri_parse(copy.c_str(), P11_KIT_URI_FOR_OBJECT_ON_TOKEN, uri_.get());
  if (parsed != P11_KIT_URI_OK) {
    throw Pkcs11Error("PKCS#11 URI " + text_ + " does not parse: " + p11_kit_uri_message(parsed));
  }
  if (p11_kit_uri_get_pin_value(uri_.get()) != nullptr ||
      p11_kit_uri_get_pin_source(uri_.get()) != nullptr) {
    throw Pkcs11Error("PKCS#11 URI " + text_ +
                      " carries a PIN; give it through ca.pkcs11.pin_env or ca.pkcs11.pin_file");
  }
}

bool Pkcs11Uri::matches(const CK_TOKEN_INFO& token) const {
  return p11_kit_uri_match_token_info(uri_.get(), &token) == 1;
}

std::vector<CK_ATTRIBUTE> Pkcs11Uri::object_attributes() const {
  CK_ULONG count = 0;
  CK_ATTRIBUTE* attributes = p11_kit_uri_get_attributes(uri_.get(), &count);
  if (attributes == nullptr) return {};
  return std::vector<CK_ATTRIBUTE>(attributes, attributes + count);
}

Pkcs11Module::Pkcs11Module(const std::filesystem::path& path, const std::string& uri) {
  // Managed (the default flags): p11-kit keeps per-caller state, so another library of this
  // process using the same module is not disturbed by our C_Finalize.
  functions_ = p11_kit_module_load(path.c_str(), 0);
  if (functions_ == nullptr) {
    throw Pkcs11Error("ca.pkcs11.module " + path.string() + " is not a PKCS#11 module (for " + uri +
                      ")");
  }
  if (const CK_RV rv = p11_kit_module_initialize(functions_); rv != CKR_OK) {
    p11_kit_module_release(functions_);
    functions_ = nullptr;
    throw Pkcs11Error("PKCS#11 module " + path.string() + " does not initialise (for " + uri +
                      "): " + pkcs11_rv_name(rv));
  }
  initialized_ = true;
}

Pkcs11Module::~Pkcs11Module() {
  if (initialized_) p11_kit_module_finalize(functions_);
  p11_kit_module_release(functions_);
}

std::shared_ptr<Pkcs11Module> Pkcs11Module::shared(const std::filesystem::path& path,
                                                   const std::string& uri) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<Pkcs11Module>> loaded;
  std::lock_guard lock(mutex);
  auto& slot = loaded[path.string()];
  if (auto existing = slot.lock()) return existing;
  auto made = std::make_shared<Pkcs11Module>(path, uri);
  slot = made;
  return made;
}

void Pkcs11Module::reinitialize(std::uint64_t seen) {
  std::unique_lock lock(calls_);
  const auto now = std::chrono::steady_clock::now();
  if (generation_.load() != seen || now - last_reinitialized_ < std::chrono::seconds(1)) return;
  last_reinitialized_ = now;
  if (initialized_) (void)p11_kit_module_finalize(functions_);
  // A failure leaves it uninitialised: calls answer CKR_CRYPTOKI_NOT_INITIALIZED, and the next
  // reinitialize() tries again.
  initialized_ = p11_kit_module_initialize(functions_) == CKR_OK;
  generation_.fetch_add(1);
}

CK_SLOT_ID Pkcs11Module::find_slot(const Pkcs11Uri& uri) const {
  CK_ULONG count = 0;
  if (const CK_RV rv = functions_->C_GetSlotList(CK_TRUE, nullptr, &count); rv != CKR_OK) {
    throw Pkcs11Error("cannot list the tokens for " + uri.text() + ": " + pkcs11_rv_name(rv));
  }
  std::vector<CK_SLOT_ID> slots(count);
  if (const CK_RV rv = functions_->C_GetSlotList(CK_TRUE, slots.data(), &count); rv != CKR_OK) {
    throw Pkcs11Error("cannot list the tokens for " + uri.text() + ": " + pkcs11_rv_name(rv));
  }
  slots.resize(count);
  std::vector<CK_SLOT_ID> matching;
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info{};
    if (functions_->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
    // An uninitialised token (SoftHSM2's spare slot) holds no keys.
    if ((info.flags & CKF_TOKEN_INITIALIZED) == 0) continue;
    if (uri.matches(info)) matching.push_back(slot);
  }
  if (matching.empty()) throw Pkcs11Error("no token matches PKCS#11 URI " + uri.text());
  if (matching.size() > 1) {
    throw Pkcs11Error(std::to_string(matching.size()) + " tokens match PKCS#11 URI " + uri.text() +
                      "; add token= or serial=");
  }
  return matching.front();
}

Pkcs11SessionPool::Pkcs11SessionPool(std::shared_ptr<Pkcs11Module> module, CK_SLOT_ID slot,
                                     std::string pin, bool read_write,
                                     std::shared_ptr<const Pkcs11Uri> uri)
    : module_(std::move(module)),
      uri_(std::move(uri)),
      slot_(slot),
      generation_(module_->generation()),
      pin_(std::move(pin)),
      read_write_(read_write) {}

Pkcs11SessionPool::~Pkcs11SessionPool() {
  drop_idle();
  wipe(pin_);
}

Pkcs11SessionPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->give_back(handle_);
}

void Pkcs11SessionPool::Lease::discard() noexcept {
  if (pool_ == nullptr) return;
  (void)pool_->api().C_CloseSession(handle_);
  pool_ = nullptr;
}

CK_RV Pkcs11SessionPool::acquire(std::unique_ptr<Lease>& out) {
  auto use = module_->use();
  CK_SLOT_ID slot = 0;
  {
    std::lock_guard lock(mutex_);
    if (generation_ != module_->generation()) {
      // The module started afresh: its old sessions are gone, and the token may be in another
      // slot now (re-plugged) or in none yet.
      idle_.clear();
      generation_ = module_->generation();
      slot_known_ = uri_ == nullptr;
    }
    if (!slot_known_) {
      try {
        slot_ = module_->find_slot(*uri_);
        slot_known_ = true;
      } catch (const Pkcs11Error&) {
        return CKR_TOKEN_NOT_PRESENT;
      }
    }
    if (!idle_.empty()) {
      out = std::make_unique<Lease>(this, idle_.back(), std::move(use));
      idle_.pop_back();
      return CKR_OK;
    }
    slot = slot_;
  }
  CK_FUNCTION_LIST& f = api();
  CK_SESSION_HANDLE session = 0;
  CK_FLAGS flags = CKF_SERIAL_SESSION | (read_write_ ? CKF_RW_SESSION : 0);
  if (const CK_RV rv = f.C_OpenSession(slot, flags, nullptr, nullptr, &session); rv != CKR_OK) {
    return rv;
  }
  // Login is per token and application: the first session logs in, later ones are logged in
  // already (CKR_USER_ALREADY_LOGGED_IN), and it ends when the application's last session closes.
  auto* pin = reinterpret_cast<CK_UTF8CHAR*>(pin_.data());
  const CK_RV login = f.C_Login(session, CKU_USER, pin, static_cast<CK_ULONG>(pin_.size()));
  if (login != CKR_OK && login != CKR_USER_ALREADY_LOGGED_IN) {
    (void)f.C_CloseSession(session);
    return login;
  }
  out = std::make_unique<Lease>(this, session, std::move(use));
  return CKR_OK;
}

std::unique_ptr<Pkcs11SessionPool::Lease> Pkcs11SessionPool::acquire_or_throw(
    const Pkcs11Uri& uri) {
  std::unique_ptr<Lease> lease;
  const CK_RV rv = acquire(lease);
  if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE) {
    throw Pkcs11Error("the token refused the PIN for PKCS#11 URI " + uri.text() +
                      " (ca.pkcs11.pin_env / pin_file)");
  }
  if (rv != CKR_OK) {
    throw Pkcs11Error("cannot log in to the token of PKCS#11 URI " + uri.text() + ": " +
                      pkcs11_rv_name(rv));
  }
  return lease;
}

void Pkcs11SessionPool::give_back(CK_SESSION_HANDLE handle) noexcept {
  std::lock_guard lock(mutex_);
  idle_.push_back(handle);
}

void Pkcs11SessionPool::drop_idle() noexcept {
  const auto use = module_->use();
  std::vector<CK_SESSION_HANDLE> idle;
  {
    std::lock_guard lock(mutex_);
    idle.swap(idle_);
    // Handles of an older generation died with it, and their numbers may be another pool's now.
    if (generation_ != module_->generation()) return;
  }
  for (CK_SESSION_HANDLE handle : idle) (void)api().C_CloseSession(handle);
}

}  // namespace jit::ca
