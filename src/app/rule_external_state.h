// RuleExternalState: what the rules' functions read outside the message
// (expr::ExternalState) on the broker's I/O threads: get_thing_shadow()'s device shadows,
// kept between messages by RuleShadowReads, get_registry_data()'s things, from the
// device registry's mirror (in memory, following every change, another server's too),
// and decode(v, 'proto', ...)'s FileDescriptorSets from the lake (RuleProtoSchemas).
//
// Thread-safety: both reads may be called from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "app/rule_proto_schemas.h"
#include "app/rule_shadow_reads.h"
#include "devices/thing_registry.h"
#include "expr/message.h"

namespace tributary::app {

class RuleExternalState : public expr::ExternalState {
 public:
  // All must outlive this.
  RuleExternalState(const devices::ShadowStore* shadows, const devices::DeviceRegistry* registry,
                    objstore::ObjectStoreProvider* lake)
      : shadows_(shadows), registry_(registry), protos_(lake) {}

  std::optional<std::string> ThingShadow(std::string_view thing,
                                         std::string_view shadow) const override {
    return shadows_.ThingShadow(thing, shadow);
  }
  std::optional<std::string> RegistryThing(std::string_view thing) const override {
    auto description = registry_->RegistryDescription(std::string(thing));
    if (!description) return std::nullopt;
    return *description;
  }
  Result<std::string> DecodeProto(std::string_view bucket, std::string_view key,
                                  std::string_view proto_file, std::string_view message_type,
                                  std::string_view bytes) const override {
    return protos_.Decode(bucket, key, proto_file, message_type, bytes);
  }

 private:
  RuleShadowReads shadows_;
  const devices::DeviceRegistry* registry_;
  RuleProtoSchemas protos_;
};

}  // namespace tributary::app
