#include "broker/hooks.h"

namespace tributary::broker {
namespace {

class AllowAllGrant : public ClientGrant {
 public:
  bool CanPublish(std::string_view) const override { return true; }
  bool CanSubscribe(std::string_view) const override { return true; }
  bool CanReceive(std::string_view) const override { return true; }
  const std::string& thing() const override { return thing_; }

 private:
  std::string thing_;
};

}  // namespace

Result<std::shared_ptr<const ClientGrant>> AllowAllAuthorizer::Authenticate(const ClientIdentity&) {
  static const auto grant = std::make_shared<const AllowAllGrant>();
  return std::shared_ptr<const ClientGrant>(grant);
}

}  // namespace tributary::broker
