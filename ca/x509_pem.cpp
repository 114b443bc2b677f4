#include "ca/x509_pem.hpp"

#include <algorithm>

namespace jit::ca {
namespace {

constexpr std::string_view kPemBeginPrefix = "-----BEGIN ";
constexpr std::string_view kPemEndPrefix = "-----END ";
constexpr std::string_view kDashes = "-----";
constexpr std::size_t kLineWidth = 64;

bool is_pem_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim_pem(std::string_view text) {
  while (!text.empty() && is_pem_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_pem_space(text.back())) text.remove_suffix(1);
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
  std::string_view rest = trim_pem(text);
  const std::string_view begin_line = take_line(rest);
  if (!begin_line.starts_with(kPemBeginPrefix) || !begin_line.ends_with(kDashes) ||
      begin_line.size() < kPemBeginPrefix.size() + kDashes.size()) {
    return CaErrc::malformed;
  }
  const std::string_view label = begin_line.substr(
      kPemBeginPrefix.size(), begin_line.size() - kPemBeginPrefix.size() - kDashes.size());
  bool known = false;
  for (std::string_view wanted : labels) known = known || label == wanted;
  if (!known) return CaErrc::malformed;

  std::string base64;
  base64.reserve(rest.size());
  bool ended = false;
  while (!rest.empty()) {
    const std::string_view line = take_line(rest);
    if (line.starts_with(kPemEndPrefix)) {
      if (line.size() != kPemEndPrefix.size() + label.size() + kDashes.size() ||
          line.substr(kPemEndPrefix.size(), label.size()) != label || !line.ends_with(kDashes)) {
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
  // Written in place into a string sized up front: CRLs reach megabytes, and appending character
  // by character then line by line cost more than signing them.
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::size_t symbols = (der.size() + 2) / 3 * 4;
  const std::size_t lines = (symbols + kLineWidth - 1) / kLineWidth;
  const std::string begin = std::string(kPemBeginPrefix).append(label).append(kDashes).append("\n");
  const std::string end = std::string(kPemEndPrefix).append(label).append(kDashes).append("\n");
  std::string out(begin.size() + symbols + lines + end.size(), '\0');
  char* cursor = std::copy(begin.begin(), begin.end(), out.data());
  std::size_t column = 0;
  const auto put = [&](char c) {
    *cursor++ = c;
    if (++column == kLineWidth) {
      *cursor++ = '\n';
      column = 0;
    }
  };
  const auto* in = reinterpret_cast<const unsigned char*>(der.data());
  std::size_t i = 0;
  for (; i + 3 <= der.size(); i += 3) {
    const unsigned v = (unsigned{in[i]} << 16) | (unsigned{in[i + 1]} << 8) | in[i + 2];
    put(kAlphabet[(v >> 18) & 63]);
    put(kAlphabet[(v >> 12) & 63]);
    put(kAlphabet[(v >> 6) & 63]);
    put(kAlphabet[v & 63]);
  }
  if (const std::size_t left = der.size() - i; left > 0) {
    const unsigned v = (unsigned{in[i]} << 16) | (left == 2 ? unsigned{in[i + 1]} << 8 : 0U);
    put(kAlphabet[(v >> 18) & 63]);
    put(kAlphabet[(v >> 12) & 63]);
    put(left == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    put('=');
  }
  if (column != 0) *cursor++ = '\n';
  std::copy(end.begin(), end.end(), cursor);
  return out;
}

}  // namespace jit::ca
