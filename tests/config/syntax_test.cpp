#include "config/syntax.hpp"
#include "config/names.hpp"

#include <gtest/gtest.h>

#include <string>

namespace jit::config {
namespace {

TEST(SafeName, AllowsOnlyTheSafeCharsetAndLength) {
  for (const char* name : {"alice", "prod-db-read", "sre.leads", "a_b", "A9", "_svc", "0day"}) {
    EXPECT_TRUE(is_safe_name(name)) << name;
  }
  EXPECT_TRUE(is_safe_name(std::string(64, 'a')));
  EXPECT_FALSE(is_safe_name(std::string(65, 'a')));
  for (const char* name : {"", ".", "..", ".hidden", "-rf", "al ice", "al,ice", "alice@corp", "a/b",
                           "a'b", "a\"b", "a;b", "a\nb", "ä", "a*", "a$b", "a:b"}) {
    EXPECT_FALSE(is_safe_name(name)) << name;
  }
  EXPECT_FALSE(is_safe_name(std::string("al\0ce", 5)));
}

TEST(SourceAddress, FollowsOpenSshCidrRules) {
  for (const char* text : {"127.0.0.0/8", "::1/128", "10.0.0.1", "::1", "0.0.0.0/0", "::/0",
                           "192.168.1.0/24", "2001:db8::/32", "10.0.0.1/32", "10.0.0.0/008"}) {
    EXPECT_TRUE(syntax::is_source_address(text)) << text;
  }
  for (const char* text : {"",
                           "10.0.0.1/8",
                           "127.0.0.1/8",
                           "::1/64",
                           "10.0.0.0/33",
                           "::/129",
                           "10.0.0.0/",
                           "10.0.0.0/-1",
                           "10.0.0.0/+8",
                           "10.0.0.0/8/8",
                           "10.0.0.0/1000",
                           "10.0.0",
                           "10.0.0.256",
                           "localhost",
                           "10.0.0.0/8,::1",
                           " 10.0.0.0/8",
                           "*",
                           "10.0.0.*",
                           "[::1]",
                           "::1%lo"}) {
    EXPECT_FALSE(syntax::is_source_address(text)) << text;
  }
}

TEST(Syntax, DnsNamesOriginsUrlsEmailsAndEnvNames) {
  EXPECT_TRUE(syntax::is_dns_name("localhost"));
  EXPECT_TRUE(syntax::is_dns_name("jit.corp.example"));
  EXPECT_FALSE(syntax::is_dns_name("127.0.0.1"));
  EXPECT_FALSE(syntax::is_dns_name("-corp.example"));
  EXPECT_FALSE(syntax::is_dns_name("corp..example"));
  EXPECT_FALSE(syntax::is_dns_name(std::string(64, 'a') + ".example"));

  EXPECT_EQ(syntax::origin_host("https://localhost:8443"), "localhost");
  EXPECT_EQ(syntax::origin_host("https://jit.corp.example"), "jit.corp.example");
  EXPECT_FALSE(syntax::origin_host("http://localhost:8443"));
  EXPECT_FALSE(syntax::origin_host("https://localhost:8443/"));
  EXPECT_FALSE(syntax::origin_host("https://127.0.0.1:8443"));
  EXPECT_FALSE(syntax::origin_host("https://localhost:0"));
  EXPECT_FALSE(syntax::origin_host("https://localhost:"));

  EXPECT_TRUE(syntax::is_http_url("https://hooks.corp.example/jit", false));
  EXPECT_TRUE(syntax::is_http_url("http://127.0.0.1:9000/x", false));
  EXPECT_FALSE(syntax::is_http_url("http://127.0.0.1:9000/x", true));
  EXPECT_FALSE(syntax::is_http_url("ftp://corp.example", false));
  EXPECT_FALSE(syntax::is_http_url("https://", false));
  EXPECT_FALSE(syntax::is_http_url("https://a b", false));

  EXPECT_TRUE(syntax::is_email("alice@corp.example"));
  EXPECT_FALSE(syntax::is_email("alice"));
  EXPECT_FALSE(syntax::is_email("@corp.example"));
  EXPECT_FALSE(syntax::is_email("a@b@corp.example"));
  EXPECT_FALSE(syntax::is_email("a lice@corp.example"));
  EXPECT_FALSE(syntax::is_email("alice@corp_example"));

  EXPECT_TRUE(syntax::is_env_var_name("JIT_CA_PASSPHRASE"));
  EXPECT_FALSE(syntax::is_env_var_name("9LIVES"));
  EXPECT_FALSE(syntax::is_env_var_name("A-B"));
  EXPECT_FALSE(syntax::is_env_var_name(""));
}

TEST(Syntax, QuotedKeepsMessagesOnOneReadableLine) {
  EXPECT_EQ(syntax::quoted("alice"), "'alice'");
  EXPECT_EQ(syntax::quoted(std::string("a\nb\x7f\0", 5)), "'a\\x0ab\\x7f\\x00'");
  EXPECT_EQ(syntax::quoted(std::string(150, 'x')), "'" + std::string(100, 'x') + "...'");
}

}  // namespace
}  // namespace jit::config
