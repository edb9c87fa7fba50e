// RuleShadowReads: what the rules' get_thing_shadow() reads (expr::ExternalState), the
// server's device shadows (devices/shadow_store.h) as GetThingShadow answers them. A
// read goes to the metadata database each time (the shadow may have changed on another
// server sharing it); a shadow that cannot be read now is logged and is Undefined to the
// rule.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/log.h"
#include "devices/shadow_document.h"
#include "devices/shadow_store.h"
#include "expr/message.h"

namespace tributary::app {

class RuleShadowReads : public expr::ExternalState {
 public:
  explicit RuleShadowReads(const devices::ShadowStore* store) : store_(store) {}

  std::optional<std::string> ThingShadow(std::string_view thing, std::string_view shadow) const override {
    auto doc = store_->Get(std::string(thing), std::string(shadow));
    if (!doc.ok()) {
      log_->warn("get_thing_shadow('{}'{}{}): {}", thing, shadow.empty() ? "" : ", ", shadow,
                            doc.status().ToString());
      return std::nullopt;
    }
    if (!doc->exists) return std::nullopt;
    return devices::ShadowGetAnswer(*doc, nlohmann::json::object(), WallMillis() / 1000).dump();
  }

 private:
  const devices::ShadowStore* store_;
  std::shared_ptr<spdlog::logger> log_ = Logger("rules");
};

}  // namespace tributary::app
