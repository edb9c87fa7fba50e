#include "streams/jetstream_append_mark.h"

#include <gtest/gtest.h>

namespace tributary::streams {
namespace {

TEST(JetStreamAppendMark, RisesWithEachAcknowledgement) {
  JetStreamAppendMark mark;
  EXPECT_EQ(mark.value(), 0u);
  mark.Acked(40, 1);
  mark.Acked(30, 1);  // PubAcks of two publishers may come out of order
  EXPECT_EQ(mark.value(), 40u);
}

// What was appended to the old stream is gone: the mark comes down to the new stream's
// last record, and never goes up with it.
TEST(JetStreamAppendMark, ComesDownToTheNewStreamsLastRecord) {
  JetStreamAppendMark mark;
  mark.Acked(900, 1);
  mark.MadeAgain(/*asked=*/1, /*new_last=*/12);
  EXPECT_EQ(mark.value(), 12u);
  mark.MadeAgain(/*asked=*/2, /*new_last=*/500);
  EXPECT_EQ(mark.value(), 12u) << "others' records are not this server's appends";
}

// Report 1 was asked for, then an append to the new stream was acknowledged, then report
// 1's answer (the new stream, without that append) was applied: the append is still
// waited for.
TEST(JetStreamAppendMark, KeepsWhatWasAcknowledgedAfterTheReportWasAskedFor) {
  JetStreamAppendMark mark;
  mark.Acked(900, 1);  // to the old stream, before report 1 was asked for
  // Report 1 asked for: the next one will be 2.
  mark.Acked(7, 2);  // to the new stream
  mark.MadeAgain(/*asked=*/1, /*new_last=*/3);
  EXPECT_EQ(mark.value(), 7u);
}

// Once a report is applied, a report asked for before it cannot make the stream again:
// the acknowledgements only such a report would need are forgotten.
TEST(JetStreamAppendMark, ForgetsAcknowledgementsOlderThanTheLastReportApplied) {
  JetStreamAppendMark mark;
  mark.Acked(50, 2);
  mark.Acked(60, 3);
  mark.Applied(2);
  mark.MadeAgain(/*asked=*/1, /*new_last=*/0);  // as if: only what came after report 2
  EXPECT_EQ(mark.value(), 60u);
  mark.Applied(3);
  mark.MadeAgain(/*asked=*/3, /*new_last=*/0);
  EXPECT_EQ(mark.value(), 0u);
}

}  // namespace
}  // namespace tributary::streams
