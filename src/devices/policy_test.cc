#include "devices/policy.h"

#include <gtest/gtest.h>

#include "devices/policy_grant.h"

namespace tributary::devices {
namespace {

std::string Doc(const std::string& statements) {
  return R"({"Version": "2012-10-17", "Statement": )" + statements + "}";
}

struct ErrorCase {
  std::string policy;
  std::string expected_error;  // a substring of the message
};

TEST(PolicyParserTest, RejectsMalformedPoliciesWithPreciseErrors) {
  const ErrorCase cases[] = {
      {"{", "policy is not valid JSON"},
      {"[]", "policy must be a JSON object, got array"},
      {R"({"Statement": []})", "Version: missing"},
      {R"({"Version": "2008-10-17", "Statement": []})", "Version: must be \"2012-10-17\""},
      {R"({"Version": "2012-10-17"})", "Statement: missing"},
      {R"({"Version": "2012-10-17", "Statement": [], "Extra": 1})", "unknown field 'Extra'"},
      {Doc("[]"), "Statement: must hold at least one statement"},
      {Doc("7"), "Statement: must be an array"},
      {Doc("[1]"), "Statement[0]: must be an object"},
      {Doc(R"([{"Action": "iot:Connect", "Resource": "*"}])"), "Statement[0].Effect: missing"},
      {Doc(R"([{"Effect": "allow", "Action": "iot:Connect", "Resource": "*"}])"),
       "Statement[0].Effect: must be \"Allow\" or \"Deny\", got \"allow\""},
      {Doc(R"([{"Effect": "Allow", "Action": "iot:Connect", "Resource": "*"},
               {"Effect": "Allow", "Action": ["iot:Pub"], "Resource": "*"}])"),
       "Statement[1].Action[0]: unknown action 'iot:Pub'"},
      {Doc(R"([{"Effect": "Allow", "Action": "iot:UpdateThingShadow", "Resource": "*"}])"),
       "Statement[0].Action: unknown action 'iot:UpdateThingShadow'"},
      {Doc(R"([{"Effect": "Allow", "Action": [], "Resource": "*"}])"),
       "Statement[0].Action: must not be empty"},
      {Doc(R"([{"Effect": "Allow", "Action": ["iot:Connect", 3], "Resource": "*"}])"),
       "Statement[0].Action[1]: must be a string, got 3"},
      {Doc(R"([{"Effect": "Allow", "Action": "iot:Connect"}])"), "Statement[0].Resource: missing"},
      {Doc(R"([{"Effect": "Allow", "Action": "iot:Publish", "Resource": ["topic/a", "topics/b"]}])"),
       "Statement[0].Resource[1]: unknown resource 'topics/b'"},
      {Doc(R"([{"Effect": "Allow", "Action": "iot:Publish", "Resource": "topic/"}])"),
       "Statement[0].Resource: 'topic/' names no topic"},
      {Doc(R"([{"Effect": "Allow", "Action": "iot:Publish", "Resource": "topic/${iot:Foo}/x"}])"),
       "Statement[0].Resource: unknown policy variable '${iot:Foo}'"},
      {Doc(R"([{"Effect": "Allow", "Action": "iot:Publish", "Resource": "topic/${thing"}])"),
       "Statement[0].Resource: unterminated policy variable at position 0"},
      {Doc(R"([{"Effect": "Allow", "Action": "iot:Publish", "Resource": "arn:aws:iot"}])"),
       "Statement[0].Resource: malformed ARN 'arn:aws:iot'"},
      {Doc(R"([{"Effect": "Allow", "Action": "iot:Connect", "Resource": "topic/a"}])"),
       "Statement[0]: none of its resources applies to its actions"},
      {Doc(R"([{"Effect": "Allow", "Action": "iot:*", "Resource": "*", "Condition": {}}])"),
       "Statement[0].Condition: not supported"},
      {Doc(R"([{"Effect": "Allow", "Action": "iot:*", "Resource": "*", "Sid": 5}])"),
       "Statement[0].Sid: must be a string"},
      {Doc(R"([{"Effect": "Allow", "Action": "iot:*", "Resource": "*", "Principal": "x"}])"),
       "Statement[0]: unknown field 'Principal'"},
  };
  for (const ErrorCase& c : cases) {
    auto parsed = ParsePolicy(c.policy);
    ASSERT_FALSE(parsed.ok()) << "accepted: " << c.policy;
    EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(c.expected_error), std::string::npos)
        << "policy: " << c.policy << "\nmessage: " << parsed.status().message()
        << "\nexpected: " << c.expected_error;
  }
}

TEST(PolicyParserTest, AcceptsAwsSpellings) {
  auto parsed = ParsePolicy(Doc(R"({"Effect": "Deny", "Action": "IOT:publish",
      "Resource": "arn:aws:iot:eu-west-1:123456789012:topic/devices/${iot:Connection.Thing.ThingName}/*"})"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->statements.size(), 1u);
  const PolicyStatement& s = parsed->statements[0];
  EXPECT_EQ(s.effect, PolicyEffect::kDeny);
  EXPECT_EQ(s.actions, kActionPublish);
  ASSERT_EQ(s.resources.size(), 1u);
  EXPECT_EQ(s.resources[0].type, ResourceType::kTopic);
  EXPECT_EQ(s.resources[0].pattern, "devices/${iot:Connection.Thing.ThingName}/*");
  EXPECT_TRUE(ParsePolicy(DefaultPolicyJson()).ok());
}

TEST(PolicyParserTest, ValidatesPolicyNames) {
  EXPECT_TRUE(ValidatePolicyName("default").ok());
  EXPECT_TRUE(ValidatePolicyName("a+b=c,d.e@f_g-h").ok());
  EXPECT_FALSE(ValidatePolicyName("").ok());
  EXPECT_FALSE(ValidatePolicyName(std::string(129, 'a')).ok());
  Status st = ValidatePolicyName("bad/name");
  EXPECT_NE(st.message().find("'/' at position 3"), std::string::npos) << st.message();
}

TEST(GlobPatternTest, MatchesLikeAwsIotPolicies) {
  struct Case {
    const char* pattern;
    const char* text;
    bool matches;
  };
  const Case cases[] = {
      {"devices/t1/*", "devices/t1/x", true},
      {"devices/t1/*", "devices/t1/a/b/c", true},  // '*' crosses levels
      {"devices/t1/*", "devices/t1/", true},
      {"devices/t1/*", "devices/t1", false},
      {"devices/t1/*", "devices/t2/x", false},
      {"devices/t?/x", "devices/t9/x", true},
      {"devices/t?/x", "devices/t10/x", false},
      {"*", "", true},
      {"*", "anything/at/all", true},
      {"a*b*c", "axxbyyc", true},
      {"a*b*c", "axxbyy", false},
      {"a*b", "abbb", true},
      {"*/pollution", "devices/x/pollution", true},
      {"devices/+/data", "devices/+/data", true},  // '+' is literal in a policy
      {"devices/+/data", "devices/x/data", false},
      {"devices/#", "devices/x", false},
      {"", "", true},
      {"", "x", false},
  };
  for (const Case& c : cases)
    EXPECT_EQ(GlobPattern::Compile(c.pattern, "", "").Matches(c.text), c.matches)
        << c.pattern << " vs " << c.text;
}

TEST(GlobPatternTest, SubstitutedValuesAreLiteral) {
  GlobPattern p = GlobPattern::Compile("client/${iot:ClientId}", "", "a*");
  EXPECT_TRUE(p.Matches("client/a*"));
  EXPECT_FALSE(p.Matches("client/abc"));
  EXPECT_TRUE(GlobPattern::Compile("x/${thing}/${iot:Connection.Thing.ThingName}", "t", "c")
                  .Matches("x/t/t"));
}

std::shared_ptr<const PolicyGrant> Grant(const std::vector<std::string>& docs,
                                         const std::string& thing, const std::string& client_id) {
  std::vector<std::shared_ptr<const PolicyDocument>> policies;
  for (const std::string& d : docs) {
    auto parsed = ParsePolicy(d);
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString() << "\n" << d;
    if (parsed.ok()) policies.push_back(std::make_shared<PolicyDocument>(std::move(parsed).value()));
  }
  return PolicyGrant::Compile(policies, thing, client_id);
}

TEST(PolicyGrantTest, DefaultPolicyConfinesAThingToItsOwnTopics) {
  auto g = Grant({DefaultPolicyJson()}, "t1", "t1");
  EXPECT_EQ(g->thing(), "t1");
  EXPECT_TRUE(g->CanConnect("t1"));
  EXPECT_FALSE(g->CanConnect("t2"));
  EXPECT_FALSE(g->CanConnect("t1-other"));
  EXPECT_TRUE(g->CanPublish("devices/t1/x"));
  EXPECT_TRUE(g->CanPublish("devices/t1/pollution"));
  EXPECT_FALSE(g->CanPublish("devices/t2/x"));
  EXPECT_FALSE(g->CanPublish("devices/t1"));
  EXPECT_FALSE(g->CanPublish("devices/t10/x"));
  EXPECT_FALSE(g->CanPublish("other/t1/x"));
  EXPECT_TRUE(g->CanSubscribe("devices/t1/#"));
  EXPECT_TRUE(g->CanSubscribe("devices/t1/+/x"));
  EXPECT_FALSE(g->CanSubscribe("devices/#"));
  EXPECT_FALSE(g->CanSubscribe("devices/+/pollution"));
  EXPECT_FALSE(g->CanSubscribe("#"));
  EXPECT_TRUE(g->CanReceive("devices/t1/commands"));
  EXPECT_FALSE(g->CanReceive("devices/t2/commands"));
  // Its own device shadows (classic and named), no one else's.
  EXPECT_TRUE(g->CanPublish("$aws/things/t1/shadow/update"));
  EXPECT_TRUE(g->CanPublish("$aws/things/t1/shadow/name/config/get"));
  EXPECT_TRUE(g->CanSubscribe("$aws/things/t1/shadow/update/delta"));
  EXPECT_TRUE(g->CanSubscribe("$aws/things/t1/shadow/#"));
  EXPECT_TRUE(g->CanReceive("$aws/things/t1/shadow/update/accepted"));
  EXPECT_FALSE(g->CanPublish("$aws/things/t2/shadow/update"));
  EXPECT_FALSE(g->CanSubscribe("$aws/things/t2/shadow/update/delta"));
  EXPECT_FALSE(g->CanSubscribe("$aws/things/+/shadow/update/delta"));
  EXPECT_FALSE(g->CanReceive("$aws/things/t2/shadow/update/accepted"));
  EXPECT_FALSE(g->CanPublish("$aws/things/t1/jobs/notify"));
  // The shadow service's answers are its own to publish, even on the device's shadow.
  for (const char* answer :
       {"update/accepted", "update/rejected", "update/delta", "update/documents", "get/accepted",
        "delete/rejected", "name/config/update/documents", "update/accepted/x"}) {
    EXPECT_FALSE(g->CanPublish(std::string("$aws/things/t1/shadow/") + answer)) << answer;
  }
}

// No policy lets a device publish a shadow's answers, as on AWS IoT (subscribe-only).
TEST(PolicyGrantTest, ShadowAnswersAreNeverPublishedByDevices) {
  auto g = Grant({Doc(R"([{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}])")}, "t1", "t1");
  EXPECT_TRUE(g->CanPublish("$aws/things/t1/shadow/update"));
  EXPECT_TRUE(g->CanPublish("$aws/things/t2/shadow/name/n/delete"));
  EXPECT_TRUE(g->CanPublish("$aws/things/t1/shadowy/update/accepted"));  // not a shadow topic
  EXPECT_FALSE(g->CanPublish("$aws/things/t1/shadow/update/accepted"));
  EXPECT_FALSE(g->CanPublish("$aws/things/t2/shadow/name/n/get/rejected"));
  EXPECT_TRUE(g->CanSubscribe("$aws/things/t1/shadow/update/accepted"));
  EXPECT_TRUE(g->CanReceive("$aws/things/t1/shadow/update/accepted"));
}

TEST(PolicyGrantTest, ExplicitDenyBeatsAllowAndDefaultIsDeny) {
  auto g = Grant({Doc(R"([{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}])"),
                  Doc(R"([{"Effect": "Deny", "Action": ["iot:Publish", "iot:Subscribe"],
                           "Resource": ["topic/$SYS/*", "topicfilter/$SYS/*", "topicfilter/#"]}])")},
                 "t1", "c1");
  EXPECT_TRUE(g->CanConnect("anything"));
  EXPECT_TRUE(g->CanPublish("a/b"));
  EXPECT_FALSE(g->CanPublish("$SYS/broker/uptime"));
  EXPECT_FALSE(g->CanSubscribe("$SYS/#"));
  EXPECT_FALSE(g->CanSubscribe("#"));
  EXPECT_TRUE(g->CanSubscribe("a/#"));
  EXPECT_TRUE(g->CanReceive("$SYS/broker/uptime")) << "Receive was not denied";

