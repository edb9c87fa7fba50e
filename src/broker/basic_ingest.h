// Basic Ingest, as AWS IoT has it: a device publishes to $aws/rules/<rule>/<topic> to
// hand the message to the topic rule named <rule> alone, past the publish/subscribe
// broker. The broker delivers such a message to no subscriber and never retains it; a
// subscription to a filter under the prefix is refused. The rules engine runs the named
// rule (if it exists and is enabled) as if the message had come on <topic>: its FROM
// filter is not matched, and topic() and topic(n) see <topic>. Other rules never see it.
// A device needs publish permission on the whole topic ($aws/rules/<rule>/...).
#pragma once

#include <optional>
#include <string_view>

namespace tributary::broker {

inline constexpr std::string_view kBasicIngestPrefix = "$aws/rules/";

inline bool IsBasicIngestTopic(std::string_view topic) { return topic.starts_with(kBasicIngestPrefix); }

struct BasicIngestTarget {
  std::string_view rule;   // "" when the topic names none ($aws/rules/ or $aws/rules//x)
  std::string_view topic;  // what follows "$aws/rules/<rule>/"; "" when nothing does
};

// The rule a Basic Ingest topic names and the topic its rule sees; nullopt for any other
// topic.
inline std::optional<BasicIngestTarget> ParseBasicIngestTopic(std::string_view topic) {
  if (!IsBasicIngestTopic(topic)) return std::nullopt;
  std::string_view rest = topic.substr(kBasicIngestPrefix.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return BasicIngestTarget{rest, {}};
  return BasicIngestTarget{rest.substr(0, slash), rest.substr(slash + 1)};
}

}  // namespace tributary::broker
