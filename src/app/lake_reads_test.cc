#include "app/lake_reads.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace tributary::app {
namespace {

objstore::ListResult Listing() {
  objstore::ListResult l;
  for (const char* key : {"a.json", "c.json", "e.json"}) {
    objstore::ObjectInfo o;
    o.key = key;
    o.size = 1;
    l.objects.push_back(std::move(o));
  }
  l.common_prefixes = {"b/", "d/"};
  return l;
}

std::vector<std::string> Keys(const ListingPage& page) {
  std::vector<std::string> keys;
  for (const auto& o : page.objects) keys.push_back(o.key);
  for (const auto& p : page.common_prefixes) keys.push_back(p);
  std::sort(keys.begin(), keys.end());
  return keys;
}

TEST(LakeReadsTest, PagesMergeFoldersAndObjectsInKeyOrder) {
  ListingPage first = PageOf(Listing(), "", 2);
  EXPECT_EQ(Keys(first), (std::vector<std::string>{"a.json", "b/"}));
  EXPECT_TRUE(first.truncated);
  EXPECT_EQ(first.last, "b/");
  ListingPage second = PageOf(Listing(), first.last, 2);
  EXPECT_EQ(Keys(second), (std::vector<std::string>{"c.json", "d/"}));
  EXPECT_TRUE(second.truncated);
  ListingPage third = PageOf(Listing(), second.last, 2);
  EXPECT_EQ(Keys(third), (std::vector<std::string>{"e.json"}));
  EXPECT_FALSE(third.truncated);  // it ends exactly here
  ListingPage all = PageOf(Listing(), "", 5);
  EXPECT_EQ(all.objects.size() + all.common_prefixes.size(), 5u);
  EXPECT_FALSE(all.truncated);
  EXPECT_EQ(Keys(PageOf(Listing(), "bb", 10)), (std::vector<std::string>{"c.json", "d/", "e.json"}));
  ListingPage none = PageOf(Listing(), "", 0);
  EXPECT_TRUE(Keys(none).empty());
  EXPECT_FALSE(none.truncated);  // a client looping on IsTruncated would never end
}

// The store lists only the page (ListPageOptions): what it leaves out past the page, it
// says by truncated, which the page keeps even though it holds every entry it was given.
TEST(LakeReadsTest, APageTheStoreCutShortStaysTruncated) {
  objstore::ListResult cut = Listing();
  cut.objects.resize(1);          // a.json
  cut.common_prefixes.resize(1);  // b/
  cut.truncated = true;
  ListingPage page = PageOf(cut, "", 2);
  EXPECT_EQ(Keys(page), (std::vector<std::string>{"a.json", "b/"}));
  EXPECT_TRUE(page.truncated);
  EXPECT_EQ(page.last, "b/");
  EXPECT_FALSE(PageOf(cut, "", 0).truncated);
  EXPECT_EQ(ListPageOptions("b/", 2).start_after, "b/");
  EXPECT_EQ(ListPageOptions("", 2).max_keys, 2u);
  EXPECT_EQ(ListPageOptions("", 0).max_keys, 1u) << "0 would ask the store for every entry";
}

}  // namespace
}  // namespace tributary::app
