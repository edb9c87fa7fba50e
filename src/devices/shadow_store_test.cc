#include "devices/shadow_test_fixture.h"

#include <algorithm>

namespace tributary::devices::shadow_testing {
namespace {

// ---------------------------------------------------------------------------------------
// ShadowStore.

TEST_F(ShadowServiceTest, StoreGetOfNoneIsVersionZero) {
  ShadowDocument doc = Stored("nobody", "");
  EXPECT_EQ(doc.version, 0);
  EXPECT_FALSE(doc.exists);
  EXPECT_EQ(doc.state, json::object());
  EXPECT_EQ(doc.metadata, json::object());
  EXPECT_EQ(Stored("nobody", "named").version, 0);
  EXPECT_FALSE(Stored("nobody", "named").exists);
}

TEST_F(ShadowServiceTest, StorePutInsertsOnceThenWritesOnlyOverTheVersionRead) {
  ShadowDocument v1 = Doc(R"({"reported":{"t":20.5,"list":[1,"a",null]}})", 1);
  v1.metadata = json::parse(R"({"reported":{"t":{"timestamp":100},"list":{"timestamp":100}}})");
  ASSERT_TRUE(store_->Put("lamp", "", v1, 0).ok());

  ShadowDocument got = Stored("lamp", "");
  EXPECT_TRUE(got.exists);
  EXPECT_EQ(got.version, 1);
  EXPECT_EQ(got.state, v1.state);
  EXPECT_EQ(got.metadata, v1.metadata);

  // A second creation loses: another server created it meanwhile.
  Status again = store_->Put("lamp", "", Doc(R"({"reported":{"t":1}})", 1), 0);
  EXPECT_EQ(again.code(), ErrorCode::kFailedPrecondition) << again.ToString();
  EXPECT_EQ(Stored("lamp", "").state, v1.state);

  ASSERT_TRUE(store_->Put("lamp", "", Doc(R"({"reported":{"t":21}})", 2), 1).ok());
  // Written over version 1 again: stale.
  Status stale = store_->Put("lamp", "", Doc(R"({"reported":{"t":99}})", 2), 1);
  EXPECT_EQ(stale.code(), ErrorCode::kFailedPrecondition) << stale.ToString();
  // Over a version never stored.
  Status future = store_->Put("lamp", "", Doc(R"({"reported":{"t":99}})", 6), 5);
  EXPECT_EQ(future.code(), ErrorCode::kFailedPrecondition) << future.ToString();
  // An update of a shadow that does not exist.
  Status missing = store_->Put("ghost", "", Doc(R"({"reported":{"t":99}})", 2), 1);
  EXPECT_EQ(missing.code(), ErrorCode::kFailedPrecondition) << missing.ToString();
  EXPECT_EQ(Stored("ghost", "").version, 0);

  got = Stored("lamp", "");
  EXPECT_EQ(got.version, 2);
  EXPECT_EQ(got.state, json::parse(R"({"reported":{"t":21}})"));

  // The classic shadow and a named one of the same thing are apart.
  ASSERT_TRUE(store_->Put("lamp", "cfg", Doc(R"({"desired":{"x":1}})", 1), 0).ok());
  EXPECT_EQ(Stored("lamp", "cfg").state, json::parse(R"({"desired":{"x":1}})"));
  EXPECT_EQ(Stored("lamp", "").version, 2);
}

TEST_F(ShadowServiceTest, StoreDeleteOnlyOfTheVersionReadAndKeepsTheVersion) {
  ASSERT_TRUE(store_->Put("lamp", "", Doc(R"({"reported":{"a":1}})", 1), 0).ok());
  ASSERT_TRUE(store_->Put("lamp", "", Doc(R"({"reported":{"a":2}})", 2), 1).ok());
  ASSERT_TRUE(store_->Put("lamp", "cfg", Doc(R"({"reported":{"b":1}})", 1), 0).ok());

  Status stale = store_->Delete("lamp", "", 1);
  EXPECT_EQ(stale.code(), ErrorCode::kFailedPrecondition) << stale.ToString();
  EXPECT_TRUE(Stored("lamp", "").exists);
  EXPECT_EQ(Stored("lamp", "").version, 2);

  ASSERT_TRUE(store_->Delete("lamp", "", 2).ok());
  ShadowDocument deleted = Stored("lamp", "");
  EXPECT_FALSE(deleted.exists);
  EXPECT_EQ(deleted.version, 2) << "the last version is kept";
  EXPECT_EQ(deleted.state, json::object()) << "nothing of the state is kept";
  EXPECT_EQ(deleted.metadata, json::object());
  EXPECT_TRUE(Stored("lamp", "cfg").exists) << "a named shadow stays";

  // Deleted once only.
  Status gone = store_->Delete("lamp", "", 2);
  EXPECT_EQ(gone.code(), ErrorCode::kFailedPrecondition) << gone.ToString();
  Status missing = store_->Delete("ghost", "", 0);
  EXPECT_EQ(missing.code(), ErrorCode::kFailedPrecondition) << missing.ToString();

  // Made again over the version read (the deleted one's), not as a new row.
  Status as_new = store_->Put("lamp", "", Doc(R"({"reported":{"a":3}})", 1), 0);
  EXPECT_EQ(as_new.code(), ErrorCode::kFailedPrecondition) << as_new.ToString();
  Status as_if_there = store_->Put("lamp", "", Doc(R"({"reported":{"a":3}})", 3), 2);  // read as existing
  EXPECT_EQ(as_if_there.code(), ErrorCode::kFailedPrecondition) << as_if_there.ToString();
  ASSERT_TRUE(store_->Put("lamp", "", Doc(R"({"reported":{"a":3}})", 3), 2, /*read_existed=*/false).ok());
  ShadowDocument again = Stored("lamp", "");
  EXPECT_TRUE(again.exists);
  EXPECT_EQ(again.version, 3);
  EXPECT_EQ(again.state, json::parse(R"({"reported":{"a":3}})"));
}

TEST_F(ShadowServiceTest, StoreListNamedInByteOrderWithoutTheClassicShadow) {
  const std::vector<std::string> names = {"b", "B", "a", "Z9", "_x", "-y", "a-b", "ab", "a:1"};
  ASSERT_TRUE(store_->Put("lamp", "", Doc("{}", 1), 0).ok());
  for (const auto& n : names) ASSERT_TRUE(store_->Put("lamp", n, Doc("{}", 1), 0).ok()) << n;
  ASSERT_TRUE(store_->Put("other", "zz", Doc("{}", 1), 0).ok());

  auto listed = store_->ListNamed("lamp");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  std::vector<std::string> want = names;
  std::sort(want.begin(), want.end());  // byte order
  EXPECT_EQ(*listed, want);

  auto other = store_->ListNamed("other");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*other, std::vector<std::string>{"zz"});
  auto none = store_->ListNamed("nobody");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  ASSERT_TRUE(store_->Delete("lamp", "ab", 1).ok());
  listed = store_->ListNamed("lamp");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(std::count(listed->begin(), listed->end(), "ab"), 0);
  EXPECT_EQ(listed->size(), names.size() - 1);
}

TEST_F(ShadowServiceTest, StoreOpensAgainOverItsTable) {
  ASSERT_TRUE(store_->Put("lamp", "", Doc(R"({"reported":{"a":1}})", 1), 0).ok());
  auto again = ShadowStore::Open(db_.get());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto doc = (*again)->Get("lamp", "");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->version, 1);
  EXPECT_EQ(doc->state, json::parse(R"({"reported":{"a":1}})"));
}

