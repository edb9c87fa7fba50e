#include "parquet/predicate.h"

#include <gtest/gtest.h>

#include "parquet/plain.h"
#include "parquet/test_util.h"

namespace tributary::parquet {
namespace {

TEST(Predicate, Parse) {
  auto p = Predicate::Parse(" temp >= 20.5 ");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->column, "temp");
  EXPECT_EQ(p->op, CompareOp::kGe);
  EXPECT_EQ(std::get<double>(p->value), 20.5);
  p = Predicate::Parse("name = 'a<b'");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->op, CompareOp::kEq);
  EXPECT_EQ(std::get<std::string>(p->value), "a<b");
  p = Predicate::Parse("n!=-3");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->op, CompareOp::kNe);
  EXPECT_EQ(std::get<int64_t>(p->value), -3);
  EXPECT_TRUE(std::get<bool>(Predicate::Parse("ok == true")->value));
  EXPECT_FALSE(Predicate::Parse("no operator").ok());
  EXPECT_FALSE(Predicate::Parse("= 3").ok());
  EXPECT_FALSE(Predicate::Parse("x = abc").ok());
}

Statistics IntStats(int64_t lo, int64_t hi, int64_t nulls = 0) {
  Statistics s;
  s.min_value.emplace();
  s.max_value.emplace();
  PlainAppendOne(lo, &*s.min_value);
  PlainAppendOne(hi, &*s.max_value);
  s.null_count = nulls;
  return s;
}

bool May(const std::string& text, ColumnType t, const std::optional<Statistics>& s,
         int64_t n = 10) {
  auto r = MayMatch(*Predicate::Parse(text), t, s, n);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() && *r;
}

TEST(Predicate, MayMatchOnIntegers) {
  auto s = IntStats(10, 20);
  EXPECT_TRUE(May("x = 10", ColumnType::kInt64, s));
  EXPECT_FALSE(May("x = 21", ColumnType::kInt64, s));
  EXPECT_FALSE(May("x < 10", ColumnType::kInt64, s));
  EXPECT_TRUE(May("x <= 10", ColumnType::kInt64, s));
  EXPECT_FALSE(May("x > 20", ColumnType::kInt64, s));
  EXPECT_TRUE(May("x >= 20", ColumnType::kInt64, s));
  EXPECT_TRUE(May("x > 19.5", ColumnType::kInt64, s));
  EXPECT_FALSE(May("x > 20.5", ColumnType::kInt64, s));
  EXPECT_FALSE(May("x != 5", ColumnType::kInt64, IntStats(5, 5)));
  EXPECT_TRUE(May("x != 5", ColumnType::kInt64, IntStats(5, 6)));
  EXPECT_FALSE(May("x = 15", ColumnType::kInt64, IntStats(0, 0, 10), 10));  // all null
  EXPECT_TRUE(May("x = 99", ColumnType::kInt64, std::nullopt));             // no statistics
  EXPECT_FALSE(MayMatch(*Predicate::Parse("x = 'a'"), ColumnType::kInt64, s, 10).ok());
}

TEST(Predicate, MayMatchOnStringsAndDoubles) {
  Statistics s;
  s.min_value = "b";
  s.max_value = "\xc3\xa9";
  EXPECT_TRUE(May("s = 'c'", ColumnType::kString, s));
  EXPECT_FALSE(May("s < 'b'", ColumnType::kString, s));
  EXPECT_TRUE(May("s > 'z'", ColumnType::kString, s));  // 0xC3 > 'z' unsigned
  Statistics d;
  d.min_value.emplace();
  d.max_value.emplace();
  PlainAppendOne(-1.5, &*d.min_value);
  PlainAppendOne(2.0, &*d.max_value);
  EXPECT_FALSE(May("d > 2", ColumnType::kDouble, d));
  EXPECT_TRUE(May("d > 1", ColumnType::kDouble, d));
}

TEST(Predicate, ReaderSkipsRowGroups) {
  Schema schema = *Schema::Parse("t:double,n:int32");
  RecordBatch b = RecordBatch::Empty(schema);
  for (int i = 0; i < 400; ++i) {
    b.columns[0].AppendDouble(i);
    b.columns[1].AppendInt32(i);
  }
  b.num_rows = 400;
  WriterOptions o;
  o.row_group_rows = 100;
  std::string file = testing::WriteToString(b, o);
  auto r = ParquetReader::Open(MakeMemorySource(file));
  ASSERT_TRUE(r.ok());
  ReadOptions ro;
  ro.columns = {"n"};
  ro.predicate = *Predicate::Parse("t >= 250");
  std::vector<int32_t> firsts;
  ASSERT_TRUE((*r)->Scan(ro,
                         [&](const RecordBatch& g) {
                           firsts.push_back(g.columns[0].i32[0]);
                           return Status::Ok();
                         })
                  .ok());
  EXPECT_EQ(firsts, (std::vector<int32_t>{200, 300}));
  ro.predicate = *Predicate::Parse("missing > 1");
  EXPECT_EQ((*r)->Scan(ro, [](const RecordBatch&) { return Status::Ok(); }).code(),
            ErrorCode::kNotFound);
}

}  // namespace
}  // namespace tributary::parquet
