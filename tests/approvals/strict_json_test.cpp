#include "approvals/strict_json.hpp"

#include <gtest/gtest.h>

namespace jit::approvals {
namespace {

TEST(StrictJson, ParsesOrdinaryJson) {
  auto value = parse_strict_json(R"({"a":1,"b":{"c":[true,null,"x"]},"d":"\u00e9"})");
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(value->at("a").as_int64(), 1);
  EXPECT_EQ(value->at("d").as_string(), "\xC3\xA9");
}

TEST(StrictJson, RefusesDuplicateKeysAtAnyDepth) {
  for (const char* text : {R"({"a":1,"a":2})", R"({"a":1,"\u0061":2})", R"({"x":{"b":1,"b":1}})",
                           R"([{"k":1},{"k":2,"k":3}])"}) {
    EXPECT_EQ(parse_strict_json(text).error(), ApprovalsErrc::invalid_input) << text;
  }
  // The same key in sibling objects is fine.
  EXPECT_TRUE(parse_strict_json(R"([{"k":1},{"k":2}])").has_value());
}

TEST(StrictJson, RefusesInvalidUtf8CommentsAndTrailingData) {
  for (std::string text :
       {std::string("{\"a\":\"\xC3\"}"), std::string("{\"a\":\"\xFF\"}"),
        std::string("{\"a\":\"\xED\xA0\x80\"}"), std::string("{} // c"), std::string("{\"a\":1,}"),
        std::string("{} {}"), std::string("{"), std::string(""), std::string("nul")}) {
    EXPECT_EQ(parse_strict_json(text).error(), ApprovalsErrc::invalid_input) << text;
  }
}

TEST(StrictJson, EnforcesSizeAndDepth) {
  EXPECT_EQ(parse_strict_json(R"({"a":"0123456789"})", {10, 16}).error(),
            ApprovalsErrc::invalid_input);
  EXPECT_EQ(parse_strict_json("[[[[1]]]]", {100, 3}).error(), ApprovalsErrc::invalid_input);
  EXPECT_TRUE(parse_strict_json("[[[1]]]", {100, 3}).has_value());
}

}  // namespace
}  // namespace jit::approvals
