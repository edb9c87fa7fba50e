// Counts heap allocations on the hot paths: decoding a PUBLISH should cost its topic
// and payload strings only, encoding into a buffer with room and matching topics
// nothing at all. Replaces the global operator new of this test binary.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "mqtt/codec.h"
#include "mqtt/codec_test_util.h"
#include "mqtt/topic.h"

namespace {
thread_local bool g_counting = false;
thread_local int g_allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace tributary::mqtt {
namespace {

using testing::EncodeToString;
using testing::Span;

template <typename F>
int CountAllocations(F&& f) {
  g_allocations = 0;
  g_counting = true;
  f();
  g_counting = false;
  return g_allocations;
}

Publish Telemetry() {
  Publish p;
  p.qos = QoS::kAtLeastOnce;
  p.packet_id = 7;
  p.topic = "tributary/things/sensor-0042/telemetry";  // longer than the SSO buffer
  p.payload = std::string(200, 'x');
  return p;
}

TEST(CodecAllocationTest, DecodingAPublishAllocatesTopicAndPayloadOnly) {
  for (Version v : {Version::kV311, Version::kV5}) {
    std::string bytes = EncodeToString(Telemetry(), v);
    int n = CountAllocations([&] {
      auto r = Decode(Span(bytes), v);
      ASSERT_TRUE(std::holds_alternative<Packet>(r));
    });
    EXPECT_EQ(n, 2) << (v == Version::kV5 ? "v5" : "v3.1.1");
  }
}

TEST(CodecAllocationTest, EncodingIntoABufferWithRoomDoesNotAllocate) {
  Packet p = Telemetry();
  std::string out;
  out.reserve(1024);
  for (Version v : {Version::kV311, Version::kV5}) {
    out.clear();
    EXPECT_EQ(CountAllocations([&] { Encode(p, v, &out); }), 0);
    EXPECT_EQ(out.size(), EncodedSize(p, v));
  }
}

TEST(CodecAllocationTest, TopicFunctionsDoNotAllocate) {
  std::string filter = "tributary/things/+/telemetry/#";
  std::string topic = "tributary/things/sensor-0042/telemetry/extra/levels";
  bool matched = false, valid = false;
  EXPECT_EQ(CountAllocations([&] {
              matched = TopicMatches(filter, topic);
              valid = IsValidTopicName(topic) && IsValidTopicFilter(filter);
            }),
            0);
  EXPECT_TRUE(matched);
  EXPECT_TRUE(valid);
}

TEST(CodecAllocationTest, FrameSizeDoesNotAllocate) {
  std::string bytes = EncodeToString(Telemetry(), Version::kV5);
  size_t size = 0;
  EXPECT_EQ(CountAllocations([&] { size = FrameSize(Span(bytes), 1 << 20).size; }), 0);
  EXPECT_EQ(size, bytes.size());
}

}  // namespace
}  // namespace tributary::mqtt
