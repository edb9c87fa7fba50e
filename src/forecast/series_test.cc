#include "forecast/series.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace tributary::forecast {
namespace {

class SeriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("forecast_series_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(SeriesTest, ParsesAllFieldsAndMissingValues) {
  auto s = ParseSeriesLine(
      R"({"start": "2021-02-05 00:00:00", "target": [1, "NaN", null, 4.5, "nan"], "cat": [0, 2],
          "dynamic_feat": [[1, 2, 3, 4, 5]]})",
      "f:1");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->target.size(), 5u);
  EXPECT_EQ(s->target[0], 1.0f);
  EXPECT_TRUE(std::isnan(s->target[1]));
  EXPECT_TRUE(std::isnan(s->target[2]));
  EXPECT_EQ(s->target[3], 4.5f);
  EXPECT_TRUE(std::isnan(s->target[4]));
  EXPECT_EQ(s->cat, (std::vector<int64_t>{0, 2}));
  ASSERT_EQ(s->dynamic_feat.size(), 1u);
  EXPECT_EQ(s->dynamic_feat[0][4], 5.0f);
  auto back = ParseSeriesLine(SeriesToJson(*s), "g:1");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->start, s->start);
  EXPECT_TRUE(std::isnan(back->target[1]));
}

TEST_F(SeriesTest, WritesEachValueAsItsShortestText) {
  TimeSeries s;
  s.target = {20.92f, 0.1f, 3.0f, std::nanf(""), 1e-7f, 123456.79f};
  s.dynamic_feat = {{0.3f, 1.5f, 2.0f, 4.0f, 5.0f, 6.0f}};
  EXPECT_EQ(SeriesToJson(s),
            R"({"dynamic_feat":[[0.3,1.5,2.0,4.0,5.0,6.0]],"start":"1970-01-01 00:00:00","target":[20.92,0.1,3.0,"NaN",1e-07,123456.79]})");
  auto back = ParseSeriesLine(SeriesToJson(s), "w:1");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->target[0], 20.92f);  // the same float back
  EXPECT_EQ(back->target[5], 123456.79f);
}

TEST_F(SeriesTest, ErrorsNameOriginAndField) {
  struct Case {
    const char* line;
    const char* expect;
  } cases[] = {
      {R"({"start": "05/02/2021", "target": [1]})", "f:7: field 'start'"},
      {R"({"target": [1]})", "f:7: field 'start': missing"},
      {R"({"start": "2021-02-05", "target": [1, "x"]})", "f:7: field 'target[1]'"},
      {R"({"start": "2021-02-05", "target": []})", "field 'target': is empty"},
      {R"({"start": "2021-02-05", "target": [1, 2], "cat": [-1]})", "field 'cat[0]'"},
      {R"({"start": "2021-02-05", "target": [1, 2], "cat": [1.5]})", "field 'cat[0]'"},
      {R"({"start": "2021-02-05", "target": [1, 2], "dynamic_feat": [[1, 2], [1, 2, 3]]})",
       "field 'dynamic_feat[1]'"},
      {R"({"start": "2021-02-05", "target": [1, 2], "dynamic_feat": [[1]]})",
       "field 'dynamic_feat[0]'"},
      {R"({"start": "2021-02-05", "target": [1, 2], "dynamic_feat": [[1, "NaN"]]})",
       "field 'dynamic_feat[0][1]'"},
      {R"({"start": "2021-02-05", "target": [1, 2)",
       "f:7 is not valid JSON: column 40: syntax error"},
  };
  for (const Case& c : cases) {
    auto s = ParseSeriesLine(c.line, "f:7");
    ASSERT_FALSE(s.ok()) << c.line;
    EXPECT_NE(s.status().message().find(c.expect), std::string::npos) << s.status().message();
  }
}

// A cat indexes the model's embedding table: one that would read outside it, or whose
// conversion to an integer is undefined, is refused here, naming the field.
TEST_F(SeriesTest, RefusesCatsOutsideTheEmbeddings) {
  struct Case {
    const char* line;
    const char* expect;
  } cases[] = {
      {R"({"start": "2021-02-05", "target": [1], "cat": -1})",
       "f:7: field 'cat': expected an integer in 0..9007199254740992, got -1"},
      {R"({"start": "2021-02-05", "target": [1], "cat": 1.5})", "f:7: field 'cat': expected"},
      {R"({"start": "2021-02-05", "target": [1], "cat": 18446744073709551615})",
       "f:7: field 'cat': expected"},
      {R"({"start": "2021-02-05", "target": [1], "cat": [0, 1e19]})",
       "f:7: field 'cat[1]': expected an integer in 0..9007199254740992, got 1e+19"},
      {R"({"start": "2021-02-05", "target": [1], "cat": [9007199254740993]})", "field 'cat[0]'"},
      {R"({"start": "2021-02-05", "target": [1], "cat": [-0.5]})", "field 'cat[0]'"},
  };
  for (const Case& c : cases) {
    auto s = ParseSeriesLine(c.line, "f:7");
    ASSERT_FALSE(s.ok()) << c.line;
    EXPECT_EQ(s.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find(c.expect), std::string::npos) << s.status().message();
  }
  // The largest still parses; a single integer is a list of one; 2.0 is 2.
  auto s =
      ParseSeriesLine(R"({"start": "2021-02-05", "target": [1], "cat": 9007199254740992})", "f:7");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->cat, std::vector<int64_t>{kMaxCat});
  s = ParseSeriesLine(R"({"start": "2021-02-05", "target": [1], "cat": [2.0, 0]})", "f:7");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->cat, (std::vector<int64_t>{2, 0}));

  // Training input says where: the file and line (not a libtorch backtrace later).
  std::string path =
      Write("train.json",
            "{\"start\": \"2021-01-01 00:00:00\", \"target\": [1, 2], \"cat\": 0}\n"
            "{\"start\": \"2021-01-01 00:00:00\", \"target\": [1, 2], \"cat\": -3}\n");
  auto r = ReadSeriesFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(path + ":2: field 'cat': expected an integer"),
            std::string::npos)
      << r.status().message();
}

