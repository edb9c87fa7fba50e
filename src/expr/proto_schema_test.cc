// ProtoSchema (a FileDescriptorSet's message types, a message as JSON) and
// decode(v, 'proto', bucket, key, file, type) through the Message's ExternalState.
#include "expr/proto_schema.h"

#include <google/protobuf/descriptor.pb.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "base/base64.h"
#include "expr/compiled.h"
#include "expr/message.h"
#include "expr/testing/eval_table.h"
#include "expr/testing/reading_proto.h"

namespace tributary::expr {
namespace {

namespace pb = google::protobuf;
using testing::ReadingBytes;
using testing::ReadingFile;
using testing::SetOf;

TEST(ProtoSchemaTest, WritesAMessageAsProto3Json) {
  auto schema = ProtoSchema::Parse(SetOf(ReadingFile()));
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  auto json = (*schema)->ToJson("reading", "Reading", ReadingBytes("pm-7", 12.5, 42, true));
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ(*json,
            R"({"deviceId":"pm-7","pm25":12.5,"seq":"42","kind":"OUTDOOR",)"
            R"("location":{"lat":45.75,"lon":4.85},"samples":[1.5,2.5],"calibrated":false})");
  // The full name, a nested type, the file by its whole path: the same types.
  EXPECT_TRUE((*schema)->ToJson("sensors/reading", "sensors.v1.Reading", "").ok());
  auto empty = (*schema)->ToJson("reading", "Reading.Location", "");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(*empty, R"({"lat":0,"lon":0})");  // defaults written, not left out
}

TEST(ProtoSchemaTest, ErrorsSayWhatIsMissingOrWrong) {
  auto schema = ProtoSchema::Parse(SetOf(ReadingFile()));
  ASSERT_TRUE(schema.ok());
  auto no_file = (*schema)->ToJson("weather", "Reading", "");
  EXPECT_EQ(no_file.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(no_file.status().message(),
            "no file weather.proto in the FileDescriptorSet (it has sensors/reading.proto)");
  auto no_type = (*schema)->ToJson("reading", "Sample", "");
  EXPECT_EQ(no_type.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(no_type.status().message(),
            "no message type Sample in sensors/reading.proto (package sensors.v1)");
  auto bad_bytes = (*schema)->ToJson("reading", "Reading", std::string("\x0a\x09pm", 4));
  EXPECT_EQ(bad_bytes.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad_bytes.status().message(), "the 4 bytes are not a sensors.v1.Reading message");

  auto not_a_set = ProtoSchema::Parse("{\"not\": \"protobuf\"}");
  ASSERT_FALSE(not_a_set.ok());
  EXPECT_NE(not_a_set.status().message().find("not a FileDescriptorSet"), std::string::npos)
      << not_a_set.status().message();
  pb::FileDescriptorProto importing = ReadingFile();
  importing.add_dependency("google/protobuf/timestamp.proto");
  auto missing_import = ProtoSchema::Parse(SetOf(importing));
  ASSERT_FALSE(missing_import.ok());
  EXPECT_EQ(missing_import.status().message(),
            "sensors/reading.proto imports google/protobuf/timestamp.proto, which is not in the "
            "FileDescriptorSet before it (protoc's --include_imports puts it there)");
  pb::FileDescriptorProto unresolved = ReadingFile();
  unresolved.mutable_message_type(0)->mutable_field(3)->set_type_name(".sensors.v1.Nope");
  auto bad_type = ProtoSchema::Parse(SetOf(unresolved));
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.status().message().find("sensors.v1.Nope"), std::string::npos)
      << bad_type.status().message();
}

// The lake's FileDescriptorSets by bucket/key, as the server's ExternalState reads them.
class FakeLake : public ExternalState {
 public:
  std::map<std::string, std::shared_ptr<const ProtoSchema>> sets;
  std::optional<std::string> ThingShadow(std::string_view, std::string_view) const override {
    return std::nullopt;
  }
  Result<std::string> DecodeProto(std::string_view bucket, std::string_view key,
                                  std::string_view file, std::string_view type,
                                  std::string_view bytes) const override {
    auto it = sets.find(std::string(bucket) + "/" + std::string(key));
    if (it == sets.end()) return NotFound("no such object");
    return it->second->ToJson(file, type, bytes);
  }
};

TEST(ProtoSchemaTest, DecodeReadsThePayloadOrBase64Text) {
  FakeLake lake;
  auto schema = ProtoSchema::Parse(SetOf(ReadingFile()));
  ASSERT_TRUE(schema.ok());
  lake.sets["lake/schemas/reading.desc"] = *schema;
  const std::string bytes = ReadingBytes("pm-7", 12.5, 42, false);
  auto eval = [&](const std::string& text, const std::string& payload) {
    auto e = Expression::Compile(text);
    EXPECT_TRUE(e.ok()) << text << ": " << e.status().ToString();
    if (!e.ok()) return std::string();
    Message m("devices/pm-7/pb", payload);
    m.external = &lake;
    return e->Evaluate(m).DebugString();
  };
  const std::string args = "'lake', 'schemas/reading.desc', 'reading', 'Reading')";
  EXPECT_EQ(eval("decode(*, 'proto', " + args + ".pm25", bytes), "Decimal 12.5");
  EXPECT_EQ(eval("decode(*, 'proto', " + args + ".deviceId", bytes), "String \"pm-7\"");
  EXPECT_EQ(eval("decode(*, 'proto', " + args + ".samples[1]", bytes), "Decimal 2.5");
  EXPECT_EQ(
      eval("decode(b64, 'proto', " + args + ".kind", R"({"b64": ")" + Base64Encode(bytes) + "\"}"),
      "String \"OUTDOOR\"");
  // Bytes that are no Reading: Null, as base64 that does not decode. No such set or type:
  // Undefined.
  EXPECT_EQ(eval("decode(*, 'proto', " + args, "\x0a\x09pm"), "Null null");
  EXPECT_EQ(eval("decode(b64, 'proto', " + args, R"({"b64": "not base64!"})"), "Null null");
  EXPECT_EQ(eval("decode(*, 'proto', 'lake', 'other.desc', 'reading', 'Reading')", bytes),
            "undefined");
  EXPECT_EQ(eval("decode(*, 'proto', 'lake', 'schemas/reading.desc', 'reading', 'Other')", bytes),
            "undefined");
  {
    auto e = Expression::Compile("decode(*, 'proto', " + args);
    ASSERT_TRUE(e.ok());
    Message m("devices/pm-7/pb", bytes);  // no ExternalState
    EXPECT_EQ(e->Evaluate(m).DebugString(), "undefined");
  }
  // The forms AWS takes, and no other.
  for (const auto& [text, error] : std::map<std::string, std::string>{
           {"decode(*, 'proto', 'lake', 'k.desc', 'reading')",
            "decode(value, 'proto', bucket, key, protoFile, messageType) takes 6 arguments, got 5"},
           {"decode(*, 'base64', 'lake')", "decode(value, 'base64') takes 2 arguments, got 3"},
           {"decode(*, 'hex')", "decode(): the decoding scheme is 'base64' or 'proto' (a literal)"},
           {"decode(*, topic())", "decode(): the decoding scheme is 'base64' or 'proto'"},
           {"decode(*, 'proto', topic(1), 'k.desc', 'reading', 'Reading')",
            "decode(): the bucket is a literal, non-empty text"},
           {"decode(*, 'proto', 'lake', 'k.desc', 'reading', '')",
            "decode(): the message type is a literal, non-empty text"},
       }) {
    auto e = Expression::Compile(text);
    ASSERT_FALSE(e.ok()) << text;
    EXPECT_NE(e.status().message().find(error), std::string::npos) << e.status().message();
  }
}

}  // namespace
}  // namespace tributary::expr
