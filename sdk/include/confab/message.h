// The messages an app shows: its own outgoing ones (LocalMessage, with their outbox
// state) and the server's committed copies (Message).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "confab/error.h"

namespace confab {

// A position in one conversation's log. The server assigns 1, 2, 3, ... with no gaps.
using Seq = std::int64_t;

// Where an outgoing message is on its way to the server.
enum class OutboxState {
  pending,  // queued on this device, not yet on the wire
  sending,  // written to the connection; waiting for the server's ack
  sent,     // the server acknowledged it: committed, with a messageId and a conversationSeq
  failed,   // refused for good, or not delivered within the outbox's maximum age;
            // `last_error` says why. Client::retry() queues it again.
  discarded,  // removed from the outbox by Client::discard() before it was sent; final
};

std::string_view to_string(OutboxState state) noexcept;

// A message this device sent, as the app shows it before and after the server has it.
struct LocalMessage {
  std::int64_t local_id = 0;      // this device's handle for it: 1, 2, 3, ... in send() order
  std::string client_message_id;  // chosen here (UUIDv7); the server deduplicates by it
  std::string conversation_id;
  std::string text;
  std::int64_t created_at_ms = 0;  // this device's clock, when send() was called
  OutboxState state = OutboxState::pending;
  std::optional<Error> last_error;  // why it failed, or why the last attempt did
  int attempts = 0;                 // how many times it went on the wire

  // Set once the state is `sent`.
  std::string message_id;
  Seq conversation_seq = 0;
};

// A message as the server committed it, delivered to every device of every member.
struct Message {
  std::string conversation_id;
  Seq conversation_seq = 0;
  std::string message_id;
  std::string sender_id;
  std::string client_message_id;
  std::string text;
  std::int64_t created_at_ms = 0;  // the server's clock at commit
};

}  // namespace confab
