// The `jit` command's local pieces without a broker: the OpenSSH private key writer (read back by
// our own reader), the CSR maker (checked by our CSR parser), file modes, the agent lifetime, the
// wait durations, id checks and the request view.
#include "broker/client/client_csr.hpp"
#include "broker/client/credential_files.hpp"
#include "broker/client/jit_access_commands.hpp"
#include "broker/client/jit_request_view.hpp"
#include "broker/client/openssh_key_writer.hpp"
#include "broker/client/ssh_agent.hpp"
#include "ca/bytes.hpp"
#include "ca/csr_parser.hpp"
#include "ca/openssh_private_key.hpp"
#include "ca/ssh_public_key.hpp"
#include "ca/x509_pem.hpp"
#include "tests/support/temp_dir.hpp"

#include "tests/support/files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

namespace jit::broker {
namespace {

using testing::file_mode;

using namespace std::chrono_literals;

ca::EvpPkeyPtr ed25519() { return *ca::generate_private_key(ca::KeyAlgorithm::ed25519); }
ca::EvpPkeyPtr p256() { return *ca::generate_private_key(ca::KeyAlgorithm::ecdsa_p256); }

ca::Bytes armored_binary(const std::string& text) {
  const std::string begin = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  const std::string end = "-----END OPENSSH PRIVATE KEY-----\n";
  EXPECT_TRUE(text.starts_with(begin));
  EXPECT_TRUE(text.ends_with(end));
  std::string base64;
  for (char c : text.substr(begin.size(), text.size() - begin.size() - end.size())) {
    if (c != '\n') base64 += c;
  }
  ca::Bytes binary;
  EXPECT_TRUE(ca::base64_decode(base64, binary));
  return binary;
}

TEST(OpensshKeyWriter, OurReaderLoadsTheSameKeyBack) {
  const auto key = ed25519();
  auto text = openssh_ed25519_private_key_text(key.get(), "jit-grt-1");
  ASSERT_TRUE(text);
  auto loaded = ca::parse_openssh_private_key(*text);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(EVP_PKEY_eq(loaded->get(), key.get()), 1);
  // Same private scalar, not only the same public key.
  std::array<unsigned char, 32> a{};
  std::array<unsigned char, 32> b{};
  std::size_t na = a.size();
  std::size_t nb = b.size();
  ASSERT_EQ(EVP_PKEY_get_raw_private_key(key.get(), a.data(), &na), 1);
  ASSERT_EQ(EVP_PKEY_get_raw_private_key(loaded->get(), b.data(), &nb), 1);
  EXPECT_EQ(a, b);
}

TEST(OpensshKeyWriter, LayoutIsOpensshKeyV1WithCommentAndPadding) {
  const auto key = ed25519();
  const auto text = *openssh_ed25519_private_key_text(key.get(), "jit-grt-1");
  std::size_t start = text.find('\n') + 1;
  for (std::size_t end = text.find('\n', start); end != std::string::npos;
       start = end + 1, end = text.find('\n', start)) {
    EXPECT_LE(end - start, 70u);  // wrapped as ssh-keygen wraps it
  }
  const ca::Bytes binary = armored_binary(text);
  ca::ByteReader reader(binary);
  ca::ByteView magic;
  std::string cipher, kdf;
  ca::ByteView kdf_options, public_blob;
  std::uint32_t count = 0;
  ca::ByteReader section(ca::ByteView{});
  ASSERT_TRUE(reader.bytes(15, magic));
  EXPECT_EQ(ca::as_chars(magic), std::string_view("openssh-key-v1\0", 15));
  ASSERT_TRUE(reader.cstring(64, cipher) && reader.cstring(64, kdf) &&
              reader.string(64, kdf_options) && reader.u32(count) &&
              reader.string(1024, public_blob) && reader.sub(4096, section) && reader.empty());
  EXPECT_EQ(cipher, "none");
  EXPECT_EQ(kdf, "none");
  EXPECT_TRUE(kdf_options.empty());
  EXPECT_EQ(count, 1u);
  const auto public_key = ca::SshPublicKey::from_evp(key.get());
  EXPECT_TRUE(std::ranges::equal(public_blob, public_key->blob()));
  EXPECT_EQ(section.remaining() % 8, 0u);
  std::uint32_t check1 = 0, check2 = 0;
  std::string type, comment;
  ca::ByteView pk, sk;
  ASSERT_TRUE(section.u32(check1) && section.u32(check2) && section.cstring(64, type) &&
              section.string(32, pk) && section.string(64, sk) && section.cstring(64, comment));
  EXPECT_EQ(check1, check2);
  EXPECT_EQ(type, "ssh-ed25519");
  EXPECT_EQ(comment, "jit-grt-1");
  EXPECT_TRUE(std::equal(pk.begin(), pk.end(), sk.begin() + 32));
  for (std::uint8_t expected = 1; !section.empty(); ++expected) {
    std::uint8_t pad = 0;
    ASSERT_TRUE(section.u8(pad));
    EXPECT_EQ(pad, expected);
  }
}

TEST(OpensshKeyWriter, CheckIntsAreFreshEachTime) {
  const auto key = ed25519();
  EXPECT_NE(*openssh_ed25519_private_key_text(key.get(), "c"),
            *openssh_ed25519_private_key_text(key.get(), "c"));
}

TEST(OpensshKeyWriter, RefusesOtherKeysPublicKeysAndBadComments) {
  EXPECT_EQ(openssh_ed25519_private_key_text(p256().get(), "c").error(),
            ca::CaErrc::unsupported_key);
  EXPECT_EQ(openssh_ed25519_private_key_text(nullptr, "c").error(), ca::CaErrc::unsupported_key);
  const auto key = ed25519();
  std::array<unsigned char, 32> raw{};
  std::size_t n = raw.size();
  ASSERT_EQ(EVP_PKEY_get_raw_public_key(key.get(), raw.data(), &n), 1);
  ca::EvpPkeyPtr public_only(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size()));
  EXPECT_EQ(openssh_ed25519_private_key_text(public_only.get(), "c").error(),
            ca::CaErrc::unsupported_key);
  EXPECT_EQ(openssh_ed25519_private_key_text(key.get(), "two\nlines").error(),
            ca::CaErrc::invalid_argument);
  EXPECT_EQ(openssh_ed25519_private_key_text(key.get(), std::string(1025, 'c')).error(),
            ca::CaErrc::invalid_argument);
}

TEST(ClientCsr, OurParserVerifiesItAndFindsTheKey) {
  const auto key = p256();
  const auto pem = make_client_csr_pem(key.get(), "alice");
  ASSERT_TRUE(pem);
  EXPECT_TRUE(pem->starts_with("-----BEGIN CERTIFICATE REQUEST-----\n")) << *pem;
  const auto verified = ca::parse_and_verify_csr(*pem);
  ASSERT_TRUE(verified) << verified.error().message();
  EXPECT_EQ(verified->key_algorithm, ca::KeyAlgorithm::ecdsa_p256);
  unsigned char* spki = nullptr;
  const int length = i2d_PUBKEY(key.get(), &spki);
  ASSERT_GT(length, 0);
  const ca::ByteView expected(reinterpret_cast<const std::byte*>(spki),
                              static_cast<std::size_t>(length));
  EXPECT_TRUE(std::ranges::equal(verified->subject_public_key_info, expected));
  OPENSSL_free(spki);
}

TEST(ClientCsr, TheSignatureCoversTheName) {
  const auto pem = *make_client_csr_pem(p256().get(), "alice");
  ca::Bytes der = *ca::decode_single_pem(pem, {"CERTIFICATE REQUEST"});
  const std::string_view text = ca::as_chars(der);
  const auto at = text.find("alice");
  ASSERT_NE(at, std::string_view::npos);
  der[at] = std::byte{'m'};  // "mlice"
  EXPECT_EQ(ca::parse_and_verify_csr(ca::as_chars(der)).error(), ca::CaErrc::bad_signature);
}

TEST(ClientCsr, RefusesBadNamesAndOtherKeys) {
  const auto key = p256();
  EXPECT_EQ(make_client_csr_pem(key.get(), "").error(), ca::CaErrc::invalid_argument);
  EXPECT_EQ(make_client_csr_pem(key.get(), std::string(65, 'a')).error(),
            ca::CaErrc::invalid_argument);
  EXPECT_EQ(make_client_csr_pem(key.get(), "al\nice").error(), ca::CaErrc::invalid_argument);
  EXPECT_EQ(make_client_csr_pem(ed25519().get(), "alice").error(), ca::CaErrc::unsupported_key);
  EXPECT_TRUE(make_client_csr_pem(key.get(), std::string(64, 'a')));
}

TEST(CredentialFiles, NamesPairUpForSshAndX509) {
  const auto ssh = ssh_credential_paths("/d", "grt-1");
  EXPECT_EQ(ssh.private_key, "/d/jit-grt-1");
  EXPECT_EQ(ssh.public_key, "/d/jit-grt-1.pub");
  EXPECT_EQ(ssh.certificate, "/d/jit-grt-1-cert.pub");  // what ssh-add looks for beside the key
  const auto x509 = x509_credential_paths("/d", "grt-1");
  EXPECT_EQ(x509.private_key, "/d/jit-grt-1.key");
  EXPECT_EQ(x509.certificate, "/d/jit-grt-1.crt");
  EXPECT_EQ(x509.chain, "/d/jit-grt-1-chain.pem");
}

TEST(CredentialFiles, NewFoldersArePrivateAndFilesGetTheirModes) {
  jit::testing::TempDir dir;
  std::filesystem::create_directory(dir / "shared");
  std::filesystem::permissions(dir / "shared", std::filesystem::perms(0755));
  const auto nested = dir / "shared" / "a" / "b";
  ASSERT_TRUE(ensure_private_folder(nested));
  EXPECT_EQ(file_mode(dir / "shared"), 0755u);  // existing folders keep their mode
  EXPECT_EQ(file_mode(dir / "shared" / "a"), 0700u);
  EXPECT_EQ(file_mode(nested), 0700u);
  const auto paths = ssh_credential_paths(nested, "grt-1");
  ASSERT_TRUE(write_ssh_credentials(paths, "PRIVATE\n", "ssh-ed25519 AAAA c", "cert-line"));
  EXPECT_EQ(file_mode(paths.private_key), 0600u);
  EXPECT_EQ(file_mode(paths.public_key), 0644u);
  EXPECT_EQ(file_mode(paths.certificate), 0644u);
  std::ifstream certificate(paths.certificate);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(certificate), {}), "cert-line\n");

  std::ofstream(dir / "file") << "x";
  EXPECT_EQ(ensure_private_folder(dir / "file" / "sub").error(), ca::CaErrc::io_failure);
  EXPECT_EQ(
      write_x509_credentials(x509_credential_paths(dir / "missing", "g"), "k", "c", "ch").error(),
      ca::CaErrc::io_failure);
}

