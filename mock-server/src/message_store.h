// The reference server's system of record, in SQLite (WAL).
//
// Each conversation has a log of events numbered 1, 2, 3, ... (conversationSeq). Appends
// happen in batches, one transaction per batch; nothing in a batch is visible or
// acknowledged before the batch commits. A request whose (conversationId, sender,
// clientMessageId) is already in the log is not appended again: the same request gets the
// original ack, a different one (another kind, target or content) `invalid_field`. Not
// thread-safe: one thread (the committer) owns the store.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config.h"
#include "confab/result.h"
#include "protocol/protocol.h"

namespace SQLite {
class Database;
class Statement;
}

namespace confab::server {

class WalCheckpointer;

// One request that appends to a conversation's log: a new message (message_created) or
// a change to one (the other kinds, naming `target_message_id`).
struct SendRequest {
  std::string user_id;
  std::string conversation_id;
  std::string client_message_id;
  std::string text;                 // created and edited
  std::uint64_t connection_id = 0;  // the connection it came on (0: none)
  EventKind kind = EventKind::message_created;
  std::string target_message_id;
  std::string emoji;                // reactions
  // created: files the sender uploaded, with what the sender says of them; the store
  // checks the size and SHA-256 declared against its records and fills in its own.
  std::vector<protocol::AttachmentRef> attachments;
  std::string reply_to;                  // created: the message it quotes
  std::string thread_root_id;            // created: the thread it is in
  // Refused before the store (over the connection's rate): the committer answers this,
  // in order with the sends around it, and holds back the later sends of this connection
  // to this conversation until this one comes again (else they would overtake it).
  std::optional<Error> refused;
};

// A wake-up for a user with no connected device: "something new in this conversation".
// It carries no message text; the device syncs when it wakes.
struct PushNotification {
  std::int64_t push_id = 0;  // assigned when queued
  std::string user_id;
  std::string conversation_id;
  Seq conversation_seq = 0;
  std::string sender_id;
  std::int64_t created_at_ms = 0;
  int attempts = 0;
};

struct AttachmentInfo {
  std::string id;
  std::string uploader_id;
  std::int64_t size = 0;
  std::string content_type;
  std::string sha256;  // 64 lowercase hex digits; "" for files stored before it was recorded
};

struct Appended {
  protocol::MessageAck ack;             // without the request id
  std::optional<protocol::Event> event;  // set when this request created the message
  std::vector<std::string> members;     // who receives the event
};

using AppendResult = Result<Appended>;

// What a conversation request did: the conversation as it now is, the events it appended
// (none when nothing changed), and who receives them (the members, and anyone who left).
struct ConversationChange {
  protocol::ConversationInfo info;
  std::vector<protocol::Event> events;
  std::vector<std::string> audience;
};

// The key that makes a DM unique per pair of users.
std::string dm_key(const std::string& a, const std::string& b);

class MessageStore {
 public:
  // Opens (creating if needed) and migrates the database. Fails with `internal`.
  static Result<std::unique_ptr<MessageStore>> open(const std::filesystem::path& path,
                                                    Durability durability);
  ~MessageStore();

  // Makes the users, conversations and memberships match the configuration. History
  // is never deleted.
  Result<void> apply_directory(const ServerConfig& config);

  // Appends a batch in one transaction and returns one result per request, in order.
  // Per-request refusals (not_member) do not affect the others; if the transaction
  // fails, every request gets a retryable `internal` error and nothing is kept.
  std::vector<AppendResult> append_batch(std::span<const SendRequest> requests, std::int64_t now_ms);

  // The highest conversationSeq in a conversation (0 when empty).
  Seq head_seq(const std::string& conversation_id);
  // Events after `after_seq`, at most `limit`, in order.
  std::vector<protocol::Event> events_after(const std::string& conversation_id, Seq after_seq,
                                            std::size_t limit);
  // The newest events before `before_seq`, at most `limit`, in order.
  std::vector<protocol::Event> events_before(const std::string& conversation_id, Seq before_seq,
                                             std::size_t limit);

  // ---- conversations (message_store_conversations.cpp) ----

