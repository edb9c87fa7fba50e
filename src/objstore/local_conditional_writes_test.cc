// Conditional writes on the local lake (PutOptions::condition): create only, replace only
// the version read, and both held to under concurrent writers of one key.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "base/ids.h"
#include "objstore/local_object_store.h"

namespace tributary::objstore {
namespace {
namespace fs = std::filesystem;

class ConditionalWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = (fs::temp_directory_path() / ("objstore-cond-" + RandomHex(6))).string();
    auto provider = LocalObjectStoreProvider::Open(root_);
    ASSERT_TRUE(provider.ok()) << provider.status().ToString();
    provider_ = std::move(*provider);
    auto bucket = provider_->Bucket("lake");
    ASSERT_TRUE(bucket.ok()) << bucket.status().ToString();
    store_ = *bucket;
  }
  void TearDown() override { fs::remove_all(root_); }

  static PutOptions IfAbsent() {
    PutOptions o;
    o.condition.if_absent = true;
    return o;
  }
  static PutOptions IfMatch(std::string etag) {
    PutOptions o;
    o.condition.if_match = std::move(etag);
    return o;
  }
  std::string Read(const std::string& key) {
    auto data = store_->Get(key);
    return data.ok() ? *data : "<" + data.status().ToString() + ">";
  }
  size_t TempFiles() {
    size_t n = 0;
    for (auto& e : fs::directory_iterator(root_ + "/lake/" + kLocalTempDir))
      n += e.is_regular_file();
    return n;
  }

  std::string root_;
  std::unique_ptr<LocalObjectStoreProvider> provider_;
  std::shared_ptr<ObjectStore> store_;
};

TEST_F(ConditionalWriteTest, CreateOnlyWritesAnAbsentKeyAndRefusesATakenOne) {
  ASSERT_TRUE(store_->Put("locks/a", "first", IfAbsent()).ok());
  EXPECT_EQ(Read("locks/a"), "first");

  Status again = store_->Put("locks/a", "second", IfAbsent());
  EXPECT_EQ(again.code(), ErrorCode::kFailedPrecondition) << again.ToString();
  EXPECT_NE(again.message().find("'locks/a' already exists"), std::string::npos) << again.message();
  EXPECT_EQ(Read("locks/a"), "first");
  EXPECT_EQ(TempFiles(), 0u);  // the refused write's bytes are gone

  // Once deleted, the key can be created again; a streamed writer is held to it too.
  ASSERT_TRUE(store_->Delete("locks/a").ok());
  auto writer = store_->NewWriter("locks/a", IfAbsent());
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write("third").ok());
  ASSERT_TRUE(store_->Put("locks/a", "meanwhile").ok());  // an unconditional write gets there first
  EXPECT_EQ((*writer)->Commit().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Read("locks/a"), "meanwhile");
}

TEST_F(ConditionalWriteTest, CreateOnlyKeepsTheObjectsEtagAndAttributes) {
  PutOptions o = IfAbsent();
  o.etag = "0123456789abcdef0123456789abcdef";
  o.content_type = "application/json";
  ASSERT_TRUE(store_->Put("a.json", "{}", o).ok());
  auto info = store_->Head("a.json");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->etag, o.etag);
  EXPECT_EQ(info->content_type, "application/json");
}

TEST_F(ConditionalWriteTest, ReplaceOnlyTheVersionRead) {
  PutOptions first;
  first.etag = "11111111111111111111111111111111";
  ASSERT_TRUE(store_->Put("state.json", "{\"v\":1}", first).ok());
  auto info = store_->Head("state.json");
  ASSERT_TRUE(info.ok());

  PutOptions second = IfMatch(info->etag);
  second.etag = "22222222222222222222222222222222";
  ASSERT_TRUE(store_->Put("state.json", "{\"v\":2}", second).ok());
  EXPECT_EQ(Read("state.json"), "{\"v\":2}");

  // The version read first is gone: a write that read it is refused, naming both tags.
  Status stale = store_->Put("state.json", "{\"v\":3}", IfMatch(info->etag));
  EXPECT_EQ(stale.code(), ErrorCode::kFailedPrecondition) << stale.ToString();
  EXPECT_NE(stale.message().find("has ETag '22222222222222222222222222222222', not '11111111"),
            std::string::npos)
      << stale.message();
  EXPECT_EQ(Read("state.json"), "{\"v\":2}");

  // "*": any object, but there must be one.
  EXPECT_TRUE(store_->Put("state.json", "{\"v\":4}", IfMatch("*")).ok());
  EXPECT_EQ(store_->Put("none.json", "{}", IfMatch("*")).code(), ErrorCode::kNotFound);
  Status missing = store_->Put("none.json", "{}", IfMatch("22222222222222222222222222222222"));
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound) << missing.ToString();
  EXPECT_FALSE(store_->Head("none.json").ok());
  EXPECT_EQ(TempFiles(), 0u);
}

TEST_F(ConditionalWriteTest, ObjectsWithoutAGivenEtagAreMatchedByTheirOwn) {
  ASSERT_TRUE(store_->Put("raw/a", "bytes").ok());  // as the streams write: no ETag given
  auto info = store_->Head("raw/a");
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(store_->Put("raw/a", "bytes 2", IfMatch(info->etag)).ok());
  EXPECT_EQ(store_->Put("raw/a", "bytes 3", IfMatch(info->etag)).code(),
            ErrorCode::kFailedPrecondition);
}