  auto none = Grant({Doc(R"([{"Effect": "Allow", "Action": "iot:Connect", "Resource": "client/*"}])")},
                    "t1", "c1");
  EXPECT_TRUE(none->CanConnect("c1"));
  EXPECT_FALSE(none->CanPublish("a"));
  EXPECT_FALSE(none->CanSubscribe("a"));
  EXPECT_FALSE(none->CanReceive("a"));

  auto empty = PolicyGrant::Compile({}, "t1", "c1");
  EXPECT_FALSE(empty->CanConnect("c1"));
  EXPECT_FALSE(empty->CanPublish("devices/t1/x"));
}

TEST(PolicyGrantTest, SubstitutesClientIdAndChecksResourceTypes) {
  auto g = Grant({Doc(R"([
      {"Effect": "Allow", "Action": "iot:Connect", "Resource": "client/${iot:ClientId}"},
      {"Effect": "Allow", "Action": ["iot:Publish", "iot:Subscribe"],
       "Resource": ["topic/clients/${iot:ClientId}/*", "client/*"]},
      {"Effect": "Deny", "Action": "iot:Publish", "Resource": "topic/clients/*/secret"}])")},
                 "t1", "c-7");
  EXPECT_TRUE(g->CanConnect("c-7"));
  EXPECT_TRUE(g->CanPublish("clients/c-7/data"));
  EXPECT_FALSE(g->CanPublish("clients/c-8/data"));
  EXPECT_FALSE(g->CanPublish("clients/c-7/secret"));
  // A topic/ resource does not grant iot:Subscribe, which is checked against topicfilter/.
  EXPECT_FALSE(g->CanSubscribe("clients/c-7/data"));
}

}  // namespace
}  // namespace tributary::devices
