// Result's contract (confab/result.h): reading the wrong side is a programming error that
// stops the process with the error's description in every build; it never throws.
#include <gtest/gtest.h>

#include <string>

#include "confab/result.h"

namespace confab {
namespace {

Result<std::string> failed() { return Error::make(ErrorCode::not_member, "not a member of c_general"); }

class ResultDeathTest : public testing::Test {
 protected:
  ResultDeathTest() { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(ResultDeathTest, ValueOfAnErrorAbortsWithTheErrorInEveryBuild) {
  // Before this contract, a release build threw std::bad_variant_access across the API.
  EXPECT_DEATH(static_cast<void>(failed().value()),
               "value\\(\\) called on a Result that holds an error: not_member: not a member of c_general");
  EXPECT_DEATH(static_cast<void>(failed()->size()), "value\\(\\) called on a Result that holds an error");
  const Result<std::string> kept = failed();
  EXPECT_DEATH(static_cast<void>(*kept), "not_member");
}

TEST_F(ResultDeathTest, ErrorOfAValueAborts) {
  Result<int> fine = 3;
  EXPECT_DEATH(static_cast<void>(fine.error()), "error\\(\\) called on a Result that holds a value");
  Result<void> done;
  EXPECT_DEATH(static_cast<void>(done.error()), "error\\(\\) called on a Result that holds no error");
}

TEST(Result, ValueOrGivesTheFallbackOnlyForAnError) {
  EXPECT_EQ(failed().value_or("fallback"), "fallback");
  Result<std::string> fine = std::string("value");
  EXPECT_EQ(fine.value_or("fallback"), "value");
  EXPECT_EQ(std::move(fine).value_or("fallback"), "value");
}

TEST(Result, HoldsOneSideOnly) {
  auto f = failed();
  EXPECT_FALSE(f.ok());
  EXPECT_FALSE(static_cast<bool>(f));
  EXPECT_EQ(f.error().code, ErrorCode::not_member);
  Result<int> fine = 7;
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(*fine, 7);
}

}  // namespace
}  // namespace confab
