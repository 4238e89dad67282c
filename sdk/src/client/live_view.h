// The app threads' copy of what is live: who types where, who is online, and the other
// members' receipts. The network thread keeps it in step with the session's own state
// (core::TypingState, core::PresenceState, core::ReceiptBook) as their actions come, so
// Client::typing_users(), presence(), receipts() and read_by() answer from memory without
// waiting for that thread. Memory only: nothing of it is stored.
//
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "confab/presence.h"
#include "confab/receipts.h"
#include "core/receipts.h"

namespace confab::client {

class LiveView {
 public:
  // Network thread: the session's reports.
  void typing(const TypingChange& change);
  void presence(const PresenceChange& change);
  void receipt(const core::ReceiptMoved& moved);
  // The user left the conversation: its receipts go.
  void left(const std::string& conversation_id);

  std::vector<std::string> typers(const std::string& conversation_id) const;
  PresenceStatus presence(const std::string& user_id) const;
  std::vector<Receipt> receipts(const std::string& conversation_id) const;
  ReadBy read_by(const std::string& conversation_id, Seq seq) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::string>> typing_;  // by conversation; nobody: absent
  std::map<std::string, PresenceStatus> presence_;          // users not offline
  core::ReceiptBook receipts_;
};

}  // namespace confab::client
