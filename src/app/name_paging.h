// Paging through a list in name order the way AWS's List/Get calls do: a page holds the
// items named after a token (the last name of the page before, "" for the first page),
// at most `max` of them, and says whether more follow. Used by the Firehose, Glue and
// topic rule APIs.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tributary::app {

template <typename T>
struct NamePage {
  std::vector<const T*> items;
  bool more = false;  // an item follows the page
  std::string last;   // the page's last name: the token for the next page
};

// `items` must be in name order, and outlive the page (it points into them); `name(item)`
// gives an item's name.
template <typename T, typename Name>
NamePage<T> PageByName(const std::vector<T>& items, const std::string& after, size_t max, Name name) {
  NamePage<T> page;
  for (const T& item : items) {
    std::string n = name(item);
    if (!after.empty() && n <= after) continue;
    if (page.items.size() == max) {
      page.more = true;
      break;
    }
    page.items.push_back(&item);
    page.last = std::move(n);
  }
  return page;
}

}  // namespace tributary::app
