// The reference server's system of record, in SQLite (WAL).
//
// Each conversation has a log of events numbered 1, 2, 3, ... (conversationSeq). Appends
// happen in batches, one transaction per batch; nothing in a batch is visible or
// acknowledged before the batch commits. A message whose (conversationId,
// clientMessageId) is already in the log is not appended again: the caller gets the
// original message's ack. Not thread-safe: one thread (the committer) owns the store.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config.h"
#include "confab/result.h"
#include "core/protocol.h"

namespace SQLite {
class Database;
}

namespace confab::server {

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
};

struct Appended {
  protocol::MessageAck ack;             // without the request id
  std::optional<protocol::Event> event;  // set when this request created the message
  std::vector<std::string> members;     // who receives the event
};

using AppendResult = Result<Appended>;

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

  static constexpr int kSchemaVersion = 2;

 private:
  explicit MessageStore(std::unique_ptr<SQLite::Database> db);
  AppendResult append_one(const SendRequest& request, std::int64_t now_ms);
  // Checks a change against its target; fills in `out.ack` for an already applied reaction.
  Result<bool> check_change(const SendRequest& request, Appended& out);
  void migrate();

  std::unique_ptr<SQLite::Database> db_;
  struct Statements;
  std::unique_ptr<Statements> statements_;
};

}  // namespace confab::server
