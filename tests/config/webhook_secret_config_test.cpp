// Webhook URLs with their signing secrets (README, "Verifying webhook deliveries"): the plain list
// of URLs still reads as before; a map item names its secret file or variable, and a secret file
// that is missing, readable by others, too short, or set beside secret_env is a config error
// naming the file, the line and the key.
#include "config/broker_config.hpp"

#include "config_test_support.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace jit::config {
namespace {

using testing::config_error;

const std::string kFile = "/etc/jit/broker.yaml";
const std::string kMinimal =
    "data_dir: /srv/jit\n"
    "policy_file: policy.yaml\n"
    "tls: {dev_tls: true}\n";

class WebhookSecretConfigTest : public ::testing::Test {
 protected:
  std::filesystem::path secret(const std::string& text,
                               std::filesystem::perms perms = std::filesystem::perms::owner_read |
                                                              std::filesystem::perms::owner_write) {
    const auto file = dir_ / ("secret" + std::to_string(++files_));
    jit::testing::write_text(file, text);
    std::filesystem::permissions(file, perms);
    return file;
  }
  std::optional<ConfigError> error_with(const std::filesystem::path& file) {
    return config_error([&] {
      (void)parse_broker_config(
          kMinimal + "webhooks:\n  urls:\n    - https://a.example/\n" +
              "    - url: https://b.example/hook\n      secret_file: " + file.string() + "\n",
          kFile);
    });
  }

  jit::testing::TempDir dir_;
  int files_ = 0;
};

TEST_F(WebhookSecretConfigTest, UrlsAndSecretsAreReadPerUrl) {
  const auto file = secret("0123456789abcdef-secret\n");
  const auto c = parse_broker_config(kMinimal +
                                         "webhooks:\n  urls:\n    - https://a.example/\n"
                                         "    - url: https://b.example/hook\n      secret_file: " +
                                         file.string() +
                                         "\n    - {url: \"http://127.0.0.1:9/x\", secret_env: "
                                         "HOOK_SECRET}\n",
                                     kFile);
  EXPECT_EQ(c.webhooks.urls,
            (std::vector<std::string>{"https://a.example/", "https://b.example/hook",
                                      "http://127.0.0.1:9/x"}));
  ASSERT_EQ(c.webhooks.signing.size(), 3u);
  EXPECT_FALSE(c.webhooks.signing[0].secret_file || c.webhooks.signing[0].secret_env);
  EXPECT_EQ(c.webhooks.signing[1].secret_file, file);
  EXPECT_EQ(c.webhooks.signing[1].key, "webhooks.urls[1]");
  EXPECT_EQ(c.webhooks.signing[2].secret_env, "HOOK_SECRET");
}

TEST_F(WebhookSecretConfigTest, UnusableSecretFilesAreNamedWithLineAndKey) {
  EXPECT_CONFIG_ERROR_AT(error_with(dir_ / "missing"), kFile, 8, "webhooks.urls[1].secret_file");
  EXPECT_CONFIG_ERROR_AT(
      error_with(secret("0123456789abcdef-secret",
                        std::filesystem::perms::owner_read | std::filesystem::perms::group_read)),
      kFile, 8, "webhooks.urls[1].secret_file");
  EXPECT_CONFIG_ERROR_AT(error_with(secret("short\n")), kFile, 8, "webhooks.urls[1].secret_file");
  EXPECT_CONFIG_ERROR_AT(error_with(secret("has a space in it 0123456789")), kFile, 8,
                         "webhooks.urls[1].secret_file");
}

TEST_F(WebhookSecretConfigTest, OneSecretSourceAndAUrlArePerItem) {
  const auto file = secret("0123456789abcdef-secret");
  EXPECT_CONFIG_ERROR_AT(config_error([&] {
                           (void)parse_broker_config(
                               kMinimal +
                                   "webhooks:\n  urls:\n    - url: https://b.example/\n"
                                   "      secret_env: HOOK\n      secret_file: " +
                                   file.string() + "\n",
                               kFile);
                         }),
                         kFile, 8, "webhooks.urls[0].secret_file");
  EXPECT_CONFIG_ERROR_AT(config_error([&] {
                           (void)parse_broker_config(
                               kMinimal + "webhooks:\n  urls:\n    - secret_env: HOOK\n", kFile);
                         }),
                         kFile, 6, "webhooks.urls[0].url");
  EXPECT_CONFIG_ERROR_AT(config_error([&] {
                           (void)parse_broker_config(
                               kMinimal +
                                   "webhooks:\n  urls:\n    - {url: https://b.example/, "
                                   "secret_env: \"1BAD\"}\n",
                               kFile);
                         }),
                         kFile, 6, "webhooks.urls[0].secret_env");
}

TEST_F(WebhookSecretConfigTest, EachUrlHasAFormatJsonByDefault) {
  const auto c =
      parse_broker_config(kMinimal +
                              "webhooks:\n  urls:\n    - https://a.example/\n"
                              "    - {url: https://hooks.slack.example/x, format: slack}\n"
                              "    - url: https://teams.example/y\n      format: teams\n"
                              "    - {url: https://c.example/, format: json}\n",
                          kFile);
  EXPECT_EQ(c.webhooks.formats,
            (std::vector<WebhookFormat>{WebhookFormat::json, WebhookFormat::slack,
                                        WebhookFormat::teams, WebhookFormat::json}));
}

TEST_F(WebhookSecretConfigTest, AnUnknownFormatIsNamedWithLineAndKey) {
  EXPECT_CONFIG_ERROR_AT(config_error([&] {
                           (void)parse_broker_config(
                               kMinimal +
                                   "webhooks:\n  urls:\n    - https://a.example/\n"
                                   "    - url: https://b.example/\n      format: discord\n",
                               kFile);
                         }),
                         kFile, 8, "webhooks.urls[1].format");
  EXPECT_CONFIG_ERROR_AT(config_error([&] {
                           (void)parse_broker_config(
                               kMinimal +
                                   "webhooks:\n  urls:\n    - {url: https://b.example/, "
                                   "format: [slack]}\n",
                               kFile);
                         }),
                         kFile, 6, "webhooks.urls[0].format");
}

}  // namespace
}  // namespace jit::config
