// The local store: the user's conversations and their messages, materialised from each
// conversation's log, in a SQLite database of its own (WAL) next to the outbox.
//
// It is a cache: everything in it can be fetched again from the server. That is why it
// lives in its own file: a damaged cache is set aside and rebuilt without touching the
// outbox, and a long catch-up writing here never delays send()'s commit there.
//
// Each conversation has a cursor (the highest seq whose events are all stored, from
// `low_seq` on) that advances in the same transaction as the events. Changes are applied
// by seq, field by field: an edit, delete or reaction carries the seq of its event and only
// overrides an older one. So events may be stored in any order (older history paged in
// after newer events) and come out the same as if applied in order.
//
// Thread-safe. Writes go through one connection, one at a time; the network thread's
// store writer makes nearly all of them. Reads have connections of their own (a small
// pool, opened read-only on the same file): in WAL mode they read beside a write in
// progress, so a read never waits for a write, nor a write for a read. Each read call
// runs in one read transaction, so it sees one snapshot of the store, holding everything
// committed before the call began (a write that returned is seen by every later read).
// A store in memory (":memory:", for tests) cannot be shared between connections: its
// reads use the writing connection, and wait for a write in progress.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "confab/conversation.h"
#include "confab/receipts.h"
#include "confab/identity.h"
#include "confab/result.h"
#include "protocol/protocol.h"
#include "store/outbox_store.h"

namespace SQLite {
class Database;
class Statement;
class Transaction;
}

namespace confab::store {

// How a batch of events relates to what is stored.
enum class ApplyMode {
  forward,  // they follow the cursor: the cursor moves to the last one
  reset,    // the newest page of a conversation too far behind: the stored window restarts there
  older,    // history before `low_seq` (scrolling back): the cursor stays
};

struct CacheCursor {
  std::string conversation_id;
  Seq cursor = 0;
};

class CacheStore {
 public:
  static constexpr int kSchemaVersion = 4;
  static constexpr int kMaxPage = 500;
  // Unread counts stop at this (an app shows "9999+"): counting costs a step per message.
  static constexpr int kUnreadCountCap = 10'000;

  struct Opened {
    std::unique_ptr<CacheStore> store;
    // Set when the file was unreadable: why, and where the damaged file went.
    std::optional<std::string> rebuilt_because;
  };

  // Opens or creates the cache at `path` (":memory:" for one in memory). A file that is
  // not a readable database, or whose tables cannot be read, is moved aside (with its WAL)
  // and replaced by an empty cache; so is one found damaged while in use (a marker file,
  // `<path>.damaged`, carries that over to the next open). Fails with `storage` when even
  // that is impossible, or when the cache is newer than this SDK.
  static Result<Opened> open(const std::filesystem::path& path, Synchronous synchronous);
  ~CacheStore();

  CacheStore(const CacheStore&) = delete;
  CacheStore& operator=(const CacheStore&) = delete;

  // The server's list of the user's conversations: stores their names and heads, moves
  // read cursors forward, and marks the ones not listed any more as left.
  Result<void> update_conversations(std::span<const protocol::ConversationSummary> listed, bool complete);
  // The ids of the conversations the user is in, by the last list and the membership
  // events since, in id order.
  Result<std::vector<std::string>> listed_conversations();
  // The user joined (a row is made if there is none; its details come with the next list)
  // or left a conversation.
  Result<void> set_listed(const std::string& conversation_id, bool listed);
  Result<std::vector<CacheCursor>> cursors();

  // Stores events of one conversation (ascending seq) and moves its cursor or window, in
  // one transaction.
  Result<void> apply(const std::string& conversation_id, std::span<const protocol::Event> events, ApplyMode mode);
  // Several such batches (of any conversations), all in one transaction.
  struct Batch {
    std::string conversation_id;
    std::vector<protocol::Event> events;
    ApplyMode mode = ApplyMode::forward;
  };
  Result<void> apply(std::span<const Batch> batches);

  // Moves the user's read cursor forward; returns whether it moved.
  Result<bool> advance_read(const std::string& conversation_id, Seq read_seq);

