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
  std::string text = reg.Render();
  EXPECT_NE(text.find("# TYPE t_messages_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("t_messages_total{listener=\"tls\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("t_connections 7\n"), std::string::npos);
  EXPECT_NE(text.find("t_queue 2.5\n"), std::string::npos);
  EXPECT_NE(text.find("t_not_yet NaN\n"), std::string::npos) << text;
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
