#include "support/ssh_test_support.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace jit::testing {

using namespace jit::ca;  // the SSH types these helpers make

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ssh_test_file(const std::string& name) {
  return read_text_file(std::filesystem::path(JIT_TEST_DATA_DIR) / "ssh" / name);
}

void write_text_file(const std::filesystem::path& path, const std::string& text, int mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + path.string());
    out << text;
  }
  std::filesystem::permissions(path, static_cast<std::filesystem::perms>(mode));
}

SshCertificateProfile test_profile() {
  SshCertificateProfile profile;
  profile.serial = 42;
  profile.key_id = "jit:req-1:alice:prod-db-read";
  profile.principals = {"dbread"};
  profile.valid_after = kTestNow - std::chrono::seconds(30);  // backdated for clock skew
  profile.valid_before = kTestNow + std::chrono::hours(1);
  return profile;
}

SshCaKey must_generate(KeyAlgorithm algorithm) {
  auto key = SshCaKey::generate(algorithm);
  if (!key) throw std::runtime_error("key generation failed");
  return std::move(*key);
}

Bytes to_bytes(std::string_view text) {
  const ByteView view = as_bytes(text);
  return Bytes(view.begin(), view.end());
}

ca::Bytes bytes_of(std::initializer_list<int> values) {
  ca::Bytes out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

ca::SshPublicKey golden_ca() {
  return *ca::SshPublicKey::parse_line(ssh_test_file("ed25519_ca.pub"));
}

}  // namespace jit::testing
