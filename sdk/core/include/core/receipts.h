// Other members' read and delivery cursors, without I/O: what the server pushed (`cursor`
// frames) and answered (`receipts` pages), kept per conversation, never moving backward.
//
// The session owns one book for the whole client lifetime: a reconnect keeps it (cursors
// only move forward, so what was learned stays true), and the answers to receipts.request
// after connecting fill in what was missed meanwhile.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "confab/receipts.h"

namespace confab::core {

// A member's cursors moved forward: `before` (zeros when first learned) and `after`.
struct ReceiptMoved {
  std::string conversation_id;
  Receipt before;
  Receipt after;
};

class ReceiptBook {
 public:
  // This user's id: the user's own cursors are not receipts (the conversation's read_seq
  // says them), and are ignored.
  void set_user(std::string user_id) { user_id_ = std::move(user_id); }

  // Learns a member's cursors. Values below what is known change nothing (a late frame,
  // an older device); delivery is raised to reading. The move, when there was one.
  std::optional<ReceiptMoved> learn(const std::string& conversation_id, const std::string& user_id, Seq read_seq,
                                    Seq delivered_seq);

  // The known members' cursors in a conversation, in user id order. A member with nothing
  // delivered yet is not listed.
  std::vector<Receipt> of(const std::string& conversation_id) const;
  // Who has read, or had delivered, the message at `seq`.
  ReadBy read_by(const std::string& conversation_id, Seq seq) const;

  // The user left the conversation: its receipts are no longer the user's to see.
  void forget(const std::string& conversation_id) { book_.erase(conversation_id); }

 private:
  std::string user_id_;
  std::map<std::string, std::map<std::string, Receipt>> book_;  // conversation -> user -> cursors
};

}  // namespace confab::core
