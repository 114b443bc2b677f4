#include "tests/support/software_authenticator.hpp"

#include "ca/private_key.hpp"

#include <cbor.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace jit::testing {

using namespace jit::approvals;  // the WebAuthn types the authenticator produces
namespace {

struct ItemDeleter {
  void operator()(cbor_item_t* item) const noexcept { cbor_decref(&item); }
};
using Item = std::unique_ptr<cbor_item_t, ItemDeleter>;

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

cbor_item_t* build_int(std::int64_t value) {
  const bool negative = value < 0;
  const std::uint64_t n =
      negative ? static_cast<std::uint64_t>(-1 - value) : static_cast<std::uint64_t>(value);
  cbor_item_t* item = nullptr;
  if (n <= 0xFF) {
    item = negative ? cbor_build_negint8(static_cast<std::uint8_t>(n))
                    : cbor_build_uint8(static_cast<std::uint8_t>(n));
  } else if (n <= 0xFFFF) {
    item = negative ? cbor_build_negint16(static_cast<std::uint16_t>(n))
                    : cbor_build_uint16(static_cast<std::uint16_t>(n));
  } else if (n <= 0xFFFFFFFF) {
    item = negative ? cbor_build_negint32(static_cast<std::uint32_t>(n))
                    : cbor_build_uint32(static_cast<std::uint32_t>(n));
  } else {
    item = negative ? cbor_build_negint64(n) : cbor_build_uint64(n);
  }
  if (item == nullptr) fail("cbor int");
  return item;
}

cbor_item_t* build_bytes(ca::ByteView bytes) {
  cbor_item_t* item = cbor_build_bytestring(ca::as_uchars(bytes), bytes.size());
  if (item == nullptr) fail("cbor bytes");
  return item;
}

void add(cbor_item_t* map, cbor_item_t* key, cbor_item_t* value) {
  if (!cbor_map_add(map, cbor_pair{.key = cbor_move(key), .value = cbor_move(value)})) {
    fail("cbor_map_add");
  }
}

ca::Bytes serialize(const cbor_item_t* item) {
  unsigned char* buffer = nullptr;
  std::size_t buffer_size = 0;
  const std::size_t length = cbor_serialize_alloc(item, &buffer, &buffer_size);
  if (length == 0 || buffer == nullptr) fail("cbor_serialize_alloc");
  ca::Bytes out(reinterpret_cast<std::byte*>(buffer),
                reinterpret_cast<std::byte*>(buffer) + length);
  std::free(buffer);
  return out;
}

ca::Bytes random_id(std::size_t size) {
  ca::Bytes id(size);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(id.data()), static_cast<int>(size)) != 1) {
    fail("RAND_bytes");
  }
  return id;
}

void append(ca::Bytes& out, ca::ByteView data) { out.insert(out.end(), data.begin(), data.end()); }

void append_u32(ca::Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::byte>(v >> shift));
}

}  // namespace

ca::Bytes from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) fail("odd hex");
  auto nibble = [](char c) -> unsigned {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
    fail("bad hex");
  };
  ca::Bytes out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    out.push_back(static_cast<std::byte>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return out;
}

ca::Bytes bytes_of(std::string_view text) {
  const ca::ByteView view = ca::as_bytes(text);
  return ca::Bytes(view.begin(), view.end());
}

ca::Bytes sha256_of(ca::ByteView data) {
  ca::Bytes out(32);
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &length,
                 EVP_sha256(), nullptr) != 1) {
    fail("EVP_Digest");
  }
  return out;
}

ca::Bytes make_client_data(std::string_view type, ca::ByteView challenge, std::string_view origin,
                           bool cross_origin, std::string_view extra_members) {
  std::string json = "{\"type\":\"" + std::string(type) + "\",\"challenge\":\"" +
                     ca::base64url_encode_unpadded(challenge) + "\",\"origin\":\"" +
                     std::string(origin) +
                     "\",\"crossOrigin\":" + (cross_origin ? "true" : "false");
  json += extra_members;
  json += "}";
  return bytes_of(json);
}

ca::Bytes assertion_authenticator_data(std::string_view rp_id, std::uint8_t flags,
                                       std::uint32_t sign_count) {
  ca::Bytes out = sha256_of(ca::as_bytes(rp_id));
  out.push_back(std::byte{flags});
  append_u32(out, sign_count);
  return out;
}

SoftwareAuthenticator::SoftwareAuthenticator(CoseAlgorithm alg, ca::EvpPkeyPtr key,
                                             ca::Bytes credential_id)
    : alg_(alg), key_(std::move(key)), credential_id_(std::move(credential_id)) {}

SoftwareAuthenticator SoftwareAuthenticator::es256(std::size_t credential_id_bytes) {
  auto key = ca::generate_private_key(ca::KeyAlgorithm::ecdsa_p256);
  if (!key) fail("P-256 keygen");
  return SoftwareAuthenticator(CoseAlgorithm::es256, std::move(*key),
                               random_id(credential_id_bytes));
}

SoftwareAuthenticator SoftwareAuthenticator::eddsa(std::size_t credential_id_bytes) {
  auto key = ca::generate_private_key(ca::KeyAlgorithm::ed25519);
  if (!key) fail("Ed25519 keygen");
  return SoftwareAuthenticator(CoseAlgorithm::eddsa, std::move(*key),
                               random_id(credential_id_bytes));
}

