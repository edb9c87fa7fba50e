// Data capture's line format, object layout, and what the writer does with time, size,
// a failing lake and a stop. The endpoint side (sampling, which answers are captured) is
// in endpoint_manager_test.cc.
#include "serving/capture_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <regex>
#include <thread>

#include "base/base64.h"
#include "streams/testing/memory_object_store.h"

namespace tributary::serving {
namespace {

using nlohmann::json;
using streams::testing::MemoryObjectStores;
using namespace std::chrono_literals;

DataCaptureConfig Config(json extra = json::object()) {
  json j = {{"InitialSamplingPercentage", 100},
            {"DestinationS3Uri", "s3://lake/capture/"},
            {"CaptureOptions", {{{"CaptureMode", "InputAndOutput"}}}},
            {"CaptureContentTypeHeader",
             {{"JsonContentTypes", {"application/json"}}, {"CsvContentTypes", {"text/csv"}}}},
            {"FlushIntervalInSeconds", 5}};
  j.update(extra);
  auto c = ParseDataCaptureConfig(j, "DataCaptureConfig.");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return *c;
}

CapturedEvent Event(int64_t ms, const std::string& in = "{\"instances\":[1]}",
                    const std::string& variant = "blue") {
  CapturedEvent e;
  e.endpoint = "ep";
  e.variant = variant;
  e.time_ms = ms;
  e.input_content_type = "application/json";
  e.input = in;
  e.output_content_type = "application/json";
  e.output = "{\"predictions\":[2]}";
  return e;
}

// 2026-12-02T10:20:30.456Z
constexpr int64_t kT0 = 1796206830456;

TEST(CaptureLineTest, KeepsListedTypesAsTextAndTheRestAsBase64) {
  CapturedEvent e = Event(kT0);
  e.inference_id = "req-7";
  json line = json::parse(FormatCaptureLine(Config(), e, "id-1"));
  EXPECT_EQ(line["eventVersion"], "0");
  EXPECT_EQ(line["eventMetadata"]["eventId"], "id-1");
  EXPECT_EQ(line["eventMetadata"]["inferenceId"], "req-7");
  EXPECT_EQ(line["eventMetadata"]["inferenceTime"], "2026-12-02T10:20:30.456Z");
  json in = line["captureData"]["endpointInput"];
  EXPECT_EQ(in["mode"], "INPUT");
  EXPECT_EQ(in["encoding"], "JSON");
  EXPECT_EQ(in["observedContentType"], "application/json");
  EXPECT_EQ(in["data"], "{\"instances\":[1]}");
  EXPECT_EQ(line["captureData"]["endpointOutput"]["mode"], "OUTPUT");
  EXPECT_EQ(line["captureData"]["endpointOutput"]["data"], "{\"predictions\":[2]}");

  // CSV; a type with parameters and another case; an unlisted type; bytes that are not UTF-8.
  e.input_content_type = "text/CSV; charset=utf-8";
  e.input = "1,2,3";
  e.output_content_type = "application/jsonlines";
  e.output = "{\"a\":1}\n";
  line = json::parse(FormatCaptureLine(Config(), e, "id-2"));
  EXPECT_EQ(line["captureData"]["endpointInput"]["encoding"], "CSV");
  EXPECT_EQ(line["captureData"]["endpointInput"]["data"], "1,2,3");
  EXPECT_EQ(line["captureData"]["endpointOutput"]["encoding"], "BASE64");
  EXPECT_EQ(Base64Decode(line["captureData"]["endpointOutput"]["data"].get<std::string>()).value(),
            "{\"a\":1}\n");
  e.input_content_type = "application/json";
  e.input = std::string("{\"x\":\"\xff\"}");
  line = json::parse(FormatCaptureLine(Config(), e, "id-3"));
  EXPECT_EQ(line["captureData"]["endpointInput"]["encoding"], "BASE64");
  EXPECT_EQ(Base64Decode(line["captureData"]["endpointInput"]["data"].get<std::string>()).value(),
            e.input);

  // No CaptureContentTypeHeader: base64, as SageMaker does; input only.
  DataCaptureConfig plain = Config({{"CaptureOptions", {{{"CaptureMode", "Input"}}}}});
  plain.json_content_types.clear();
  plain.csv_content_types.clear();
  line = json::parse(FormatCaptureLine(plain, Event(kT0), "id-4"));
  EXPECT_EQ(line["captureData"]["endpointInput"]["encoding"], "BASE64");
  EXPECT_FALSE(line["captureData"].contains("endpointOutput"));
  EXPECT_FALSE(line["eventMetadata"].contains("inferenceId"));
}

TEST(CaptureConfigTest, ErrorsNameTheField) {
  auto bad = [](json patch) {
    json j = {{"InitialSamplingPercentage", 50},
              {"DestinationS3Uri", "s3://lake/capture/"},
              {"CaptureOptions", {{{"CaptureMode", "Input"}}}}};
    if (!patch.is_null()) j.update(patch);
    auto c = ParseDataCaptureConfig(j, "DataCaptureConfig.");
    return c.ok() ? std::string("ok") : c.status().message();
  };
  EXPECT_EQ(bad({}), "ok");
  EXPECT_NE(bad({{"InitialSamplingPercentage", 101}})
                .find("DataCaptureConfig.InitialSamplingPercentage: must be 0..100"),
            std::string::npos);
  EXPECT_NE(bad({{"DestinationS3Uri", "http://x/y"}}).find("DataCaptureConfig.DestinationS3Uri"),
            std::string::npos);
  EXPECT_NE(bad({{"CaptureOptions", json::array()}})
                .find("DataCaptureConfig.CaptureOptions: must be an array"),
            std::string::npos);
  EXPECT_NE(bad({{"CaptureOptions", {{{"CaptureMode", "Both"}}}}})
                .find("CaptureOptions[0].CaptureMode: 'Both'"),
            std::string::npos);
  EXPECT_NE(bad({{"CaptureContentTypeHeader", {{"JsonContentTypes", {"json"}}}}})
                .find("CaptureContentTypeHeader.JsonContentTypes[0]: 'json' is not a content type"),
            std::string::npos);
  EXPECT_NE(bad({{"KmsKeyId", "k"}}).find("DataCaptureConfig.KmsKeyId: not supported"),
            std::string::npos);
  EXPECT_NE(bad({{"FlushIntervalInSeconds", 0}}).find("FlushIntervalInSeconds: must be 1..900"),
            std::string::npos);
  EXPECT_NE(bad({{"EnableCapture", "yes"}}).find("EnableCapture: must be true or false"),
            std::string::npos);

  // Through the endpoint config, and back to the same JSON.
  auto c = ParseEndpointConfig(
      {{"EndpointConfigName", "c"},
       {"ProductionVariants", {{{"VariantName", "a"}, {"ModelName", "m"}}}},
       {"DataCaptureConfig",
        {{"InitialSamplingPercentage", 20},
         {"DestinationS3Uri", "s3://lake/cap"},
         {"CaptureOptions", {{{"CaptureMode", "Input"}}, {{"CaptureMode", "Output"}}}}}}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->data_capture.has_value());
  json back = ToJson(*c)["DataCaptureConfig"];
  EXPECT_EQ(back["DestinationS3Uri"], "s3://lake/cap/");
  EXPECT_EQ(back["CaptureOptions"][0]["CaptureMode"], "InputAndOutput");
  EXPECT_EQ(back["EnableCapture"], true);
  EXPECT_EQ(back["FlushIntervalInSeconds"], 60);
  auto again = ParseEndpointConfig(ToJson(*c));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ToJson(*again->data_capture), back);
  auto no =
      ParseEndpointConfig({{"EndpointConfigName", "c"},
                           {"ProductionVariants", {{{"VariantName", "a"}, {"ModelName", "m"}}}},
                           {"DataCaptureConfig", {{"DestinationS3Uri", "s3://lake/cap"}}}});
  ASSERT_FALSE(no.ok());
  EXPECT_NE(no.status().message().find("DataCaptureConfig.InitialSamplingPercentage: missing"),
            std::string::npos);
}

class CaptureWriterTest : public ::testing::Test {
 protected:
  CaptureWriterOptions Options() {
    CaptureWriterOptions o;
    o.lake = &lake_;
    o.metrics = &metrics_;
    o.now_ms = [this] { return now_ms_.load(); };
    return o;
  }
  std::map<std::string, streams::testing::StoredObject> Objects() {
    return lake_.Get("lake")->Objects();
  }
  // Waits for the writer's thread to have written `n` objects.
  bool WaitObjects(size_t n) {
    for (int i = 0; i < 400 && Objects().size() < n; ++i) std::this_thread::sleep_for(10ms);
    return Objects().size() >= n;
  }

