#include "base/inline_function.h"

#include <array>
#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace tributary {
namespace {

TEST(InlineFunctionTest, EmptyUntilGivenACallable) {
  InlineFunction<int(int)> f;
  EXPECT_FALSE(f);
  f = [](int x) { return x + 1; };
  ASSERT_TRUE(f);
  EXPECT_EQ(f(41), 42);
  f = nullptr;
  EXPECT_FALSE(f);
}

TEST(InlineFunctionTest, AnEmptyStdFunctionStaysEmpty) {
  std::function<void()> none;
  InlineFunction<void()> f = none;
  EXPECT_FALSE(f);
  InlineFunction<void()> g = std::function<void()>([] {});
  EXPECT_TRUE(g);
}

TEST(InlineFunctionTest, MovesTheCaptureAndDestroysItOnce) {
  auto owned = std::make_shared<int>(7);
  std::weak_ptr<int> watch = owned;
  {
    InlineFunction<int()> a = [p = std::move(owned)] { return *p; };
    InlineFunction<int()> b = std::move(a);
    EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from is empty
    EXPECT_EQ(b(), 7);
    InlineFunction<int()> c;
    c = std::move(b);
    EXPECT_EQ(c(), 7);
    EXPECT_FALSE(watch.expired());
  }
  EXPECT_TRUE(watch.expired());
}

TEST(InlineFunctionTest, BigCapturesGoToTheHeapAndStillWork) {
  std::array<char, 200> big{};
  big[199] = 'z';
  auto owned = std::make_shared<int>(1);
  std::weak_ptr<int> watch = owned;
  {
    InlineFunction<char(), 16> f = [big, p = std::move(owned)] { return big[199]; };
    InlineFunction<char(), 16> g = std::move(f);
    EXPECT_EQ(g(), 'z');
  }
  EXPECT_TRUE(watch.expired());
}

TEST(InlineFunctionTest, ArgumentsAreForwarded) {
  InlineFunction<std::string(std::string&&, const std::string&)> f =
      [](std::string&& a, const std::string& b) { return std::move(a) + b; };
  EXPECT_EQ(f(std::string("ab"), std::string("cd")), "abcd");
  std::unique_ptr<int> seen;
  InlineFunction<void(std::unique_ptr<int>)> sink = [&seen](std::unique_ptr<int> p) {
    seen = std::move(p);
  };
  sink(std::make_unique<int>(5));
  ASSERT_TRUE(seen);
  EXPECT_EQ(*seen, 5);
}

}  // namespace
}  // namespace tributary