TEST_F(ShadowServiceTest, ValidateShadowNames) {
  for (const auto& [thing, shadow] : std::vector<std::pair<std::string, std::string>>{
           {"t", ""},
           {"lamp-1:kitchen_A", ""},
           {"lamp", "cfg"},
           {"lamp", "a:b_c-D9"},
           {std::string(128, 't'), ""},
           {"lamp", std::string(64, 's')},
       }) {
    EXPECT_TRUE(ValidateShadowNames(thing, shadow).ok()) << thing << " / " << shadow;
  }
  struct Bad {
    std::string thing, shadow, in_message;
  };
  for (const auto& b : std::vector<Bad>{
           {"", "", "thing name"},
           {std::string(129, 't'), "", "thing name"},
           {"a b", "", "thing name 'a b'"},
           {"a/b", "", "thing name"},
           {"a+b", "", "thing name"},
           {"a#", "", "thing name"},
           {"a.b", "", "thing name"},
           {"caf\xc3\xa9", "", "thing name"},
           {"", "cfg", "thing name"},
           {"lamp", std::string(65, 's'), "shadow name"},
           {"lamp", "x y", "shadow name 'x y'"},
           {"lamp", "a/b", "shadow name"},
           {"lamp", "a.b", "shadow name"},
       }) {
    Status st = ValidateShadowNames(b.thing, b.shadow);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << b.thing << " / " << b.shadow;
    EXPECT_NE(st.message().find(b.in_message), std::string::npos) << st.message();
  }
}

}  // namespace
}  // namespace tributary::devices::shadow_testing