// A value becomes a float: what would overflow to infinity in the model's arithmetic is
// refused here, naming the field, instead of failing as the model's error later.
TEST_F(SeriesTest, RefusesValuesTheModelsFloatsCannotHold) {
  struct Case {
    const char* line;
    const char* expect;
  } cases[] = {
      {R"({"start": "2021-02-05", "target": [1, 3e38]})",
       "f:7: field 'target[1]': 3e+38 is out of range; values must be at most 1e30 in magnitude"},
      {R"({"start": "2021-02-05", "target": [-1e31]})", "f:7: field 'target[0]': -1e+31 is out"},
      {R"({"start": "2021-02-05", "target": [1, 2], "dynamic_feat": [[1, 1e39]]})",
       "f:7: field 'dynamic_feat[0][1]': 1e+39 is out of range"},
  };
  for (const Case& c : cases) {
    auto s = ParseSeriesLine(c.line, "f:7");
    ASSERT_FALSE(s.ok()) << c.line;
    EXPECT_EQ(s.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find(c.expect), std::string::npos) << s.status().message();
  }
  auto s = ParseSeriesLine(R"({"start": "2021-02-05", "target": [1e30, -1e30]})", "f:7");
  ASSERT_TRUE(s.ok()) << s.status().ToString();

  std::string path =
      Write("huge.json", "{\"start\": \"2021-01-01 00:00:00\", \"target\": [1, 5e35]}\n");
  auto r = ReadSeriesFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(path + ":1: field 'target[1]': 5e+35 is out of range"),
            std::string::npos)
      << r.status().message();
}

TEST_F(SeriesTest, FileErrorsNameFileAndLine) {
  std::string path = Write("train.json",
                           "{\"start\": \"2021-01-01 00:00:00\", \"target\": [1, 2], \"cat\": [0]}\n"
                           "\n"
                           "{\"start\": \"2021-01-01 00:00:00\", \"target\": [1, 2], \"cat\": [0, 1]}\n");
  auto r = ReadSeriesFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(path + ":3: field 'cat'"), std::string::npos) << r.status().message();

  std::string bad_start = Write("bad.json", "{\"start\": \"2021-01-01 00:00:00\", \"target\": [1]}\n"
                                            "{\"start\": \"soon\", \"target\": [1]}\n");
  r = ReadSeriesFile(bad_start);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(bad_start + ":2: field 'start'"), std::string::npos);
  EXPECT_FALSE(ReadSeriesFile((dir_ / "missing.json").string()).ok());
}

TEST_F(SeriesTest, ReadsGzipAndDirectoriesLikeSageMaker) {
  std::filesystem::create_directories(dir_ / "chan" / "sub");
  std::string gz = (dir_ / "chan" / "sub" / "b.json.gz").string();
  gzFile f = gzopen(gz.c_str(), "wb");
  std::string text = "{\"start\": \"2021-01-01 00:00:00\", \"target\": [3, 4, 5]}\n";
  gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
  gzclose(f);
  Write("chan/a.json", "{\"start\": \"2021-01-01 00:00:00\", \"target\": [1, 2]}");  // no final newline
  Write("chan/.hidden", "garbage");
  Write("chan/_SUCCESS", "");
  auto r = ReadChannel((dir_ / "chan").string());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].target.size(), 2u);
  EXPECT_EQ((*r)[1].target.size(), 3u);
  EXPECT_NE((*r)[1].origin.find("b.json.gz:1"), std::string::npos);
  EXPECT_FALSE(ReadChannel((dir_ / "nothing").string()).ok());
}

TEST_F(SeriesTest, CheckShapesAtInferenceWantsFutureDynamicFeatures) {
  auto s = ParseSeriesLine(R"({"start": "2021-02-05", "target": [1, 2], "dynamic_feat": [[1, 2]]})", "r:1");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(CheckShapes({*s}, 0, 1, 0).ok());
  Status st = CheckShapes({*s}, 0, 1, 3);
  EXPECT_NE(st.message().find("r:1: field 'dynamic_feat[0]'"), std::string::npos) << st.message();
  st = CheckShapes({*s}, 2, 1, 0);
  EXPECT_NE(st.message().find("field 'cat'"), std::string::npos);
}

}  // namespace
}  // namespace tributary::forecast
