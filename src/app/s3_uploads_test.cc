#include "app/s3_uploads.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "base/files.h"
#include "objstore/local_object_store.h"
#include "objstore/testing/forwarding_store.h"

namespace tributary::app {
namespace {

namespace fs = std::filesystem;

class S3UploadStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = (fs::temp_directory_path() / ("tributary-s3-uploads-" + std::to_string(::getpid()))).string();
    fs::remove_all(root_);
    auto lake = objstore::LocalObjectStoreProvider::Open(root_ + "/lake");
    ASSERT_TRUE(lake.ok());
    lake_ = std::move(*lake);
    auto bucket = lake_->Bucket("deepar");
    ASSERT_TRUE(bucket.ok());
    bucket_ = *bucket;
    uploads_ = std::make_unique<S3UploadStore>(root_ + "/uploads");
  }
  void TearDown() override { fs::remove_all(root_); }

  // CompleteMultipartUpload's work: the parts assembled, the object committed, the upload
  // forgotten.
  Result<S3UploadStore::Completed> Complete(const std::string& id,
                                            const std::vector<S3UploadStore::PartRef>& parts) {
    return CompleteIn(bucket_.get(), id, parts);
  }
  Result<S3UploadStore::Completed> CompleteIn(objstore::ObjectStore* bucket, const std::string& id,
                                              const std::vector<S3UploadStore::PartRef>& parts) {
    TRY_ASSIGN(S3UploadStore::Assembled assembled, uploads_->Assemble(id, parts, bucket, {}));
    TRY_ASSIGN(S3UploadStore::Completed done, assembled.Commit());
    (void)uploads_->Abort(id);
    return done;
  }

  std::string root_;
  std::unique_ptr<objstore::LocalObjectStoreProvider> lake_;
  std::shared_ptr<objstore::ObjectStore> bucket_;
  std::unique_ptr<S3UploadStore> uploads_;
};

S3UploadStore::Upload UploadOf(std::string bucket, std::string key,
                               std::optional<S3ChecksumAlgorithm> algorithm = std::nullopt, bool full_object = false) {
  S3UploadStore::Upload u;
  u.bucket = std::move(bucket);
  u.key = std::move(key);
  u.checksum_algorithm = algorithm;
  u.full_object_checksum = full_object;
  return u;
}

S3UploadStore::PartRef Part(int number, std::string etag, std::string checksum = "") {
  S3UploadStore::PartRef p;
  p.number = number;
  p.etag = std::move(etag);
  p.checksum = std::move(checksum);
  return p;
}

std::string Crc32Of(std::string_view data, bool digest = false) {
  BodyChecksum sum(S3ChecksumAlgorithm::kCrc32);
  sum.Update(data);
  return digest ? sum.Digest() : sum.Base64();
}

TEST(Md5HexTest, KnownDigests) {
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Md5Hex("The quick brown fox jumps over the lazy dog"), "9e107d9d372bb6826bd81d3542a419d6");
}

TEST_F(S3UploadStoreTest, PartsUploadedOutOfOrderMakeOneObjectInOrder) {
  auto id = uploads_->Create(UploadOf("deepar", "train/big.bin"));
  ASSERT_TRUE(id.ok());
  const std::string one(5 << 20, 'a'), two(5 << 20, 'b'), three = "tail";
  auto e2 = uploads_->PutPart(*id, 2, two);
  auto e1 = uploads_->PutPart(*id, 1, one);
  auto e3 = uploads_->PutPart(*id, 3, three);
  ASSERT_TRUE(e1.ok() && e2.ok() && e3.ok());
  EXPECT_EQ(*e3, Md5Hex("tail"));
  EXPECT_FALSE(bucket_->Head("train/big.bin").ok());  // nothing before Complete
  auto etag = Complete(*id, {Part(1, "\"" + *e1 + "\""), Part(2, *e2), Part(3, *e3)});
  ASSERT_TRUE(etag.ok()) << etag.status().message();
  EXPECT_EQ(etag->etag.substr(etag->etag.size() - 2), "-3");
  EXPECT_EQ(etag->checksum_header, "");  // no algorithm, no checksum
  auto bytes = bucket_->Get("train/big.bin");
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, one + two + three);
  EXPECT_FALSE(fs::exists(root_ + "/uploads/" + *id));
  EXPECT_EQ(uploads_->Abort(*id).code(), ErrorCode::kNotFound);  // it is over
}

// A lake that makes its own ETags, as an S3 store does: it drops the one it is given.
class OwnEtagsStore : public objstore::testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Result<std::unique_ptr<objstore::ObjectWriter>> NewWriter(
      const std::string& key, const objstore::PutOptions& options) override {
    objstore::PutOptions dropped = options;
    dropped.etag.clear();
    return ForwardingStore::NewWriter(key, dropped);
  }
};

