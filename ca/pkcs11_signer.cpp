#include "ca/pkcs11_signer.hpp"

#include "ca/x509_digest.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <optional>

namespace jit::ca {
namespace {

// DER of the curves' object identifiers as CKA_EC_PARAMS holds them (namedCurve).
constexpr std::array<unsigned char, 10> kOidP256{0x06, 0x08, 0x2A, 0x86, 0x48,
                                                 0xCE, 0x3D, 0x03, 0x01, 0x07};
constexpr std::array<unsigned char, 7> kOidP384{0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22};
constexpr std::array<unsigned char, 5> kOidEd25519{0x06, 0x03, 0x2B, 0x65, 0x70};
// PKCS#11 3.0 also allows the curve name as a PrintableString.
constexpr std::string_view kEd25519Name =
    "\x13\x0c"
    "edwards25519";

template <std::size_t N>
bool same(const Bytes& value, const std::array<unsigned char, N>& expected) {
  return value.size() == N && std::memcmp(value.data(), expected.data(), N) == 0;
}

std::optional<Bytes> attribute(CK_FUNCTION_LIST& f, CK_SESSION_HANDLE session,
                               CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
  CK_ATTRIBUTE query{type, nullptr, 0};
  if (f.C_GetAttributeValue(session, object, &query, 1) != CKR_OK ||
      query.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
    return std::nullopt;
  }
  Bytes value(query.ulValueLen);
  query.pValue = value.data();
  if (f.C_GetAttributeValue(session, object, &query, 1) != CKR_OK) return std::nullopt;
  value.resize(query.ulValueLen);
  return value;
}

std::vector<CK_OBJECT_HANDLE> find_objects(CK_FUNCTION_LIST& f, CK_SESSION_HANDLE session,
                                           std::vector<CK_ATTRIBUTE> query) {
  std::vector<CK_OBJECT_HANDLE> found(4);
  CK_ULONG count = 0;
  if (f.C_FindObjectsInit(session, query.data(), static_cast<CK_ULONG>(query.size())) != CKR_OK) {
    return {};
  }
  const CK_RV rv =
      f.C_FindObjects(session, found.data(), static_cast<CK_ULONG>(found.size()), &count);
  (void)f.C_FindObjectsFinal(session);
  found.resize(rv == CKR_OK ? count : 0);
  return found;
}

// The URI's object attributes with the class replaced by `object_class`.
std::vector<CK_ATTRIBUTE> object_query(const Pkcs11Uri& uri, CK_OBJECT_CLASS& object_class) {
  std::vector<CK_ATTRIBUTE> query;
  for (const CK_ATTRIBUTE& a : uri.object_attributes()) {
    if (a.type != CKA_CLASS) query.push_back(a);
  }
  query.push_back({CKA_CLASS, &object_class, sizeof object_class});
  return query;
}

CK_OBJECT_HANDLE find_private_key(CK_FUNCTION_LIST& f, CK_SESSION_HANDLE session,
                                  const Pkcs11Uri& uri) {
  CK_OBJECT_CLASS private_class = CKO_PRIVATE_KEY;
  const auto keys = find_objects(f, session, object_query(uri, private_class));
  if (keys.size() > 1) {
    throw Pkcs11Error(std::to_string(keys.size()) + (keys.size() == 4 ? "+" : "") +
                      " private keys match PKCS#11 URI " + uri.text() + "; add id= or object=");
  }
  if (keys.size() == 1) return keys.front();
  CK_OBJECT_CLASS public_class = CKO_PUBLIC_KEY;
  if (!find_objects(f, session, object_query(uri, public_class)).empty()) {
    throw Pkcs11Error("PKCS#11 URI " + uri.text() +
                      " names a public key only; the CA needs its private key on the token");
  }
  throw Pkcs11Error("no private key matches PKCS#11 URI " + uri.text());
}

struct TokenKey {
  KeyAlgorithm algorithm;
  EvpPkeyPtr public_key;
};

EvpPkeyPtr from_params(const char* type, OSSL_PARAM_BLD* builder) {
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(builder));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return EvpPkeyPtr(key);
}

// CKA_EC_POINT is a DER OCTET STRING around the point (PKCS#11 2.40), or the bare point as some
// tokens store it; `size` is the bare point's length.
std::optional<Bytes> bare_point(Bytes point, std::size_t size) {
  if (point.size() == size) return point;
  if (point.size() == size + 2 && point[0] == std::byte{0x04} &&
      std::to_integer<std::size_t>(point[1]) == size) {
    return Bytes(point.begin() + 2, point.end());
  }
  return std::nullopt;
}

TokenKey read_public_key(CK_FUNCTION_LIST& f, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key,
                         const std::string& uri) {
  const auto type = attribute(f, session, key, CKA_KEY_TYPE);
  if (!type || type->size() != sizeof(CK_KEY_TYPE))
    throw Pkcs11Error("cannot read the key type of PKCS#11 URI " + uri);
  CK_KEY_TYPE key_type = 0;
  std::memcpy(&key_type, type->data(), sizeof key_type);
  const auto unsupported = [&] {
    return Pkcs11Error("the key of PKCS#11 URI " + uri +
                       " has an unsupported type; use Ed25519, ECDSA P-256/P-384 or RSA");
  };
  if (key_type == CKK_RSA) {
    const auto n = attribute(f, session, key, CKA_MODULUS);
    const auto e = attribute(f, session, key, CKA_PUBLIC_EXPONENT);
    if (!n || !e) throw Pkcs11Error("cannot read the RSA public key of PKCS#11 URI " + uri);
    OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
    BignumPtr bn_n(BN_bin2bn(as_uchars(*n), static_cast<int>(n->size()), nullptr));
    BignumPtr bn_e(BN_bin2bn(as_uchars(*e), static_cast<int>(e->size()), nullptr));
    if (!builder || !bn_n || !bn_e || OSSL_PARAM_BLD_push_BN(builder.get(), "n", bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(builder.get(), "e", bn_e.get()) != 1) {
      throw Pkcs11Error("cannot use the RSA public key of PKCS#11 URI " + uri);
    }
    auto evp = from_params("RSA", builder.get());
    if (!evp) throw Pkcs11Error("cannot use the RSA public key of PKCS#11 URI " + uri);
    return {KeyAlgorithm::rsa, std::move(evp)};
  }
  if (key_type != CKK_EC && key_type != CKK_EC_EDWARDS) throw unsupported();
  const auto params = attribute(f, session, key, CKA_EC_PARAMS);
  if (!params) throw unsupported();
  // EC private keys carry no CKA_EC_POINT: it is on the public key object of the same CKA_ID.
  const auto id = attribute(f, session, key, CKA_ID);
  const auto label = attribute(f, session, key, CKA_LABEL);
  CK_OBJECT_CLASS public_class = CKO_PUBLIC_KEY;
  std::vector<CK_ATTRIBUTE> query{{CKA_CLASS, &public_class, sizeof public_class}};
  Bytes match = id && !id->empty() ? *id : label.value_or(Bytes{});
  query.push_back({id && !id->empty() ? CKA_ID : CKA_LABEL, match.data(), match.size()});
  const auto public_keys = find_objects(f, session, query);
  if (public_keys.size() != 1) {
    throw Pkcs11Error("no single public key object next to the private key of PKCS#11 URI " + uri);
  }
  auto point = attribute(f, session, public_keys.front(), CKA_EC_POINT);
  if (!point) throw Pkcs11Error("cannot read the public point of PKCS#11 URI " + uri);
  const bool ed25519 = same(*params, kOidEd25519) || as_chars(*params) == kEd25519Name;
  if (ed25519) {
    auto raw = bare_point(std::move(*point), 32);
    EvpPkeyPtr evp(raw ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                                     as_uchars(ByteView(*raw)), raw->size())
                       : nullptr);
    if (!evp) throw Pkcs11Error("cannot use the Ed25519 public key of PKCS#11 URI " + uri);
    return {KeyAlgorithm::ed25519, std::move(evp)};
  }
  const bool p256 = same(*params, kOidP256);
  if (key_type != CKK_EC || (!p256 && !same(*params, kOidP384))) throw unsupported();
  auto raw = bare_point(std::move(*point), p256 ? 65 : 97);
  OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!raw || !builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), "group", p256 ? "P-256" : "P-384", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), "pub", raw->data(), raw->size()) != 1) {
    throw Pkcs11Error("cannot use the EC public key of PKCS#11 URI " + uri);
  }
  auto evp = from_params("EC", builder.get());
  if (!evp) throw Pkcs11Error("cannot use the EC public key of PKCS#11 URI " + uri);
  return {p256 ? KeyAlgorithm::ecdsa_p256 : KeyAlgorithm::ecdsa_p384, std::move(evp)};
}

