// What the local store holds and the app reads without waiting on the network: the
// user's conversations and their messages as materialised from each conversation's log
// (edits, deletes, reactions and thread replies applied), with this device's own
// messages shown from the moment send() returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "confab/export.h"
#include "confab/identity.h"
#include "confab/message.h"
#include "confab/presence.h"

namespace confab {

struct Reaction {
  std::string emoji;
  std::vector<std::string> user_ids;  // who reacted with it, in id order
};

// One bubble of a conversation. A message this device sent is shown from send() on: first
// as its local echo (`local` set, `seq` 0 until the server acknowledges it), then, once the
// server's copy is stored, as that copy. Both carry the same `client_message_id`: an app
// keys its rows by it, and the bubble changes in place, never twice and never missing.
struct TimelineMessage {
  std::string conversation_id;
  Seq seq = 0;                    // the seq of its message.created event
  std::string message_id;         // empty for an echo the server has not acknowledged
  std::string client_message_id;  // the stable key
  std::string sender_id;
  // The sender's display name from the directory in the local store (no network round
  // trip); empty while the directory does not know the sender.
  std::string sender_name;
  std::string text;               // the newest text; empty once deleted
  std::int64_t created_at_ms = 0;
  bool edited = false;
  bool deleted = false;  // kept in place as a tombstone
  // Its files; for an echo, as send() took them (an attachment_id still empty is being
  // uploaded: see Client::uploads()).
  std::vector<Attachment> attachments;
  std::string reply_to;
  std::string thread_root_id;  // set on replies in a thread (which the main timeline leaves out)
  int reply_count = 0;         // on a thread's root: the replies stored (not deleted)
  std::int64_t last_reply_at_ms = 0;  // on a thread's root: created_at_ms of its newest such reply
  std::vector<Reaction> reactions;
  // Set while the server's copy is not stored yet: the outbox row, with its state.
  std::optional<LocalMessage> local;
};

// A page of a conversation, oldest first.
struct MessagePage {
  std::vector<TimelineMessage> messages;
  // Older messages exist that the store does not hold: Client::load_older() fetches them.
  bool more_on_server = false;
};

enum class ConversationKind {
  channel,          // a public channel: anyone in its workspace may join
  private_channel,  // a channel its members invite others to
  dm,               // two people; one per pair
  group_dm,         // 3-16 people
};

// "channel", "private_channel", "dm" or "group_dm" (the wire names).
CONFAB_API std::string_view to_string(ConversationKind kind) noexcept;

struct ConversationInfo {
  std::string conversation_id;
  ConversationKind kind = ConversationKind::channel;
  std::string workspace_id;
  // The user's role in the conversation's workspace, from the directory (member while the
  // directory has not been listed).
  Role role = Role::member;
  std::string name;
  std::string topic;
  Seq head_seq = 0;    // the newest seq the server is known to have
  Seq synced_seq = 0;  // the store holds every event up to here (its cursor)
  Seq read_seq = 0;    // the user's read cursor, over all their devices
  // Stored messages from others after read_seq, not deleted; counted up to 10000 (show
  // "9999+" beyond).
  std::int64_t unread_count = 0;
  int member_count = 0;
  // As learned from the log's member events, request answers and, for DMs and group DMs,
  // the conversation list.
  std::vector<std::string> members;
  // The newest stored message of the main timeline that is not deleted, for a preview
  // (with its sender_name); none while the store holds no such message.
  std::optional<TimelineMessage> last_message;
  // When the newest stored event of the conversation happened (its created_at_ms); 0 while
  // none is stored. conversations() is sorted by it, newest first.
  std::int64_t last_activity_ms = 0;
};

// A member of a conversation, as the local store knows it.
struct Member {
  std::string user_id;
  std::string display_name;  // from the directory; empty while it does not know the user
  Role role = Role::member;  // in the conversation's workspace, from the directory
  // Filled by the client's presence tracking (memory only, see confab/presence.h); offline
  // for a user whose presence is not known.
  PresenceStatus presence = PresenceStatus::offline;
};

// A row of a timeline whose content changed (ConversationChange::updated).
struct MessageUpdate {
  // What changed, as bits of `flags`.
  enum Flags : std::uint32_t {
    text = 1,          // edited
    deleted = 2,       // deleted (a tombstone now)
    reactions = 4,
    replies = 8,       // a thread root's reply_count or last_reply_at_ms
    receipts = 16,     // who has read it, or had it delivered
    local_state = 32,  // an echo's outbox row changed (its state, error, its ack's seq and id...)
  };
  // The row: the echo with this local id when `local_id` is set, else the stored message
  // with this seq. (An echo's `seq` is its ack's, or 0 before the ack.)
  Seq seq = 0;
  std::int64_t local_id = 0;
  std::string client_message_id;
  std::uint32_t flags = 0;
};

// A local echo became the stored message `seq`: the same row, in place, with the server's
// copy's data (libQuotient's pendingEventMerged).
struct EchoMerged {
  std::string client_message_id;
  std::int64_t local_id = 0;
  Seq seq = 0;
};

// What changed in a conversation's stored state since the last change reported for it:
// counts, and the row-level detail a list model applies to show the conversation's timeline
// (Client::messages()) without reading it again.
//
// When the app's callbacks fall behind the store (a catch-up, a slow callback), the changes
// of one conversation that wait for the callback are merged into one: counts add up, a flag
// is set when any of them set it, and `synced_seq` is the newest. The detail merges without
// loss: each list is the concatenation of the merged ones, in order, except that updates
// of the same row become one entry with their flags or'ed, and that a reset drops the
// detail that came before it (the model reads the timeline again). So nothing is lost by
// the merge.
//
// The list model. A timeline's rows are, in this order: the messages with a seq (stored
// ones, and echoes the server has acknowledged, whose seq is their ack's) by seq; then the
// echoes still waiting for their ack, by local id. Client::messages() returns them so (its
// newest page ends with the echoes). A model keys a stored row by its seq and an echo row
// by its local id, and applies each ConversationChange, in the order they come, in this
// order of its fields:
//   1. reset: drop every row and read the timeline again (Client::messages()); then go on
//      with the rest of this change.
//   2. echoes_added: for each local id it does not hold, insert that echo's row at its
//      place (the bottom): its data is in Client::messages()' newest page (an entry `local`
//      with that local id). When the page no longer has it (merged, or removed already),
//      skip it: a later entry says what became of it.
//   3. merged: the echo row with that local id becomes the stored row `seq`: the same
//      row, its data read again (a move only if its place changed; never a remove and an
//      insert). With no such echo row: insert the stored row as for `appended`, unless it
//      is there already.
//   4. appended, older_stored: for each seq it does not hold, insert that stored row at
//      its place (read with Client::messages(conversation_id, seq + 1, 1)). `appended`
//      are new messages at the head (this user's from other devices included, and this
//      device's whose echo was gone); `older_stored`, history load_older() stored.
//   5. updated: read the row again (skip an entry for a row it does not hold). An echo's
//      update can give it a seq (its ack): move it to its place then.
//   6. echoes_removed: remove the echo row with that local id, if held (discarded, or
//      removed before it was sent).
// Each entry is idempotent: an entry whose effect the model's data already shows changes
// nothing. So a model subscribes first, then reads Client::messages(), then applies every
// change as it comes; once the changes stop, its rows are those of Client::messages(),
// row by row, with their data. A model holds a contiguous part of the timeline (from the
// oldest row it read to the newest); entries about seqs before its oldest row may be
// ignored. Only a reset (a conversation too far behind, or rebuilt) needs a full reload.
//
// A thread's replies are a timeline of their own (Client::thread()), left out of the main
// one: their changes come in records of their own, with `thread_root_id` set and the same
// contract, and the root's row in the main timeline gets a `replies` update.
//
// on_outbox() still reports every outbox row (edits and reactions too); a list model needs
// only on_conversation(): an echo's state changes come here as `local_state` updates.
struct ConversationChange {
  std::string conversation_id;
  std::size_t events_applied = 0;  // events of its log stored (forward, reset and older)
  bool reset = false;   // it was too far behind and restarted from its newest page
  bool older = false;   // older history was stored (load_older())
  bool read = false;    // its read cursor moved
  Seq synced_seq = 0;   // the store holds every event up to here (0: this change did not move it)
  // Events stored that on_message() did not pass on, because more than
  // Client::kMaxQueuedMessages were already waiting for its callbacks. They are in the
  // store like every other event.
  std::size_t messages_skipped = 0;

