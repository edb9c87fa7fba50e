#include "devices/shadow_document.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace tributary::devices {
namespace {

using nlohmann::json;

// {"l1": {"l2": ... {"l<levels>": 1}}}: `levels` objects deep, as a section counts them
// (its own object included).
json Nested(int levels) {
  json v = 1;
  for (int i = levels; i >= 1; --i) v = json{{"l" + std::to_string(i), v}};
  return v;
}

json J(const char* text) { return json::parse(text); }

// A stored shadow (version 0: none).
ShadowDocument Stored(const json& state, int64_t version) {
  ShadowDocument doc;
  doc.state = state;
  doc.version = version;
  doc.exists = version > 0;
  return doc;
}

ShadowUpdate Apply(const ShadowDocument& stored, const std::string& request, int64_t now_s) {
  auto result = ApplyShadowUpdate(stored, json::parse(request), now_s);
  if (auto* error = std::get_if<ShadowError>(&result)) {
    ADD_FAILURE() << "refused " << request << ": " << error->code << " " << error->message;
    return {};
  }
  return std::get<ShadowUpdate>(result);
}

// ---------------------------------------------------------------------------------------
// ApplyShadowUpdate: one row per rule.

struct UpdateCase {
  std::string name;
  json stored_state;       // the stored shadow's state
  int64_t stored_version;  // 0: no shadow
  std::string request;     // the update's JSON
  // Accepted: the state after the update (the version is then stored_version + 1).
  std::optional<json> want_state;
  // Refused: the code and a piece of the message.
  int want_code = 0;
  std::string want_message = "";
};

std::vector<UpdateCase> UpdateCases() {
  const std::string big(8171, 'x');  // {"reported":{"s":"<big>"}} is exactly 8192 bytes
  return {
      // Creation and merging.
      {"NewShadowReported", J("{}"), 0, R"({"state":{"reported":{"color":"red"}}})",
       J(R"({"reported":{"color":"red"}})")},
      {"NewShadowBothSections", J("{}"), 0,
       R"({"state":{"desired":{"on":true},"reported":{"on":false}}})",
       J(R"({"desired":{"on":true},"reported":{"on":false}})")},
      {"MergeKeepsOtherMembers", J(R"({"reported":{"a":1,"b":2}})"), 1,
       R"({"state":{"reported":{"b":3,"c":4}}})", J(R"({"reported":{"a":1,"b":3,"c":4}})")},
      {"OtherSectionUntouched", J(R"({"desired":{"a":1}})"), 1, R"({"state":{"reported":{"a":2}}})",
       J(R"({"desired":{"a":1},"reported":{"a":2}})")},
      {"NullRemovesMember", J(R"({"reported":{"a":1,"b":2}})"), 1,
       R"({"state":{"reported":{"b":null}}})", J(R"({"reported":{"a":1}})")},
      {"NullOfAbsentMemberChangesNothing", J(R"({"reported":{"a":1}})"), 1,
       R"({"state":{"reported":{"zz":null}}})", J(R"({"reported":{"a":1}})")},
      {"ObjectsMergeRecursively", J(R"({"reported":{"cfg":{"a":1,"b":{"x":1}}}})"), 1,
       R"({"state":{"reported":{"cfg":{"b":{"y":2}}}}})",
       J(R"({"reported":{"cfg":{"a":1,"b":{"x":1,"y":2}}}})")},
      {"NullRemovesNestedMember", J(R"({"reported":{"cfg":{"a":1,"b":2}}})"), 1,
       R"({"state":{"reported":{"cfg":{"a":null}}}})", J(R"({"reported":{"cfg":{"b":2}}})")},
      // An object the update's nulls empty goes with its last member, at every level; an
      // empty object given is set.
      {"NullsEmptyingAnObjectRemoveIt", J(R"({"desired":{"x":{"y":1},"a":1}})"), 1,
       R"({"state":{"desired":{"x":{"y":null}}}})", J(R"({"desired":{"a":1}})")},
      {"NullsEmptyingNestedObjectsRemoveEach", J(R"({"reported":{"k":1,"a":{"b":{"c":1}}}})"), 1,
       R"({"state":{"reported":{"a":{"b":{"c":null}}}}})", J(R"({"reported":{"k":1}})")},
      {"NullsOfAbsentNestedMembersAddNothing", J(R"({"reported":{"a":1}})"), 1,
       R"({"state":{"reported":{"x":{"y":null}}}})", J(R"({"reported":{"a":1}})")},
      {"EmptyObjectGivenIsSet", J(R"({"reported":{"a":1}})"), 1,
       R"({"state":{"reported":{"x":{}}}})", J(R"({"reported":{"a":1,"x":{}}})")},
      {"ArraysReplaceWhole", J(R"({"desired":{"list":[1,2,3]}})"), 1,
       R"({"state":{"desired":{"list":[9]}}})", J(R"({"desired":{"list":[9]}})")},
      {"ArraysOfObjectsReplaceNotMerge", J(R"({"desired":{"l":[{"a":1}]}})"), 1,
       R"({"state":{"desired":{"l":[{"b":2}]}}})", J(R"({"desired":{"l":[{"b":2}]}})")},
      {"ObjectReplacesScalar", J(R"({"reported":{"a":1}})"), 1,
       R"({"state":{"reported":{"a":{"x":1}}}})", J(R"({"reported":{"a":{"x":1}}})")},
      {"ScalarReplacesObject", J(R"({"reported":{"a":{"x":1}}})"), 1,
       R"({"state":{"reported":{"a":"flat"}}})", J(R"({"reported":{"a":"flat"}})")},
      {"SectionNullRemovesSection", J(R"({"desired":{"a":1},"reported":{"a":2}})"), 1,
       R"({"state":{"desired":null}})", J(R"({"reported":{"a":2}})")},
      {"BothSectionsNull", J(R"({"desired":{"a":1},"reported":{"a":2}})"), 1,
       R"({"state":{"desired":null,"reported":null}})", J("{}")},
      {"EmptyStateIsAnUpdate", J(R"({"reported":{"a":1}})"), 4, R"({"state":{}})",
       J(R"({"reported":{"a":1}})")},
      // Versions.
      {"VersionMatching", J(R"({"reported":{"a":1}})"), 3,
       R"({"state":{"reported":{"a":2}},"version":3})", J(R"({"reported":{"a":2}})")},
      {"VersionStale", J(R"({"reported":{"a":1}})"), 3,
       R"({"state":{"reported":{"a":2}},"version":2})", std::nullopt, 409, "Version conflict"},
      {"VersionAhead", J(R"({"reported":{"a":1}})"), 3,
       R"({"state":{"reported":{"a":2}},"version":4})", std::nullopt, 409, "Version conflict"},
      {"VersionNotANumber", J(R"({"reported":{"a":1}})"), 3,
       R"({"state":{"reported":{"a":2}},"version":"3"})", std::nullopt, 400, "Invalid version"},
      {"VersionNotAnInteger", J(R"({"reported":{"a":1}})"), 3,
       R"({"state":{"reported":{"a":2}},"version":3.5})", std::nullopt, 400, "Invalid version"},
      {"ClientTokenIsAllowed", J("{}"), 0, R"({"state":{"reported":{"a":1}},"clientToken":"c"})",
       J(R"({"reported":{"a":1}})")},
      // Malformed requests.
      {"MissingState", J("{}"), 0, R"({})", std::nullopt, 400, "Missing required node: state"},
      {"MissingStateWithOtherFields", J("{}"), 0, R"({"clientToken":"c","version":0})",
       std::nullopt, 400, "Missing required node: state"},
      {"StateNotAnObject", J("{}"), 0, R"({"state":[1]})", std::nullopt, 400,
       "State node must be an object"},
      {"StateNull", J("{}"), 0, R"({"state":null})", std::nullopt, 400,
       "State node must be an object"},
      {"UnknownStateNodeDelta", J("{}"), 0, R"({"state":{"delta":{"a":1}}})", std::nullopt, 400,
       "State contains an invalid node: 'delta'"},
      {"UnknownStateNodeBesideValidOnes", J("{}"), 0,
       R"({"state":{"reported":{"a":1},"metadata":{}}})", std::nullopt, 400,
       "invalid node: 'metadata'"},
      {"DesiredNotAnObject", J("{}"), 0, R"({"state":{"desired":5}})", std::nullopt, 400,
       "'desired' must be an object"},
      {"ReportedAnArray", J("{}"), 0, R"({"state":{"reported":[1,2]}})", std::nullopt, 400,
       "'reported' must be an object"},
      {"UnknownTopLevelField", J("{}"), 0, R"({"state":{"reported":{"a":1}},"foo":1})",
       std::nullopt, 400, "Unexpected field: 'foo'"},
      // Limits: nesting, the section's own object counted.
      {"NestingSixDeepAccepted", J("{}"), 0, json{{"state", {{"desired", Nested(6)}}}}.dump(),
       json{{"desired", Nested(6)}}},
      {"NestingSevenDeepDesired", J("{}"), 0, json{{"state", {{"desired", Nested(7)}}}}.dump(),
       std::nullopt, 400, "too many levels of nesting; maximum is 6"},
      {"NestingSevenDeepReported", J("{}"), 0, json{{"state", {{"reported", Nested(7)}}}}.dump(),
       std::nullopt, 400, "too many levels of nesting; maximum is 6"},
      // Objects inside an array are nested objects too: reported > list > 8 deep.
      {"NestingInsideArray", J("{}"), 0,
       json{{"state", {{"reported", {{"list", json::array({Nested(8)})}}}}}}.dump(), std::nullopt,
       400, "too many levels of nesting"},
      // Arrays are levels too: reported > a > five arrays is six; six arrays is seven.
      {"NestingOfArraysSixDeepAccepted", J("{}"), 0, R"({"state":{"reported":{"a":[[[[[1]]]]]}}})",
       J(R"({"reported":{"a":[[[[[1]]]]]}})")},
      {"NestingOfArraysSevenDeep", J("{}"), 0, R"({"state":{"reported":{"a":[[[[[[1]]]]]]}}})",
       std::nullopt, 400, "too many levels of nesting; maximum is 6"},
      // Limits: the state's size (the merged state as JSON text, metadata excluded).
      {"StateExactly8KiB", J("{}"), 0, json{{"state", {{"reported", {{"s", big}}}}}}.dump(),
       json{{"reported", {{"s", big}}}}},
      {"StateOneByteOver8KiB", J("{}"), 0,
       json{{"state", {{"reported", {{"s", big + "x"}}}}}}.dump(), std::nullopt, 413,
       "exceed the maximum size"},
      {"MergedStateOver8KiB", json{{"reported", {{"a", std::string(5000, 'a')}}}}, 1,
       json{{"state", {{"reported", {{"b", std::string(5000, 'b')}}}}}}.dump(), std::nullopt, 413,
       "exceed the maximum size"},
      {"RemovingBringsUnderTheLimit", json{{"reported", {{"a", std::string(5000, 'a')}}}}, 1,
       json{{"state", {{"reported", {{"a", nullptr}, {"b", std::string(5000, 'b')}}}}}}.dump(),
       json{{"reported", {{"b", std::string(5000, 'b')}}}}},
  };
}

void PrintTo(const UpdateCase& c, std::ostream* os) { *os << c.name; }

class ShadowUpdateRulesTest : public ::testing::TestWithParam<UpdateCase> {};

TEST_P(ShadowUpdateRulesTest, Applies) {
  const UpdateCase& c = GetParam();
  const ShadowDocument stored = Stored(c.stored_state, c.stored_version);
  auto result = ApplyShadowUpdate(stored, json::parse(c.request), 1700000000);
  if (c.want_state) {
    ASSERT_TRUE(std::holds_alternative<ShadowUpdate>(result))
        << "refused: " << std::get<ShadowError>(result).code << " "
        << std::get<ShadowError>(result).message;
    const auto& u = std::get<ShadowUpdate>(result);
    EXPECT_EQ(u.current.state, *c.want_state) << u.current.state.dump();
    EXPECT_EQ(u.current.version, c.stored_version + 1);
    EXPECT_EQ(u.accepted["version"], c.stored_version + 1);
  } else {
    ASSERT_TRUE(std::holds_alternative<ShadowError>(result))
        << "accepted: " << std::get<ShadowUpdate>(result).current.state.dump().substr(0, 200);
    const auto& e = std::get<ShadowError>(result);
    EXPECT_EQ(e.code, c.want_code) << e.message;
    EXPECT_NE(e.message.find(c.want_message), std::string::npos) << e.message;
  }
}

INSTANTIATE_TEST_SUITE_P(ShadowUpdate, ShadowUpdateRulesTest, ::testing::ValuesIn(UpdateCases()),
                         [](const auto& info) { return info.param.name; });

TEST(ShadowDocumentTest, VersionStartsAtOneAndAddsOnePerUpdate) {
  ShadowDocument doc;
  for (int i = 1; i <= 5; ++i) {
    doc = Apply(doc, json{{"state", {{"reported", {{"n", i}}}}}}.dump(), 100 + i).current;
    EXPECT_EQ(doc.version, i);
  }
  EXPECT_EQ(doc.state, json({{"reported", {{"n", 5}}}}));
  // A refused update leaves nothing changed (the input is const; the caller keeps it).
  auto refused =
      ApplyShadowUpdate(doc, json::parse(R"({"state":{"reported":{"n":9}},"version":4})"), 200);
  ASSERT_TRUE(std::holds_alternative<ShadowError>(refused));
  EXPECT_EQ(std::get<ShadowError>(refused).code, 409);
}

// A deleted shadow (not `exists`, its last version kept) made again continues from its
// version, with nothing of its old state, and no "previous" in update/documents.
TEST(ShadowDocumentTest, MadeAgainAfterDeleteContinuesTheVersion) {
  ShadowDocument deleted = Stored(J(R"({"reported":{"old":1},"desired":{"old":2}})"), 7);
  deleted.metadata = J(R"({"reported":{"old":{"timestamp":1}},"desired":{"old":{"timestamp":1}}})");
  deleted.exists = false;
  auto u = Apply(deleted, R"({"state":{"reported":{"new":1}},"clientToken":"again"})", 500);
  EXPECT_TRUE(u.current.exists);
  EXPECT_EQ(u.current.version, 8);
  EXPECT_EQ(u.current.state, J(R"({"reported":{"new":1}})")) << u.current.state.dump();
  EXPECT_EQ(u.current.metadata, J(R"({"reported":{"new":{"timestamp":500}}})"))
      << u.current.metadata.dump();
  EXPECT_EQ(u.accepted["version"], 8);
  EXPECT_FALSE(u.documents.contains("previous")) << u.documents.dump();
  EXPECT_EQ(u.documents["current"]["version"], 8);
  EXPECT_EQ(u.documents["current"]["state"], J(R"({"reported":{"new":1}})"));
  EXPECT_FALSE(u.delta.has_value());

  // A desired value made again: its delta holds nothing of the old reported state.
  deleted.state = J(R"({"reported":{"x":1}})");
  auto d = Apply(deleted, R"({"state":{"desired":{"x":1}}})", 600);
  ASSERT_TRUE(d.delta.has_value());
  EXPECT_EQ((*d.delta)["state"], J(R"({"x":1})"));
  EXPECT_EQ((*d.delta)["version"], 8);
}

// A shadow that was never made starts at version 1.
TEST(ShadowDocumentTest, NewShadowStartsAtVersionOne) {
  auto u = Apply(ShadowDocument{}, R"({"state":{"desired":{"a":1}}})", 1);
  EXPECT_TRUE(u.current.exists);
  EXPECT_EQ(u.current.version, 1);
}

// ---------------------------------------------------------------------------------------
// Metadata: a timestamp per leaf, kept for what an update leaves alone.

TEST(ShadowDocumentTest, MetadataTimestampsPerLeaf) {
  ShadowDocument doc;
  auto u1 = Apply(
      doc,
      R"({"state":{"desired":{"color":"red","cfg":{"a":1,"b":[1,2]}},"reported":{"on":true}}})",
      1000);
  EXPECT_EQ(u1.current.metadata, json::parse(R"({
      "desired": {"color": {"timestamp": 1000},
                  "cfg": {"a": {"timestamp": 1000}, "b": {"timestamp": 1000}}},
      "reported": {"on": {"timestamp": 1000}}})"))
      << u1.current.metadata.dump();
  EXPECT_EQ(u1.accepted["metadata"], u1.current.metadata);

  // Only what the second update sets gets the new time; its answer holds only that.
  auto u2 = Apply(u1.current, R"({"state":{"desired":{"cfg":{"a":2}}}})", 2000);
  EXPECT_EQ(u2.current.metadata, json::parse(R"({
      "desired": {"color": {"timestamp": 1000},
                  "cfg": {"a": {"timestamp": 2000}, "b": {"timestamp": 1000}}},
      "reported": {"on": {"timestamp": 1000}}})"))
      << u2.current.metadata.dump();
  EXPECT_EQ(u2.accepted["metadata"],
            json::parse(R"({"desired": {"cfg": {"a": {"timestamp": 2000}}}})"))
      << u2.accepted["metadata"].dump();

  // A removed member takes its metadata with it; a scalar turned object gets leaves.
  auto u3 = Apply(u2.current, R"({"state":{"desired":{"color":null,"cfg":{"b":{"x":1}}}}})", 3000);
  EXPECT_EQ(u3.current.metadata, json::parse(R"({
      "desired": {"cfg": {"a": {"timestamp": 2000}, "b": {"x": {"timestamp": 3000}}}},
      "reported": {"on": {"timestamp": 1000}}})"))
      << u3.current.metadata.dump();

  // An object turned scalar is one leaf again.
  auto u4 = Apply(u3.current, R"({"state":{"desired":{"cfg":7}}})", 4000);
  EXPECT_EQ(u4.current.metadata["desired"], json::parse(R"({"cfg": {"timestamp": 4000}})"))
      << u4.current.metadata.dump();

  // A section set to null goes from the metadata too.
  auto u5 = Apply(u4.current, R"({"state":{"reported":null}})", 5000);
  EXPECT_FALSE(u5.current.metadata.contains("reported")) << u5.current.metadata.dump();
  EXPECT_FALSE(u5.current.state.contains("reported"));
  EXPECT_TRUE(u5.current.metadata.contains("desired"));
}

// ---------------------------------------------------------------------------------------
// The answers an accepted update publishes.

TEST(ShadowDocumentTest, AcceptedMessageShape) {
  auto u = Apply(
      ShadowDocument{},
      R"({"state":{"desired":{"color":"red"},"reported":{"color":"green","gone":null}},"clientToken":"tok-1"})",
      1234);
  // The request's state as sent (nulls included), what changed, version, timestamp, token.
  EXPECT_EQ(u.accepted, json::parse(R"({
      "state": {"desired": {"color": "red"}, "reported": {"color": "green", "gone": null}},
      "metadata": {"desired": {"color": {"timestamp": 1234}}, "reported": {"color": {"timestamp": 1234}}},
      "version": 1, "timestamp": 1234, "clientToken": "tok-1"})"))
      << u.accepted.dump();

  // No clientToken in, none out.
  auto v = Apply(u.current, R"({"state":{"reported":{"color":"red"}}})", 1300);
  EXPECT_FALSE(v.accepted.contains("clientToken"));
  EXPECT_FALSE(v.documents.contains("clientToken"));
  EXPECT_EQ(v.accepted["version"], 2);
  EXPECT_EQ(v.accepted["timestamp"], 1300);
}

TEST(ShadowDocumentTest, DocumentsMessageHasPreviousOnlyWhenTheShadowExisted) {
  auto created =
      Apply(ShadowDocument{}, R"({"state":{"reported":{"t":20}},"clientToken":"c1"})", 100);
  EXPECT_FALSE(created.documents.contains("previous")) << created.documents.dump();
  EXPECT_EQ(created.documents, json::parse(R"({
      "current": {"state": {"reported": {"t": 20}}, "metadata": {"reported": {"t": {"timestamp": 100}}},
                  "version": 1},
      "timestamp": 100, "clientToken": "c1"})"))
      << created.documents.dump();

  auto next = Apply(created.current, R"({"state":{"desired":{"t":22}},"clientToken":"c2"})", 200);
  EXPECT_EQ(next.documents, json::parse(R"({
      "previous": {"state": {"reported": {"t": 20}}, "metadata": {"reported": {"t": {"timestamp": 100}}},
                   "version": 1},
      "current": {"state": {"desired": {"t": 22}, "reported": {"t": 20}},
                  "metadata": {"desired": {"t": {"timestamp": 200}}, "reported": {"t": {"timestamp": 100}}},
                  "version": 2},
      "timestamp": 200, "clientToken": "c2"})"))
      << next.documents.dump();
}

TEST(ShadowDocumentTest, DeltaMessageWhenDesiredDiffersFromReported) {
  auto reported =
      Apply(ShadowDocument{}, R"({"state":{"reported":{"color":"green","mode":"auto"}}})", 100);
  EXPECT_FALSE(reported.delta.has_value()) << "no desired section, no delta";

  auto u = Apply(reported.current,
                 R"({"state":{"desired":{"color":"red","mode":"auto"}},"clientToken":"d"})", 200);
  ASSERT_TRUE(u.delta.has_value());
  EXPECT_EQ(*u.delta, json::parse(R"({
      "state": {"color": "red"}, "metadata": {"color": {"timestamp": 200}},
      "version": 2, "timestamp": 200, "clientToken": "d"})"))
      << u.delta->dump();

  // The delta holds every desired value reported lacks, not only this update's.
  auto more = Apply(u.current, R"({"state":{"desired":{"level":3}}})", 300);
  ASSERT_TRUE(more.delta.has_value());
  EXPECT_EQ((*more.delta)["state"], json::parse(R"({"color": "red", "level": 3})"))
      << more.delta->dump();
  EXPECT_EQ((*more.delta)["metadata"],
            json::parse(R"({"color": {"timestamp": 200}, "level": {"timestamp": 300}})"))
      << more.delta->dump();
  EXPECT_FALSE(more.delta->contains("clientToken"));
}

// The delta message's metadata has the shape of its state (AWS's /delta document): for a
// nested member, the metadata of what differs, not of the whole desired object.
TEST(ShadowDocumentTest, DeltaMessageMetadataMirrorsTheDelta) {
  auto base = Apply(ShadowDocument{}, R"({"state":{"reported":{"cfg":{"a":1,"b":1}}}})", 100);
  auto u = Apply(base.current, R"({"state":{"desired":{"cfg":{"a":1,"b":2}}}})", 200);
  ASSERT_TRUE(u.delta.has_value());
  EXPECT_EQ((*u.delta)["state"], J(R"({"cfg":{"b":2}})")) << u.delta->dump();
  EXPECT_EQ((*u.delta)["metadata"], J(R"({"cfg":{"b":{"timestamp":200}}})")) << u.delta->dump();
}

TEST(ShadowDocumentTest, NoDeltaMessageWithoutDifferenceOrDesired) {
  auto base = Apply(ShadowDocument{}, R"({"state":{"desired":{"a":1},"reported":{"a":1}}})", 100);
  EXPECT_FALSE(base.delta.has_value()) << base.delta->dump();

  // Desired set to what is reported: no delta.
  auto same = Apply(base.current, R"({"state":{"desired":{"a":1}}})", 200);
  EXPECT_FALSE(same.delta.has_value());

  // A reported-only update leaving a difference publishes no delta.
  auto diff = Apply(base.current, R"({"state":{"desired":{"a":2}}})", 300);
  ASSERT_TRUE(diff.delta.has_value());
  auto reported_only = Apply(diff.current, R"({"state":{"reported":{"b":1}}})", 400);
  EXPECT_FALSE(reported_only.delta.has_value());

  // Desired removed altogether: nothing left to ask for.
  auto cleared = Apply(diff.current, R"({"state":{"desired":null}})", 500);
  EXPECT_FALSE(cleared.delta.has_value());

  // Reported catching up with desired: no delta.
  auto caught_up =
      Apply(diff.current, R"({"state":{"desired":{"x":null},"reported":{"a":2}}})", 600);
  EXPECT_FALSE(caught_up.delta.has_value()) << caught_up.delta->dump();
}

// ---------------------------------------------------------------------------------------
// ShadowDelta.

struct DeltaCase {
  std::string name;
  json desired, reported, want;  // want null: no delta
};

void PrintTo(const DeltaCase& c, std::ostream* os) { *os << c.name; }

class ShadowDeltaTest : public ::testing::TestWithParam<DeltaCase> {};

TEST_P(ShadowDeltaTest, Computes) {
  const DeltaCase& c = GetParam();
  json got = ShadowDelta(c.desired, c.reported);
  EXPECT_EQ(got, c.want) << got.dump();
}

INSTANTIATE_TEST_SUITE_P(
    ShadowDelta, ShadowDeltaTest,
    ::testing::ValuesIn(std::vector<DeltaCase>{
        {"MissingMember", json::parse(R"({"a":1,"b":2})"), json::parse(R"({"a":1})"),
         json::parse(R"({"b":2})")},
        {"DifferentValue", json::parse(R"({"a":1})"), json::parse(R"({"a":2})"),
         json::parse(R"({"a":1})")},
        {"AllEqual", json::parse(R"({"a":1,"s":"x"})"),
         json::parse(R"({"a":1,"s":"x","extra":true})"), json()},
        {"DifferentType", json::parse(R"({"a":"1"})"), json::parse(R"({"a":1})"),
         json::parse(R"({"a":"1"})")},
        {"NestedOnlyDifferingMembers", json::parse(R"({"cfg":{"a":1,"b":{"c":2,"d":3}}})"),
         json::parse(R"({"cfg":{"a":1,"b":{"c":2,"d":4}}})"),
         json::parse(R"({"cfg":{"b":{"d":3}}})")},
        {"NestedAllEqualLeavesNoEmptyObject", json::parse(R"({"cfg":{"a":1},"x":2})"),
         json::parse(R"({"cfg":{"a":1,"z":0}})"), json::parse(R"({"x":2})")},
        {"NestedMissingInReported", json::parse(R"({"cfg":{"a":1}})"),
         json::parse(R"({"other":1})"), json::parse(R"({"cfg":{"a":1}})")},
        {"ArrayEqual", json::parse(R"({"l":[1,2]})"), json::parse(R"({"l":[1,2]})"), json()},
        {"ArrayComparedWhole", json::parse(R"({"l":[1,2,3]})"), json::parse(R"({"l":[1,2]})"),
         json::parse(R"({"l":[1,2,3]})")},
        {"ArrayOrderMatters", json::parse(R"({"l":[1,2]})"), json::parse(R"({"l":[2,1]})"),
         json::parse(R"({"l":[1,2]})")},
        {"ArrayOfObjectsNotMerged", json::parse(R"({"l":[{"a":1}]})"),
         json::parse(R"({"l":[{"a":1,"b":2}]})"), json::parse(R"({"l":[{"a":1}]})")},
        {"ObjectAgainstScalar", json::parse(R"({"a":{"x":1}})"), json::parse(R"({"a":5})"),
         json::parse(R"({"a":{"x":1}})")},
        {"ScalarAgainstObject", json::parse(R"({"a":5})"), json::parse(R"({"a":{"x":1}})"),
         json::parse(R"({"a":5})")},
        {"ReportedMissing", json::parse(R"({"a":1,"b":{"c":2}})"), json(),
         json::parse(R"({"a":1,"b":{"c":2}})")},
        {"ReportedEmpty", json::parse(R"({"a":1})"), json::object(), json::parse(R"({"a":1})")},
        {"ReportedNotAnObject", json::parse(R"({"a":1})"), json::array({1}),
         json::parse(R"({"a":1})")},
        {"DesiredEmpty", json::object(), json::parse(R"({"a":1})"), json()},
        {"DesiredMissing", json(), json::parse(R"({"a":1})"), json()},
    }),
    [](const auto& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------
// get, delete and rejection answers.

TEST(ShadowDocumentTest, GetAnswerWithDelta) {
  auto doc = Apply(ShadowDocument{},
                   R"({"state":{"desired":{"a":1,"b":2},"reported":{"a":1,"b":3}}})", 100)
                 .current;
  json got = ShadowGetAnswer(doc, json::parse(R"({"clientToken":"g1"})"), 500);
  EXPECT_EQ(got, json::parse(R"({
      "state": {"desired": {"a": 1, "b": 2}, "reported": {"a": 1, "b": 3}, "delta": {"b": 2}},
      "metadata": {"desired": {"a": {"timestamp": 100}, "b": {"timestamp": 100}},
                   "reported": {"a": {"timestamp": 100}, "b": {"timestamp": 100}}},
      "version": 1, "timestamp": 500, "clientToken": "g1"})"))
      << got.dump();
}

TEST(ShadowDocumentTest, GetAnswerWithoutDelta) {
  auto doc =
      Apply(ShadowDocument{}, R"({"state":{"desired":{"a":1},"reported":{"a":1}}})", 100).current;
  json got = ShadowGetAnswer(doc, json::object(), 500);
  EXPECT_FALSE(got["state"].contains("delta")) << got.dump();
  EXPECT_FALSE(got.contains("clientToken"));
  EXPECT_EQ(got["state"], json::parse(R"({"desired": {"a": 1}, "reported": {"a": 1}})"));
  EXPECT_EQ(got["version"], 1);
  EXPECT_EQ(got["timestamp"], 500);

  // Reported only: no desired, no delta.
  auto reported = Apply(ShadowDocument{}, R"({"state":{"reported":{"a":1}}})", 100).current;
  got = ShadowGetAnswer(reported, json::object(), 500);
  EXPECT_EQ(got["state"], json::parse(R"({"reported": {"a": 1}})")) << got.dump();
  EXPECT_EQ(got["metadata"], json::parse(R"({"reported": {"a": {"timestamp": 100}}})"));

  // Desired only: all of it is the delta.
  auto desired = Apply(ShadowDocument{}, R"({"state":{"desired":{"a":1}}})", 100).current;
  got = ShadowGetAnswer(desired, json::object(), 500);
  EXPECT_EQ(got["state"], json::parse(R"({"desired": {"a": 1}, "delta": {"a": 1}})")) << got.dump();
}

TEST(ShadowDocumentTest, DeleteAnswer) {
  ShadowDocument doc = Stored(json::parse(R"({"reported":{"a":1}})"), 7);
  EXPECT_EQ(ShadowDeleteAnswer(doc, json::parse(R"({"clientToken":"x"})"), 900),
            json::parse(R"({"version": 7, "timestamp": 900, "clientToken": "x"})"));
  EXPECT_EQ(ShadowDeleteAnswer(doc, json::object(), 900),
            json::parse(R"({"version": 7, "timestamp": 900})"));
}

TEST(ShadowDocumentTest, Rejection) {
  ShadowError e{404, "No shadow exists with name: 'x'"};
  EXPECT_EQ(
      ShadowRejection(e, json::parse(R"({"clientToken":"r"})"), 42),
      json::parse(R"({"code": 404, "message": "No shadow exists with name: 'x'", "timestamp": 42,
                            "clientToken": "r"})"));
  EXPECT_EQ(ShadowRejection(e, json::object(), 42),
            json::parse(
                R"({"code": 404, "message": "No shadow exists with name: 'x'", "timestamp": 42})"));
  // A request that is not an object (never parsed) gives no token.
  EXPECT_EQ(ShadowRejection({400, "bad"}, json::array({1}), 1),
            json::parse(R"({"code":400,"message":"bad","timestamp":1})"));
  EXPECT_EQ(ShadowRejection({400, "bad"}, json(), 1),
            json::parse(R"({"code":400,"message":"bad","timestamp":1})"));
}

// ---------------------------------------------------------------------------------------
// Topics.

struct TopicCase {
  std::string topic;
  std::optional<ShadowTopic> want;
};

TEST(ShadowDocumentTest, ParseShadowTopic) {
  const std::vector<TopicCase> cases = {
      {"$aws/things/lamp/shadow/get", ShadowTopic{"lamp", "", "get"}},
      {"$aws/things/lamp/shadow/update", ShadowTopic{"lamp", "", "update"}},
      {"$aws/things/lamp/shadow/delete", ShadowTopic{"lamp", "", "delete"}},
      {"$aws/things/lamp-1:a_b/shadow/update", ShadowTopic{"lamp-1:a_b", "", "update"}},
      {"$aws/things/lamp/shadow/name/cfg/get", ShadowTopic{"lamp", "cfg", "get"}},
      {"$aws/things/lamp/shadow/name/cfg/update", ShadowTopic{"lamp", "cfg", "update"}},
      {"$aws/things/lamp/shadow/name/cfg/delete", ShadowTopic{"lamp", "cfg", "delete"}},
      // A named shadow may be called "name".
      {"$aws/things/lamp/shadow/name/name/get", ShadowTopic{"lamp", "name", "get"}},
      // The answers' topics are not requests.
      {"$aws/things/lamp/shadow/update/accepted", std::nullopt},
      {"$aws/things/lamp/shadow/update/rejected", std::nullopt},
      {"$aws/things/lamp/shadow/update/delta", std::nullopt},
      {"$aws/things/lamp/shadow/update/documents", std::nullopt},
      {"$aws/things/lamp/shadow/get/accepted", std::nullopt},
      {"$aws/things/lamp/shadow/delete/rejected", std::nullopt},
      {"$aws/things/lamp/shadow/name/cfg/update/accepted", std::nullopt},
      {"$aws/things/lamp/shadow/name/cfg/get/rejected", std::nullopt},
      // Empty or missing parts.
      {"$aws/things//shadow/get", std::nullopt},
      {"$aws/things/lamp/shadow/name//get", std::nullopt},
      {"$aws/things/lamp/shadow/name/cfg", std::nullopt},
      {"$aws/things/lamp/shadow/name/get", std::nullopt},
      {"$aws/things/lamp/shadow/", std::nullopt},
      {"$aws/things/lamp/shadow", std::nullopt},
      {"$aws/things/lamp", std::nullopt},
      {"$aws/things/", std::nullopt},
      {"", std::nullopt},
      // Other operations and prefixes.
      {"$aws/things/lamp/shadow/list", std::nullopt},
      {"$aws/things/lamp/shadow/GET", std::nullopt},
      {"$aws/things/lamp/shadow/get/", std::nullopt},
      {"$aws/things/lamp/shadow/name/cfg/x/get", std::nullopt},
      {"$aws/things/lamp/shadows/get", std::nullopt},
      {"$aws/things/lamp/jobs/get", std::nullopt},
      {"$aws/events/things/lamp/shadow/get", std::nullopt},
      {"aws/things/lamp/shadow/get", std::nullopt},
      {"/$aws/things/lamp/shadow/get", std::nullopt},
      {"things/lamp/shadow/get", std::nullopt},
      {"sensors/lamp/temperature", std::nullopt},
  };
  for (const auto& c : cases) {
    auto got = ParseShadowTopic(c.topic);
    ASSERT_EQ(got.has_value(), c.want.has_value()) << c.topic;
    if (!got) continue;
    EXPECT_EQ(got->thing, c.want->thing) << c.topic;
    EXPECT_EQ(got->shadow, c.want->shadow) << c.topic;
    EXPECT_EQ(got->operation, c.want->operation) << c.topic;
  }
}

TEST(ShadowDocumentTest, ShadowTopicPrefix) {
  EXPECT_EQ(ShadowTopicPrefix("lamp", ""), "$aws/things/lamp/shadow/");
  EXPECT_EQ(ShadowTopicPrefix("lamp", "cfg"), "$aws/things/lamp/shadow/name/cfg/");
  EXPECT_EQ(ShadowTopicPrefix("lamp", "cfg") + "update/accepted",
            "$aws/things/lamp/shadow/name/cfg/update/accepted");
  // A request topic built from the prefix parses back.
  for (const std::string shadow : {"", "cfg"}) {
    auto t = ParseShadowTopic(ShadowTopicPrefix("a:b-c", shadow) + "delete");
    ASSERT_TRUE(t.has_value()) << shadow;
    EXPECT_EQ(t->thing, "a:b-c");
    EXPECT_EQ(t->shadow, shadow);
    EXPECT_EQ(t->operation, "delete");
  }
}

// ---------------------------------------------------------------------------------------
// ParseShadowRequest.

struct ParseCase {
  std::string name;
  std::string payload;
  std::optional<json> want;  // nullopt: refused
  int want_code = 0;
  std::string want_message = "";
};

TEST(ShadowDocumentTest, ParseShadowRequest) {
  const std::string token64(64, 't');
  const std::vector<ParseCase> cases = {
      {"Empty", "", json::object()},
      {"Whitespace", " \t\r\n ", json::object()},
      {"EmptyObject", "{}", json::object()},
      {"Object", R"({"state":{"reported":{"a":1}},"clientToken":"c"})",
       json::parse(R"({"state":{"reported":{"a":1}},"clientToken":"c"})")},
      {"ObjectWithBlanks", " \n{\"a\": 1}\n ", json::parse(R"({"a":1})")},
      {"Token64Bytes", json{{"clientToken", token64}}.dump(), json{{"clientToken", token64}}},
      {"Array", "[1,2]", std::nullopt, 400, "must be a JSON object"},
      {"String", "\"hi\"", std::nullopt, 400, "must be a JSON object"},
      {"Number", "42", std::nullopt, 400, "must be a JSON object"},
      {"Null", "null", std::nullopt, 400, "must be a JSON object"},
      {"Invalid", "{not json", std::nullopt, 400, "invalid json"},
      {"Truncated", R"({"state":{"reported":{"a":1})", std::nullopt, 400, "invalid json"},
      {"TrailingGarbage", R"({"a":1} x)", std::nullopt, 400, "invalid json"},
      {"Token65Bytes", json{{"clientToken", token64 + "t"}}.dump(), std::nullopt, 400,
       "clientToken"},
      {"TokenNumber", R"({"clientToken":5})", std::nullopt, 400, "clientToken must be a string"},
      {"TokenNull", R"({"clientToken":null})", std::nullopt, 400, "clientToken must be a string"},
      {"TokenObject", R"({"clientToken":{"a":1}})", std::nullopt, 400,
       "clientToken must be a string"},
      {"Oversize", std::string(kMaxShadowRequestBytes + 1, ' '), std::nullopt, 413,
       "exceeds the maximum size"},
      {"OversizeValidJson", json{{"x", std::string(kMaxShadowRequestBytes, 'x')}}.dump(),
       std::nullopt, 413, "exceeds the maximum size"},
  };
  for (const auto& c : cases) {
    json out = "untouched";
    auto error = ParseShadowRequest(c.payload, &out);
    if (c.want) {
      EXPECT_FALSE(error.has_value()) << c.name << ": " << error->code << " " << error->message;
      EXPECT_EQ(out, *c.want) << c.name;
    } else {
      ASSERT_TRUE(error.has_value()) << c.name << " parsed as " << out.dump().substr(0, 100);
      EXPECT_EQ(error->code, c.want_code) << c.name << ": " << error->message;
      EXPECT_NE(error->message.find(c.want_message), std::string::npos)
          << c.name << ": " << error->message;
    }
  }
  // The largest request allowed is read.
  std::string at_limit = json{{"x", std::string(kMaxShadowRequestBytes - 8, 'x')}}.dump();
  ASSERT_EQ(at_limit.size(), kMaxShadowRequestBytes);
  json out;
  EXPECT_FALSE(ParseShadowRequest(at_limit, &out).has_value());
  EXPECT_EQ(out["x"].get<std::string>().size(), kMaxShadowRequestBytes - 8);
}

}  // namespace
}  // namespace tributary::devices
