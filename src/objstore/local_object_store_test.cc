#include "objstore/local_object_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/ids.h"
#include "base/testing/file_size_limit.h"
#include "objstore/list_folding.h"

namespace tributary::objstore {
namespace {
namespace fs = std::filesystem;

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = (fs::temp_directory_path() / ("objstore-test-" + RandomHex(6))).string();
    auto provider = LocalObjectStoreProvider::Open(root_);
    ASSERT_TRUE(provider.ok()) << provider.status().ToString();
    provider_ = std::move(*provider);
    auto bucket = provider_->Bucket("iot-data");
    ASSERT_TRUE(bucket.ok()) << bucket.status().ToString();
    store_ = *bucket;
  }
  void TearDown() override { fs::remove_all(root_); }

  std::vector<std::string> Keys(const ListResult& r) {
    std::vector<std::string> keys;
    for (const auto& o : r.objects) keys.push_back(o.key);
    return keys;
  }
  std::string TempDir() { return root_ + "/iot-data/" + kLocalTempDir; }
  size_t TempFiles() {
    size_t n = 0;
    for (auto& e : fs::directory_iterator(TempDir())) n += e.is_regular_file();
    return n;
  }

  std::string root_;
  std::unique_ptr<LocalObjectStoreProvider> provider_;
  std::shared_ptr<ObjectStore> store_;
};

TEST_F(LocalStoreTest, PutGetHeadRoundTrip) {
  ASSERT_TRUE(store_->Put("2026/11/30/a.json", "{\"ozone\":3}\n").ok());
  auto data = store_->Get("2026/11/30/a.json");
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(*data, "{\"ozone\":3}\n");
  EXPECT_TRUE(fs::is_regular_file(root_ + "/iot-data/2026/11/30/a.json"));
  auto info = store_->Head("2026/11/30/a.json");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->key, "2026/11/30/a.json");
  EXPECT_EQ(info->size, 12u);
  EXPECT_GT(info->modified_ms, 1600000000000);
  EXPECT_FALSE(info->etag.empty());
  // Replacing the object changes its etag.
  ASSERT_TRUE(store_->Put("2026/11/30/a.json", "longer content").ok());
  auto again = store_->Head("2026/11/30/a.json");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->etag, info->etag);
  EXPECT_EQ(*store_->Get("2026/11/30/a.json"), "longer content");
  EXPECT_EQ(store_->Describe(), "local:" + root_ + "/iot-data");
}

