// The per-message cost of a policy check: the default policy compiled for one thing,
// asked about topics it allows and denies.
#include <benchmark/benchmark.h>

#include "devices/policy_grant.h"

namespace tributary::devices {
namespace {

std::shared_ptr<const PolicyGrant> DefaultGrant() {
  auto doc = ParsePolicy(DefaultPolicyJson());
  return PolicyGrant::Compile({std::make_shared<PolicyDocument>(std::move(doc).value())},
                              "sensor-0042", "sensor-0042");
}

void BM_CanPublishAllowed(benchmark::State& state) {
  auto grant = DefaultGrant();
  for (auto _ : state) benchmark::DoNotOptimize(grant->CanPublish("devices/sensor-0042/pollution"));
}
BENCHMARK(BM_CanPublishAllowed);

void BM_CanPublishDenied(benchmark::State& state) {
  auto grant = DefaultGrant();
  for (auto _ : state) benchmark::DoNotOptimize(grant->CanPublish("devices/sensor-0043/pollution"));
}
BENCHMARK(BM_CanPublishDenied);

void BM_CanSubscribe(benchmark::State& state) {
  auto grant = DefaultGrant();
  for (auto _ : state) benchmark::DoNotOptimize(grant->CanSubscribe("devices/sensor-0042/#"));
}
BENCHMARK(BM_CanSubscribe);

void BM_CompileDefaultGrant(benchmark::State& state) {
  auto doc = std::make_shared<PolicyDocument>(ParsePolicy(DefaultPolicyJson()).value());
  for (auto _ : state)
    benchmark::DoNotOptimize(PolicyGrant::Compile({doc}, "sensor-0042", "sensor-0042"));
}
BENCHMARK(BM_CompileDefaultGrant);

}  // namespace
}  // namespace tributary::devices

BENCHMARK_MAIN();