// What CompleteMultipartUpload answers is what reads give back, also from a lake that
// does not keep the parts' multipart ETag (an S3 lake re-uploads in its own part sizes):
// GetObject If-Match with the answered ETag must find the object.
TEST_F(S3UploadStoreTest, CompleteAnswersTheEtagTheLakeStored) {
  OwnEtagsStore own_etags(bucket_);
  auto id = uploads_->Create(UploadOf("deepar", "train/own.bin"));
  ASSERT_TRUE(id.ok());
  const std::string one(5 << 20, 'a'), two = "tail";
  auto e1 = uploads_->PutPart(*id, 1, one);
  auto e2 = uploads_->PutPart(*id, 2, two);
  ASSERT_TRUE(e1.ok() && e2.ok());
  auto done = CompleteIn(&own_etags, *id, {Part(1, *e1), Part(2, *e2)});
  ASSERT_TRUE(done.ok()) << done.status().message();
  auto head = bucket_->Head("train/own.bin");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(done->etag, head->etag);
  EXPECT_NE(done->etag.substr(done->etag.size() - 2), "-2")
      << "the parts' ETag, which the lake dropped";
  EXPECT_EQ(*bucket_->Get("train/own.bin", objstore::ByteRange{0, 4, done->etag}), "aaaa");
}

// A client gives up on a slow part and sends it again: the first try, still being read,
// and the retry each write a file of their own. The one given up (aborted when its
// connection goes) removes nothing of the retry's, and the part is the retry's bytes and
// ETag whichever ends first.
TEST_F(S3UploadStoreTest, TwoWritersOfOnePartKeepApart) {
  auto id = uploads_->Create(UploadOf("deepar", "train/retried.bin"));
  ASSERT_TRUE(id.ok());
  auto first = uploads_->NewPartWriter(*id, 1);
  auto retry = uploads_->NewPartWriter(*id, 1);
  ASSERT_TRUE(first.ok() && retry.ok());
  ASSERT_TRUE((*first)->Write("given up ").ok());
  ASSERT_TRUE((*retry)->Write("the retry's bytes").ok());
  ASSERT_TRUE((*first)->Write("half way").ok());
  (*first)->Abort();  // the abandoned connection
  (*retry)->SetEtag(Md5Hex("the retry's bytes"));
  ASSERT_TRUE((*retry)->Commit().ok());
  auto done = Complete(*id, {Part(1, Md5Hex("the retry's bytes"))});
  ASSERT_TRUE(done.ok()) << done.status().message();
  EXPECT_EQ(*bucket_->Get("train/retried.bin"), "the retry's bytes");

  // Both end: the part is the one committed last, with its own ETag.
  id = uploads_->Create(UploadOf("deepar", "train/twice.bin"));
  ASSERT_TRUE(id.ok());
  auto a = uploads_->NewPartWriter(*id, 1);
  auto b = uploads_->NewPartWriter(*id, 1);
  ASSERT_TRUE((*a)->Write("aaaa").ok() && (*b)->Write("bb").ok());
  (*b)->SetEtag(Md5Hex("bb"));
  (*a)->SetEtag(Md5Hex("aaaa"));
  ASSERT_TRUE((*b)->Commit().ok());
  ASSERT_TRUE((*a)->Commit().ok());
  EXPECT_FALSE(Complete(*id, {Part(1, Md5Hex("bb"))}).ok());  // b's was replaced
  done = Complete(*id, {Part(1, Md5Hex("aaaa"))});
  ASSERT_TRUE(done.ok()) << done.status().message();
  EXPECT_EQ(*bucket_->Get("train/twice.bin"), "aaaa");
}