  // The conversations the user is in (by the last list), names first.
  Result<std::vector<ConversationInfo>> conversations(const std::string& user_id);
  Result<std::optional<ConversationInfo>> conversation(const std::string& conversation_id,
                                                       const std::string& user_id);
  // The main timeline (thread replies left out): up to `limit` messages before
  // `before_seq` (0: the newest), oldest first.
  Result<MessagePage> page(const std::string& conversation_id, Seq before_seq, int limit);
  // A thread's replies, oldest first.
  Result<std::vector<TimelineMessage>> thread(const std::string& root_message_id, int limit);
  // Where stored messages are shown: each of `message_ids` whose message.created is stored
  // (the others are left out), with its seq and thread root ('' on the main timeline), and
  // the root of each one that is a thread reply (whose row shows the thread's replies).
  struct StoredRow {
    std::string message_id;
    Seq seq = 0;
    std::string client_message_id;
    std::string thread_root_id;
  };
  Result<std::vector<StoredRow>> stored_rows(std::span<const std::string> message_ids);
  // Full-text search (FTS5) over stored, undeleted messages, newest first. Every word of
  // `query` must match (the last one as a prefix); empty `conversation_id`: everywhere.
  // Messages stored in large batches are indexed for it later (index_for_search()). A
  // search covers every message stored before it began: when some of them still wait for
  // the index, it first adds them, as writes of kSearchIndexStep rows each (waiting for a
  // write in progress, as a write does, but holding nothing that reads need), then reads.
  Result<std::vector<TimelineMessage>> search(const std::string& query, const std::string& conversation_id,
                                              int limit);
  static constexpr std::int64_t kSearchIndexStep = 1000;
  // Adds up to `limit` stored messages that wait for the search index to it, in one
  // transaction; returns whether more wait. A small apply() (at most kIndexAtOnce events)
  // indexes its own messages when nothing waits.
  Result<bool> index_for_search(std::int64_t limit);
  bool search_backlog() const { return search_backlog_; }
  static constexpr std::size_t kIndexAtOnce = 64;
  // The schema's migrations, oldest first (tests build older versions from them).
  static std::span<const char* const> migrations();
  // Whose conversations these are (the server's id for the user), kept for reads before
  // the first connection.
  Result<void> set_user_id(const std::string& user_id);
  Result<std::string> user_id();
  // The lowest seq of the stored window (1 when the store reaches the start).
  Result<Seq> low_seq(const std::string& conversation_id);

  // ---- The directory and conversations as answered (cache_store_directory.cpp) ----

  // A page of the directory listing (see core::DirectoryListed): `first` starts a listing
  // and replaces the user's workspaces; each page names users, with their roles in the
  // workspaces shared with the user; `last` ends a complete listing, after which users()
  // leaves out whoever it did not name. Names stay known (user()) for older messages.
  Result<void> store_directory(const protocol::Directory& page, bool first, bool last);
  // The user's workspaces, in the server's order.
  Result<std::vector<Workspace>> workspaces();
  // The users of the directory, by id; with a workspace id, those in that workspace.
  Result<std::vector<User>> users(const std::string& workspace_id);
  // A user the directory ever listed.
  Result<std::optional<User>> user(const std::string& user_id);
  // A conversation's present members, by id, with names and roles from the directory.
  Result<std::vector<Member>> members(const std::string& conversation_id);
  // The conversation as the server's answer to a request gives it: its details, and its
  // members as of its head (all of them, when the answer lists all). `listed`: whether it
  // is in the user's list now (not after leaving).
  Result<void> store_answer(const protocol::ConversationInfo& answer, bool listed);
  // Whether the store has a conversation's details (its kind, from a list or an answer),
  // not only a row made by its events.
  Result<bool> has_details(const std::string& conversation_id);

  // ---- Receipts (cache_store_receipts.cpp) ----