ca::Bytes SoftwareAuthenticator::cose_public_key(std::optional<std::int64_t> alg_label) const {
  const std::int64_t alg = alg_label.value_or(static_cast<int>(alg_));
  if (alg_ == CoseAlgorithm::eddsa) {
    ca::Bytes x(32);
    std::size_t length = x.size();
    if (EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(x.data()),
                                    &length) != 1) {
      fail("raw public key");
    }
    Item map(cbor_new_definite_map(4));
    add(map.get(), build_int(1), build_int(1));
    add(map.get(), build_int(3), build_int(alg));
    add(map.get(), build_int(-1), build_int(6));
    add(map.get(), build_int(-2), build_bytes(x));
    return serialize(map.get());
  }
  BIGNUM* raw_x = nullptr;
  BIGNUM* raw_y = nullptr;
  if (EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, &raw_x) != 1) fail("x");
  ca::BignumPtr bx(raw_x);
  if (EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, &raw_y) != 1) fail("y");
  ca::BignumPtr by(raw_y);
  ca::Bytes x(32), y(32);
  BN_bn2binpad(bx.get(), reinterpret_cast<unsigned char*>(x.data()), 32);
  BN_bn2binpad(by.get(), reinterpret_cast<unsigned char*>(y.data()), 32);
  Item map(cbor_new_definite_map(5));
  add(map.get(), build_int(1), build_int(2));
  add(map.get(), build_int(3), build_int(alg));
  add(map.get(), build_int(-1), build_int(1));
  add(map.get(), build_int(-2), build_bytes(x));
  add(map.get(), build_int(-3), build_bytes(y));
  return serialize(map.get());
}

ca::Bytes SoftwareAuthenticator::registration_authenticator_data(
    const RegistrationOptions& options) const {
  ca::Bytes out = sha256_of(ca::as_bytes(options.rp_id));
  out.push_back(std::byte{options.flags});
  append_u32(out, options.sign_count);
  const ca::Bytes aaguid(16, std::byte{0x42});
  append(out, aaguid);
  const ca::Bytes& id = options.credential_id ? *options.credential_id : credential_id_;
  out.push_back(static_cast<std::byte>(id.size() >> 8));
  out.push_back(static_cast<std::byte>(id.size() & 0xFF));
  append(out, id);
  append(out, cose_public_key(options.cose_alg));
  append(out, options.authenticator_data_suffix);
  return out;
}

ca::Bytes SoftwareAuthenticator::attestation_object(ca::ByteView client_data_json,
                                                    const RegistrationOptions& options) const {
  const ca::Bytes auth_data = registration_authenticator_data(options);
  Item statement;
  if (options.fmt == "packed") {
    ca::Bytes message = auth_data;
    append(message, sha256_of(client_data_json));
    statement.reset(cbor_new_definite_map(options.packed_x5c ? 3 : 2));
    add(statement.get(), cbor_build_string("alg"),
        build_int(options.statement_alg.value_or(static_cast<int>(alg_))));
    add(statement.get(), cbor_build_string("sig"), build_bytes(sign(message)));
    if (options.packed_x5c) {
      Item chain(cbor_new_definite_array(1));
      const ca::Bytes fake_certificate = bytes_of("not a certificate");
      if (!cbor_array_push(chain.get(), cbor_move(build_bytes(fake_certificate)))) fail("x5c");
      add(statement.get(), cbor_build_string("x5c"), cbor_incref(chain.get()));
    }
  } else {
    statement.reset(cbor_new_definite_map(options.extra_none_member ? 1 : 0));
    if (options.extra_none_member) add(statement.get(), cbor_build_string("alg"), build_int(-7));
  }
  Item root(cbor_new_definite_map(3));
  add(root.get(), cbor_build_string("fmt"), cbor_build_string(options.fmt.c_str()));
  add(root.get(), cbor_build_string("attStmt"), cbor_incref(statement.get()));
  add(root.get(), cbor_build_string("authData"), build_bytes(auth_data));
  return serialize(root.get());
}

Assertion SoftwareAuthenticator::get_assertion(ca::ByteView client_data_json,
                                               const AssertionOptions& options) const {
  Assertion assertion;
  assertion.authenticator_data =
      assertion_authenticator_data(options.rp_id, options.flags, options.sign_count);
  ca::Bytes message = assertion.authenticator_data;
  append(message, sha256_of(client_data_json));
  assertion.signature = sign(message);
  return assertion;
}

ca::Bytes SoftwareAuthenticator::sign(ca::ByteView message) const {
  ca::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const char* digest = alg_ == CoseAlgorithm::es256 ? "SHA256" : nullptr;
  if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, digest, nullptr, nullptr, key_.get(),
                                    nullptr) != 1) {
    fail("DigestSignInit");
  }
  std::size_t length = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &length, ca::as_uchars(message), message.size()) != 1) {
    fail("DigestSign size");
  }
  ca::Bytes signature(length);
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     ca::as_uchars(message), message.size()) != 1) {
    fail("DigestSign");
  }
  signature.resize(length);
  return signature;
}

std::vector<SoftwareAuthenticator> each_authenticator_kind() {
  std::vector<SoftwareAuthenticator> out;
  out.push_back(SoftwareAuthenticator::es256());
  out.push_back(SoftwareAuthenticator::eddsa());
  return out;
}

}  // namespace jit::testing