// r||s, each `half` bytes, as a DER ECDSA-Sig-Value.
std::optional<Bytes> ecdsa_der_from_raw(ByteView raw) {
  const std::size_t half = raw.size() / 2;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BignumPtr r(BN_bin2bn(as_uchars(raw), static_cast<int>(half), nullptr));
  BignumPtr s(BN_bin2bn(as_uchars(raw) + half, static_cast<int>(half), nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  // ECDSA_SIG_set0 succeeded: sig owns both numbers now.
  (void)r.release();
  (void)s.release();
  const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) return std::nullopt;
  Bytes der(static_cast<std::size_t>(length));
  unsigned char* out = as_uchars(std::span<std::byte>(der));
  if (i2d_ECDSA_SIG(sig.get(), &out) != length) return std::nullopt;
  return der;
}

std::optional<DigestKind> digest_kind(const char* name) {
  if (name == nullptr) return std::nullopt;
  const std::string_view digest(name);
  if (digest == "SHA256") return DigestKind::sha256;
  if (digest == "SHA384") return DigestKind::sha384;
  if (digest == "SHA512") return DigestKind::sha512;
  return std::nullopt;
}

// Open: the token's module, the one matching token, a logged-in session pool.
std::shared_ptr<Pkcs11SessionPool> open_pool(Pkcs11Settings& settings,
                                             std::shared_ptr<const Pkcs11Uri> uri,
                                             bool read_write) {
  auto module = Pkcs11Module::shared(settings.module, uri->text());
  const CK_SLOT_ID slot = module->find_slot(*uri);
  return std::make_shared<Pkcs11SessionPool>(std::move(module), slot, std::move(settings.pin),
                                             read_write, uri);
}

}  // namespace

