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
  std::vector<std::string> attachments;
  std::string reply_to;
  std::string thread_root_id;  // set on replies in a thread (which the main timeline leaves out)
  int reply_count = 0;         // on a thread's root: the replies stored
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
  std::vector<std::string> members;  // as learned from the log's member events
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

// What changed in a conversation's stored state since the last change reported for it.
//
// When the app's callbacks fall behind the store (a catch-up, a slow callback), the changes
// of one conversation that wait for the callback are merged into one: counts add up, a flag
// is set when any of them set it, and `synced_seq` is the newest. So nothing is lost by the
// merge, and the app reads the result from the store (Client::messages()).
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
