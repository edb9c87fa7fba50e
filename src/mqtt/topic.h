// Topic names and topic filters (MQTT spec 4.7). Pure functions, thread-safe.
//
//   filter              topic                 matches
//   sport/tennis/#      sport/tennis          yes  ('#' also matches the parent level)
//   sport/tennis/#      sport/tennis/p1/r    yes
//   sport/+             sport/                yes  (an empty level is a level)
//   sport/+             sport                 no
//   +/+                 /finance              yes
//   #                   $SYS/broker/uptime    no   ('$' topics never match a leading wildcard)
//   $SYS/#              $SYS/broker/uptime    yes
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tributary::mqtt {

// A topic name that may be published to: non-empty, no '+' or '#', no NUL, at most
// 65535 bytes, valid UTF-8.
bool IsValidTopicName(std::string_view topic);

// A subscription filter: non-empty; '#' only as the last level on its own; '+' only as
// a whole level. Shared subscriptions ($share/group/filter) are valid when the group
// name has no '/', '+' or '#' and the inner filter is valid.
bool IsValidTopicFilter(std::string_view filter);

// Whether `topic` (a valid topic name) matches `filter` (a valid, non-shared filter).
bool TopicMatches(std::string_view filter, std::string_view topic);

struct SharedFilter {
  std::string group;
  std::string filter;
};
// "$share/g/a/+" -> {g, "a/+"}; nullopt when `filter` is not a shared subscription.
std::optional<SharedFilter> ParseSharedFilter(std::string_view filter);

}  // namespace tributary::mqtt