  MemoryObjectStores lake_;
  MetricsRegistry metrics_;
  std::atomic<int64_t> now_ms_{kT0};
};

TEST_F(CaptureWriterTest, AVariantsLinesBecomeOneObjectAfterTheInterval) {
  CaptureWriter w(Options());
  auto c = std::make_shared<const DataCaptureConfig>(Config());
  for (int i = 0; i < 3; ++i) w.Add(c, Event(kT0 + i, "{\"i\":" + std::to_string(i) + "}"));
  w.Add(c, Event(kT0 + 5, "{\"i\":9}", "green"));
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(Objects().empty()) << "written before the interval";
  now_ms_ += 5000;
  ASSERT_TRUE(WaitObjects(2));
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 2u);
  const std::regex key(R"(capture/ep/(blue|green)/2026/12/02/10/20-30-4\d\d-[0-9a-f-]{36}\.jsonl)");
  int lines_blue = 0;
  for (const auto& [k, o] : objects) {
    EXPECT_TRUE(std::regex_match(k, key)) << k;
    if (k.find("/blue/") == std::string::npos) continue;
    std::istringstream in(o.data);
    std::string line;
    while (std::getline(in, line)) {
      json j = json::parse(line);
      EXPECT_EQ(j["captureData"]["endpointInput"]["data"],
                "{\"i\":" + std::to_string(lines_blue) + "}");
      ++lines_blue;
    }
  }
  EXPECT_EQ(lines_blue, 3);
  CaptureWriter::Stats s = w.stats();
  EXPECT_EQ(s.records, 4u);
  EXPECT_EQ(s.objects, 2u);
  EXPECT_EQ(s.buffered_bytes, 0);
  EXPECT_EQ(s.dropped, 0u);
}

TEST_F(CaptureWriterTest, ObjectsNeverSpanAnHourAndABigBufferIsWrittenAtOnce) {
  CaptureWriterOptions o = Options();
  o.object_bytes = 1000;
  CaptureWriter w(o);
  auto c = std::make_shared<const DataCaptureConfig>(Config());
  w.Add(c, Event(kT0));
  w.Add(c, Event(kT0 + 3600 * 1000));  // the next hour seals the first buffer
  ASSERT_TRUE(WaitObjects(1));
  EXPECT_NE(Objects().begin()->first.find("/2026/12/02/10/"), std::string::npos);
  for (int i = 0; i < 5; ++i)
    w.Add(c, Event(kT0 + 3600 * 1000 + i));  // past 1000 bytes: written without waiting
  ASSERT_TRUE(WaitObjects(2));
  bool eleven = false;
  for (const auto& [k, obj] : Objects())
    eleven = eleven || k.find("/2026/12/02/11/") != std::string::npos;
  EXPECT_TRUE(eleven);
}

TEST_F(CaptureWriterTest, AFailingLakeIsRetriedAndNothingIsLost) {
  lake_.Get("lake")->FailPutsWhere([](const std::string&) { return true; });
  CaptureWriter w(Options());
  auto c = std::make_shared<const DataCaptureConfig>(Config());
  for (int i = 0; i < 10; ++i) w.Add(c, Event(kT0 + i));
  Status st = w.Flush();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("data capture object s3://lake/capture/ep/blue/"), std::string::npos)
      << st.ToString();
  // The writer's thread may have tried the sealed object too, just before Flush did.
  EXPECT_GE(w.stats().failures, 1u);
  EXPECT_LE(w.stats().failures, 2u);
  EXPECT_GT(w.stats().buffered_bytes, 0);
  lake_.Get("lake")->FailPutsWhere(nullptr);
  now_ms_ += 2000;  // past the backoff of two failures
  ASSERT_TRUE(WaitObjects(1));
  std::string data = Objects().begin()->second.data;
  EXPECT_EQ(std::count(data.begin(), data.end(), '\n'), 10);
  EXPECT_EQ(w.stats().dropped, 0u);
  EXPECT_EQ(w.stats().buffered_bytes, 0);
}

