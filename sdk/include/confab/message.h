// The messages an app shows: its own outgoing ones (LocalMessage, with their outbox
// state) and the server's committed copies (Message).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "confab/error.h"
#include "confab/export.h"

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

CONFAB_API std::string_view to_string(OutboxState state) noexcept;

// A file a message carries. Size, media type and SHA-256 are the server's record of the
// bytes it stored; name, pixel size and preview are what the sender's device said.
struct Attachment {
  std::string attachment_id;  // the server's id; empty while this device still uploads it
  std::string name;           // the file's name as the sender gave it (may be empty)
  std::string content_type;   // e.g. "image/png"; as the sender declared it
  std::int64_t size = 0;      // bytes
  std::string sha256;         // 64 lowercase hex digits (empty for a file uploaded without one)
  int width = 0;              // images: the pixel size, 0 when not known
  int height = 0;
  // Images: a small JPEG (at most 48 pixels a side) in base64, so that a timeline can show
  // something before the download ("data:image/jpeg;base64," + preview); empty when none.
  std::string preview;
  friend bool operator==(const Attachment&, const Attachment&) = default;
};

// Where a file transfer is.
enum class TransferState {
  queued,     // waiting for its turn, for the connection, or for a retry's backoff
  running,    // bytes are moving
  done,       // the server has the whole file (upload), or it is on the device and checked (download)
  failed,     // refused for good; `error` says why
  cancelled,  // cancel_upload(), discard() or cancel_download()
};

CONFAB_API std::string_view to_string(TransferState state) noexcept;

// An upload of one attachment of an outgoing message.
struct UploadProgress {
  std::int64_t local_id = 0;  // the message (LocalMessage::local_id)
  std::size_t index = 0;      // which of its attachments
  std::string name;
  std::int64_t sent_bytes = 0;   // the server holds this many (never goes back within an attempt)
  std::int64_t total_bytes = 0;
  TransferState state = TransferState::queued;
  std::optional<Error> error;  // failed: why; queued after a failed attempt: why it waits
};

// A download of one attachment.
struct DownloadProgress {
  std::string attachment_id;
  std::int64_t received_bytes = 0;
  std::int64_t total_bytes = 0;
  TransferState state = TransferState::queued;
  std::optional<Error> error;
};

// What an outbox row asks the server to do.
enum class OutboxKind {
  message,  // post a new message (`text`)
  edit,     // replace the text of the target message with `text`
  remove,   // delete the target message
  react,    // add the reaction `emoji` to the target message
  unreact,  // take the reaction `emoji` back
};

CONFAB_API std::string_view to_string(OutboxKind kind) noexcept;

// What one event of a conversation's log records.
enum class EventKind {
  message_created,
  message_edited,    // `text` is the new text; `sender_id` is who edited
  message_deleted,   // no text
  reaction_added,    // `emoji`; `sender_id` is who reacted
  reaction_removed,
  member_joined,         // `member_id` joined (or was added by `sender_id`)
  member_left,           // `member_id` left (or was removed by `sender_id`)
  conversation_updated,  // `name` and `topic` are the conversation's new ones
};

CONFAB_API std::string_view to_string(EventKind kind) noexcept;

// A message this device sent, as the app shows it before and after the server has it.
struct LocalMessage {
  std::int64_t local_id = 0;      // this device's handle for it: 1, 2, 3, ... in send() order
  std::string client_message_id;  // chosen here (UUIDv7); the server deduplicates by it
  std::string conversation_id;
  OutboxKind kind = OutboxKind::message;
  std::string text;                // the message, or an edit's new text
  std::string emoji;               // for react and unreact
  // For edit, remove, react and unreact: the message it applies to. `target_message_id`
  // is the server's id; while the target is still in this outbox it is empty, and
  // `target_local_id` names the target until the server has it.
  std::string target_message_id;
  std::int64_t target_local_id = 0;
  // For a message: the message it quotes (`reply_to`) and the thread it is a reply in
  // (`thread_root_id`), by the server's id. Named by local id (send()'s SendOptions), a
  // message still in this outbox leaves the id empty and sets the `_local_id` until the
  // server has it; the row waits for it meanwhile (see Client::send()).
  std::string reply_to;
  std::int64_t reply_to_local_id = 0;
  std::string thread_root_id;
  std::int64_t thread_root_local_id = 0;
  // For a message: its files. An attachment with no attachment_id yet is still being
  // uploaded; the message goes once all of them are (see Client::send()).
  std::vector<Attachment> attachments;
  std::int64_t created_at_ms = 0;  // this device's clock, when send() was called
  OutboxState state = OutboxState::pending;
  std::optional<Error> last_error;  // why it failed, or why the last attempt did
  int attempts = 0;                 // how many times it went on the wire

  // Set once the state is `sent`.
  std::string message_id;
  Seq conversation_seq = 0;
};

// One event of a conversation's log as the server committed it, delivered to every
// device of every member: a new message, or a change to one (`kind`).
struct Message {
  std::string conversation_id;
  Seq conversation_seq = 0;
  std::string message_id;         // the message created or changed
  std::string sender_id;          // who did it
  std::string client_message_id;  // the request's id, as chosen by the sender's device
  std::string text;               // created and edited
  std::int64_t created_at_ms = 0;  // the server's clock at commit
  EventKind kind = EventKind::message_created;
  std::string emoji;               // reactions
  std::string member_id;           // member_joined and member_left: who
  std::string name;                // conversation_updated
  std::string topic;               // conversation_updated
  std::vector<Attachment> attachments;  // message_created: its files (see Client::download())
  std::string reply_to;            // message_created: the message it quotes
  std::string thread_root_id;      // message_created: the thread it is a reply in
};

}  // namespace confab
