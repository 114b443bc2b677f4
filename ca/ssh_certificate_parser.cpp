// Reads a certificate's fields (docs/protocols.md 2.2), then verifies the CA signature over fields
// 1..13. Nothing is returned before the signature has verified.
#include "ca/ssh_certificate.hpp"

#include "ca/ssh_signature.hpp"
#include "ca/ssh_wire.hpp"

#include <algorithm>
#include <set>

namespace jit::ca {
namespace {

constexpr std::size_t kMinNonce = 16;
constexpr std::size_t kMaxNonce = 256;
constexpr std::size_t kMaxOptionValue = 4096;
constexpr std::size_t kMaxBlobField = 16 * 1024;

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

bool read_principals(ByteReader& reader, std::vector<std::string>& out) {
  ByteReader list(ByteView{});
  if (!reader.sub(kMaxSshCertificateBytes, list)) return false;
  std::vector<std::string> principals;
  std::set<std::string> seen;
  while (!list.empty()) {
    std::string principal;
    if (principals.size() == kMaxSshPrincipals || !list.cstring(kMaxSshPrincipalLength, principal))
      return false;
    if (principal.empty() || has_control(principal) || principal.find(',') != std::string::npos)
      return false;
    if (!seen.insert(principal).second) return false;
    principals.push_back(std::move(principal));
  }
  if (principals.empty()) return false;
  out = std::move(principals);
  return true;
}

// A critical option's data is a string holding one string value (force-command, source-address).
bool read_option_value(ByteView data, std::string& out) {
  ByteReader reader(data);
  std::string value;
  if (!reader.cstring(kMaxOptionValue, value) || !reader.empty() || value.empty() ||
      has_control(value)) {
    return false;
  }
  out = std::move(value);
  return true;
}

struct Options {
  std::optional<std::string> force_command;
  std::optional<std::string> source_address;
};

// Names must be strictly ascending (ssh-keygen sorts them), which also rules out duplicates.
bool read_critical_options(ByteReader& reader, Options& out) {
  ByteReader list(ByteView{});
  if (!reader.sub(kMaxSshCertificateBytes, list)) return false;
  Options options;
  std::string previous;
  while (!list.empty()) {
    std::string name;
    ByteView data;
    if (!list.cstring(kMaxSshNameBytes, name) || !list.string(kMaxOptionValue + 8, data))
      return false;
    if (!previous.empty() && name <= previous) return false;
    std::string value;
    if (!read_option_value(data, value)) return false;
    if (name == "force-command") {
      options.force_command = std::move(value);
    } else if (name == "source-address") {
      options.source_address = std::move(value);
    } else {
      return false;  // sshd refuses certificates with critical options it does not know
    }
    previous = std::move(name);
  }
  out = std::move(options);
  return true;
}

bool read_extensions(ByteReader& reader, std::vector<std::string>& out) {
  ByteReader list(ByteView{});
  if (!reader.sub(kMaxSshCertificateBytes, list)) return false;
  std::vector<std::string> names;
  while (!list.empty()) {
    std::string name;
    ByteView data;
    if (!list.cstring(kMaxSshNameBytes, name) || !list.string(kMaxOptionValue, data)) return false;
    if (name.empty() || has_control(name) || !data.empty()) return false;
    if (!names.empty() && name <= names.back()) return false;
    names.push_back(std::move(name));
  }
  out = std::move(names);
  return true;
}

}  // namespace

Result<SshCertificate> parse_ssh_certificate_blob(ByteView blob) {
  if (blob.size() > kMaxSshCertificateBytes) return CaErrc::malformed;
  ByteReader reader(blob);
  std::string type_name;
  if (!reader.cstring(kMaxSshNameBytes, type_name)) return CaErrc::malformed;
  const auto type = ssh_key_type_from_certificate_name(type_name);
  if (!type) return CaErrc::unsupported_key;
  ByteView nonce;
  if (!reader.string(kMaxNonce, nonce) || nonce.size() < kMinNonce) return CaErrc::malformed;
  auto subject = SshPublicKey::read_fields(*type, reader);
  if (!subject) return subject.error();

  std::uint64_t serial = 0;
  std::uint32_t certificate_type = 0;
  std::string key_id;
  std::vector<std::string> principals;
  std::uint64_t valid_after = 0;
  std::uint64_t valid_before = 0;
  Options options;
  std::vector<std::string> extensions;
  ByteView reserved;
  ByteView ca_blob;
  if (!reader.u64(serial) || !reader.u32(certificate_type) ||
      certificate_type != kSshUserCertificate || !reader.cstring(kMaxSshKeyIdLength, key_id) ||
      has_control(key_id) || !read_principals(reader, principals) || !reader.u64(valid_after) ||
      !reader.u64(valid_before) || valid_after >= valid_before ||
      !read_critical_options(reader, options) || !read_extensions(reader, extensions) ||
      !reader.string(kMaxBlobField, reserved) || !reserved.empty() ||
      !reader.string(kMaxBlobField, ca_blob)) {
    return CaErrc::malformed;
  }
  auto ca_key = SshPublicKey::parse_blob(ca_blob);
  if (!ca_key) return ca_key.error();
  const ByteView signed_part = blob.first(reader.offset());
  ByteView signature;
  if (!reader.string(kMaxBlobField, signature) || !reader.empty()) return CaErrc::malformed;
  ByteReader signature_reader(signature);
  std::string algorithm;
  if (!signature_reader.cstring(kMaxSshNameBytes, algorithm)) return CaErrc::malformed;
  if (auto verified = ssh_verify(*ca_key, signed_part, signature); !verified)
    return verified.error();

  return SshCertificate{.subject = std::move(*subject),
                        .nonce = Bytes(nonce.begin(), nonce.end()),
                        .serial = serial,
                        .certificate_type = certificate_type,
                        .key_id = std::move(key_id),
                        .principals = std::move(principals),
                        .valid_after = valid_after,
                        .valid_before = valid_before,
                        .force_command = std::move(options.force_command),
                        .source_address = std::move(options.source_address),
                        .extensions = std::move(extensions),
                        .ca_key = std::move(*ca_key),
                        .signature_algorithm = std::move(algorithm),
                        .blob = Bytes(blob.begin(), blob.end())};
}

Result<SshCertificate> parse_ssh_certificate_line(std::string_view line) {
  if (line.size() > kMaxSshCertificateBytes * 4 / 3 + 1024) return CaErrc::malformed;
  SshLineParts parts;
  if (!split_ssh_line(line, parts)) return CaErrc::malformed;
  Bytes blob;
  if (!base64_decode(parts.base64, blob)) return CaErrc::malformed;
  auto certificate = parse_ssh_certificate_blob(blob);
  if (!certificate) return certificate.error();
  if (certificate->type_name() != parts.type) return CaErrc::malformed;
  return certificate;
}

}  // namespace jit::ca