TEST(AgentLifetime, IsTheRemainingValidityInWholeSeconds) {
  EXPECT_EQ(agent_lifetime(1'700'000'100, 1'700'000'000), 100s);
  EXPECT_EQ(agent_lifetime(1'700'000'001, 1'700'000'000), 1s);
  EXPECT_EQ(agent_lifetime(1'700'000'000, 1'700'000'000), std::nullopt);
  EXPECT_EQ(agent_lifetime(1'600'000'000, 1'700'000'000), std::nullopt);
  EXPECT_EQ(agent_lifetime(0xFFFFFFFFFFFFFFFFull, 1'700'000'000), std::chrono::seconds(0x7fffffff));
}

TEST(WaitDuration, ReadsConfigDurationsAndMilliseconds) {
  EXPECT_EQ(parse_wait_duration("2s"), 2000ms);
  EXPECT_EQ(parse_wait_duration("1h30m"), 90min);
  EXPECT_EQ(parse_wait_duration("500ms"), 500ms);
  for (const char* bad : {"", "0s", "0ms", "ms", "5x", "-1s", "1.5s", "2 s", "999999999999ms"}) {
    EXPECT_EQ(parse_wait_duration(bad), std::nullopt) << bad;
  }
}

TEST(ObjectIds, OnlyThePrefixAnd32LowercaseHexDigits) {
  EXPECT_TRUE(is_object_id("req-", "req-0123456789abcdef0123456789abcdef"));
  EXPECT_TRUE(is_object_id("grt-", "grt-ffffffffffffffffffffffffffffffff"));
  EXPECT_FALSE(is_object_id("req-", "grt-0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(is_object_id("req-", "req-0123456789abcdef0123456789abcde"));
  EXPECT_FALSE(is_object_id("req-", "req-0123456789abcdef0123456789abcdef0"));
  EXPECT_FALSE(is_object_id("req-", "req-0123456789abcdef0123456789abcdeg"));
  EXPECT_FALSE(is_object_id("req-", "req-0123456789abcdef0123456789abcdeF"));
  EXPECT_FALSE(is_object_id("req-", "req-0123456789abcdef0123456789abc/.."));
}

TEST(RequestView, TimesAndRelativeTimes) {
  EXPECT_EQ(format_unix_time(0), "1970-01-01 00:00:00 UTC");
  EXPECT_EQ(format_unix_time(1700000000), "2023-11-14 22:13:20 UTC");
  EXPECT_EQ(relative_time(1000 + 5400, 1000), "in 1h30m");
  EXPECT_EQ(relative_time(1000 - 180, 1000), "3m ago");
  EXPECT_EQ(relative_time(1000, 1000), "now");
}

TEST(RequestView, BreakGlassRequestShowsIncidentAndReviewDue) {
  boost::json::object request{{"id", "req-1"},           {"role", "prod-db-read"},
                              {"state", "active"},       {"requester", "erin"},
                              {"duration", "30m"},       {"approvals", 0},
                              {"approvals_required", 2}, {"breakglass", true},
                              {"incident", "INC-42"},    {"review_due_at", 1700086400},
                              {"reviewed_at", nullptr},  {"created_at", 1700000000},
                              {"grant", nullptr}};
  const std::string text = describe_request(request, 1700000000);
  EXPECT_TRUE(text.starts_with("req-1  prod-db-read  active\n  requester:  erin\n")) << text;
  EXPECT_NE(text.find("  break-glass: incident INC-42\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  post-incident review: due 2023-11-15 22:13:20 UTC (in 1d)\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("grant:"), std::string::npos);
  request["reviewed_at"] = 1700050000;
  request["reviewed_by"] = "carol";
  EXPECT_NE(describe_request(request, 1700000000).find("post-incident review: done by carol"),
            std::string::npos);
}

TEST(RequestView, FieldsOfTheWrongTypeShowAsUnknown) {
  const boost::json::object request{{"id", 7}, {"role", nullptr}, {"approvals", "two"}};
  EXPECT_EQ(request_line(request), "?  ?  ?  approvals ?/?  by ?");
  const boost::json::object grant{{"id", "grt-1"}, {"not_after", "soon"}};
  EXPECT_EQ(grant_line(grant, 0), "grt-1  ?  ?  not_after ?");
}

// Issue 21 item 1: the page link is the broker's (its configured page origin) when it is a plain
// https link to this request, else the broker URL's origin; nothing a terminal could misread.
TEST(RequestView, PageLinkIsTheBrokersOrElseTheBrokerUrlsOrigin) {
  const std::string id = "req-0123456789abcdef0123456789abcdef";
  boost::json::object request{{"id", id}, {"link", "https://jit.example/#request=" + id}};
  EXPECT_EQ(request_page_url(request, "https://10.0.0.5:8443/api"),
            "https://jit.example/#request=" + id);
  for (const std::string& bad :
       {"http://jit.example/#request=" + id, std::string("https://jit.example/#request=req-other"),
        "https://jit\x1b]8;;x/#request=" + id, "https://a b/#request=" + id,
        "https:///#request=" + id, std::string("https://jit.example/#request=") + id + "\n"}) {
    request["link"] = bad;
    EXPECT_EQ(request_page_url(request, "https://10.0.0.5:8443/api"),
              "https://10.0.0.5:8443/#request=" + id)
        << bad;
  }
  request.erase("link");  // a broker older than the link
  EXPECT_EQ(request_page_url(request, "https://jit.example:8443"),
            "https://jit.example:8443/#request=" + id);
  EXPECT_EQ(request_page_url(request, "https://jit.example?x#y"),
            "https://jit.example/#request=" + id);
  EXPECT_EQ(request_page_url(request, "http://jit.example"), "");
  EXPECT_EQ(request_page_url(request, "https://"), "");
  request["id"] = "req-1/../x";
  EXPECT_EQ(request_page_url(request, "https://jit.example"), "");
}

}  // namespace
}  // namespace jit::broker
