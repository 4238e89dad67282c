#include "store/cache_store.h"

#include <algorithm>
#include <array>
#include <limits>
#include <fstream>

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/cache_statements.h"
#include "store/damage.h"
#include "store/migrations.h"
#include "store/use_statement.h"

namespace confab::store {
namespace {

// Forward-only migrations, as for the outbox. The cache may also simply be rebuilt, but a
// migration keeps a large history from being fetched again.
constexpr std::array<const char*, CacheStore::kSchemaVersion> kMigrations{
    R"sql(
    CREATE TABLE conversations (
      id            TEXT PRIMARY KEY,
      kind          TEXT NOT NULL DEFAULT '',
      workspace_id  TEXT NOT NULL DEFAULT '',
      name          TEXT NOT NULL DEFAULT '',
      topic         TEXT NOT NULL DEFAULT '',
      meta_seq      INTEGER NOT NULL DEFAULT 0,  -- seq of the event that set name and topic
      member_count  INTEGER NOT NULL DEFAULT 0,
      head_seq      INTEGER NOT NULL DEFAULT 0,
      cursor        INTEGER NOT NULL DEFAULT 0,  -- every event in low_seq..cursor is stored
      low_seq       INTEGER NOT NULL DEFAULT 1,
      read_seq      INTEGER NOT NULL DEFAULT 0,
      listed        INTEGER NOT NULL DEFAULT 1   -- in the user's last conversation list
    ) WITHOUT ROWID;

    -- A row may exist before its message.created is stored (an edit, delete or reaction
    -- seen first): `seq` is NULL until then, and such rows are never shown.
    CREATE TABLE messages (
      message_id        TEXT PRIMARY KEY,
      conversation_id   TEXT NOT NULL,
      seq               INTEGER,
      sender_id         TEXT NOT NULL DEFAULT '',
      client_message_id TEXT NOT NULL DEFAULT '',
      text              TEXT NOT NULL DEFAULT '',
      text_seq          INTEGER NOT NULL DEFAULT 0,
      edited            INTEGER NOT NULL DEFAULT 0,
      deleted_seq       INTEGER NOT NULL DEFAULT 0,
      created_at_ms     INTEGER NOT NULL DEFAULT 0,
      reply_to          TEXT NOT NULL DEFAULT '',
      thread_root_id    TEXT NOT NULL DEFAULT '',
      attachments       TEXT NOT NULL DEFAULT ''    -- the wire's JSON array (older: ids, one per line)
    );
    CREATE UNIQUE INDEX messages_by_seq ON messages (conversation_id, seq);
    CREATE INDEX messages_in_thread ON messages (thread_root_id, seq) WHERE thread_root_id <> '';

    CREATE TABLE reactions (
      message_id TEXT NOT NULL,
      emoji      TEXT NOT NULL,
      user_id    TEXT NOT NULL,
      seq        INTEGER NOT NULL,
      present    INTEGER NOT NULL,
      PRIMARY KEY (message_id, emoji, user_id)
    ) WITHOUT ROWID;

    CREATE TABLE members (
      conversation_id TEXT NOT NULL,
      user_id         TEXT NOT NULL,
      seq             INTEGER NOT NULL,
      present         INTEGER NOT NULL,
      PRIMARY KEY (conversation_id, user_id)
    ) WITHOUT ROWID;

    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

    CREATE VIRTUAL TABLE messages_fts USING fts5(text, content = 'messages', content_rowid = 'rowid');
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
      INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
      INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
      INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
      INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
    END;
    )sql",
    // 2: the search index is filled in batches (CacheStore::index_for_search) instead of by
    // a trigger per inserted row, so that a catch-up stores its pages without paying for
    // the index row by row. meta.fts_rowid: every message row up to it is in the index;
    // updates and deletes keep those rows in step, and later rows go in with their text as
    // it is then.
    R"sql(
    DROP TRIGGER messages_fts_insert;
    DROP TRIGGER messages_fts_delete;
    DROP TRIGGER messages_fts_update;
    INSERT OR REPLACE INTO meta (key, value) VALUES ('fts_rowid', (SELECT ifnull(max(rowid), 0) FROM messages));
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
    WHEN new.rowid <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'fts_rowid') BEGIN
      INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
    WHEN old.rowid <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'fts_rowid') BEGIN
      INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
    WHEN old.rowid <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'fts_rowid') BEGIN
      INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
      INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
    END;
    )sql",
    // 3: the directory (cache_store_directory.cpp): the user's workspaces, the users who
    // share one with the user and their roles there, listed at each connection; and each
    // conversation's last activity, for the list's order.
    R"sql(
    CREATE TABLE workspaces (
      workspace_id TEXT PRIMARY KEY,
      name         TEXT NOT NULL,
      role         TEXT NOT NULL,   -- the user's role there
      position     INTEGER NOT NULL -- the server's order
    ) WITHOUT ROWID;
    -- Names stay known once listed (old messages keep their sender's name); `listing` is the
    -- directory listing that last named the user, and users() shows the users of the last
    -- complete listing and of the one in progress.
    CREATE TABLE users (
      user_id      TEXT PRIMARY KEY,
      display_name TEXT NOT NULL,
      listing      INTEGER NOT NULL
    ) WITHOUT ROWID;
    -- Each listed user's role in the workspaces shared with the user, as last listed.
    CREATE TABLE workspace_members (
      workspace_id TEXT NOT NULL,
      user_id      TEXT NOT NULL,
      role         TEXT NOT NULL,
      PRIMARY KEY (user_id, workspace_id)
    ) WITHOUT ROWID;
    INSERT OR REPLACE INTO meta (key, value) VALUES ('directory_listing', '0'), ('directory_complete', '0');
    ALTER TABLE conversations ADD COLUMN last_activity_ms INTEGER NOT NULL DEFAULT 0;
    UPDATE conversations SET last_activity_ms = ifnull((SELECT max(m.created_at_ms) FROM messages m
      WHERE m.conversation_id = conversations.id AND m.seq IS NOT NULL), 0);
    )sql",
    // 4: the other members' read and delivery cursors (cache_store_receipts.cpp).
    R"sql(
    CREATE TABLE receipts (
      conversation_id TEXT NOT NULL,
      user_id         TEXT NOT NULL,
      read_seq        INTEGER NOT NULL,
      delivered_seq   INTEGER NOT NULL,
      PRIMARY KEY (conversation_id, user_id)
    ) WITHOUT ROWID;
    )sql",
};

}  // namespace

