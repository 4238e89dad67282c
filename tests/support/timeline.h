// Every stored message of a conversation, oldest first, paging back through the client's
// store (local echoes left out). Shared by the tests' devices and the chaos devices.
#pragma once

#include <string>
#include <vector>

#include "confab/client.h"

namespace confab::test {

inline std::vector<TimelineMessage> stored_timeline(const Client& client, const std::string& conversation_id) {
  std::vector<TimelineMessage> all;
  Seq before = 0;
  for (;;) {
    auto page = client.messages(conversation_id, before, 500);
    if (!page.ok() || page->messages.empty()) break;
    std::vector<TimelineMessage> older;
    for (auto& m : page->messages) {
      if (!m.local) older.push_back(std::move(m));
    }
    if (older.empty()) break;
    before = older.front().seq;
    all.insert(all.begin(), older.begin(), older.end());
  }
  return all;
}

}  // namespace confab::test