TEST_F(CaptureWriterTest, PastTheWaitingBoundTheOldestObjectsAreDroppedAndCounted) {
  lake_.Get("lake")->FailPutsWhere([](const std::string&) { return true; });
  CaptureWriterOptions o = Options();
  o.object_bytes = 1;          // every line is an object
  o.max_waiting_bytes = 1000;  // a few lines
  CaptureWriter w(o);
  auto c = std::make_shared<const DataCaptureConfig>(Config());
  for (int i = 0; i < 50; ++i) w.Add(c, Event(kT0 + i));
  EXPECT_FALSE(w.Flush().ok());  // every event formatted into an object; the lake refuses them
  CaptureWriter::Stats s = w.stats();
  EXPECT_GT(s.dropped, 40u);
  EXPECT_LE(s.buffered_bytes, 1000 + 400);  // the bound, plus one being written
  lake_.Get("lake")->FailPutsWhere(nullptr);
  ASSERT_TRUE(w.Flush().ok());
  // Each event written or counted as dropped (when handed over or once an object), never both.
  EXPECT_EQ(Objects().size() + w.stats().dropped, 50u);
}

TEST_F(CaptureWriterTest, StopWritesWhatIsBufferedAndLaterLinesAreCounted) {
  auto w = std::make_unique<CaptureWriter>(Options());
  auto c = std::make_shared<const DataCaptureConfig>(Config());
  EXPECT_TRUE(w->Add(c, Event(kT0)));
  w->Add(c, Event(kT0 + 1, "{}", "green"));
  w->Stop();
  EXPECT_EQ(Objects().size(), 2u);
  EXPECT_FALSE(w->Add(c, Event(kT0 + 2)));
  EXPECT_EQ(w->stats().dropped, 1u);
  EXPECT_NE(metrics_.Render().find("tributary_capture_objects_total 2"), std::string::npos)
      << metrics_.Render();
}

}  // namespace
}  // namespace tributary::serving
