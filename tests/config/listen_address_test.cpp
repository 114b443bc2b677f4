#include "config/listen_address.hpp"

#include "config/config_error.hpp"
#include "config_test_support.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace jit::config {
namespace {

TEST(ListenAddress, ParsesIpv4AndBracketedIpv6) {
  const std::vector<std::pair<std::string, ListenAddress>> cases = {
      {"127.0.0.1:8443", {"127.0.0.1", 8443}},
      {"0.0.0.0:443", {"0.0.0.0", 443}},
      {"[::1]:8443", {"::1", 8443}},
      {"[::]:1", {"::", 1}},
      {"[2001:db8::1]:65535", {"2001:db8::1", 65535}},
      {"127.0.0.1:0", {"127.0.0.1", 0}},
      {"127.0.0.1:00080", {"127.0.0.1", 80}},
  };
  for (const auto& [text, expected] : cases) {
    const auto parsed = try_parse_listen_address(text);
    ASSERT_TRUE(parsed.address.has_value()) << text << ": " << parsed.problem->message;
    EXPECT_FALSE(parsed.problem.has_value());
    EXPECT_EQ(*parsed.address, expected) << text;
    EXPECT_EQ(try_parse_listen_address(format_listen_address(*parsed.address)).address,
              parsed.address);
  }
}

TEST(ListenAddress, RefusesBadAddressesAndPorts) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"127.0.0.1:65536", "port '65536' is not a number from 0 to 65535"},
      {"127.0.0.1:99999", "port '99999' is not a number from 0 to 65535"},
      {"127.0.0.1:100000", "port '100000' is not a number from 0 to 65535"},
      {"127.0.0.1:-1", "port '-1' is not a number from 0 to 65535"},
      {"127.0.0.1:+80", "port '+80' is not a number from 0 to 65535"},
      {"127.0.0.1:80x", "port '80x' is not a number from 0 to 65535"},
      {"127.0.0.1: 80", "port ' 80' is not a number from 0 to 65535"},
      {"127.0.0.1:", "port '' is not a number from 0 to 65535"},
      {"127.0.0.1:https", "port 'https' is not a number from 0 to 65535"},
      {"127.0.0.1", "no port in the address"},
      {"", "no port in the address"},
      {"localhost:8443", "'localhost' is not an IP address (host names are not resolved)"},
      {"256.0.0.1:80", "'256.0.0.1' is not an IP address (host names are not resolved)"},
      {":8443", "'' is not an IP address (host names are not resolved)"},
      {"::1:8443", "an IPv6 address must be written in brackets"},
      {"[::1]8443", "no port after the bracketed address"},
      {"[::1:8443", "unclosed '[' in the address"},
      {"[127.0.0.1]:80", "'127.0.0.1' is not an IPv6 address"},
      {"[::1%lo]:80", "'::1%lo' is not an IPv6 address"},
  };
  for (const auto& [text, message] : cases) {
    const auto parsed = try_parse_listen_address(text);
    EXPECT_FALSE(parsed.address.has_value()) << text;
    ASSERT_TRUE(parsed.problem.has_value()) << text;
    EXPECT_EQ(parsed.problem->message, message) << text;
  }
}

TEST(ListenAddress, ThrowingFormNamesTheOption) {
  const auto error =
      testing::config_error([] { (void)parse_listen_address("127.0.0.1:70000", "--listen"); });
  EXPECT_CONFIG_ERROR_AT(error, "", 0, "--listen");
  EXPECT_STREQ(error->what(),
               "--listen: port '70000' is not a number from 0 to 65535 (expected IPV4:PORT or "
               "[IPV6]:PORT, e.g. 127.0.0.1:8443 or [::1]:8443)");
  EXPECT_EQ(parse_listen_address("[::1]:9000", "--listen"), (ListenAddress{"::1", 9000}));
}

TEST(ListenAddress, FormatsIpv6InBrackets) {
  EXPECT_EQ(format_listen_address({"::1", 8443}), "[::1]:8443");
  EXPECT_EQ(format_listen_address({"127.0.0.1", 0}), "127.0.0.1:0");
}

}  // namespace
}  // namespace jit::config