using namespace cache_sql;

std::string fts_query(const std::string& typed) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(std::exchange(word, {}));
  };
  for (char ch : typed) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= ' ') {
      flush();
    } else if (c == '"') {
      word += "\"\"";  // quoted inside a string
    } else {
      word += ch;
    }
  }
  flush();
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += ' ';
    out += '"' + words[i] + '"';
    if (i + 1 == words.size()) out += '*';
  }
  return out;
}


Result<CacheStore::Opened> CacheStore::open(const std::filesystem::path& path, Synchronous synchronous) {
  auto attempt = [&] {
    auto db = std::make_unique<SQLite::Database>(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db->setBusyTimeout(200);
    db->exec("PRAGMA journal_mode = WAL");
    db->exec(synchronous == Synchronous::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    std::unique_ptr<CacheStore> store(new CacheStore(std::move(db), path));
    store->migrate();
    store->statements_ = std::make_unique<WriteStatements>(*store->db_);
    if (path == ":memory:") store->shared_reader_ = std::make_unique<Reader>(nullptr, *store->db_);
    store->fts_rowid_ =
        store->db_->execAndGet("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'fts_rowid'").getInt64();
    // Whether rows wait for the index is found by the first index_for_search() (the
    // message pages are not read at open).
    store->search_backlog_ = true;
    // Reading the conversations touches every page of their table and the schema: a file
    // damaged there fails here, at open, rather than half-way through a sync.
    store->db_->exec("SELECT count(*), sum(cursor), max(name) FROM conversations");
    store->db_->exec("SELECT count(*) FROM members");
    return store;
  };
  Opened opened;
  std::error_code ec;
  if (path != ":memory:" && std::filesystem::exists(damage_marker(path), ec)) {
    std::ifstream marker(damage_marker(path));
    std::string why;
    std::getline(marker, why);
    marker.close();
    std::filesystem::remove(damage_marker(path), ec);
    opened.rebuilt_because = "the cache database " + path.string() + " was found damaged while in use (" + why +
                             "); it was moved to " + move_aside(path) + " and is rebuilt from the server";
  }
  try {
    opened.store = attempt();
    return opened;
  } catch (const SQLite::Exception& e) {
    if (path == ":memory:" || !is_damage(e)) {
      return storage("cannot open the cache database " + path.string() + ": " + e.what());
    }
    opened.rebuilt_because = "the cache database " + path.string() + " was unreadable (" + e.what() +
                             "); it was moved to " + move_aside(path) + " and is rebuilt from the server";
  } catch (const std::exception& e) {
    return storage("cannot open the cache database " + path.string() + ": " + e.what());
  }
  try {
    opened.store = attempt();
    return opened;
  } catch (const std::exception& e) {
    return storage("cannot create a new cache database " + path.string() + ": " + e.what());
  }
}

CacheStore::CacheStore(std::unique_ptr<SQLite::Database> db, std::filesystem::path path)
    : db_(std::move(db)), path_(std::move(path)) {}

std::filesystem::path CacheStore::damage_marker(const std::filesystem::path& path) {
  return path.string() + ".damaged";
}

Error CacheStore::failed(const std::string& what, const std::exception& e) {
  auto* sqlite = dynamic_cast<const SQLite::Exception*>(&e);
  if (sqlite && is_damage(*sqlite) && path_ != ":memory:") {
    // Found damaged while in use: the next open() rebuilds it.
    std::ofstream(damage_marker(path_)) << e.what() << '\n';
  }
  return storage(what + ": " + e.what());
}
CacheStore::~CacheStore() = default;

namespace {

std::mutex test_hooks_mutex;
std::shared_ptr<const CacheStore::TestHooks> test_hooks;
std::atomic<bool> test_hooks_set = false;  // spares every transaction the mutex

}  // namespace

void CacheStore::set_test_hooks(TestHooks hooks) {
  std::lock_guard lock(test_hooks_mutex);
  bool any = hooks.in_write || hooks.in_read;
  test_hooks = any ? std::make_shared<const TestHooks>(std::move(hooks)) : nullptr;
  test_hooks_set = any;
}

void CacheStore::run_test_hook(bool write, const std::filesystem::path& path) {
  if (!test_hooks_set) return;
  std::shared_ptr<const TestHooks> hooks;
  {
    std::lock_guard lock(test_hooks_mutex);
    hooks = test_hooks;
  }
  if (!hooks) return;
  const auto& hook = write ? hooks->in_write : hooks->in_read;
  if (hook) hook(path);
}

void CacheStore::commit(SQLite::Transaction& tx) {
  run_test_hook(true, path_);
  tx.commit();
}

void CacheStore::migrate() { store::migrate(*db_, db_->execAndGet("PRAGMA user_version").getInt(), kMigrations); }

std::span<const char* const> CacheStore::migrations() { return kMigrations; }

std::int64_t CacheStore::last_rowid() { return db_->execAndGet("SELECT ifnull(max(rowid), 0) FROM messages").getInt64(); }

std::int64_t CacheStore::index_rows(std::int64_t limit) {
  auto upto = last_rowid();
  if (upto - fts_rowid_ > limit) upto = fts_rowid_ + limit;
  if (upto <= fts_rowid_) return fts_rowid_;
  Use add(statements_->fts_add);
  add->bind(1, fts_rowid_);
  add->bind(2, upto);
  add->exec();
  Use mark(statements_->fts_mark);
  mark->bind(1, std::to_string(upto));
  mark->exec();
  return upto;
}

bool CacheStore::index_waiting(std::int64_t limit) {
  SQLite::Transaction tx(*db_);
  auto upto = index_rows(limit);
  commit(tx);
  fts_rowid_ = upto;
  search_backlog_ = last_rowid() > fts_rowid_;
  return search_backlog_;
}

Result<bool> CacheStore::index_for_search(std::int64_t limit) {
  std::lock_guard lock(write_mutex_);
  try {
    return index_waiting(limit);
  } catch (const std::exception& e) {
    return failed("cannot index messages for search", e);
  }
}

Result<void> CacheStore::update_conversations(std::span<const protocol::ConversationSummary> listed, bool complete) {
  std::lock_guard lock(write_mutex_);
  try {
    SQLite::Transaction tx(*db_);
    if (complete) db_->exec("UPDATE conversations SET listed = 0");
    for (const auto& c : listed) {
      Use q(statements_->upsert_listed);
      q->bind(1, c.conversation_id);
      q->bind(2, c.kind);
      q->bind(3, c.workspace_id);
      q->bind(4, c.name);
      q->bind(5, c.topic);
      q->bind(6, c.member_count);
      q->bind(7, c.head_seq);
      q->bind(8, c.read_seq);
      q->exec();
      // A DM's or group DM's members come with it (it has no name without them).
      if (!c.members.empty()) store_members_at_head(c.conversation_id, c.head_seq, c.member_count, c.members);
    }
    commit(tx);
    return {};
  } catch (const std::exception& e) {
    return failed("cannot store the conversation list", e);
  }
}

Result<void> CacheStore::set_listed(const std::string& conversation_id, bool listed) {
  std::lock_guard lock(write_mutex_);
  try {
    SQLite::Transaction tx(*db_);
    SQLite::Statement ensure(*db_, "INSERT OR IGNORE INTO conversations (id, listed) VALUES (?1, ?2)");
    ensure.bind(1, conversation_id);
    ensure.bind(2, listed ? 1 : 0);
    ensure.exec();
    SQLite::Statement mark(*db_, "UPDATE conversations SET listed = ?2 WHERE id = ?1");
    mark.bind(1, conversation_id);
    mark.bind(2, listed ? 1 : 0);
    mark.exec();
    commit(tx);
    return {};
  } catch (const std::exception& e) {
    return failed("cannot store the conversation list", e);
  }
}

void CacheStore::apply_event(const protocol::Event& e) {
  auto& s = *statements_;
  switch (e.kind) {
    case EventKind::message_created: {
      Use q(s.created);
      q->bind(1, e.message_id);
      q->bind(2, e.conversation_id);
      q->bind(3, e.conversation_seq);
      q->bind(4, e.sender_id);
      q->bind(5, e.client_message_id);
      q->bind(6, e.body.text);
      q->bind(7, e.created_at_ms);
      q->bind(8, e.reply_to);
      q->bind(9, e.thread_root_id);
      q->bind(10, protocol::attachments_text(e.body.attachments));
      q->exec();
      return;
    }
    case EventKind::message_edited: {
      Use q(s.edited);
      q->bind(1, e.message_id);
      q->bind(2, e.conversation_id);
      q->bind(3, e.body.text);
      q->bind(4, e.conversation_seq);
      q->exec();
      return;
    }
    case EventKind::message_deleted: {
      Use q(s.deleted);
      q->bind(1, e.message_id);
      q->bind(2, e.conversation_id);
      q->bind(3, e.conversation_seq);
      q->exec();
      return;
    }
    case EventKind::reaction_added:
    case EventKind::reaction_removed: {
      Use q(s.reaction);
      q->bind(1, e.message_id);
      q->bind(2, e.emoji);
      q->bind(3, e.sender_id);
      q->bind(4, e.conversation_seq);
      q->bind(5, e.kind == EventKind::reaction_added ? 1 : 0);
      q->exec();
      return;
    }
    case EventKind::member_joined:
    case EventKind::member_left: {
      Use q(s.member);
      q->bind(1, e.conversation_id);
      q->bind(2, e.member_id);
      q->bind(3, e.conversation_seq);
      q->bind(4, e.kind == EventKind::member_joined ? 1 : 0);
      q->exec();
      return;
    }
    case EventKind::conversation_updated: {
      Use q(s.renamed);
      q->bind(1, e.conversation_id);
      q->bind(2, e.name);
      q->bind(3, e.topic);
      q->bind(4, e.conversation_seq);
      q->exec();
      return;
    }
  }
}

void CacheStore::apply_batch(const std::string& conversation_id, std::span<const protocol::Event> events,
                             ApplyMode mode) {
  if (events.empty()) return;
  {
    Use q(statements_->ensure_conversation);
    q->bind(1, conversation_id);
    q->exec();
  }
  for (const auto& e : events) apply_event(e);
  {
    std::int64_t newest = 0;
    for (const auto& e : events) newest = std::max(newest, e.created_at_ms);
    Use q(statements_->touch);
    q->bind(1, conversation_id);
    q->bind(2, newest);
    q->exec();
  }
  if (mode == ApplyMode::older) {
    Use q(statements_->move_low);
    q->bind(1, conversation_id);
    q->bind(2, events.front().conversation_seq);
    q->exec();
  } else {
    Use q(statements_->move_cursor);
    q->bind(1, conversation_id);
    q->bind(2, events.back().conversation_seq);
    q->bind(3, mode == ApplyMode::reset ? 1 : 0);
    q->bind(4, events.front().conversation_seq);
    q->exec();
  }
}

Result<void> CacheStore::apply(const std::string& conversation_id, std::span<const protocol::Event> events,
                               ApplyMode mode) {
  if (events.empty()) return {};
  std::lock_guard lock(write_mutex_);
  try {
    SQLite::Transaction tx(*db_);
    apply_batch(conversation_id, events, mode);
    auto indexed = index_small_apply(events.size());
    commit(tx);
    fts_rowid_ = indexed;
    return {};
  } catch (const std::exception& e) {
    return failed("cannot store events of " + conversation_id, e);
  }
}

Result<void> CacheStore::apply(std::span<const Batch> batches) {
  if (batches.empty()) return {};
  std::lock_guard lock(write_mutex_);
  try {
    SQLite::Transaction tx(*db_);
    std::size_t count = 0;
    for (const auto& b : batches) {
      apply_batch(b.conversation_id, b.events, b.mode);
      count += b.events.size();
    }
    auto indexed = index_small_apply(count);
    commit(tx);
    fts_rowid_ = indexed;
    return {};
  } catch (const std::exception& e) {
    return failed("cannot store events", e);
  }
}

std::int64_t CacheStore::index_small_apply(std::size_t events) {
  // A few live events go into the index at once, as they would row by row; a page (a
  // catch-up, older history) is left to index_for_search(), and so is everything after
  // it until that is done: the index grows in rowid order.
  if (search_backlog_ || events > kIndexAtOnce) {
    search_backlog_ = search_backlog_ || last_rowid() > fts_rowid_;
    return fts_rowid_;
  }
  return index_rows(std::numeric_limits<std::int64_t>::max());
}

Result<bool> CacheStore::advance_read(const std::string& conversation_id, Seq read_seq) {
  std::lock_guard lock(write_mutex_);
  try {
    SQLite::Transaction tx(*db_);
    bool moved = false;
    {
      Use q(statements_->advance_read);
      q->bind(1, conversation_id);
      q->bind(2, read_seq);
      moved = q->exec() > 0;
    }
    commit(tx);
    return moved;
  } catch (const std::exception& e) {
    return failed("cannot store the read cursor", e);
  }
}

Result<void> CacheStore::set_user_id(const std::string& user_id) {
  std::lock_guard lock(write_mutex_);
  try {
    SQLite::Transaction tx(*db_);
    {
      SQLite::Statement q(*db_, "INSERT OR REPLACE INTO meta (key, value) VALUES ('user_id', ?1)");
      q.bind(1, user_id);
      q.exec();
    }
    commit(tx);
    return {};
  } catch (const std::exception& e) {
    return failed("cannot store the user id", e);
  }
}

void CacheStore::index_through(std::int64_t rowid) {
  for (;;) {
    std::lock_guard lock(write_mutex_);
    if (fts_rowid_ >= rowid) return;
    index_waiting(std::min(kSearchIndexStep, rowid - fts_rowid_));
  }
}


}  // namespace confab::store
