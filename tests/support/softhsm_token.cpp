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
  add_token(label);
}

SoftHsmToken::~SoftHsmToken() { ::unsetenv("SOFTHSM2_CONF"); }

void SoftHsmToken::add_token(const std::string& label) const {
  auto [code, out, err] =
      ChildProcess::run({"/usr/bin/softhsm2-util", "--init-token", "--free", "--label", label,
                         "--pin", pin_, "--so-pin", "5678-test-so-pin"},
                        dir_.path(), {"SOFTHSM2_CONF=" + conf_file().string()});
  if (code != 0) throw std::runtime_error("softhsm2-util --init-token failed: " + err + out);
}

void SoftHsmToken::remove_tokens() const { std::filesystem::remove_all(token_dir()); }

}  // namespace jit::testing
