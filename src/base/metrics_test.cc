#include "base/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tributary {
namespace {

TEST(MetricsTest, RendersPrometheusText) {
  MetricsRegistry reg;
  Counter* c = reg.NewCounter("t_messages_total", "Messages", {{"listener", "tls"}});
  c->Add(3);
  Gauge* g = reg.NewGauge("t_connections", "Connections");
  g->Set(7);
  reg.NewCallbackGauge("t_queue", "Queue", {}, [] { return 2.5; });
  reg.NewCallbackGauge("t_not_yet", "No value yet", {}, [] { return std::nan(""); });
  reg.NewCallbackCounter("t_reconnects_total", "Kept elsewhere", {}, [] { return uint64_t{4}; });
  std::string text = reg.Render();
  EXPECT_NE(text.find("# TYPE t_queue gauge\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE t_reconnects_total counter\nt_reconnects_total 4\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE t_messages_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("t_messages_total{listener=\"tls\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("t_connections 7\n"), std::string::npos);
  EXPECT_NE(text.find("t_queue 2.5\n"), std::string::npos);
  EXPECT_NE(text.find("t_not_yet NaN\n"), std::string::npos) << text;
}

// A total its owner keeps renders as a counter.
TEST(MetricsTest, RendersCallbackCounters) {
  MetricsRegistry reg;
  uint64_t total = 41;
  reg.NewCallbackCounter("t_drained_total", "Drained", {}, [&total] { return ++total; });
  std::string text = reg.Render();
  EXPECT_NE(text.find("# TYPE t_drained_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_drained_total 42\n"), std::string::npos) << text;
  std::shared_ptr<void> gone = reg.RemoveSeries("t_drained_", {});
  EXPECT_EQ(reg.Render().find("t_drained_total"), std::string::npos);
}

// A deleted subject's series leave the output; what was handed out for them stays usable
// while the caller keeps what RemoveSeries returned; registered again, they start anew.
TEST(MetricsTest, RemovedSeriesAreNoLongerRendered) {
  MetricsRegistry reg;
  Counter* a = reg.NewCounter("t_stream_in_total", "In", {{"stream", "a"}});
  Counter* b = reg.NewCounter("t_stream_in_total", "In", {{"stream", "b"}});
  Histogram* h = reg.NewHistogram("t_stream_seconds", "Time", {1.0}, {{"stream", "a"}});
  Gauge* other = reg.NewGauge("t_other", "Not a stream's", {{"stream", "a"}});
  a->Add(2);
  b->Add(3);
  other->Set(4);
  std::shared_ptr<void> kept = reg.RemoveSeries("t_stream_", {{"stream", "a"}});
  a->Add(1);  // still valid
  h->Observe(0.5);
  EXPECT_EQ(a->Value(), 3u);
  std::string text = reg.Render();
  EXPECT_EQ(text.find("t_stream_in_total{stream=\"a\"}"), std::string::npos) << text;
  EXPECT_EQ(text.find("t_stream_seconds"), std::string::npos) << text;  // the family is empty
  EXPECT_NE(text.find("t_stream_in_total{stream=\"b\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_other{stream=\"a\"} 4\n"), std::string::npos) << text;  // other prefix
  Counter* again = reg.NewCounter("t_stream_in_total", "In", {{"stream", "a"}});
  again->Add(1);
  text = reg.Render();
  EXPECT_NE(text.find("t_stream_in_total{stream=\"a\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# HELP t_stream_in_total In\n"), std::string::npos) << text;
  kept.reset();
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  MetricsRegistry reg;
  Histogram* h = reg.NewHistogram("t_latency_seconds", "Latency", {0.1, 1.0});
  h->Observe(0.05);
  h->Observe(0.5);
  h->Observe(5);
  std::string text = reg.Render();
  EXPECT_NE(text.find("t_latency_seconds_bucket{le=\"0.1\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("t_latency_seconds_bucket{le=\"1\"} 2"), std::string::npos);
  EXPECT_NE(text.find("t_latency_seconds_bucket{le=\"+Inf\"} 3"), std::string::npos);
  EXPECT_NE(text.find("t_latency_seconds_count 3"), std::string::npos);
  EXPECT_EQ(h->Count(), 3u);
  EXPECT_GT(h->Quantile(0.5), 0.1);
  EXPECT_LE(h->Quantile(0.5), 1.0);
}

}  // namespace
}  // namespace tributary
