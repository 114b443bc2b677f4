#include "ca/x509_pem.hpp"

namespace jit::ca {
namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";
constexpr std::string_view kDashes = "-----";
constexpr std::size_t kLineWidth = 64;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// Consumes one line (without its "\n" or "\r\n") from the front of `text`.
std::string_view take_line(std::string_view& text) {
  const std::size_t end = text.find('\n');
  std::string_view line = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

Result<Bytes> decode_single_pem(std::string_view text,
                                std::initializer_list<std::string_view> labels) {
  std::string_view rest = trim(text);
  const std::string_view begin_line = take_line(rest);
  if (!begin_line.starts_with(kBegin) || !begin_line.ends_with(kDashes) ||
      begin_line.size() < kBegin.size() + kDashes.size()) {
    return CaErrc::malformed;
  }
  const std::string_view label =
      begin_line.substr(kBegin.size(), begin_line.size() - kBegin.size() - kDashes.size());
  bool known = false;
  for (std::string_view wanted : labels) known = known || label == wanted;
  if (!known) return CaErrc::malformed;

  std::string base64;
  base64.reserve(rest.size());
  bool ended = false;
  while (!rest.empty()) {
    const std::string_view line = take_line(rest);
    if (line.starts_with(kEnd)) {
      if (line.size() != kEnd.size() + label.size() + kDashes.size() ||
          line.substr(kEnd.size(), label.size()) != label || !line.ends_with(kDashes)) {
        return CaErrc::malformed;
      }
      ended = true;
      break;
    }
    // Base64 characters only: this refuses headers ("Proc-Type:"), blank lines and nested blocks.
    if (line.empty()) return CaErrc::malformed;
    base64.append(line);
  }
  // The input was trimmed, so anything after the END line is a second block or junk.
  if (!ended || !rest.empty() || base64.empty()) return CaErrc::malformed;
  Bytes der;
  if (!base64_decode(base64, der)) return CaErrc::malformed;
  return der;
}

std::string encode_pem(std::string_view label, ByteView der) {
  const std::string body = base64_encode(der);
  std::string out;
  out.reserve(body.size() + body.size() / kLineWidth + 2 * (label.size() + 20));
  out.append(kBegin).append(label).append(kDashes).append("\n");
  for (std::size_t at = 0; at < body.size(); at += kLineWidth) {
    out.append(body, at, kLineWidth).append("\n");
  }
  out.append(kEnd).append(label).append(kDashes).append("\n");
  return out;
}

}  // namespace jit::ca
