#include "ca/openssh_private_key.hpp"

#include "ca/bytes.hpp"
#include "ca/private_key.hpp"
#include "ca/ssh_public_key.hpp"
#include "ca/ssh_wire.hpp"

#include <openssl/core_names.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

namespace jit::ca {
namespace {

constexpr std::string_view kBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
constexpr std::string_view kEnd = "-----END OPENSSH PRIVATE KEY-----";
constexpr std::string_view kOpenSshKeyMagic{"openssh-key-v1\0", 15};
constexpr std::size_t kMaxFileText = 64 * 1024;
constexpr std::size_t kMaxSection = 32 * 1024;
constexpr std::size_t kMaxBignum = kMaxSshRsaBits / 8;
constexpr std::size_t kBlockSize = 8;  // cipher "none"

class OpensshKeyCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "jit.ca.openssh_key"; }
  std::string message(int value) const override {
    if (static_cast<OpensshKeyErrc>(value) == OpensshKeyErrc::encrypted_key) {
      return "encrypted OpenSSH private keys are not supported (bcrypt_pbkdf is not in OpenSSL); "
             "remove the passphrase with `ssh-keygen -p -N '' -f FILE` or use an encrypted PKCS#8 "
             "key";
    }
    return "unknown openssh key error";
  }
};

BignumPtr secure_bignum(ByteView magnitude) {
  BignumPtr bn(BN_secure_new());
  if (bn &&
      BN_bin2bn(as_uchars(magnitude), static_cast<int>(magnitude.size()), bn.get()) == nullptr)
    bn.reset();
  return bn;
}

Result<EvpPkeyPtr> key_from_params(const char* type, OSSL_PARAM_BLD* builder) {
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(builder));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return CaErrc::crypto_failure;
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    clear_openssl_errors();
    return CaErrc::malformed;
  }
  EvpPkeyPtr key(raw);
  // The file could pair a private scalar with an unrelated public key; OpenSSL proves they match.
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check) return CaErrc::crypto_failure;
  if (EVP_PKEY_pairwise_check(check.get()) != 1) {
    clear_openssl_errors();
    return CaErrc::malformed;
  }
  return key;
}

Result<EvpPkeyPtr> read_ed25519(ByteReader& reader) {
  ByteView pk;
  ByteView sk;
  if (!reader.string(32, pk) || pk.size() != 32 || !reader.string(64, sk) || sk.size() != 64) {
    return CaErrc::malformed;
  }
  // OpenSSH stores seed || public key; the second half must repeat the public key.
  if (!std::equal(pk.begin(), pk.end(), sk.begin() + 32)) return CaErrc::malformed;
  EvpPkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, as_uchars(sk), 32));
  if (!key) return CaErrc::crypto_failure;
  std::array<std::byte, 32> derived{};
  std::size_t length = derived.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), as_uchars(std::span<std::byte>(derived)), &length) !=
      1) {
    return CaErrc::crypto_failure;
  }
  if (!std::equal(pk.begin(), pk.end(), derived.begin())) return CaErrc::malformed;
  return key;
}

Result<EvpPkeyPtr> read_ecdsa(const SshEcCurve& curve, ByteReader& reader) {
  std::string name;
  ByteView point;
  ByteView scalar;
  if (!reader.cstring(kMaxSshNameBytes, name) || name != curve.ssh_name ||
      !reader.string(1 + 2 * curve.coordinate_bytes, point) ||
      !read_mpint_positive(reader, curve.coordinate_bytes, scalar)) {
    return CaErrc::malformed;
  }
  BignumPtr d = secure_bignum(scalar);
  OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!d || !builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve.group, 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, as_uchars(point),
                                       point.size()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1) {
    return CaErrc::crypto_failure;
  }
  return key_from_params("EC", builder.get());
}

Result<EvpPkeyPtr> read_rsa(ByteReader& reader) {
  std::array<ByteView, 6> parts;  // n, e, d, iqmp, p, q in OpenSSH's order
  for (auto& part : parts) {
    if (!read_mpint_positive(reader, kMaxBignum, part)) return CaErrc::malformed;
  }
  std::array<BignumPtr, 6> bn;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    bn[i] = secure_bignum(parts[i]);
    if (!bn[i]) return CaErrc::crypto_failure;
  }
  const BIGNUM* n = bn[0].get();
  const BIGNUM* e = bn[1].get();
  const BIGNUM* d = bn[2].get();
  const BIGNUM* iqmp = bn[3].get();
  const BIGNUM* p = bn[4].get();
  const BIGNUM* q = bn[5].get();
  // OpenSSH does not store d mod (p-1) and d mod (q-1); OpenSSL wants them for CRT signing.
  BnCtxPtr ctx(BN_CTX_secure_new());
  BignumPtr p1(BN_secure_new());
  BignumPtr q1(BN_secure_new());
  BignumPtr dmp1(BN_secure_new());
  BignumPtr dmq1(BN_secure_new());
  if (!ctx || !p1 || !q1 || !dmp1 || !dmq1) return CaErrc::crypto_failure;
  if (BN_is_zero(p) || BN_is_zero(q)) return CaErrc::malformed;
  if (BN_sub(p1.get(), p, BN_value_one()) != 1 || BN_sub(q1.get(), q, BN_value_one()) != 1 ||
      BN_is_zero(p1.get()) || BN_is_zero(q1.get()) ||
      BN_mod(dmp1.get(), d, p1.get(), ctx.get()) != 1 ||
      BN_mod(dmq1.get(), d, q1.get(), ctx.get()) != 1) {
    return CaErrc::malformed;
  }
  OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_D, d) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, p) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, q) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, dmp1.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, dmq1.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, iqmp) != 1) {
    return CaErrc::crypto_failure;
  }
  return key_from_params("RSA", builder.get());
}