TEST_F(ConditionalWriteTest, ConditionalDeleteRemovesOnlyTheVersionRead) {
  PutOptions o;
  o.etag = "aaaa";
  ASSERT_TRUE(store_->Put("lease", "mine", o).ok());
  Status stale = store_->DeleteIf("lease", "bbbb");
  EXPECT_EQ(stale.code(), ErrorCode::kFailedPrecondition) << stale.ToString();
  EXPECT_NE(stale.message().find("has ETag 'aaaa', not 'bbbb'"), std::string::npos)
      << stale.message();
  EXPECT_EQ(Read("lease"), "mine");
  EXPECT_TRUE(store_->DeleteIf("lease", "aaaa").ok());
  EXPECT_FALSE(store_->Head("lease").ok());
  EXPECT_FALSE(fs::exists(root_ + "/lake/lease"));
  // No object: kNotFound (an unconditional Delete of it is OK); "*" deletes any object.
  EXPECT_EQ(store_->DeleteIf("lease", "aaaa").code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->DeleteIf("lease", "*").code(), ErrorCode::kNotFound);
  EXPECT_TRUE(store_->Delete("lease").ok());
  ASSERT_TRUE(store_->Put("nested/dir/lease", "x").ok());
  EXPECT_TRUE(store_->DeleteIf("nested/dir/lease", "*").ok());
  EXPECT_FALSE(fs::exists(root_ + "/lake/nested"));  // the directories it left empty are gone
}

// A write its condition refuses makes no folder: one left behind, empty, would refuse the
// key of its name for good ("newdir" cannot be an object while "newdir/" is a folder),
// though nothing lists under it.
TEST_F(ConditionalWriteTest, ARefusedWriteLeavesNoFolderBehind) {
  EXPECT_EQ(store_->Put("newdir/x", "v", IfMatch("0123")).code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->Put("newdir/sub/x", "v", IfMatch("*")).code(), ErrorCode::kNotFound);
  auto writer = store_->NewWriter("newdir/sub/y", IfMatch("0123"));
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write(std::string(3 << 20, 'w')).ok());
  EXPECT_EQ((*writer)->Commit().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(fs::exists(root_ + "/lake/newdir"));
  Status st = store_->Put("newdir", "an object now");
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Read("newdir"), "an object now");
  EXPECT_EQ(TempFiles(), 0u);
}

// Whatever fails a write once its folders are made (here its temp file is gone), the
// folders it made go with it; those that were there stay.
TEST_F(ConditionalWriteTest, AFailedWriteRemovesTheFoldersItMade) {
  ASSERT_TRUE(store_->Put("kept/other", "x").ok());
  for (const PutOptions& options : {PutOptions{}, IfAbsent()}) {
    auto writer = store_->NewWriter("kept/made/deeper/k", options);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Write("bytes").ok());
    for (auto& e : fs::directory_iterator(root_ + "/lake/" + kLocalTempDir)) fs::remove(e.path());
    EXPECT_FALSE((*writer)->Commit().ok());
    EXPECT_FALSE(fs::exists(root_ + "/lake/kept/made"));
    EXPECT_EQ(Read("kept/other"), "x");
  }
  EXPECT_TRUE(store_->Put("kept/made", "an object").ok());
}

TEST_F(ConditionalWriteTest, OfManyCreatorsExactlyOneWins) {
  constexpr int kWriters = 8;
  for (int round = 0; round < 20; ++round) {
    const std::string key = "election/" + std::to_string(round);
    std::atomic<int> won{0}, refused{0}, other{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < kWriters; ++w) {
      threads.emplace_back([&, w] {
        Status st = store_->Put(key, "writer " + std::to_string(w), IfAbsent());
        if (st.ok()) {
          ++won;
        } else if (st.code() == ErrorCode::kFailedPrecondition) {
          ++refused;
        } else {
          ++other;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(won.load(), 1) << key;
    EXPECT_EQ(refused.load(), kWriters - 1) << key;
    EXPECT_EQ(other.load(), 0) << key;
  }
  EXPECT_EQ(TempFiles(), 0u);
}

// Read, add one, write back only if unchanged, else read again: with the condition no
// increment is lost, however the writers interleave.
TEST_F(ConditionalWriteTest, ReadModifyWriteLosesNoUpdate) {
  ASSERT_TRUE(store_->Put("counter", "0").ok());
  constexpr int kWriters = 4, kIncrements = 60;
  std::atomic<int> conflicts{0}, failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&] {
      for (int done = 0; done < kIncrements;) {
        auto info = store_->Head("counter");
        auto data = store_->Get("counter");
        if (!info.ok() || !data.ok()) {
          ++failures;
          return;
        }
        // Another write may land between the two reads: the ETag read first then no
        // longer matches, and the write is refused below.
        // The ETag a content's (as the S3 API's MD5s are): the file's own, of size and
        // time, could not tell two writes of one size within one clock tick apart.
        const std::string next = std::to_string(std::stoi(*data) + 1);
        PutOptions o = IfMatch(info->etag);
        o.etag = "count-" + next;
        Status st = store_->Put("counter", next, o);
        if (st.ok()) {
          ++done;
        } else if (st.code() == ErrorCode::kFailedPrecondition) {
          ++conflicts;
        } else {
          ++failures;
          return;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Read("counter"), std::to_string(kWriters * kIncrements));
  // Without the condition the same run loses increments; with it they come back as refusals.
  RecordProperty("conflicts", conflicts.load());
}

}  // namespace
}  // namespace tributary::objstore
