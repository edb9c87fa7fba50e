// Topic matching cost on the publish path: a tree of many device subscriptions plus a
// few wildcard ones, matched against device topics.
//
//   ./subscription_tree_bench --benchmark_filter=Match
//   ./subscription_tree_bench --benchmark_filter=FleetChurn   (subscribes and unsubscribes)
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "broker/subscription_tree.h"

namespace tributary::broker {
namespace {

class BenchSubscriber : public Subscriber {
 public:
  explicit BenchSubscriber(std::string id) : id_(std::move(id)) {}
  const std::string& client_id() const override { return id_; }
  bool online() const override { return true; }

 private:
  std::string id_;
};

// `devices` subscriptions "site/<s>/device/<d>/cmd" plus 10 wildcard subscribers.
void Fill(SubscriptionTree& tree, int devices, std::vector<std::shared_ptr<Subscriber>>& keep) {
  mqtt::SubscribeOptions o;
  o.max_qos = mqtt::QoS::kAtLeastOnce;
  for (int i = 0; i < devices; ++i) {
    auto s = std::make_shared<BenchSubscriber>("dev-" + std::to_string(i));
    tree.Subscribe(s, "site/" + std::to_string(i % 50) + "/device/" + std::to_string(i) + "/cmd",
                   o, 0);
    keep.push_back(s);
  }
  for (int i = 0; i < 10; ++i) {
    auto s = std::make_shared<BenchSubscriber>("ops-" + std::to_string(i));
    tree.Subscribe(s, i % 2 ? "site/+/device/+/telemetry" : "site/" + std::to_string(i) + "/#",
                   o, 0);
    keep.push_back(s);
  }
}

void BM_MatchExact(benchmark::State& state) {
  SubscriptionTree tree;
  std::vector<std::shared_ptr<Subscriber>> keep;
  int devices = static_cast<int>(state.range(0));
  Fill(tree, devices, keep);
  std::vector<SubscriptionMatch> out;
  std::vector<std::string> topics;
  for (int i = 0; i < 1024; ++i) {
    int d = (i * 7919) % devices;
    topics.push_back("site/" + std::to_string(d % 50) + "/device/" + std::to_string(d) + "/cmd");
  }
  size_t n = 0;
  for (auto _ : state) {
    out.clear();
    tree.Match(topics[n++ & 1023], "", &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MatchExact)->Arg(1000)->Arg(100000);

void BM_MatchWildcardFanout(benchmark::State& state) {
  SubscriptionTree tree;
  std::vector<std::shared_ptr<Subscriber>> keep;
  Fill(tree, static_cast<int>(state.range(0)), keep);
  std::vector<SubscriptionMatch> out;
  for (auto _ : state) {
    out.clear();
    tree.Match("site/4/device/1234/telemetry", "", &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MatchWildcardFanout)->Arg(1000)->Arg(100000);

// Readers share the tree under its shared lock (one tree, built once, never freed).
SubscriptionTree& SharedTree() {
  static SubscriptionTree* tree = [] {
    auto* t = new SubscriptionTree();
    static std::vector<std::shared_ptr<Subscriber>> keep;
    Fill(*t, 10000, keep);
    return t;
  }();
  return *tree;
}

void BM_MatchParallel(benchmark::State& state) {
  SubscriptionTree& tree = SharedTree();
  std::vector<SubscriptionMatch> out;
  int i = state.thread_index();
  std::string topic = "site/" + std::to_string(i % 50) + "/device/" + std::to_string(i) + "/cmd";
  for (auto _ : state) {
    out.clear();
    tree.Match(topic, "", &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MatchParallel)->Threads(1)->Threads(2);

// A fleet connecting and leaving: each thing subscribes to its own commands and to one
// broadcast filter, then unsubscribes from both. Items are subscribes and unsubscribes;
// the cost of one must not grow with the fleet (compare the two sizes).
void BM_FleetChurn(benchmark::State& state) {
  const int things = static_cast<int>(state.range(0));
  std::vector<std::shared_ptr<Subscriber>> fleet;
  std::vector<std::string> own;
  for (int i = 0; i < things; ++i) {
    fleet.push_back(std::make_shared<BenchSubscriber>("thing-" + std::to_string(i)));
    own.push_back("devices/thing-" + std::to_string(i) + "/cmd");
  }
  mqtt::SubscribeOptions o;
  o.max_qos = mqtt::QoS::kAtLeastOnce;
  for (auto _ : state) {
    SubscriptionTree tree;
    for (int i = 0; i < things; ++i) {
      tree.Subscribe(fleet[i], own[i], o, 0);
      tree.Subscribe(fleet[i], "fleet/broadcast", o, 0);
    }
    for (int i = 0; i < things; ++i) {
      tree.Unsubscribe(fleet[i].get(), own[i]);
      tree.Unsubscribe(fleet[i].get(), "fleet/broadcast");
    }
    benchmark::DoNotOptimize(tree.size());
  }
  state.SetItemsProcessed(state.iterations() * things * 4);
}
BENCHMARK(BM_FleetChurn)->Arg(1000)->Arg(50000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tributary::broker

BENCHMARK_MAIN();
