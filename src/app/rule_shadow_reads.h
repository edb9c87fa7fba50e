// RuleShadowReads: what the rules' get_thing_shadow() reads (expr::ExternalState), the
// server's device shadows (devices/shadow_store.h) as GetThingShadow answers them.
//
// Rules run on the broker's I/O threads, so a read is kept, not asked of the metadata
// database for every message: a kept document answers while no shadow has been written
// through this server since it was read (ShadowStore::changes) and for at most `max_age_ms`
// (a write by another server sharing a PostgreSQL database shows within that). At most
// kMaxKept documents are kept; past that the next read starts afresh. A shadow that cannot
// be read now is logged, not kept, and is Undefined to the rule.
//
// Thread-safety: ThingShadow may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"
#include "base/log.h"
#include "devices/shadow_document.h"
#include "devices/shadow_store.h"
#include "expr/message.h"

namespace tributary::app {

class RuleShadowReads : public expr::ExternalState {
 public:
  static constexpr size_t kMaxKept = 4096;

  // `clock`: Unix ms (tests turn it).
  explicit RuleShadowReads(const devices::ShadowStore* store, int64_t max_age_ms = 1000,
                           std::function<int64_t()> clock = &WallMillis)
      : store_(store), max_age_ms_(max_age_ms), clock_(std::move(clock)) {}

  std::optional<std::string> ThingShadow(std::string_view thing,
                                         std::string_view shadow) const override;

 private:
  struct Entry {
    devices::ShadowDocument doc;
    uint64_t changes;  // the store's count when it was read
    int64_t read_ms;
    int64_t answer_second;              // the answer's "timestamp"
    std::optional<std::string> answer;  // GetThingShadow's document; none: no shadow
  };

  // GetThingShadow's document as of `second`; none when there is no shadow.
  static std::optional<std::string> AnswerOf(const devices::ShadowDocument& doc, int64_t second);
  // The kept answer for `key`, if still current (outer nullopt: read the store).
  std::optional<std::optional<std::string>> KeptAnswer(const std::string& key, int64_t now) const;

  const devices::ShadowStore* store_;
  const int64_t max_age_ms_;
  const std::function<int64_t()> clock_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, Entry> kept_;
  std::shared_ptr<spdlog::logger> log_ = Logger("rules");
};

}  // namespace tributary::app