  bool is_member(const std::string& conversation_id, const std::string& user_id);
  std::vector<std::string> members(const std::string& conversation_id);
  // The user's conversations after `after` in id order, at most `limit`.
  std::vector<protocol::ConversationSummary> conversations_of(const std::string& user_id, const std::string& after,
                                                              int limit);
  // Creates, joins, leaves, invites to or renames a conversation, appending its events.
  Result<ConversationChange> change_conversation(const std::string& user_id, const protocol::ConversationRequest& request,
                                                 std::int64_t now_ms);
  // A page of history for a member (see protocol::HistoryRequest); events are cut to
  // fit in `max_bytes` when encoded.
  Result<protocol::History> history(const std::string& user_id, const protocol::HistoryRequest& request,
                                    std::int64_t max_difference, std::size_t max_bytes);
  // Moves a device's cursors forward; returns the user's cursors.
  Result<protocol::CursorState> update_cursor(const std::string& user_id, const std::string& device_id,
                                              const protocol::CursorUpdate& request);

  // ---- the directory, presence and receipts (message_store_directory.cpp) ----

  // The user's workspaces and role in each, by id (at most kMaxWorkspacesListed).
  std::vector<protocol::WorkspaceEntry> user_workspaces(const std::string& user_id);
  // The users who share a workspace with the user (the user included) after `after`, in id
  // order, at most `limit`, each with their role in every workspace they share with the user.
  std::vector<protocol::UserEntry> directory_users(const std::string& user_id, const std::string& after, int limit);
  // The user's presence contacts, the user included: the members of the user's DMs and
  // group DMs, and of the channels with at most `fanout_limit` members.
  std::vector<std::string> contacts(const std::string& user_id, std::size_t fanout_limit);
  // Whether the two users are members of a conversation in common.
  bool shares_conversation(const std::string& user_id, const std::string& other_id);
  // The members' cursors (the highest over each member's devices) after `request.after`,
  // in id order, at most `limit`; members only (not_member).
  Result<std::vector<protocol::ReceiptPosition>> receipts(const std::string& user_id,
                                                          const protocol::ReceiptsRequest& request, int limit);

  // ---- attachments ----

  // Records an uploaded file (its bytes are already on disk).
  Result<void> add_attachment(const AttachmentInfo& info, std::int64_t now_ms);
  // The file, if `user_id` may read it: its uploader, or a member of a conversation where
  // a message references it. Otherwise `not_found`, so ids cannot be probed.
  Result<AttachmentInfo> readable_attachment(const std::string& attachment_id, const std::string& user_id);
  // Deletes the records of attachments stored before `cutoff_ms` that no message
  // references, and returns their ids (the caller deletes their files).
  std::vector<std::string> expire_attachments(std::int64_t cutoff_ms);

  // ---- push outbox ----

  // Queues a wake-up for each user (in one transaction).
  Result<void> enqueue_push(const std::vector<PushNotification>& notifications);
  // Up to `limit` queued notifications due at `now_ms`, oldest first.
  std::vector<PushNotification> due_pushes(std::int64_t now_ms, int limit);
  struct PushOutcome {
    std::int64_t push_id = 0;
    bool delivered = false;        // done: delivered to the provider
    std::int64_t retry_at_ms = 0;  // not done: tried again then
  };
  // Records what the provider made of a batch of notifications, in one transaction.
  Result<void> finish_pushes(const std::vector<PushOutcome>& outcomes);

  static constexpr int kSchemaVersion = 8;

  // Checkpoints the WAL so far, off the committing thread (for tests).
  int background_checkpoints() const;

 private:
  explicit MessageStore(std::unique_ptr<SQLite::Database> db);
  AppendResult append_one(const SendRequest& request, std::int64_t now_ms);
  // Whether `request` is the one stored under its id (the find_duplicate row `stored`).
  bool same_request(const SendRequest& request, SQLite::Statement& stored);
  // Checks a change against its target; fills in `out.ack` for an already applied reaction.
  Result<bool> check_change(const SendRequest& request, Appended& out);
  // Appends a member or conversation event; inside a transaction.
  protocol::Event append_event(const std::string& conversation_id, EventKind kind, const std::string& sender_id,
                               const std::string& member_id, std::int64_t now_ms, const std::string& name = {},
                               const std::string& topic = {});
  // Runs the after or before page statement; events come back oldest first, with their
  // attachments.
  std::vector<protocol::Event> read_events(SQLite::Statement& statement, const std::string& conversation_id,
                                           Seq from_seq, std::size_t limit, bool newest_first);
  Result<protocol::ConversationInfo> describe(const std::string& conversation_id, const std::string& user_id);
  void migrate();

  std::unique_ptr<SQLite::Database> db_;
  struct Statements;
  std::unique_ptr<Statements> statements_;
  std::unique_ptr<WalCheckpointer> checkpointer_;  // declared last: stops first
};

}  // namespace confab::server