TEST_F(LocalStoreTest, ByteRanges) {
  ASSERT_TRUE(store_->Put("r", "0123456789").ok());
  EXPECT_EQ(*store_->Get("r", ByteRange{2, 3, {}}), "234");
  EXPECT_EQ(*store_->Get("r", ByteRange{7, std::nullopt, {}}), "789");
  EXPECT_EQ(*store_->Get("r", ByteRange{8, 100, {}}), "89");
  EXPECT_EQ(*store_->Get("r", ByteRange{10, std::nullopt, {}}), "");
  EXPECT_EQ(*store_->Get("r", ByteRange{0, 0, {}}), "");
  auto beyond = store_->Get("r", ByteRange{11, 1, {}});
  EXPECT_EQ(beyond.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(beyond.status().message().find("10 bytes"), std::string::npos);
}

// A read in pieces names the ETag of the object it began with: once the object is
// replaced, the next piece is refused instead of coming from the new one.
TEST_F(LocalStoreTest, ARangeReadOfAnotherEtagIsRefused) {
  PutOptions given;
  given.etag = "0123456789abcdef0123456789abcdef";
  for (const PutOptions& options : {PutOptions{}, given}) {
    ASSERT_TRUE(store_->Put("r", "first version", options).ok());
    const std::string etag = store_->Head("r")->etag;
    EXPECT_EQ(*store_->Get("r", ByteRange{0, 5, etag}), "first");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // another mtime
    ASSERT_TRUE(store_->Put("r", "second version").ok());
    auto refused = store_->Get("r", ByteRange{6, 7, etag});
    EXPECT_EQ(refused.status().code(), ErrorCode::kFailedPrecondition)
        << refused.status().ToString();
    EXPECT_NE(refused.status().message().find("not '" + etag + "'"), std::string::npos)
        << refused.status().message();
    EXPECT_EQ(*store_->Get("r", ByteRange{7, 7, store_->Head("r")->etag}), "version");
  }
}

TEST_F(LocalStoreTest, WriterIsInvisibleUntilCommit) {
  auto writer = store_->NewWriter("big/object.bin");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write("part one, ").ok());
  ASSERT_TRUE((*writer)->Write("part two").ok());
  EXPECT_EQ(store_->Get("big/object.bin").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(Keys(*store_->List("")).empty()) << "a temp file is visible to List";
  EXPECT_EQ(TempFiles(), 1u);
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_EQ(*store_->Get("big/object.bin"), "part one, part two");
  EXPECT_EQ(TempFiles(), 0u);
  EXPECT_EQ(Keys(*store_->List("")), std::vector<std::string>{"big/object.bin"});
  EXPECT_EQ((*writer)->Write("late").code(), ErrorCode::kFailedPrecondition);
}

TEST_F(LocalStoreTest, LargeObjectsRoundTripExactly) {
  // Past 1 MiB the writer goes around the page cache (file_appender.h): the object must
  // still be byte-exact, its odd tail included, and its ranges readable.
  std::string data;
  for (size_t i = 0; data.size() < (5u << 20) + 17; ++i) data += std::to_string(i * 7919) + ",";
  auto writer = store_->NewWriter("2026/11/30/12/big.json");
  ASSERT_TRUE(writer.ok());
  for (size_t off = 0; off < data.size(); off += 300000)
    ASSERT_TRUE((*writer)->Write(std::string_view(data).substr(off, 300000)).ok());
  ASSERT_TRUE((*writer)->Commit().ok());
  auto back = store_->Get("2026/11/30/12/big.json");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(*back == data) << "sizes " << back->size() << " and " << data.size();
  EXPECT_EQ(store_->Head("2026/11/30/12/big.json")->size, data.size());
  EXPECT_EQ(*store_->Get("2026/11/30/12/big.json", ByteRange{data.size() - 10, 10, {}}),
            data.substr(data.size() - 10));
  EXPECT_EQ(TempFiles(), 0u);
}

TEST_F(LocalStoreTest, AbortAndDestroyLeaveNothing) {
  ASSERT_TRUE(store_->Put("keep", "old").ok());
  {
    auto writer = store_->NewWriter("keep");
    ASSERT_TRUE((*writer)->Write("new").ok());
    (*writer)->Abort();
  }
  {
    auto writer = store_->NewWriter("dropped");
    ASSERT_TRUE((*writer)->Write("never committed").ok());
  }  // destroyed without Commit
  EXPECT_EQ(*store_->Get("keep"), "old");
  EXPECT_EQ(store_->Head("dropped").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(TempFiles(), 0u);
}

// A disk that refuses the write part-way (here a file-size limit, as a full disk would):
// the put fails and says why, the object it would have replaced is untouched, and no temp
// file is left; the same put succeeds once the disk takes writes again.
TEST_F(LocalStoreTest, APutTheDiskRefusesLeavesNothingBehind) {
  ASSERT_TRUE(store_->Put("keep", "old").ok());
  const std::string big(2 << 20, 'b');    // past FileAppender's direct threshold
  const std::string mid(200 << 10, 'm');  // written through the page cache
  {
    testing_support::FileSizeLimit limit(64 << 10);
    for (const auto& [key, data] : {std::pair<std::string, const std::string*>{"big", &big},
                                    {"mid", &mid},
                                    {"keep", &mid}}) {
      Status st = store_->Put(key, *data);
      EXPECT_FALSE(st.ok()) << key;
      EXPECT_NE(st.ToString().find("File too large"), std::string::npos) << key << ": " << st.ToString();
    }
  }
  EXPECT_EQ(store_->Head("big").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->Head("mid").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(*store_->Get("keep"), "old");
  EXPECT_EQ(TempFiles(), 0u);

  ASSERT_TRUE(store_->Put("big", big).ok());
  EXPECT_EQ(*store_->Get("big"), big);
}

TEST_F(LocalStoreTest, ListWithPrefixAndDelimiterIsInByteOrder) {
  for (const char* key : {"b/2", "a/1", "a/b/3", "a/b/4", "a/c", "a-z", "a/\xC3\xA9", "A", "a/B"})
    ASSERT_TRUE(store_->Put(key, key).ok()) << key;
  EXPECT_EQ(Keys(*store_->List("")),
            (std::vector<std::string>{"A", "a-z", "a/1", "a/B", "a/b/3", "a/b/4", "a/c",
                                      "a/\xC3\xA9", "b/2"}));
  auto folded = store_->List("a/", "/");
  ASSERT_TRUE(folded.ok());
  EXPECT_EQ(Keys(*folded), (std::vector<std::string>{"a/1", "a/B", "a/c", "a/\xC3\xA9"}));
  EXPECT_EQ(folded->common_prefixes, std::vector<std::string>{"a/b/"});
  auto top = store_->List("", "/");
  EXPECT_EQ(Keys(*top), (std::vector<std::string>{"A", "a-z"}));
  EXPECT_EQ(top->common_prefixes, (std::vector<std::string>{"a/", "b/"}));
  // A prefix that ends inside a segment.
  EXPECT_EQ(Keys(*store_->List("a/b")), (std::vector<std::string>{"a/b/3", "a/b/4"}));
  EXPECT_EQ(Keys(*store_->List("a-")), std::vector<std::string>{"a-z"});
  EXPECT_TRUE(Keys(*store_->List("zzz/")).empty());
  // A delimiter other than '/'.
  auto dash = store_->List("", "-");
  EXPECT_EQ(dash->common_prefixes, std::vector<std::string>{"a-"});
  EXPECT_EQ(dash->objects.size(), 8u);
  // The temp directory is never listed, not even when asked for by name.
  EXPECT_TRUE(Keys(*store_->List(std::string(kLocalTempDir) + "/")).empty());
}

// The listing as S3 defines it, made the slow way: every regular file under the bucket,
// sorted, filtered by the prefix; the keys after `start_after`, folded by the delimiter,
// less a common prefix that is `start_after` itself; then at most `max_keys` (0: all)
// entries — the oracle for the walk in key order.
ListResult ReferenceListing(const std::string& bucket_dir, const std::string& prefix,
                            const std::string& delimiter, const ListOptions& options = {}) {
  std::vector<ObjectInfo> objects;
  for (auto it = fs::recursive_directory_iterator(bucket_dir); it != fs::end(it); ++it) {
    std::string key = it->path().string().substr(bucket_dir.size() + 1);
    if (key == kLocalTempDir) it.disable_recursion_pending();
    if (!it->is_regular_file() || key.rfind(prefix, 0) != 0 || key <= options.start_after) continue;
    objects.emplace_back().key = key;
  }
  std::sort(objects.begin(), objects.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  ListResult all = FoldByDelimiter(std::move(objects), prefix, delimiter);
  std::erase(all.common_prefixes, options.start_after);
  ListResult page;
  size_t o = 0, c = 0;
  while (o < all.objects.size() || c < all.common_prefixes.size()) {
    bool common = o == all.objects.size() ||
                  (c < all.common_prefixes.size() && all.common_prefixes[c] < all.objects[o].key);
    const std::string& name = common ? all.common_prefixes[c] : all.objects[o].key;
    if (options.max_keys != 0 &&
        page.objects.size() + page.common_prefixes.size() == options.max_keys) {
      page.truncated = true;
      break;
    }
    if (common) {
      page.common_prefixes.push_back(name);
    } else {
      page.objects.push_back(all.objects[o]);
    }
    common ? ++c : ++o;
  }
  return page;
}

// Objects and common prefixes of a listing as one sorted list, prefixes marked with "+".
std::vector<std::string> Entries(const ListResult& r) {
  std::vector<std::string> entries;
  for (const auto& o : r.objects) entries.push_back(o.key);
  for (const auto& p : r.common_prefixes) entries.push_back("+" + p);
  return entries;
}

// The walk lists in key order and rolls folders up without entering them: for every
// prefix, delimiter and page it must give what sorting and folding the whole tree gives.
TEST_F(LocalStoreTest, AWalkInKeyOrderListsWhatTheWholeTreeSortedAndFoldedGives) {
  // Names chosen to sort around '/' (0x2F): '-' and '.' before it, '0' and 'A'.. after.
  std::vector<std::string> keys;
  for (const char* top : {"2026", "2026-x", "2026.old", "20260", "a-b", "b"}) {
    for (const char* mid : {"01", "01-a", "01.z", "010", "1"}) {
      for (const char* leaf : {"e.json", "f-g", "f0", "\xC3\xA9"})
        keys.push_back(std::string(top) + "/" + mid + "/" + leaf);
      keys.push_back(std::string(top) + "/" + mid + "-top");
    }
  }
  keys.push_back("2026-x-loose");
  keys.push_back("a");
  keys.push_back("a-b-c");
  for (const auto& key : keys) ASSERT_TRUE(store_->Put(key, "x").ok()) << key;
  // An empty folder (a put's before its rename) is no common prefix.
  fs::create_directories(root_ + "/iot-data/empty/nested");
  const std::string bucket_dir = root_ + "/iot-data";

  for (const std::string prefix :
       {"", "2026", "2026/", "2026/01", "2026/01/", "a", "empty/", "zz"}) {
    for (const std::string delimiter : {"", "/", "-", "/0", "1/"}) {
      auto whole = store_->List(prefix, delimiter);
      ASSERT_TRUE(whole.ok()) << whole.status().ToString();
      ListResult expected = ReferenceListing(bucket_dir, prefix, delimiter);
      EXPECT_EQ(Entries(*whole), Entries(expected))
          << "prefix '" << prefix << "' delimiter '" << delimiter << "'";
      EXPECT_FALSE(whole->truncated);
      // Page by page, each from after the last entry of the one before.
      for (size_t page_size : {1, 3, 7}) {
        ListOptions options;
        options.max_keys = page_size;
        for (int page = 0; page < 1000; ++page) {
          auto got = store_->List(prefix, delimiter, options);
          ASSERT_TRUE(got.ok()) << got.status().ToString();
          ListResult want = ReferenceListing(bucket_dir, prefix, delimiter, options);
          ASSERT_EQ(Entries(*got), Entries(want))
              << "prefix '" << prefix << "' delimiter '" << delimiter << "' page " << page << " of "
              << page_size << " after '" << options.start_after << "'";
          ASSERT_EQ(got->truncated, want.truncated);
          if (!got->truncated) break;
          std::vector<std::string> entries = Entries(*got);
          for (auto& e : entries)
            if (e[0] == '+') e.erase(0, 1);
          options.start_after = *std::max_element(entries.begin(), entries.end());
        }
      }
    }
  }
  // From any start_after, as a client may give it: keys, just before and just after them,
  // and their parts (inside a folder, a folder itself, between two).
  std::set<std::string> starts = {"", "\x7f", "2026/01", "2026/01/f", "2026-x-", "a-b/1"};
  for (size_t i = 0; i < keys.size(); i += 7) {
    const std::string& key = keys[i];
    starts.insert(key);
    starts.insert(key + "\x01");
    starts.insert(key.substr(0, key.size() - 1));
    for (size_t slash = key.find('/'); slash != std::string::npos; slash = key.find('/', slash + 1))
      starts.insert(key.substr(0, slash + 1));
  }
  for (const std::string prefix : {"", "2026", "2026/", "2026/01/", "a"}) {
    for (const std::string delimiter : {"", "/", "-", "/0", "1/"}) {
      for (const std::string& start : starts) {
        for (size_t max_keys : {0, 2}) {
          ListOptions options;
          options.start_after = start;
          options.max_keys = max_keys;
          auto got = store_->List(prefix, delimiter, options);
          ASSERT_TRUE(got.ok()) << got.status().ToString();
          ListResult want = ReferenceListing(bucket_dir, prefix, delimiter, options);
          ASSERT_EQ(Entries(*got), Entries(want))
              << "prefix '" << prefix << "' delimiter '" << delimiter << "' after '" << start
              << "' max_keys " << max_keys;
          ASSERT_EQ(got->truncated, want.truncated) << "after '" << start << "'";
        }
      }
    }
  }
  // Object infos are the objects' own, as Head gives them.
  auto one = store_->List("2026/01/", "/");
  ASSERT_FALSE(one->objects.empty());
  EXPECT_EQ(one->objects[0].etag, store_->Head(one->objects[0].key)->etag);
}

// S3's order is the keys' bytes: "a-b" < "a.c" < "a/b" < "a0", so the folder "a" is
// walked between the files "a.c" and "a0", not where the name "a" sorts; a page that
// ends inside it goes on inside it.
TEST_F(LocalStoreTest, PagesFollowByteOrderAroundAFolder) {
  for (const char* key : {"a0", "a/b", "a-b", "a/c/d", "a.c", "A", "a/c-e", "b"})
    ASSERT_TRUE(store_->Put(key, key).ok()) << key;
  auto page_by_page = [&](const std::string& prefix, const std::string& delimiter) {
    std::vector<std::string> seen;
    ListOptions options;
    options.max_keys = 1;
    while (true) {
      auto page = store_->List(prefix, delimiter, options);
      EXPECT_TRUE(page.ok());
      if (!page.ok()) break;
      std::vector<std::string> entries = Entries(*page);
      EXPECT_LE(entries.size(), 1u);
      seen.insert(seen.end(), entries.begin(), entries.end());
      if (!page->truncated) break;
      options.start_after = entries.back()[0] == '+' ? entries.back().substr(1) : entries.back();
    }
    return seen;
  };
  EXPECT_EQ(page_by_page("", ""),
            (std::vector<std::string>{"A", "a-b", "a.c", "a/b", "a/c-e", "a/c/d", "a0", "b"}));
  EXPECT_EQ(page_by_page("", "/"), (std::vector<std::string>{"A", "a-b", "a.c", "+a/", "a0", "b"}));
  EXPECT_EQ(page_by_page("a", "/"), (std::vector<std::string>{"a-b", "a.c", "+a/", "a0"}));
  EXPECT_EQ(page_by_page("a/", "/"), (std::vector<std::string>{"a/b", "a/c-e", "+a/c/"}));
  // Starting inside the folder: after "a/b", the rest of a/, then what follows it.
  ListOptions after;
  after.start_after = "a/b";
  EXPECT_EQ(Entries(*store_->List("", "", after)),
            (std::vector<std::string>{"a/c-e", "a/c/d", "a0", "b"}));
  // As S3 does, the folder is given again for the keys in it after "a/b"; after the
  // folder itself (a page that ended with it), the page goes on with a0.
  EXPECT_EQ(Entries(*store_->List("", "/", after)), (std::vector<std::string>{"a0", "b", "+a/"}));
  after.start_after = "a/";
  EXPECT_EQ(Entries(*store_->List("", "/", after)), (std::vector<std::string>{"a0", "b"}));
  after.start_after = "a/c/d";
  EXPECT_EQ(Entries(*store_->List("", "/", after)), (std::vector<std::string>{"a0", "b"}));
}

TEST_F(LocalStoreTest, AListingNeverLeavesTheBucket) {
  // What lies beside the bucket: another bucket's object and a file of the root.
  auto other = provider_->Bucket("other");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->Put("secret/x.txt", "not yours").ok());
  { std::ofstream(root_ + "/admin.token") << "token"; }
  ASSERT_TRUE(store_->Put("a/b/c", "1").ok());
  // No key has a '.', '..' or empty segment, so such a prefix names nothing: its
  // directory is not walked (it would be the root, or the other bucket, or '/').
  for (const std::string& prefix : std::vector<std::string>{
           "../", "../other/", "../other/secret/x", "../../", "../../../../../../etc/host", "a/../",
           "a/../../other/", "./", "a/./b/", "a//b/", "/", "/a/",
           std::string(kLocalTempDir) + "/x/"}) {
    for (const char* delimiter : {"", "/"}) {
      auto listed = store_->List(prefix, delimiter);
      ASSERT_TRUE(listed.ok()) << prefix << ": " << listed.status().ToString();
      EXPECT_TRUE(listed->objects.empty() && listed->common_prefixes.empty())
          << "prefix '" << prefix << "' listed " << listed->objects.size() << " objects, first "
          << (listed->objects.empty() ? "" : listed->objects[0].key);
    }
  }
  // Prefixes whose last piece is dots are names, filtered as ever ("a/.." matches no key).
  EXPECT_TRUE(Keys(*store_->List("a/..")).empty());
  EXPECT_EQ(Keys(*store_->List("a/b/")), std::vector<std::string>{"a/b/c"});
}

TEST_F(LocalStoreTest, UnsafeKeysAreRejected) {
  for (const std::string& key : std::vector<std::string>{
           "", "/abs", "../escape", "a/../../x", "a/./b", ".", "..", "a//b", "a/",
           std::string(kLocalTempDir) + "/x", std::string("nul\0x", 5), std::string("bad\xFFutf8"),
           std::string(256, 'x'), std::string(1025, 'k')}) {
    Status st = store_->Put(key, "x");
    EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << "key: " << key;
    EXPECT_EQ(store_->Get(key).status().code(), ErrorCode::kInvalidArgument) << key;
    // A key S3 would take ("a/", "a//b") names no object here: deleting it is done, as
    // deleting a missing key is; one S3 refuses too is refused.
    EXPECT_EQ(store_->Delete(key).code(),
              ValidateKey(key).ok() ? ErrorCode::kOk : ErrorCode::kInvalidArgument)
        << key;
    if (ValidateKey(key).ok()) {
      EXPECT_EQ(store_->DeleteIf(key, "*").code(), ErrorCode::kNotFound) << key;
    }
  }
  EXPECT_FALSE(fs::exists(root_ + "/escape"));
  EXPECT_FALSE(fs::exists(root_ + "/x"));
  EXPECT_TRUE(fs::exists(TempDir()));  // a delete under the reserved name touched nothing
  // Dots inside names are fine.
  EXPECT_TRUE(store_->Put("a/.hidden/..x/b.", "ok").ok());
}

TEST_F(LocalStoreTest, ObjectAndPrefixOfTheSameNameConflict) {
  ASSERT_TRUE(store_->Put("a", "file").ok());
  Status st = store_->Put("a/b", "under a file");
  EXPECT_EQ(st.code(), ErrorCode::kFailedPrecondition) << st.ToString();
  ASSERT_TRUE(store_->Put("d/e", "x").ok());
  st = store_->Put("d", "over a directory");
  EXPECT_EQ(st.code(), ErrorCode::kFailedPrecondition) << st.ToString();
  EXPECT_EQ(store_->Head("d").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(TempFiles(), 0u);
}

// Folders that hold no object (a crash's leftovers: a put's, made before its rename, or a
// delete's, not yet pruned) do not keep their name from being put: they give no key, and
// the put removes them. A folder that holds an object, or anything else the lake did not
// make (a link), still refuses it.
TEST_F(LocalStoreTest, EmptyFoldersDoNotKeepAnObjectFromTheirName) {
  auto read = [&](const std::string& key) {
    auto data = store_->Get(key);
    return data.ok() ? *data : data.status().ToString();
  };
  fs::create_directories(root_ + "/iot-data/left/over/empty");
  fs::create_directories(root_ + "/iot-data/left/also");
  EXPECT_TRUE(store_->List("").value().objects.empty());
  Status st = store_->Put("left", "now an object");
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(read("left"), "now an object");
  PutOptions create_only;
  create_only.condition.if_absent = true;
  fs::create_directories(root_ + "/iot-data/crash/left");
  st = store_->Put("crash", "created", create_only);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(read("crash"), "created");

  ASSERT_TRUE(store_->Put("full/deep/a", "1").ok());
  fs::create_directories(root_ + "/iot-data/full/empty");
  EXPECT_EQ(store_->Put("full", "2").code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(store_->Put("full", "2", create_only).code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(read("full/deep/a"), "1");

  fs::create_directories(root_ + "/iot-data/linked");
  fs::create_symlink("/etc/hostname", root_ + "/iot-data/linked/l");
  EXPECT_EQ(store_->Put("linked", "x").code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(fs::is_symlink(root_ + "/iot-data/linked/l"));
  EXPECT_EQ(TempFiles(), 0u);
}

TEST_F(LocalStoreTest, DeleteIsIdempotentAndPrunesEmptyDirectories) {
  ASSERT_TRUE(store_->Put("x/y/z", "1").ok());
  ASSERT_TRUE(store_->Put("x/keep", "2").ok());
  EXPECT_TRUE(store_->Delete("x/y/z").ok());
  EXPECT_FALSE(fs::exists(root_ + "/iot-data/x/y"));
  EXPECT_TRUE(fs::exists(root_ + "/iot-data/x/keep"));
  EXPECT_TRUE(store_->Delete("x/y/z").ok());
  EXPECT_TRUE(store_->Delete("never/existed").ok());
  EXPECT_TRUE(store_->Delete("x").ok());  // a "directory" is not an object
  EXPECT_EQ(store_->Get("x/y/z").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->Head("x").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->Get("x").status().code(), ErrorCode::kNotFound);
}

// A delete prunes the folders it empties while another key's put may be creating them
// again: each side meets the other's half-done work (a parent gone between two mkdirs, a
// folder another pruner removed first) and must carry on, not fail.
TEST_F(LocalStoreTest, PutsAndDeletesRacingInOneFolderAllSucceed) {
  constexpr int kThreads = 4;
  std::atomic<int> failures{0};
  std::string first_failure;
  std::mutex failure_mu;
  auto note = [&](const Status& st, const std::string& what) {
    if (st.ok()) return;
    if (failures.fetch_add(1) == 0) {
      std::lock_guard lock(failure_mu);
      first_failure = what + ": " + st.ToString();
    }
  };
  const auto stop_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string key = "deep/a/b/c/d/e/key-" + std::to_string(t);
      while (std::chrono::steady_clock::now() < stop_at) {
        note(store_->Put(key, "x"), "put " + key);
        note(store_->Delete(key), "delete " + key);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0) << "first: " << first_failure;
  EXPECT_FALSE(fs::exists(root_ + "/iot-data/deep")) << "the last delete left empty folders";
  EXPECT_EQ(TempFiles(), 0u);
}

TEST_F(LocalStoreTest, PutOptionsAreKeptAsExtendedAttributes) {
  PutOptions options;
  options.content_type = "application/json";
  options.content_encoding = "gzip";
  options.metadata["device"] = "pollution-1";
  ASSERT_TRUE(store_->Put("meta.json.gz", "x", options).ok());
  std::string path = root_ + "/iot-data/meta.json.gz";
  char buf[64];
  ssize_t n = ::getxattr(path.c_str(), "user.tributary.content_encoding", buf, sizeof(buf));
  if (n < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP))
    GTEST_SKIP() << "the temp filesystem has no user xattrs";
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, n), "gzip");
  n = ::getxattr(path.c_str(), "user.tributary.meta.device", buf, sizeof(buf));
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, n), "pollution-1");
  // Head gives them back; List does not read them (but for the ETag, below).
  auto info = store_->Head("meta.json.gz");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->content_type, "application/json");
  EXPECT_EQ(info->content_encoding, "gzip");
  EXPECT_EQ(info->metadata, (std::map<std::string, std::string>{{"device", "pollution-1"}}));
  ASSERT_TRUE(store_->Put("plain", "x").ok());
  auto plain = store_->Head("plain");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->content_type, "");
  EXPECT_TRUE(plain->metadata.empty());
  EXPECT_EQ(plain->etag.find("9dd4e461268c8034f5c8564e155c67a6"), std::string::npos);

  // An ETag given with the bytes is the object's from then on, in Head and in List; an
  // object put without one keeps the store's own.
  // So is a checksum given with them (Head only).
  PutOptions with_etag;
  with_etag.etag = "9dd4e461268c8034f5c8564e155c67a6";
  with_etag.checksum = "x-amz-checksum-crc32:jNRuTw==";
  ASSERT_TRUE(store_->Put("tagged", "x", with_etag).ok());
  auto tagged = store_->Head("tagged");
  ASSERT_TRUE(tagged.ok());
  EXPECT_EQ(tagged->etag, "9dd4e461268c8034f5c8564e155c67a6");
  EXPECT_EQ(tagged->checksum, "x-amz-checksum-crc32:jNRuTw==");
  EXPECT_EQ(plain->checksum, "");
  // A streamed writer's, known after the bytes.
  auto writer = store_->NewWriter("streamed", {});
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write("x").ok());
  (*writer)->SetChecksum("x-amz-checksum-sha256:LXSk...");
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_EQ(store_->Head("streamed")->checksum, "x-amz-checksum-sha256:LXSk...");
  auto listing = store_->List("");
  ASSERT_TRUE(listing.ok());
  std::map<std::string, std::string> etags;
  for (const auto& o : listing->objects) etags[o.key] = o.etag;
  EXPECT_EQ(etags["tagged"], "9dd4e461268c8034f5c8564e155c67a6");
  EXPECT_EQ(etags["plain"], plain->etag);
  // Edited in place by another program (same file, other bytes): the given ETag no
  // longer describes them and is not given back.
  {
    std::ofstream edit(root_ + "/iot-data/tagged", std::ios::binary | std::ios::in | std::ios::out);
    edit << "yy";
  }
  auto edited = store_->Head("tagged");
  ASSERT_TRUE(edited.ok());
  EXPECT_NE(edited->etag, "9dd4e461268c8034f5c8564e155c67a6");
  EXPECT_EQ(edited->checksum, "");
  listing = store_->List("");
  ASSERT_TRUE(listing.ok());
  for (const auto& o : listing->objects) {
    if (o.key == "tagged") {
      EXPECT_EQ(o.etag, edited->etag);
    }
  }
}