Pkcs11Signer::Pkcs11Signer(std::shared_ptr<Pkcs11SessionPool> pool, std::string uri,
                           std::shared_ptr<const Pkcs11Uri> parsed, EvpPkeyPtr public_key,
                           KeyAlgorithm algorithm, CK_OBJECT_HANDLE key)
    : pool_(std::move(pool)),
      uri_(std::move(uri)),
      parsed_(std::move(parsed)),
      public_key_(std::move(public_key)),
      algorithm_(algorithm),
      key_(key),
      key_generation_(pool_->module().generation()) {}

std::shared_ptr<Pkcs11Signer> Pkcs11Signer::open(Pkcs11Settings settings, std::string_view uri) {
  auto parsed = std::make_shared<const Pkcs11Uri>(uri);
  auto pool = open_pool(settings, parsed, false);
  CK_OBJECT_HANDLE key = 0;
  std::optional<TokenKey> token_key;
  {
    auto lease = pool->acquire_or_throw(*parsed);
    key = find_private_key(pool->api(), lease->handle(), *parsed);
    token_key = read_public_key(pool->api(), lease->handle(), key, parsed->text());
  }
  auto signer = std::make_shared<Pkcs11Signer>(
      pool, parsed->text(), parsed, std::move(token_key->public_key), token_key->algorithm, key);
  if (auto problem = signer->check(); !problem.empty()) {
    throw Pkcs11Error("the key of PKCS#11 URI " + parsed->text() + " cannot sign: " + problem);
  }
  return signer;
}

