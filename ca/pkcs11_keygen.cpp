// generate_pkcs11_key (ca/pkcs11_signer.hpp): key pairs made inside the token for
// `jit-broker ca init --pkcs11` (docs/operations.md "CA keys in an HSM (PKCS#11)").
#include "ca/pkcs11_signer.hpp"

#include <openssl/rand.h>

#include <array>

namespace jit::ca {

std::shared_ptr<Pkcs11Signer> generate_pkcs11_key(Pkcs11Settings settings, std::string_view uri,
                                                  KeyAlgorithm algorithm) {
  const Pkcs11Uri parsed(uri);
  Bytes label;
  Bytes id;
  for (const CK_ATTRIBUTE& a : parsed.object_attributes()) {
    const auto* value = static_cast<const std::byte*>(a.pValue);
    if (a.type == CKA_LABEL) label.assign(value, value + a.ulValueLen);
    if (a.type == CKA_ID) id.assign(value, value + a.ulValueLen);
  }
  if (label.empty()) {
    throw Pkcs11Error("PKCS#11 URI " + parsed.text() + " needs object=LABEL to name the new key");
  }
  if (id.empty()) {
    id.resize(16);
    if (RAND_bytes(as_uchars(std::span<std::byte>(id)), static_cast<int>(id.size())) != 1)
      throw Pkcs11Error("no random bytes for the CKA_ID of " + parsed.text());
  }
  std::string pin = settings.pin;  // the pool takes settings.pin; open() below needs it again
  {
    auto module = Pkcs11Module::shared(settings.module, parsed.text());
    const CK_SLOT_ID slot = module->find_slot(parsed);
    Pkcs11SessionPool pool(std::move(module), slot, std::move(settings.pin), true);
    auto lease = pool.acquire_or_throw(parsed);
    CK_FUNCTION_LIST& f = pool.api();
    const CK_SESSION_HANDLE session = lease->handle();

    CK_ATTRIBUTE by_label{CKA_LABEL, label.data(), label.size()};
    CK_OBJECT_HANDLE existing = 0;
    CK_ULONG count = 0;
    if (f.C_FindObjectsInit(session, &by_label, 1) == CKR_OK) {
      (void)f.C_FindObjects(session, &existing, 1, &count);
      (void)f.C_FindObjectsFinal(session);
    }
    if (count != 0) {
      wipe(pin);
      throw Pkcs11Error("the token of PKCS#11 URI " + parsed.text() +
                        " already holds an object with that label; pick another object=");
    }

    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL no = CK_FALSE;
    CK_ULONG rsa_bits = 3072;
    std::array<CK_BYTE, 3> rsa_exponent{0x01, 0x00, 0x01};
    // namedCurve OIDs (DER): Ed25519 1.3.101.112, P-256 1.2.840.10045.3.1.7.
    std::array<CK_BYTE, 5> ed25519_oid{0x06, 0x03, 0x2B, 0x65, 0x70};
    std::array<CK_BYTE, 10> p256_oid{0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
    std::vector<CK_ATTRIBUTE> public_template{{CKA_TOKEN, &yes, sizeof yes},
                                              {CKA_VERIFY, &yes, sizeof yes},
                                              {CKA_LABEL, label.data(), label.size()},
                                              {CKA_ID, id.data(), id.size()}};
    // The private key: kept on the token, usable only after login, never readable or exportable.
    std::vector<CK_ATTRIBUTE> private_template{
        {CKA_TOKEN, &yes, sizeof yes},     {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes}, {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_SIGN, &yes, sizeof yes},      {CKA_LABEL, label.data(), label.size()},
        {CKA_ID, id.data(), id.size()}};
    CK_MECHANISM mechanism{CKM_EC_EDWARDS_KEY_PAIR_GEN, nullptr, 0};
    switch (algorithm) {
      case KeyAlgorithm::ed25519:
        public_template.push_back({CKA_EC_PARAMS, ed25519_oid.data(), ed25519_oid.size()});
        break;
      case KeyAlgorithm::ecdsa_p256:
        mechanism.mechanism = CKM_EC_KEY_PAIR_GEN;
        public_template.push_back({CKA_EC_PARAMS, p256_oid.data(), p256_oid.size()});
        break;
      case KeyAlgorithm::rsa:
        mechanism.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
        public_template.push_back({CKA_MODULUS_BITS, &rsa_bits, sizeof rsa_bits});
        public_template.push_back({CKA_PUBLIC_EXPONENT, rsa_exponent.data(), rsa_exponent.size()});
        break;
      default:
        wipe(pin);
        throw Pkcs11Error("ca init --pkcs11 makes Ed25519, ECDSA P-256 or RSA-3072 keys");
    }
    CK_OBJECT_HANDLE public_key = 0;
    CK_OBJECT_HANDLE private_key = 0;
    const CK_RV rv = f.C_GenerateKeyPair(
        session, &mechanism, public_template.data(), static_cast<CK_ULONG>(public_template.size()),
        private_template.data(), static_cast<CK_ULONG>(private_template.size()), &public_key,
        &private_key);
    if (rv != CKR_OK) {
      wipe(pin);
      throw Pkcs11Error("the token of PKCS#11 URI " + parsed.text() +
                        " did not generate the key: " + pkcs11_rv_name(rv));
    }
  }
  return Pkcs11Signer::open({std::move(settings.module), std::move(pin)}, uri);
}

}  // namespace jit::ca
