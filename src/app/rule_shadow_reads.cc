#include "app/rule_shadow_reads.h"

#include <utility>

namespace tributary::app {

std::optional<std::string> RuleShadowReads::ThingShadow(std::string_view thing,
                                                        std::string_view shadow) const {
  const int64_t now = clock_();
  std::string key(thing);
  key += '/';
  key += shadow;
  if (std::optional<std::optional<std::string>> answer = KeptAnswer(key, now)) return *answer;
  const uint64_t changes = store_->changes();  // before the read: a write meanwhile outdates it
  auto read = store_->Get(std::string(thing), std::string(shadow));
  if (!read.ok()) {
    log_->warn("get_thing_shadow('{}'{}{}): {}", thing, shadow.empty() ? "" : ", ", shadow,
               read.status().ToString());
    return std::nullopt;
  }
  Entry e{std::move(read).value(), changes, now, now / 1000, std::nullopt};
  e.answer = AnswerOf(e.doc, e.answer_second);
  std::optional<std::string> answer = e.answer;
  std::lock_guard<std::mutex> lock(mu_);
  if (kept_.size() >= kMaxKept) kept_.clear();
  kept_[std::move(key)] = std::move(e);
  return answer;
}

std::optional<std::string> RuleShadowReads::AnswerOf(const devices::ShadowDocument& doc,
                                                     int64_t second) {
  if (!doc.exists) return std::nullopt;
  return devices::ShadowGetAnswer(doc, nlohmann::json::object(), second).dump();
}

std::optional<std::optional<std::string>> RuleShadowReads::KeptAnswer(const std::string& key,
                                                                      int64_t now) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = kept_.find(key);
  if (it == kept_.end()) return std::nullopt;
  Entry& e = it->second;
  if (e.changes != store_->changes() || now - e.read_ms >= max_age_ms_ || now < e.read_ms) {
    kept_.erase(it);
    return std::nullopt;
  }
  if (e.answer_second != now / 1000) {  // the answer carries the time it is given
    e.answer_second = now / 1000;
    e.answer = AnswerOf(e.doc, e.answer_second);
  }
  return e.answer;
}

}  // namespace tributary::app
