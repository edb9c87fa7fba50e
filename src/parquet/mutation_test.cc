// Feeds ~1000 random mutations of valid files to the reader (the g++ stand-in
// for reader_fuzz.cc): every outcome must be a value or an error, never a crash,
// hang or runaway allocation. Run under ASan (TRIBUTARY_SANITIZE) for more bite.
#include <gtest/gtest.h>

#include "parquet/test_util.h"

namespace tributary::parquet {
namespace {

std::string Seed(Codec codec, bool v2, bool dictionary) {
  std::mt19937_64 rng(static_cast<uint64_t>(codec) * 3 + v2);
  Schema schema =
      *Schema::Parse("a:int64?,s:string?,d:double,b:boolean?,t:timestamp,f:float?,i:int32");
  RecordBatch b = RecordBatch::Empty(schema);
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    b.columns[c] =
        testing::RandomColumn(schema.columns[c].type, schema.columns[c].optional, 200, rng);
  }
  b.num_rows = 200;
  WriterOptions o;
  o.codec = codec;
  o.data_page_v2 = v2;
  o.dictionary = dictionary;
  o.page_size = 300;
  o.row_group_rows = 120;
  return testing::WriteToString(b, o);
}

TEST(Mutation, ReaderSurvivesRandomCorruption) {
  std::vector<std::string> seeds;
  for (Codec c : {Codec::kUncompressed, Codec::kSnappy, Codec::kGzip, Codec::kZstd}) {
    seeds.push_back(Seed(c, false, true));
    seeds.push_back(Seed(c, true, false));
  }
  ReaderLimits limits;
  limits.max_row_group_rows = 1 << 16;
  limits.max_page_bytes = 16 << 20;
  std::mt19937_64 rng(20261129);
  int errors = 0, oks = 0;
  for (int iter = 0; iter < 1000; ++iter) {
    std::string f = seeds[iter % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % f.size();
      switch (rng() % 5) {
        case 0:
          f[at] = static_cast<char>(rng());
          break;  // random byte
        case 1:
          f[at] ^= static_cast<char>(1 << (rng() % 8));
          break;  // bit flip
        case 2:
          f.erase(at, 1 + rng() % 16);
          break;  // deletion
        case 3:
          f.insert(at, std::string(1 + rng() % 8, static_cast<char>(rng())));
          break;
        case 4: {  // interesting value
          static const char* kVals[] = {"\xff\xff\xff\x7f", "\x00\x00\x00\x80", "\xff\xff\xff\xff",
                                        "\x00\x00\x00\x00"};
          const char* v = kVals[rng() % 4];
          for (int k = 0; k < 4 && at + k < f.size(); ++k) f[at + k] = v[k];
          break;
        }
      }
      if (f.empty()) f = "P";
    }
    auto groups = testing::ReadAllGroups(f, limits);
    if (groups.ok()) {
      ++oks;
    } else {
      ++errors;
      EXPECT_FALSE(groups.status().message().empty());
    }
  }
  // Most mutations must be caught; a few land in padding or values and still parse.
  EXPECT_GT(errors, 300) << "oks " << oks;
}

}  // namespace
}  // namespace tributary::parquet
