#include "devices/policy_grant.h"

#include "devices/shadow_document.h"

namespace tributary::devices {
namespace {

constexpr PolicyAction kRuleActions[4] = {kActionConnect, kActionPublish, kActionSubscribe,
                                          kActionReceive};

// A shadow's topic other than its requests' (update/accepted, update/documents,
// get/rejected, ...): the shadow service's answers, which devices may only subscribe to,
// as on AWS IoT, whatever their policies say (a device publishing there would pass for
// the service to whoever listens).
bool IsShadowAnswerTopic(std::string_view topic) {
  constexpr std::string_view kThings = "$aws/things/";
  if (!topic.starts_with(kThings)) return false;
  const size_t slash = topic.find('/', kThings.size());
  if (slash == std::string_view::npos || !topic.substr(slash + 1).starts_with("shadow/")) {
    return false;
  }
  return !ParseShadowTopic(topic).has_value();
}

}  // namespace

bool PolicyGrant::CanPublish(std::string_view topic) const {
  return rules_[1].Allows(topic) && !IsShadowAnswerTopic(topic);
}

GlobPattern GlobPattern::Compile(std::string_view pattern, std::string_view thing,
                                 std::string_view client_id) {
  GlobPattern out;
  auto literal = [&out](std::string_view s) {
    out.chars_.append(s);
    out.wild_.append(s.size(), '\0');
  };
  size_t i = 0;
  while (i < pattern.size()) {
    if (pattern.compare(i, 2, "${") == 0) {
      size_t end = pattern.find('}', i);
      if (end != std::string_view::npos) {
        std::string_view var = pattern.substr(i, end - i + 1);
        // ParsePolicy admits only these three names.
        if (var == "${iot:ClientId}") {
          literal(client_id);
        } else {
          literal(thing);
        }
        i = end + 1;
        continue;
      }
    }
    char c = pattern[i++];
    out.chars_.push_back(c);
    out.wild_.push_back(c == '*' || c == '?' ? c : '\0');
  }
  return out;
}

bool GlobPattern::Matches(std::string_view text) const {
  // Iterative wildcard matching: on a mismatch, retry from the most recent '*' with it
  // absorbing one more byte. O(|text| * |pattern|) at worst, no allocation.
  size_t p = 0, t = 0;
  size_t star = std::string::npos, star_t = 0;
  const size_t n = chars_.size();
  while (t < text.size()) {
    if (p < n && wild_[p] == '*') {
      star = p++;
      star_t = t;
    } else if (p < n && (wild_[p] == '?' || (wild_[p] == '\0' && chars_[p] == text[t]))) {
      ++p;
      ++t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < n && wild_[p] == '*') ++p;
  return p == n;
}

bool PolicyGrant::Rules::Allows(std::string_view s) const {
  for (const GlobPattern& g : deny)
    if (g.Matches(s)) return false;
  for (const GlobPattern& g : allow)
    if (g.Matches(s)) return true;
  return false;
}

std::shared_ptr<const PolicyGrant> PolicyGrant::Compile(
    const std::vector<std::shared_ptr<const PolicyDocument>>& policies, std::string thing,
    std::string_view client_id) {
  std::shared_ptr<PolicyGrant> grant(new PolicyGrant(std::move(thing)));
  for (const auto& policy : policies) {
    if (!policy) continue;
    for (const PolicyStatement& s : policy->statements) {
      for (int i = 0; i < 4; ++i) {
        PolicyAction action = kRuleActions[i];
        if (!(s.actions & action)) continue;
        Rules& rules = grant->rules_[i];
        auto& list = s.effect == PolicyEffect::kDeny ? rules.deny : rules.allow;
        for (const PolicyResource& r : s.resources) {
          if (r.type == ResourceType::kAny) {
            list.push_back(GlobPattern::Compile("*", "", ""));
          } else if (r.type == ResourceTypeFor(action)) {
            list.push_back(GlobPattern::Compile(r.pattern, grant->thing_, client_id));
          }
        }
      }
    }
  }
  return grant;
}

}  // namespace tributary::devices