// The private section: check ints, one key, its comment, then padding bytes 1, 2, 3, ...
Result<EvpPkeyPtr> read_private_section(ByteView section) {
  if (section.size() % kBlockSize != 0) return CaErrc::malformed;
  ByteReader reader(section);
  std::uint32_t check1 = 0;
  std::uint32_t check2 = 0;
  std::string type_name;
  if (!reader.u32(check1) || !reader.u32(check2) || check1 != check2 ||
      !reader.cstring(kMaxSshNameBytes, type_name)) {
    return CaErrc::malformed;
  }
  const auto type = ssh_key_type_from_name(type_name);
  if (!type) return CaErrc::unsupported_key;
  Result<EvpPkeyPtr> key = CaErrc::malformed;
  if (*type == SshKeyType::ed25519) {
    key = read_ed25519(reader);
  } else if (const SshEcCurve* curve = ssh_ec_curve(*type)) {
    key = read_ecdsa(*curve, reader);
  } else {
    key = read_rsa(reader);
  }
  if (!key) return key.error();
  ByteView comment;
  if (!reader.string(kMaxSection, comment) || reader.remaining() >= kBlockSize)
    return CaErrc::malformed;
  for (std::size_t i = 0; !reader.empty(); ++i) {
    std::uint8_t pad = 0;
    if (!reader.u8(pad) || pad != i + 1) return CaErrc::malformed;
  }
  return key;
}

Result<EvpPkeyPtr> parse_binary(ByteView binary) {
  ByteReader reader(binary);
  ByteView magic;
  std::string cipher;
  std::string kdf;
  ByteView kdf_options;
  std::uint32_t key_count = 0;
  ByteView public_blob;
  ByteView private_section;
  if (!reader.bytes(kOpenSshKeyMagic.size(), magic) || as_chars(magic) != kOpenSshKeyMagic ||
      !reader.cstring(kMaxSshNameBytes, cipher) || !reader.cstring(kMaxSshNameBytes, kdf) ||
      !reader.string(kMaxSection, kdf_options)) {
    return CaErrc::malformed;
  }
  if (cipher != "none" || kdf != "none") {
    if (cipher != "none" && kdf != "none") return OpensshKeyErrc::encrypted_key;
    return CaErrc::malformed;
  }
  if (!kdf_options.empty() || !reader.u32(key_count) || key_count != 1 ||
      !reader.string(kMaxSection, public_blob) || !reader.string(kMaxSection, private_section) ||
      !reader.empty()) {
    return CaErrc::malformed;
  }
  auto key = read_private_section(private_section);
  if (!key) return key.error();
  auto algorithm = key_algorithm_of(key->get());
  if (!algorithm) return algorithm.error();
  auto derived = SshPublicKey::from_evp(key->get());
  if (!derived) return derived.error();
  const ByteView derived_blob = derived->blob();
  if (!std::equal(derived_blob.begin(), derived_blob.end(), public_blob.begin(),
                  public_blob.end())) {
    return CaErrc::malformed;
  }
  return key;
}

}  // namespace

const boost::system::error_category& openssh_key_category() noexcept {
  static const OpensshKeyCategory category;
  return category;
}

bool is_openssh_private_key(std::string_view text) noexcept {
  const std::size_t start = text.find_first_not_of(" \t\r\n");
  return start != std::string_view::npos && text.substr(start, kBegin.size()) == kBegin;
}

Result<EvpPkeyPtr> parse_openssh_private_key(std::string_view text) {
  if (text.size() > kMaxFileText || !is_openssh_private_key(text)) return CaErrc::malformed;
  const std::size_t body_start = text.find(kBegin) + kBegin.size();
  const std::size_t body_end = text.find(kEnd, body_start);
  if (body_end == std::string_view::npos) return CaErrc::malformed;
  const std::string_view after = text.substr(body_end + kEnd.size());
  if (after.find_first_not_of(" \t\r\n") != std::string_view::npos) return CaErrc::malformed;
  std::string base64;
  for (char c : text.substr(body_start, body_end - body_start)) {
    if (c != '\n' && c != '\r') base64 += c;
  }
  Bytes binary;
  const bool decoded = base64_decode(base64, binary);
  wipe(base64);
  if (!decoded) return CaErrc::malformed;
  clear_openssl_errors();
  auto key = parse_binary(binary);
  wipe(binary);
  return key;
}

}  // namespace jit::ca
