// What the audit stream writes (broker/workers/audit_stream_format.hpp): the JSON line both sinks
// carry, the RFC 5424 message around it (golden), and RFC 6587 octet counting.
#include "broker/workers/audit_stream_format.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

AuditRecord format_test_record() {
  AuditRecord record;
  record.seq = 42;
  record.time_us = 1'764'945'175'000'123;  // 2025-12-05T14:32:55.000123Z
  record.actor = "alice";
  record.action = "request.create";
  record.object = "request/req-1";
  record.details = R"({"role":"prod-db-read","reason":"a \"quoted\" ünïcode\nline"})";
  record.prev_hash = std::string(64, 'a');
  record.hash = std::string(64, 'b');
  return record;
}

TEST(AuditStreamFormat, JsonLineCarriesEveryFieldWithDetailsAsTheHashedText) {
  const auto line = audit_json_line(format_test_record());
  EXPECT_EQ(line,
            R"({"seq":42,"time_us":1764945175000123,"actor":"alice","action":"request.create",)"
            R"("object":"request/req-1","details":"{\"role\":\"prod-db-read\",\"reason\":\"a )"
            R"(\\\"quoted\\\" ünïcode\\nline\"}","prev_hash":")" +
                std::string(64, 'a') + R"(","hash":")" + std::string(64, 'b') + R"("})");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto parsed = parse_audit_json_line(line + "\r\n");
  ASSERT_TRUE(parsed);
  const auto original = format_test_record();
  EXPECT_EQ(parsed->seq, original.seq);
  EXPECT_EQ(parsed->time_us, original.time_us);
  EXPECT_EQ(parsed->details, original.details);
  EXPECT_EQ(parsed->prev_hash, original.prev_hash);
  EXPECT_EQ(parsed->hash, original.hash);
  const auto spaced = parse_audit_json_line(" " + line + " ");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->hash, original.hash);
}

TEST(AuditStreamFormat, NoControlByteReachesTheLine) {
  auto record = format_test_record();
  record.details = "{\"reason\":\"tab\there, del\x7f, nul\\u0000\"}";
  record.actor = std::string("a\x01\x7f", 3);
  const auto line = audit_json_line(record);
  for (const unsigned char c : line) EXPECT_TRUE(c >= 0x20 && c != 0x7f) << line;
  const auto parsed = parse_audit_json_line(line);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->details, record.details);
  EXPECT_EQ(parsed->actor, record.actor);
}

TEST(AuditStreamFormat, LinesThatAreNotRecordsDoNotParse) {
  const auto line = audit_json_line(format_test_record());
  EXPECT_FALSE(parse_audit_json_line(""));
  EXPECT_FALSE(parse_audit_json_line("not json"));
  EXPECT_FALSE(parse_audit_json_line("[1,2]"));
  EXPECT_FALSE(parse_audit_json_line(line.substr(0, line.size() - 1)));  // cut off
  std::string seq_as_text = line;
  seq_as_text.replace(seq_as_text.find("42"), 2, "\"42\"");
  EXPECT_FALSE(parse_audit_json_line(seq_as_text));
  std::string extra = line;
  extra.insert(extra.size() - 1, R"(,"more":1)");
  EXPECT_FALSE(parse_audit_json_line(extra));
}

TEST(AuditStreamFormat, Rfc5424MessageIsGolden) {
  const SyslogHeader header{"broker-1.example.net", "jit-broker", "4242"};
  EXPECT_EQ(rfc5424_message(format_test_record(), header),
            "<110>1 2025-12-05T14:32:55.000123Z broker-1.example.net jit-broker 4242 audit - " +
                audit_json_line(format_test_record()));
}

TEST(AuditStreamFormat, HeaderFieldsOutsidePrintableAsciiBecomeNil) {
  const SyslogHeader header{"", "jit broker", std::string(129, '1')};
  const auto message = rfc5424_message(format_test_record(), header);
  EXPECT_TRUE(message.starts_with("<110>1 2025-12-05T14:32:55.000123Z - - - audit - {")) << message;
}

TEST(AuditStreamFormat, TimestampsAreUtcWithMicroseconds) {
  EXPECT_EQ(rfc3339_utc(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(rfc3339_utc(951'782'400'999'999), "2000-02-29T00:00:00.999999Z");
  EXPECT_EQ(rfc3339_utc(-1), "1969-12-31T23:59:59.999999Z");
}

TEST(AuditStreamFormat, OctetCountingPrefixesTheByteLength) {
  EXPECT_EQ(octet_counted_frame("<110>1 - - - - - - x"), "20 <110>1 - - - - - - x");
  EXPECT_EQ(octet_counted_frame(""), "0 ");
  // Bytes, not characters: "ü" is two.
  EXPECT_EQ(octet_counted_frame("\xc3\xbc"), "2 \xc3\xbc");
  const std::string big(100'000, 'x');
  EXPECT_EQ(octet_counted_frame(big), "100000 " + big);
}

}  // namespace
}  // namespace jit::broker