CK_RV Pkcs11Signer::sign_once(CK_SESSION_HANDLE session, const char* digest_name, ByteView message,
                              Bytes& out) const {
  CK_FUNCTION_LIST& f = pool_->api();
  CK_MECHANISM mechanism{CKM_EDDSA, nullptr, 0};
  Bytes digest;
  ByteView input = message;
  std::size_t size = 64;
  if (algorithm_ == KeyAlgorithm::rsa) {
    const auto kind = digest_kind(digest_name);
    if (!kind) return CKR_MECHANISM_INVALID;
    mechanism.mechanism = *kind == DigestKind::sha256   ? CKM_SHA256_RSA_PKCS
                          : *kind == DigestKind::sha384 ? CKM_SHA384_RSA_PKCS
                                                        : CKM_SHA512_RSA_PKCS;
    size = static_cast<std::size_t>(EVP_PKEY_get_size(public_key_.get()));
  } else if (algorithm_ != KeyAlgorithm::ed25519) {
    // CKM_ECDSA signs a digest we compute: fewer bytes to the token, and tokens without the
    // CKM_ECDSA_SHA* mechanisms work too.
    const auto kind = digest_kind(digest_name);
    if (!kind) return CKR_MECHANISM_INVALID;
    auto computed = compute_digest(*kind, message);
    if (!computed) return CKR_FUNCTION_FAILED;
    digest = std::move(*computed);
    input = digest;
    mechanism.mechanism = CKM_ECDSA;
    size = algorithm_ == KeyAlgorithm::ecdsa_p256 ? 64 : 96;
  }
  if (const CK_RV rv = f.C_SignInit(session, &mechanism, key_.load()); rv != CKR_OK) return rv;
  Bytes signature(size);
  CK_ULONG length = static_cast<CK_ULONG>(size);
  auto* data = const_cast<CK_BYTE*>(as_uchars(input));
  if (const CK_RV rv = f.C_Sign(session, data, static_cast<CK_ULONG>(input.size()),
                                as_uchars(std::span<std::byte>(signature)), &length);
      rv != CKR_OK) {
    return rv;
  }
  signature.resize(length);
  if (mechanism.mechanism == CKM_ECDSA) {
    if (length != size) return CKR_FUNCTION_FAILED;
    auto der = ecdsa_der_from_raw(signature);
    if (!der) return CKR_FUNCTION_FAILED;
    signature = std::move(*der);
  }
  out = std::move(signature);
  return CKR_OK;
}

Result<Bytes> Pkcs11Signer::sign(const char* digest_name, ByteView message) const {
  // Three tries: a pooled session opened before the token went away and came back fails once
  // (CKR_SESSION_HANDLE_INVALID), and the second try opens a new one; when that cannot log in or
  // find the key, the module is started afresh (Pkcs11Module::reinitialize, at most once a second)
  // and the third try looks for the token again.
  bool reinitialized = false;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::uint64_t generation = pool_->module().generation();
    std::unique_ptr<Pkcs11SessionPool::Lease> lease;
    bool usable = pool_->acquire(lease) == CKR_OK;
    // A handle of an older generation may name another object of the restarted module now.
    if (usable && (stale_.load() || key_generation_.load() != pool_->module().generation())) {
      try {
        key_.store(find_private_key(pool_->api(), lease->handle(), *parsed_));
        key_generation_.store(pool_->module().generation());
        stale_.store(false);
      } catch (const Pkcs11Error&) {
        lease->discard();
        usable = false;
      }
    }
    if (!usable) {
      lease.reset();  // releases the module before it may be reinitialised
      if (reinitialized) return CaErrc::signer_unavailable;
      pool_->module().reinitialize(generation);
      reinitialized = true;
      stale_.store(true);
      continue;
    }
    Bytes signature;
    const CK_RV rv = sign_once(lease->handle(), digest_name, message, signature);
    if (rv == CKR_OK) return signature;
    if (rv == CKR_MECHANISM_INVALID) return CaErrc::unsupported_key;
    // The token may be gone: every pooled session may be dead, the key handle too.
    lease->discard();
    lease.reset();
    pool_->drop_idle();
    stale_.store(true);
  }
  return CaErrc::signer_unavailable;
}

std::string Pkcs11Signer::check() const {
  static constexpr std::string_view kProbe = "jitbroker CA key probe";
  const char* digest = algorithm_ == KeyAlgorithm::ed25519      ? nullptr
                       : algorithm_ == KeyAlgorithm::ecdsa_p384 ? "SHA384"
                                                                : "SHA256";
  auto signature = sign(digest, as_bytes(kProbe));
  if (!signature) return "the token does not sign (" + signature.error().message() + ")";
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  clear_openssl_errors();
  const bool ok = ctx &&
                  EVP_DigestVerifyInit_ex(ctx.get(), nullptr, digest, nullptr, nullptr,
                                          public_key_.get(), nullptr) == 1 &&
                  EVP_DigestVerify(ctx.get(), as_uchars(ByteView(*signature)), signature->size(),
                                   as_uchars(as_bytes(kProbe)), kProbe.size()) == 1;
  clear_openssl_errors();
  return ok ? std::string() : "its signature does not verify with the public key read from it";
}
}  // namespace jit::ca
