// The Slack and Teams bodies (broker/workers/chat_formats.hpp) against golden files, one per
// format and representative event (tests/broker/data/chat/, compared as parsed JSON), and a
// hostile reason, ticket and name that must come out as inert, bounded text.
// JIT_UPDATE_GOLDEN=1 rewrites the golden files; review the diff before committing it.
#include "broker/workers/chat_formats.hpp"

#include "tests/support/files.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <filesystem>

namespace jit::broker {
namespace {

namespace json = boost::json;

constexpr std::string_view kChatOrigin = "https://approvals.example.com";

json::object chat_request(std::string state, bool breakglass) {
  json::array reviews;
  if (state == "active" && !breakglass) {
    reviews.push_back(json::object{{"reviewer", "bob"},
                                   {"decision", "approve"},
                                   {"comment", "ok"},
                                   {"created_at", 1764940000},
                                   {"mfa", json::object{{"factor", "totp"}}}});
    reviews.push_back(json::object{{"reviewer", "carol"},
                                   {"decision", "approve"},
                                   {"comment", ""},
                                   {"created_at", 1764940100},
                                   {"mfa", json::object{{"factor", "webauthn"}}}});
  }
  return json::object{{"id", "req-0123456789abcdef"},
                      {"requester", "alice"},
                      {"role", "prod-db-admin"},
                      {"reason", breakglass ? "primary is down, failing over" : "rotate the keys"},
                      {"ticket", breakglass ? "" : "OPS-1234"},
                      {"duration", breakglass ? "30m" : "1h"},
                      {"duration_seconds", breakglass ? 1800 : 3600},
                      {"state", std::move(state)},
                      {"created_at", 1764939900},
                      {"breakglass", breakglass},
                      {"incident", breakglass ? "INC-42" : ""},
                      {"approvals_required", breakglass ? 0 : 2},
                      {"approvals", static_cast<std::int64_t>(reviews.size())},
                      {"denials", 0},
                      {"reviews", std::move(reviews)},
                      {"grant", nullptr}};
}

OutboxEvent chat_event(std::string name, json::object data) {
  OutboxEvent event;
  event.id = "evt-00000000000000000000000000000001";
  event.event = std::move(name);
  event.data = std::move(data);
  event.created_at = 1764940200;
  return event;
}

std::vector<OutboxEvent> representative_events() {
  return {chat_event("request.created", chat_request("pending", false)),
          chat_event("request.approved", chat_request("active", false)),
          chat_event("breakglass", chat_request("active", true)),
          chat_event("grant.revoked", json::object{{"id", "grt-00aa11bb22cc33dd"},
                                                   {"request", "req-0123456789abcdef"},
                                                   {"user", "alice"},
                                                   {"role", "prod-db-admin"},
                                                   {"not_before", 1764940000},
                                                   {"not_after", 1764943600},
                                                   {"state", "revoked"},
                                                   {"breakglass", false},
                                                   {"ended_at", 1764940200},
                                                   {"end_reason", "revoked by dave"}})};
}

void expect_golden(const std::string& name, const std::string& body) {
  const auto file = std::filesystem::path(JIT_TEST_DATA_DIR) / "chat" / name;
  if (std::getenv("JIT_UPDATE_GOLDEN") != nullptr) {
    jit::testing::write_text(file, json::serialize(json::parse(body)) + "\n");
  }
  EXPECT_EQ(json::parse(body), json::parse(jit::testing::read_text(file))) << name << ":\n" << body;
}

TEST(ChatFormatsTest, SlackBodiesMatchTheGoldenFiles) {
  for (const auto& event : representative_events()) {
    expect_golden("slack_" + event.event + ".json", slack_body(event, kChatOrigin));
  }
}

TEST(ChatFormatsTest, TeamsBodiesMatchTheGoldenFiles) {
  for (const auto& event : representative_events()) {
    expect_golden("teams_" + event.event + ".json", teams_body(event, kChatOrigin));
  }
}

// Every string of a JSON value, with the key it sits under.
void collect_strings(const json::value& value, const std::string& key,
                     std::vector<std::pair<std::string, std::string>>& out) {
  if (value.is_string()) out.emplace_back(key, std::string(value.as_string()));
  if (value.is_array()) {
    for (const auto& item : value.as_array()) collect_strings(item, key, out);
  }
  if (value.is_object()) {
    for (const auto& field : value.as_object()) {
      collect_strings(field.value(), std::string(field.key()), out);
    }
  }
}

OutboxEvent hostile_event() {
  json::object data = chat_request("pending", false);
  data["reason"] =
      "<!channel> @here *bold* [x](http://evil) <http://evil|click> & " + std::string(5000, 'r');
  data["ticket"] = "<@U0123> `code` _it_ ~s~\nsecond line";
  data["requester"] = "mallory<!here>";
  return chat_event("request.created", std::move(data));
}

TEST(ChatFormatsTest, SlackUserTextOpensNoLinkMentionOrMarkupAndIsBounded) {
  const auto body = json::parse(slack_body(hostile_event(), kChatOrigin));
  std::vector<std::pair<std::string, std::string>> strings;
  collect_strings(body, "", strings);
  bool saw_reason = false;
  for (const auto& [key, text] : strings) {
    for (std::string_view bad : {"<!channel>", "<!here>", "<@U0123>", "<http://evil", "*bold*",
                                 "@here", "`code`", "_it_", "~s~", "\n second"}) {
      EXPECT_EQ(text.find(bad), std::string::npos) << bad << " in " << key << ": " << text;
    }
    // The only "<" left opens our own link to the approval page.
    for (auto at = text.find('<'); at != std::string::npos; at = text.find('<', at + 1)) {
      EXPECT_EQ(text.compare(at, 45, "<https://approvals.example.com/#request=req-0"), 0) << text;
    }
    if (text.find("&lt;!channel&gt;") != std::string::npos) {
      saw_reason = true;
      EXPECT_LT(text.size(), 700u);  // 500 code points, escapes and the label
      EXPECT_TRUE(text.ends_with("\xE2\x80\xA6")) << "no ellipsis";
    }
  }
  EXPECT_TRUE(saw_reason);
  EXPECT_NE(body.at("text").as_string().find("mallory&lt;!here&gt;"), std::string::npos);
}

TEST(ChatFormatsTest, TeamsUserTextIsOnlyInPlainTextRunsAndIsBounded) {
  const auto body = json::parse(teams_body(hostile_event(), kChatOrigin));
  const auto& card = body.at("attachments").at(0).at("content");
  bool saw_reason = false;
  for (const auto& element : card.at("body").as_array()) {
    const auto& block = element.as_object();
    if (block.at("type") == "TextBlock") {
      // Markdown is read here: only our link, never user text.
      EXPECT_EQ(block.at("text"),
                "[Open the request on the approval page]"
                "(https://approvals.example.com/#request=req-0123456789abcdef)");
      continue;
    }
    ASSERT_EQ(block.at("type"), "RichTextBlock");
    for (const auto& run : block.at("inlines").as_array()) {
      EXPECT_EQ(run.at("type"), "TextRun");  // plain text in Adaptive Cards
      const std::string text(run.at("text").as_string());
      EXPECT_EQ(text.find('\n'), std::string::npos) << text;
      if (text.starts_with("<!channel>")) {
        saw_reason = true;
        EXPECT_TRUE(text.ends_with("\xE2\x80\xA6")) << "no ellipsis";
        EXPECT_LT(text.size(), 600u);
      }
    }
  }
  EXPECT_TRUE(saw_reason);
  EXPECT_FALSE(body.as_object().contains("msteams"));  // no mention entities
}

TEST(ChatFormatsTest, BoundedTextCutsWholeCodePoints) {
  EXPECT_EQ(bounded_text("abc", 3), "abc");
  EXPECT_EQ(bounded_text("abcd", 3), "abc\xE2\x80\xA6");
  EXPECT_EQ(bounded_text("\xC3\xA9\xC3\xA9\xC3\xA9", 2), "\xC3\xA9\xC3\xA9\xE2\x80\xA6");
  EXPECT_EQ(bounded_text("a\r\nb", 10), "a  b");
  EXPECT_EQ(slack_escape("a&b<c>"), "a&amp;b&lt;c&gt;");
}

TEST(ChatFormatsTest, OnlyBrokerRequestIdsBecomeLinks) {
  EXPECT_EQ(request_page_link(kChatOrigin, "req-ab12"),
            "https://approvals.example.com/#request=req-ab12");
  EXPECT_EQ(request_page_link(kChatOrigin, "req-1|<evil>"), "");
  EXPECT_EQ(request_page_link(kChatOrigin, "req-1)(x"), "");
  EXPECT_EQ(request_page_link(kChatOrigin, ""), "");
}

}  // namespace
}  // namespace jit::broker
