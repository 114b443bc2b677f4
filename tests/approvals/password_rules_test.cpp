// The rule for new passwords (issue 14 E20): `user enroll` accepted a one-character password.
#include "approvals/password_rules.hpp"

#include "approvals/password_hash.hpp"

#include <gtest/gtest.h>

#include <string>

namespace jit::approvals {
namespace {

TEST(NewPasswordRule, FewerThanTwelveCharactersAreRefused) {
  EXPECT_EQ(new_password_problem("x", "alice"), PasswordProblem::too_short);
  EXPECT_EQ(new_password_problem("elevenchars", "alice"), PasswordProblem::too_short);
  EXPECT_EQ(new_password_problem("twelve chars", "alice"), std::nullopt);
  // Characters, not bytes: eleven two-byte letters are still too short, twelve are enough.
  std::string umlauts;
  for (int i = 0; i < 11; ++i) umlauts += "\xc3\xa4";
  EXPECT_EQ(new_password_problem(umlauts, "alice"), PasswordProblem::too_short);
  EXPECT_EQ(new_password_problem(umlauts + "\xc3\xa4", "alice"), std::nullopt);
}

TEST(NewPasswordRule, OverLongPasswordsAreRefused) {
  EXPECT_EQ(new_password_problem(std::string(kMaxPasswordBytes, 'k'), "alice"), std::nullopt);
  EXPECT_EQ(new_password_problem(std::string(kMaxPasswordBytes + 1, 'k'), "alice"),
            PasswordProblem::too_long);
}

TEST(NewPasswordRule, TheUsersNameIsRefusedInAnyCase) {
  EXPECT_EQ(new_password_problem("alexander-the", "alexander-the"),
            PasswordProblem::contains_user_name);
  EXPECT_EQ(new_password_problem("ALEXANDER-THE", "alexander-the"),
            PasswordProblem::contains_user_name);
  EXPECT_EQ(new_password_problem("my name is Alice!!", "alice"),
            PasswordProblem::contains_user_name);
  EXPECT_EQ(new_password_problem("pw-alice-2026", "alice"), PasswordProblem::contains_user_name);
  // A two-letter name is only refused as the whole password, not inside one.
  EXPECT_EQ(new_password_problem("always a long phrase", "al"), std::nullopt);
  EXPECT_EQ(new_password_problem("a long phrase for bob", "alice"), std::nullopt);
}

TEST(NewPasswordRule, OnlyOneLineOfUtf8TextIsAccepted) {
  for (const std::string& text :
       {std::string("first line\nsecond"), std::string("carriage\rreturn!!"),
        std::string("tab\tseparated words"), std::string("nul\0in the middle", 17),
        std::string("delete\x7f character"), std::string("next line \xc2\x85 C1 control")}) {
    EXPECT_EQ(new_password_problem(text, "alice"), PasswordProblem::not_one_line)
        << ::testing::PrintToString(text);
  }
  EXPECT_EQ(new_password_problem("latin-1 caf\xe9 is not UTF-8", "alice"),
            PasswordProblem::invalid_utf8);
  EXPECT_EQ(new_password_problem("overlong \xc0\xaf slash here", "alice"),
            PasswordProblem::invalid_utf8);
  EXPECT_EQ(new_password_problem("spaces are fine here", "alice"), std::nullopt);
}

TEST(NewPasswordRule, EachProblemHasOneLineThatNamesTheRule) {
  for (auto problem :
       {PasswordProblem::too_short, PasswordProblem::too_long, PasswordProblem::not_one_line,
        PasswordProblem::invalid_utf8, PasswordProblem::contains_user_name}) {
    const auto text = describe(problem);
    EXPECT_TRUE(text.starts_with("password must")) << text;
    EXPECT_EQ(text.find('\n'), std::string_view::npos);
  }
  EXPECT_NE(describe(PasswordProblem::too_short).find("12"), std::string_view::npos);
}

}  // namespace
}  // namespace jit::approvals
