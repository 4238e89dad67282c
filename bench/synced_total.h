// How far a catching-up client has stored, from its change notifications alone: a store
// query per notification would compete with the catch-up it measures.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "confab/conversation.h"

namespace confab::bench {

class SyncedTotal {
 public:
  // From the client's on_conversation() callback. A change may stand for several merged
  // together (older history among them): synced_seq is the newest cursor either way.
  void changed(const ConversationChange& c) {
    if (c.synced_seq == 0) return;
    std::lock_guard hold(mutex_);
    auto& seq = synced_[c.conversation_id];
    if (c.synced_seq > seq) {
      total_ += c.synced_seq - seq;
      seq = c.synced_seq;
    }
  }
  // The sum of every conversation's synced seq: the messages stored, when the
  // conversations hold nothing but them.
  Seq total() const {
    std::lock_guard hold(mutex_);
    return total_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Seq> synced_;
  Seq total_ = 0;
};

}  // namespace confab::bench
