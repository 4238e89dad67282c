// The app threads' copy of what is live: who types where, and who is online. The network
// thread keeps it in step with the session's own state (core::TypingState,
// core::PresenceState) as their actions come, so Client::typing_users() and presence()
// answer from memory without waiting for that thread. Memory only: nothing of it is stored
// (receipts, which are, live in the local store).
//
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "confab/presence.h"

namespace confab::client {

class LiveView {
 public:
  // Network thread: the session's reports.
  void typing(const TypingChange& change);
  void presence(const PresenceChange& change);

  std::vector<std::string> typers(const std::string& conversation_id) const;
  PresenceStatus presence(const std::string& user_id) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::string>> typing_;  // by conversation; nobody: absent
  std::map<std::string, PresenceStatus> presence_;          // users not offline
};

}  // namespace confab::client