  // ---- Row-level detail (see above) ----
  // Empty: the conversation's main timeline. Set: this change is about the thread with this
  // root (Client::thread()), and carries row-level detail only.
  std::string thread_root_id;
  std::vector<Seq> appended;        // new messages stored at the head, in the order stored
  std::vector<Seq> older_stored;    // older history stored (load_older()), in the order stored
  std::vector<MessageUpdate> updated;
  std::vector<EchoMerged> merged;
  std::vector<std::int64_t> echoes_added;    // send(): a new echo row at the bottom
  std::vector<std::int64_t> echoes_removed;  // discarded, or removed before it was sent
  // With `reset`: the store holds every event of the conversation from here to synced_seq.
  Seq window_low = 0;
};

// A catch-up after connecting: conversations found behind, and caught up so far.
struct SyncProgress {
  std::size_t behind = 0;
  std::size_t caught_up = 0;
  bool finished = false;
};

// What Client::open() found wrong with the databases and repaired.
struct StoreRecovery {
  // The cache (conversations and messages) could not be read; it was set aside and
  // starts empty, to be filled again from the server.
  bool cache_rebuilt = false;
  // The outbox database could not be read; it was set aside, and the unsent messages that
  // could still be read were carried into a new one.
  bool outbox_rebuilt = false;
  std::size_t outbox_rows_salvaged = 0;
  std::string detail;  // what was wrong, and where the damaged files were moved
};

}  // namespace confab