TEST_F(S3UploadStoreTest, CompleteRefusesWhatWasNotUploadedAsNamed) {
  auto id = uploads_->Create(UploadOf("deepar", "k"));
  ASSERT_TRUE(id.ok());
  auto e1 = uploads_->PutPart(*id, 1, "small");
  auto e2 = uploads_->PutPart(*id, 2, "last");
  ASSERT_TRUE(e1.ok() && e2.ok());
  auto wrong_etag = Complete(*id, {Part(1, Md5Hex("other"))});
  EXPECT_EQ(wrong_etag.status().code(), ErrorCode::kInvalidArgument);
  auto missing = Complete(*id, {Part(7, *e1)});
  EXPECT_EQ(missing.status().code(), ErrorCode::kInvalidArgument);
  auto descending = Complete(*id, {Part(2, *e2), Part(1, *e1)});
  EXPECT_EQ(descending.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(descending.status().message().find("ascending"), std::string::npos);
  auto small = Complete(*id, {Part(1, *e1), Part(2, *e2)});
  EXPECT_EQ(small.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(small.status().message().find("5 MiB"), std::string::npos) << small.status().message();
  EXPECT_FALSE(bucket_->Head("k").ok());
  // A lone small part is the last one: fine.
  auto alone = Complete(*id, {Part(2, *e2)});
  ASSERT_TRUE(alone.ok()) << alone.status().message();
  EXPECT_EQ(*bucket_->Get("k"), "last");
}

TEST_F(S3UploadStoreTest, ChecksumsOfThePartsOrOfTheWholeObjectAreKeptAndChecked) {
  const std::string one(5 << 20, 'a'), two = "tail";
  // COMPOSITE: the CRC32 of the parts' CRC32 digests, then -<parts>.
  auto id = uploads_->Create(UploadOf("deepar", "composite", S3ChecksumAlgorithm::kCrc32));
  ASSERT_TRUE(id.ok());
  auto e1 = uploads_->PutPart(*id, 1, one);
  auto e2 = uploads_->PutPart(*id, 2, two);
  ASSERT_TRUE(e1.ok() && e2.ok());
  // A part listed with another checksum: refused, and no object.
  auto wrong = Complete(*id, {Part(1, *e1, Crc32Of("other")), Part(2, *e2)});
  EXPECT_EQ(wrong.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("part 1's CRC32 is " + Crc32Of(one)), std::string::npos)
      << wrong.status().message();
  EXPECT_FALSE(bucket_->Head("composite").ok());
  auto done = Complete(*id, {Part(1, *e1, Crc32Of(one)), Part(2, *e2)});
  ASSERT_TRUE(done.ok()) << done.status().message();
  EXPECT_EQ(done->checksum_header, "x-amz-checksum-crc32");
  EXPECT_EQ(done->checksum, Crc32Of(Crc32Of(one, true) + Crc32Of(two, true)) + "-2");
  auto info = bucket_->Head("composite");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->checksum, "x-amz-checksum-crc32:" + done->checksum);

  // FULL_OBJECT: the CRC32 of the whole object.
  id = uploads_->Create(UploadOf("deepar", "whole", S3ChecksumAlgorithm::kCrc32, /*full_object=*/true));
  ASSERT_TRUE(id.ok());
  e1 = uploads_->PutPart(*id, 1, one);
  e2 = uploads_->PutPart(*id, 2, two);
  ASSERT_TRUE(e1.ok() && e2.ok());
  done = Complete(*id, {Part(1, *e1), Part(2, *e2)});
  ASSERT_TRUE(done.ok()) << done.status().message();
  EXPECT_EQ(done->checksum, Crc32Of(one + two));
  EXPECT_EQ(bucket_->Head("whole")->checksum, "x-amz-checksum-crc32:" + Crc32Of(one + two));
}

TEST_F(S3UploadStoreTest, AbortForgetsTheUploadAndItsParts) {
  auto id = uploads_->Create(UploadOf("deepar", "k"));
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(uploads_->PutPart(*id, 1, "x").ok());
  EXPECT_TRUE(fs::exists(root_ + "/uploads/" + *id + "/1"));
  EXPECT_TRUE(uploads_->Abort(*id).ok());
  EXPECT_FALSE(fs::exists(root_ + "/uploads/" + *id));
  EXPECT_EQ(uploads_->PutPart(*id, 2, "y").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(uploads_->Get(*id, "deepar", "k").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(uploads_->PutPart("nope", 1, "y").status().code(), ErrorCode::kNotFound);
}

TEST_F(S3UploadStoreTest, AnUploadBelongsToItsBucketAndKeyAndPartNumbersAreBounded) {
  auto id = uploads_->Create(UploadOf("deepar", "k"));
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(uploads_->Get(*id, "deepar", "k").ok());
  EXPECT_EQ(uploads_->Get(*id, "deepar", "other").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(uploads_->PutPart(*id, 0, "x").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(uploads_->PutPart(*id, 10001, "x").status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(S3UploadStoreTest, AnUploadWithNoPartForADayIsAbortedByTheNextOne) {
  int64_t now = 1'800'000'000'000;
  S3UploadStore uploads(root_ + "/aging",
                        {.stale_after = std::chrono::hours(24), .now = [&now] { return now; }});
  auto abandoned = uploads.Create(UploadOf("deepar", "abandoned"));
  auto active = uploads.Create(UploadOf("deepar", "active"));
  ASSERT_TRUE(abandoned.ok() && active.ok());
  ASSERT_TRUE(uploads.PutPart(*abandoned, 1, "x").ok());
  now += 23 * 3600'000;
  ASSERT_TRUE(uploads.PutPart(*active, 1, "y").ok());  // a part keeps an upload alive
  EXPECT_EQ(uploads.AbortStale(), 0);
  now += 2 * 3600'000;  // 25 h after the abandoned one's last part, 2 h after the active one's
  auto next = uploads.Create(UploadOf("deepar", "next"));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(uploads.Get(*abandoned, "deepar", "abandoned").status().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(fs::exists(root_ + "/aging/" + *abandoned));
  EXPECT_TRUE(uploads.Get(*active, "deepar", "active").ok());
  EXPECT_TRUE(fs::exists(root_ + "/aging/" + *active + "/1"));
  EXPECT_EQ(uploads.AbortStale(), 0);
}

TEST(S3UploadStoreStartTest, ARestartRemovesWhatWasLeft) {
  std::string dir = (fs::temp_directory_path() / ("tributary-s3-left-" + std::to_string(::getpid()))).string();
  ASSERT_TRUE(MakeDirs(dir + "/abc").ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/abc/1", "part").ok());
  S3UploadStore store(dir);
  EXPECT_FALSE(fs::exists(dir + "/abc"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tributary::app
