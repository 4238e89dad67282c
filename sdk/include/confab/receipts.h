// Read and delivery receipts: how far the other members of a conversation have read, and
// how far their devices have received it. Learned from the server's pushes while connected,
// and asked for again after each connection for the conversations the app has asked about
// (see Client::receipts()); kept in the local store, the highest ever learned.
#pragma once

#include <string>
#include <vector>

#include "confab/message.h"

namespace confab {

// One member's cursors in a conversation: the highest over the member's devices. They
// never move backward. Reading implies delivery: delivered_seq >= read_seq.
struct Receipt {
  std::string user_id;
  Seq read_seq = 0;       // has read every message up to here
  Seq delivered_seq = 0;  // a device of theirs has stored every message up to here
  friend bool operator==(const Receipt&, const Receipt&) = default;
};

// A member's cursors in a conversation moved forward (Client::on_receipts()): `receipt` is
// where they are now.
struct ReceiptChange {
  std::string conversation_id;
  Receipt receipt;
  friend bool operator==(const ReceiptChange&, const ReceiptChange&) = default;
};

// Who has a message: the other members who have read it (read_seq >= its seq), and those
// to whose device it was delivered but who have not read it yet. Each list in user id
// order; this user is never in them.
struct ReadBy {
  std::vector<std::string> read;
  std::vector<std::string> delivered;
  friend bool operator==(const ReadBy&, const ReadBy&) = default;
};

}  // namespace confab
