#include "ca/ssh_certificate.hpp"

namespace jit::ca {

std::string SshCertificate::line(std::string_view comment) const {
  std::string out(type_name());
  out += ' ';
  out += base64_encode(blob);
  if (!comment.empty()) {
    out += ' ';
    out += comment;
  }
  return out;
}

bool SshCertificate::valid_at(std::chrono::sys_seconds now) const noexcept {
  const auto seconds = now.time_since_epoch().count();
  if (seconds < 0) return false;
  const auto t = static_cast<std::uint64_t>(seconds);
  return valid_after <= t && t < valid_before;
}

}  // namespace jit::ca
