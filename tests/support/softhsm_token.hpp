// A SoftHSM2 token in a temporary folder for the PKCS#11 tests: its own softhsm2.conf, set as
// SOFTHSM2_CONF for this process (and so for the programs it starts), and one token initialised
// with softhsm2-util. Tests of one binary run one after another, so the variable is theirs alone.
#pragma once

#include "tests/support/temp_dir.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace jit::testing {

// Debian's softhsm2 package.
inline const std::filesystem::path kSoftHsmModule = "/usr/lib/softhsm/libsofthsm2.so";

class SoftHsmToken {
 public:
  // Initialises a token labelled `label` with user PIN pin() (throws when softhsm2-util fails).
  explicit SoftHsmToken(const std::string& label = "jit");
  ~SoftHsmToken();
  SoftHsmToken(const SoftHsmToken&) = delete;
  SoftHsmToken& operator=(const SoftHsmToken&) = delete;

  [[nodiscard]] const std::string& pin() const { return pin_; }
  [[nodiscard]] std::filesystem::path conf_file() const { return dir_ / "softhsm2.conf"; }
  [[nodiscard]] std::filesystem::path token_dir() const { return dir_ / "tokens"; }
  // Another token in the same store (for "two tokens match" and wrong-token cases).
  void add_token(const std::string& label) const;
  // What an unplugged HSM looks like to SoftHSM2: its token folder is gone.
  void remove_tokens() const;
  // The same, with the folder kept aside, and put back: the HSM plugged in again (or a network
  // HSM reachable again) with the same keys.
  void unplug() const;
  void plug_back() const;

 private:
  TempDir dir_;
  std::string pin_ = "1234-test-pin";
  std::optional<std::string> saved_lsan_options_;
};

}  // namespace jit::testing