// The ETag a writer tells is the one reads give back: the given one, kept in an extended
// attribute, or the file's own when none was given.
TEST_F(LocalStoreTest, AWriterTellsTheEtagReadsGiveBack) {
  PutOptions given;
  given.etag = "0732917abc3288784e318ac0aab1757a-2";
  for (const PutOptions& options : {given, PutOptions{}}) {
    auto writer = store_->NewWriter("told/k", options);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Write("bytes").ok());
    EXPECT_EQ((*writer)->StoredEtag(), "") << "nothing stored yet";
    ASSERT_TRUE((*writer)->Commit().ok());
    auto head = store_->Head("told/k");
    ASSERT_TRUE(head.ok());
    EXPECT_EQ((*writer)->StoredEtag(), head->etag);
  }
}

TEST_F(LocalStoreTest, StaleTempFilesAreSweptWhenTheBucketOpens) {
  std::string stale = TempDir() + "/crashed-writer";
  ASSERT_TRUE(fs::exists(TempDir()));
  {
    FILE* f = std::fopen(stale.c_str(), "w");
    std::fputs("half", f);
    std::fclose(f);
  }
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(2));
  std::string fresh = TempDir() + "/live-writer";
  {
    FILE* f = std::fopen(fresh.c_str(), "w");
    std::fclose(f);
  }
  auto provider = LocalObjectStoreProvider::Open(root_);
  ASSERT_TRUE(provider.ok());
  ASSERT_TRUE((*provider)->Bucket("iot-data").ok());
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));
}

