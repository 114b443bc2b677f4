#include "tests/support/softhsm_token.hpp"

#include "tests/support/child_process.hpp"
#include "tests/support/files.hpp"

#include <cstdlib>
#include <stdexcept>

namespace jit::testing {

SoftHsmToken::SoftHsmToken(const std::string& label) {
  std::filesystem::create_directories(token_dir());
  write_text(conf_file(), "directories.tokendir = " + token_dir().string() +
                              "\nobjectstore.backend = file\nlog.level = ERROR\n");
  ::setenv("SOFTHSM2_CONF", conf_file().c_str(), 1);
  // SoftHSM2 2.6.1 leaks a small ASN.1 string in C_SignInit with an Ed25519 key, which the leak
  // check of the ASan build reports at the exit of every jit-broker that signed on the token. It
  // is the module's, not ours: processes started while a token exists skip leaks allocated from
  // libsofthsm2.so, and unwind fully so that frame is seen (libcrypto has no frame pointers).
  // Binaries built without ASan ignore the variable.
  if (const char* lsan = std::getenv("LSAN_OPTIONS")) saved_lsan_options_ = lsan;
  write_text(dir_ / "lsan.supp", "leak:libsofthsm2.so\n");
  const std::string options =
      "suppressions=" + (dir_ / "lsan.supp").string() + ":fast_unwind_on_malloc=0";
  ::setenv("LSAN_OPTIONS", options.c_str(), 1);
  add_token(label);
}

SoftHsmToken::~SoftHsmToken() {
  ::unsetenv("SOFTHSM2_CONF");
  if (saved_lsan_options_) {
    ::setenv("LSAN_OPTIONS", saved_lsan_options_->c_str(), 1);
  } else {
    ::unsetenv("LSAN_OPTIONS");
  }
}

void SoftHsmToken::add_token(const std::string& label) const {
  auto [code, out, err] =
      ChildProcess::run({"/usr/bin/softhsm2-util", "--init-token", "--free", "--label", label,
                         "--pin", pin_, "--so-pin", "5678-test-so-pin"},
                        dir_.path(), {"SOFTHSM2_CONF=" + conf_file().string()});
  if (code != 0) throw std::runtime_error("softhsm2-util --init-token failed: " + err + out);
}

void SoftHsmToken::remove_tokens() const { std::filesystem::remove_all(token_dir()); }

void SoftHsmToken::unplug() const {
  std::filesystem::rename(token_dir(), dir_ / "unplugged");
  // An empty token store: SoftHSM2 then shows only its free slot, as with the HSM unplugged.
  std::filesystem::create_directories(token_dir());
}

void SoftHsmToken::plug_back() const {
  std::filesystem::remove_all(token_dir());
  std::filesystem::rename(dir_ / "unplugged", token_dir());
}

}  // namespace jit::testing