  // Stores other members' cursors, each raised to what it says and never lowered (a late
  // push, an older device): the store keeps the highest ever learned, across restarts.
  Result<void> store_receipts(const std::string& conversation_id, std::span<const Receipt> receipts);
  // The members' cursors in a conversation, in user id order.
  Result<std::vector<Receipt>> receipts(const std::string& conversation_id);
  // The user left the conversation: its receipts go.
  Result<void> forget_receipts(const std::string& conversation_id);

  // Reading connections open at most at once; a read beyond that waits for another read.
  static constexpr std::size_t kMaxReaders = 4;

  // Tests only, for every cache store of the process: `in_write` runs inside each write
  // transaction just before it commits, `in_read` inside each read transaction once its
  // snapshot is taken; each on the thread doing it, given the store's path. (In a store in
  // memory a read holds the write lock: its `in_read` must not write.)
  struct TestHooks {
    std::function<void(const std::filesystem::path&)> in_write, in_read;
  };
  static void set_test_hooks(TestHooks hooks);

 private:
  struct WriteStatements;
  struct ReadStatements;
  struct Reader;
  class Reading;

  CacheStore(std::unique_ptr<SQLite::Database> db, std::filesystem::path path);
  static void run_test_hook(bool write, const std::filesystem::path& path);
  // Commits a write transaction (after the test hook).
  void commit(SQLite::Transaction& tx);
  static std::filesystem::path damage_marker(const std::filesystem::path& path);
  // A storage error; when SQLite found the file damaged, it is marked for rebuilding.
  Error failed(const std::string& what, const std::exception& e);
  void migrate();
  void apply_event(const protocol::Event& e);
  // Within a write: `members` are the conversation's members as of `head_seq`; when they
  // are all of them (`member_count`), nobody else stored is. Events after the head win.
  void store_members_at_head(const std::string& conversation_id, Seq head_seq, int member_count,
                             const std::vector<std::string>& members);
  void apply_batch(const std::string& conversation_id, std::span<const protocol::Event> events, ApplyMode mode);
  static std::vector<TimelineMessage> read_messages(ReadStatements& s, SQLite::Statement& q);
  static ConversationInfo read_conversation(ReadStatements& s, SQLite::Statement& q);
  // With the write mutex held, in a transaction. The highest message rowid; indexing rows
  // after fts_rowid_ (up to `limit` of them), returning the new mark; index_rows() for a
  // small apply, or the mark as it was when it must wait.
  std::int64_t last_rowid();
  std::int64_t index_rows(std::int64_t limit);
  std::int64_t index_small_apply(std::size_t events);
  // With the write mutex held, outside a transaction: index_rows() in a transaction of
  // its own; returns whether rows still wait.
  bool index_waiting(std::int64_t limit);
  // Indexes every row up to `rowid`, a write of kSearchIndexStep rows at a time.
  void index_through(std::int64_t rowid);
  // A reader for one read call, in its read transaction (see Reading).
  Reading read();
  // A reading connection of the pool: an idle one, or a new one while fewer than
  // kMaxReaders are open; else waits for one to come back.
  std::unique_ptr<Reader> lease_reader();
  void return_reader(std::unique_ptr<Reader> reader);

  std::mutex write_mutex_;  // one write at a time, on db_
  std::unique_ptr<SQLite::Database> db_;  // the writing connection
  std::filesystem::path path_;
  std::unique_ptr<WriteStatements> statements_;
  std::int64_t fts_rowid_ = 0;  // committed: every message row up to here is indexed
  std::atomic<bool> search_backlog_ = false;  // rows past fts_rowid_ wait

  // Declared after db_: closed before it, so the writing connection, closing last, can
  // checkpoint the WAL and remove it.
  std::mutex readers_mutex_;
  std::condition_variable reader_returned_;
  std::vector<std::unique_ptr<Reader>> idle_readers_;
  std::size_t readers_open_ = 0;
  std::unique_ptr<Reader> shared_reader_;  // a store in memory: reads on db_, under write_mutex_
};

// The FTS5 query for what a user typed: each word quoted (so no operator or syntax error
// can come from it), all required, the last one as a prefix. Empty for a query with no words.
std::string fts_query(const std::string& typed);

}  // namespace confab::store
