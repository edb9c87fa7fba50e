// get_thing_shadow() and get_registry_data(): what they read through the Message's
// ExternalState, and how often.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "expr/compiled.h"
#include "expr/testing/eval_table.h"
#include "expr/value.h"

namespace tributary::expr {
namespace {

using testing::kPayload;

// Shadows by (thing, shadow name), counting reads.
class FakeShadows : public ExternalState {
 public:
  std::map<std::pair<std::string, std::string>, std::string> docs;
  mutable std::vector<std::string> reads;
  std::optional<std::string> ThingShadow(std::string_view thing,
                                         std::string_view shadow) const override {
    reads.push_back(std::string(thing) + "/" + std::string(shadow));
    auto it = docs.find({std::string(thing), std::string(shadow)});
    if (it == docs.end()) return std::nullopt;
    return it->second;
  }
};

TEST(EvalTest, GetThingShadowReadsTheExternalState) {
  FakeShadows shadows;
  shadows.docs[{"pump-1", ""}] =
      R"({"state":{"desired":{"limit":50},"reported":{"limit":40}},"metadata":{},"version":3,"timestamp":1})";
  shadows.docs[{"pump-1", "config"}] = R"({"state":{"reported":{"mode":"eco"}},"version":1})";
  shadows.docs[{"dev-7", ""}] = R"({"state":{"desired":{"on":true}},"version":9})";
  auto eval = [&](const char* text, const ExternalState* external) {
    auto e = Expression::Compile(text);
    EXPECT_TRUE(e.ok()) << text << ": " << e.status().ToString();
    if (!e.ok()) return std::string();
    Message m("devices/dev-7/pollution", kPayload);
    m.external = external;
    return e->Evaluate(m).DebugString();
  };
  EXPECT_EQ(
      eval("get_thing_shadow('pump-1', 'arn:aws:iam::1:role/r').state.desired.limit", &shadows),
      "Int 50");
  EXPECT_EQ(eval("get_thing_shadow('pump-1', 'arn:aws:iam::1:role/r').version", &shadows), "Int 3");
  EXPECT_EQ(eval("get_thing_shadow(topic(2), 'r').state.desired.on", &shadows), "Boolean true");
  EXPECT_EQ(eval("get_thing_shadow('pump-1', 'config', 'r').state.reported.mode", &shadows),
            "String \"eco\"");
  EXPECT_EQ(eval("get_thing_shadow('pump-1', 'config', 'r').state.desired", &shadows), "undefined");
  EXPECT_EQ(eval("temp > get_thing_shadow('pump-1', 'r').state.desired.limit", &shadows),
            "Boolean false");
  // No shadow, no state to read, or arguments that cannot name one: Undefined.
  EXPECT_EQ(eval("get_thing_shadow('pump-2', 'r')", &shadows), "undefined");
  EXPECT_EQ(eval("get_thing_shadow('pump-1', 'r')", nullptr), "undefined");
  shadows.reads.clear();
  EXPECT_EQ(eval("get_thing_shadow(count, 'r')", &shadows), "undefined");
  EXPECT_EQ(eval("get_thing_shadow(name, 'r', temp)", &shadows), "undefined");
  EXPECT_EQ(eval("get_thing_shadow(concat(name, ' x'), 'r')", &shadows), "undefined");
  EXPECT_EQ(eval("get_thing_shadow('pump-1', topic(), 'r')", &shadows), "undefined");
  EXPECT_TRUE(shadows.reads.empty()) << shadows.reads.front();  // none of those was looked up
  // Read on every evaluation, never folded: a change shows in the next message.
  shadows.docs[{"pump-1", ""}] = R"({"state":{"desired":{"limit":70}},"version":4})";
  EXPECT_EQ(eval("get_thing_shadow('pump-1', 'r').state.desired.limit", &shadows), "Int 70");
  EXPECT_EQ(shadows.reads, std::vector<std::string>{"pump-1/"});
  // One message reads a shadow once, however many expressions (SELECT, WHERE, other
  // rules) name it, and they all see the same version.
  shadows.reads.clear();
  {
    Message m("devices/dev-7/pollution", kPayload);
    m.external = &shadows;
    auto limit = Expression::Compile("get_thing_shadow('pump-1', 'r').state.desired.limit");
    auto over = Expression::Compile("temp > get_thing_shadow('pump-1', 'r').state.desired.limit");
    ASSERT_TRUE(limit.ok() && over.ok());
    EXPECT_EQ(limit->Evaluate(m).DebugString(), "Int 70");
    shadows.docs[{"pump-1", ""}] = R"({"state":{"desired":{"limit":10}},"version":5})";
    EXPECT_EQ(over->Evaluate(m).DebugString(), "Boolean false");  // still 70 for this message
    EXPECT_EQ(shadows.reads, std::vector<std::string>{"pump-1/"});
  }
  // Literals that can never name a thing are refused when the rule is made.
  auto bad = Expression::Compile("get_thing_shadow('not a thing!', 'r')");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("get_thing_shadow(): \"not a thing!\" is not a thing name"),
            std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(Expression::Compile("get_thing_shadow('pump-1', 5)").ok());
  auto bad_shadow = Expression::Compile("get_thing_shadow('pump-1', 'bad name!', 'r')");
  ASSERT_FALSE(bad_shadow.ok());
  EXPECT_NE(bad_shadow.status().message().find("\"bad name!\" is not a shadow name"),
            std::string::npos)
      << bad_shadow.status().message();
  EXPECT_TRUE(Expression::Compile("get_thing_shadow('pump-1', 'any role, as AWS takes it')").ok());
  EXPECT_FALSE(Expression::Compile("get_thing_shadow('pump-1')").ok());
  EXPECT_FALSE(Expression::Compile("get_thing_shadow('a', 'b', 'c', 'd')").ok());
}

// get_or_default: a shadow's field or a default where the shadow or the field is missing.
// The default itself may not read a shadow or the registry (as on AWS).
TEST(EvalTest, GetOrDefaultOverState) {
  FakeShadows shadows;
  shadows.docs[{"pump-1", ""}] = R"({"state":{"desired":{"limit":50}},"version":3})";
  auto eval = [&](const char* text) {
    auto e = Expression::Compile(text);
    EXPECT_TRUE(e.ok()) << text << ": " << e.status().ToString();
    if (!e.ok()) return std::string();
    Message m("devices/dev-7/pollution", kPayload);
    m.external = &shadows;
    return e->Evaluate(m).DebugString();
  };
  EXPECT_EQ(eval("get_or_default(get_thing_shadow('pump-1', 'r').state.desired.limit, 10)"),
            "Int 50");
  EXPECT_EQ(eval("get_or_default(get_thing_shadow('pump-9', 'r').state.desired.limit, 10)"),
            "Int 10");
  EXPECT_EQ(eval("get_or_default(get_thing_shadow('pump-1', 'r').state.reported, {'on': false})"),
            "Object {\"on\":false}");
  for (const char* text :
       {"get_or_default(temp, get_thing_shadow('pump-1', 'r').state.desired.limit)",
        "get_or_default(temp, 1 + abs(get_registry_data('DescribeThing', 'x', 'r').version))"}) {
    auto refused = Expression::Compile(text);
    ASSERT_FALSE(refused.ok()) << text;
    EXPECT_NE(refused.status().message().find("get_or_default(): the default value may not call "
                                              "get_"),
              std::string::npos)
        << refused.status().message();
  }
}

// Things by name, as DescribeThing answers them, counting reads.
class FakeRegistry : public ExternalState {
 public:
  std::map<std::string, std::string> things;
  mutable std::vector<std::string> reads;
  std::optional<std::string> ThingShadow(std::string_view, std::string_view) const override {
    return std::nullopt;
  }
  std::optional<std::string> RegistryThing(std::string_view thing) const override {
    reads.push_back(std::string(thing));
    auto it = things.find(std::string(thing));
    if (it == things.end()) return std::nullopt;
    return it->second;
  }
};

TEST(EvalTest, GetRegistryDataDescribesAThing) {
  FakeRegistry registry;
  registry.things["dev-7"] =
      R"({"thingName":"dev-7","thingArn":"arn:aws:iot:local:000000000000:thing/dev-7","attributes":{"site":"Gracia","floor":"3"}})";
  auto eval = [&](const char* text, const ExternalState* external) {
    auto e = Expression::Compile(text);
    EXPECT_TRUE(e.ok()) << text << ": " << e.status().ToString();
    if (!e.ok()) return std::string();
    Message m("devices/dev-7/pollution", kPayload);
    m.external = external;
    return e->Evaluate(m).DebugString();
  };
  EXPECT_EQ(
      eval("get_registry_data('DescribeThing', 'dev-7', 'arn:aws:iam::1:role/r').attributes.site",
           &registry),
      "String \"Gracia\"");
  EXPECT_EQ(eval("get_registry_data('DescribeThing', topic(2), 'r').thingName", &registry),
            "String \"dev-7\"");
  EXPECT_EQ(
      eval("get_registry_data('DescribeThing', topic(2), 'r').attributes.floor = '3'", &registry),
      "Boolean true");
  EXPECT_EQ(eval("get_registry_data('DescribeThing', topic(2), 'r').attributes.room", &registry),
            "undefined");
  EXPECT_EQ(eval("get_registry_data('DescribeThing', 'dev-8', 'r')", &registry), "undefined");
  EXPECT_EQ(eval("get_registry_data('DescribeThing', 'dev-7', 'r')", nullptr), "undefined");
  registry.reads.clear();
  EXPECT_EQ(eval("get_registry_data(name, topic(2), 'r')", &registry),
            "undefined");  // not a registry call
  EXPECT_EQ(eval("get_registry_data('DescribeThing', concat(name, ' x'), 'r')", &registry),
            "undefined");
  EXPECT_TRUE(registry.reads.empty()) << registry.reads.front();
  // Once per message, however many expressions name the thing.
  {
    Message m("devices/dev-7/pollution", kPayload);
    m.external = &registry;
    auto site =
        Expression::Compile("get_registry_data('DescribeThing', topic(2), 'r').attributes.site");
    auto arn = Expression::Compile("get_registry_data('DescribeThing', 'dev-7', 'r').thingArn");
    ASSERT_TRUE(site.ok() && arn.ok());
    EXPECT_EQ(site->Evaluate(m).DebugString(), "String \"Gracia\"");
    EXPECT_EQ(arn->Evaluate(m).DebugString(),
              "String \"arn:aws:iot:local:000000000000:thing/dev-7\"");
    EXPECT_EQ(registry.reads, std::vector<std::string>{"dev-7"});
  }
  auto groups = Expression::Compile("get_registry_data('ListThingGroupsForThing', 'dev-7', 'r')");
  ASSERT_FALSE(groups.ok());
  EXPECT_NE(groups.status().message().find("the registry has no thing groups"), std::string::npos)
      << groups.status().message();
  EXPECT_FALSE(Expression::Compile("get_registry_data('DescribeThings', 'dev-7', 'r')").ok());
  EXPECT_FALSE(Expression::Compile("get_registry_data('DescribeThing', 'not a thing!', 'r')").ok());
  EXPECT_FALSE(Expression::Compile("get_registry_data('DescribeThing', 'dev-7')").ok());
  EXPECT_EQ(eval("accountid()", nullptr), "String \"000000000000\"");
}

}  // namespace
}  // namespace tributary::expr