// A server that runs for days clears a crashed writer's file too (a crash, then a restart
// within the hour, left it fresh at the bucket's opening).
TEST_F(LocalStoreTest, WritersSweepStaleTempFilesWhileTheStoreRuns) {
  LocalObjectStore store("iot-data", root_ + "/iot-data", /*temp_sweep_every_ms=*/0);
  std::string stale = TempDir() + "/crashed-writer";
  std::string fresh = TempDir() + "/live-writer";
  for (const std::string& path : {stale, fresh}) {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr) << path;
    std::fclose(f);
  }
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(2));
  ASSERT_TRUE(store.Put("a/b.json", "{}").ok());
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));

  // Not before its time: the store made with the hour's default leaves it.
  LocalObjectStore hourly("iot-data", root_ + "/iot-data");
  std::string later = TempDir() + "/crashed-later";
  FILE* f = std::fopen(later.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  fs::last_write_time(later, fs::file_time_type::clock::now() - std::chrono::hours(2));
  ASSERT_TRUE(hourly.Put("a/c.json", "{}").ok());
  EXPECT_TRUE(fs::exists(later));
}

TEST_F(LocalStoreTest, ConcurrentWritersOfOneKeyLeaveOneWholeObject) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::string body(100000, static_cast<char>('a' + t));
      for (int i = 0; i < 10; ++i) EXPECT_TRUE(store_->Put("hot/key", body).ok());
    });
  }
  std::thread reader([&] {
    for (int i = 0; i < 50; ++i) {
      auto data = store_->Get("hot/key");
      if (!data.ok()) continue;  // not written yet
      ASSERT_EQ(data->size(), 100000u);
      EXPECT_EQ(data->find_first_not_of((*data)[0]), std::string::npos) << "a torn object";
    }
  });
  for (auto& t : threads) t.join();
  reader.join();
  EXPECT_EQ(TempFiles(), 0u);
}

TEST(LocalProvider, RejectsBadRootsAndBucketNames) {
  EXPECT_EQ(LocalObjectStoreProvider::Open("").status().code(), ErrorCode::kInvalidArgument);
  std::string root = (fs::temp_directory_path() / ("objstore-test-" + RandomHex(6))).string();
  auto provider = LocalObjectStoreProvider::Open(root);
  ASSERT_TRUE(provider.ok());
  EXPECT_EQ((*provider)->Bucket("../etc").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ((*provider)->Bucket("Upper").status().code(), ErrorCode::kInvalidArgument);
  auto a = (*provider)->Bucket("iot-data");
  auto b = (*provider)->Bucket("iot-data");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());
  fs::remove_all(root);
}

}  // namespace
}  // namespace tributary::objstore
