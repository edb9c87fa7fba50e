#include "rules/rule_set.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "mqtt/topic.h"

namespace tributary::rules {
namespace {

std::shared_ptr<const CompiledRule> Rule(const std::string& filter, bool disabled = false) {
  RuleDefinition def;
  def.name = "r";
  def.sql = "SELECT * FROM '" + filter + "'";
  def.disabled = disabled;
  auto r = CompiledRule::Compile(def);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return *r;
}

std::vector<std::string> Matching(const RuleSet& set, std::string_view topic) {
  std::vector<const CompiledRule*> hits;
  set.Match(topic, &hits);
  std::vector<std::string> out;
  for (const CompiledRule* r : hits) out.push_back(r->topic_filter());
  return out;
}

TEST(RuleSetTest, MatchesLikeTopicMatchesInRuleOrder) {
  auto set = RuleSet::Build({Rule("devices/+/pollution"), Rule("devices/#"), Rule("#"),
                             Rule("devices/d1/pollution"), Rule("+/+/+"), Rule("other"),
                             Rule("devices/d1/pollution/#"), Rule("$SYS/#"), Rule("+/#"),
                             Rule("devices/+", true)});
  EXPECT_EQ(set->size(), 9u);  // the disabled rule is left out
  using V = std::vector<std::string>;
  EXPECT_EQ(Matching(*set, "devices/d1/pollution"),
            (V{"devices/+/pollution", "devices/#", "#", "devices/d1/pollution", "+/+/+",
               "devices/d1/pollution/#", "+/#"}));
  EXPECT_EQ(Matching(*set, "devices"), (V{"devices/#", "#", "+/#"}));
  EXPECT_EQ(Matching(*set, "other"), (V{"#", "other", "+/#"}));
  EXPECT_EQ(Matching(*set, "$SYS/uptime"), (V{"$SYS/#"}));
  EXPECT_EQ(Matching(*set, "devices//pollution"),
            (V{"devices/+/pollution", "devices/#", "#", "+/+/+", "+/#"}));
}

TEST(RuleSetTest, AgreesWithTopicMatchesOnRandomTopics) {
  const std::vector<std::string> filters = {"a/+/c", "a/#", "+/b/#", "#", "a/b/c", "+",
                                            "+/+", "a/b", "/+", "+/", "a//c", "$x/#", "a/+/+/#"};
  std::vector<std::shared_ptr<const CompiledRule>> rules;
  for (const auto& f : filters) rules.push_back(Rule(f));
  auto set = RuleSet::Build(rules);
  std::mt19937 rng(7);
  const std::vector<std::string> levels = {"a", "b", "c", "", "$x"};
  for (int i = 0; i < 3000; ++i) {
    std::string topic;
    int n = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < n; ++k) {
      if (k) topic += "/";
      topic += levels[rng() % levels.size()];
    }
    if (!mqtt::IsValidTopicName(topic)) continue;
    std::vector<std::string> want;
    for (const auto& f : filters) {
      if (mqtt::TopicMatches(f, topic)) want.push_back(f);
    }
    EXPECT_EQ(Matching(*set, topic), want) << "topic '" << topic << "'";
  }
}

TEST(RuleSetTest, EvaluatesEveryMatchingRuleOnOneParse) {
  auto a = CompiledRule::CompileSql("SELECT pm25 FROM 'devices/+/pollution' WHERE pm25 > 10");
  auto b = CompiledRule::CompileSql("SELECT topic(2) AS device FROM 'devices/#'");
  auto c = CompiledRule::CompileSql("SELECT *, x FROM 'devices/+/pollution'");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  auto set = RuleSet::Build({*a, *b, *c});
  expr::Message m("devices/d9/pollution", R"({"pm25": 12})");
  auto results = set->Evaluate(m);
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(results[0].output.ok());
  EXPECT_EQ((*results[0].output)->payload, R"({"pm25":12})");
  EXPECT_EQ((*results[1].output)->payload, R"({"device":"d9"})");
  EXPECT_EQ((*results[2].output)->payload, R"({"pm25":12})");
  expr::Message bin("devices/d9/pollution", "\x01\x02");
  results = set->Evaluate(bin);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_FALSE(*results[0].output);  // WHERE on a missing field: no output
  EXPECT_FALSE(results[2].output.ok());
  EXPECT_EQ(results[2].output.status().code(), ErrorCode::kFailedPrecondition);
}

TEST(RuleSetTest, HolderSwapsWhileThreadsEvaluate) {
  RuleSetHolder holder;
  auto v1 = CompiledRule::CompileSql("SELECT 1 AS v FROM 't/#'");
  auto v2 = CompiledRule::CompileSql("SELECT 2 AS v FROM 't/#'");
  ASSERT_TRUE(v1.ok() && v2.ok());
  holder.Replace(RuleSet::Build({*v1}));
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, seen2{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        auto set = holder.Get();
        expr::Message m("t/x", "{}");
        auto results = set->Evaluate(m);
        if (results.size() != 1 || !results[0].output.ok()) {
          ++bad;
          continue;
        }
        const std::string& p = (*results[0].output)->payload;
        if (p == R"({"v":2})") {
          ++seen2;
        } else if (p != R"({"v":1})") {
          ++bad;
        }
      }
    });
  }
  for (int i = 0; i < 200; ++i) holder.Replace(RuleSet::Build({i % 2 ? *v2 : *v1}));
  holder.Replace(RuleSet::Build({*v2}));
  while (seen2.load() == 0) std::this_thread::yield();
  stop = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace tributary::rules
