#include "store/cache_store.h"

#include <algorithm>
#include <fstream>
#include <array>
#include <limits>

#include <SQLiteCpp/SQLiteCpp.h>

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
      attachments       TEXT NOT NULL DEFAULT ''    -- ids, one per line
    );
    CREATE UNIQUE INDEX messages_by_seq ON messages (conversation_id, seq);
    CREATE INDEX messages_by_client_id ON messages (client_message_id) WHERE client_message_id <> '';
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
};

constexpr const char* kMessageColumns =
    "m.conversation_id, m.seq, m.message_id, m.client_message_id, m.sender_id, m.text, m.created_at_ms, "
    "m.edited, m.deleted_seq, m.attachments, m.reply_to, m.thread_root_id, "
    "(SELECT COUNT(*) FROM messages r WHERE r.thread_root_id = m.message_id AND r.thread_root_id <> '' "
    "AND r.seq IS NOT NULL "
    "AND r.deleted_seq = 0)";

constexpr const char* kConversationColumns =
    "c.id, c.kind, c.workspace_id, c.name, c.topic, c.head_seq, c.cursor, c.read_seq, c.member_count, "
    "(SELECT COUNT(*) FROM (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.seq > c.read_seq "
    "AND m.sender_id <> ?1 AND m.deleted_seq = 0 AND m.thread_root_id = '' LIMIT ?3))";

Error storage(const std::string& what) { return Error::make(ErrorCode::storage, what); }

std::string join_lines(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) out += '\n';
    out += id;
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

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

struct CacheStore::Statements {
  explicit Statements(SQLite::Database& db)
      : ensure_conversation(db, "INSERT OR IGNORE INTO conversations (id) VALUES (?1)"),
        upsert_listed(db,
                      "INSERT INTO conversations (id, kind, workspace_id, name, topic, member_count, head_seq, "
                      "read_seq, listed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1) "
                      "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, workspace_id = excluded.workspace_id, "
                      "name = excluded.name, topic = excluded.topic, member_count = excluded.member_count, "
                      "head_seq = max(head_seq, excluded.head_seq), read_seq = max(read_seq, excluded.read_seq), "
                      "listed = 1"),
        move_cursor(db,
                    "UPDATE conversations SET cursor = ?2, head_seq = max(head_seq, ?2), "
                    "low_seq = CASE WHEN ?3 THEN ?4 ELSE low_seq END WHERE id = ?1"),
        move_low(db, "UPDATE conversations SET low_seq = min(low_seq, ?2) WHERE id = ?1"),
        created(db,
                "INSERT INTO messages (message_id, conversation_id, seq, sender_id, client_message_id, text, "
                "text_seq, created_at_ms, reply_to, thread_root_id, attachments) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?3, ?7, ?8, ?9, ?10) "
                "ON CONFLICT (message_id) DO UPDATE SET seq = excluded.seq, sender_id = excluded.sender_id, "
                "client_message_id = excluded.client_message_id, created_at_ms = excluded.created_at_ms, "
                "reply_to = excluded.reply_to, thread_root_id = excluded.thread_root_id, "
                "attachments = excluded.attachments, "
                "text = CASE WHEN deleted_seq > 0 THEN '' WHEN text_seq < excluded.text_seq THEN excluded.text "
                "ELSE text END, text_seq = max(text_seq, excluded.text_seq)"),
        edited(db,
               "INSERT INTO messages (message_id, conversation_id, text, text_seq, edited) "
               "VALUES (?1, ?2, ?3, ?4, 1) "
               "ON CONFLICT (message_id) DO UPDATE SET edited = 1, "
               "text = CASE WHEN deleted_seq > 0 THEN '' WHEN text_seq < excluded.text_seq THEN excluded.text "
               "ELSE text END, text_seq = max(text_seq, excluded.text_seq)"),
        deleted(db,
                "INSERT INTO messages (message_id, conversation_id, deleted_seq) VALUES (?1, ?2, ?3) "
                "ON CONFLICT (message_id) DO UPDATE SET text = '', "
                "deleted_seq = CASE WHEN deleted_seq = 0 THEN excluded.deleted_seq "
                "ELSE min(deleted_seq, excluded.deleted_seq) END"),
        reaction(db,
                 "INSERT INTO reactions (message_id, emoji, user_id, seq, present) VALUES (?1, ?2, ?3, ?4, ?5) "
                 "ON CONFLICT (message_id, emoji, user_id) DO UPDATE SET seq = excluded.seq, "
                 "present = excluded.present WHERE excluded.seq > reactions.seq"),
        member(db,
               "INSERT INTO members (conversation_id, user_id, seq, present) VALUES (?1, ?2, ?3, ?4) "
               "ON CONFLICT (conversation_id, user_id) DO UPDATE SET seq = excluded.seq, "
               "present = excluded.present WHERE excluded.seq > members.seq"),
        renamed(db, "UPDATE conversations SET name = ?2, topic = ?3, meta_seq = ?4 WHERE id = ?1 AND meta_seq < ?4"),
        advance_read(db, "UPDATE conversations SET read_seq = ?2 WHERE id = ?1 AND read_seq < ?2"),
        cursors(db, "SELECT id, cursor FROM conversations ORDER BY id"),
        conversations(db, std::string("SELECT ") + kConversationColumns +
                              " FROM conversations c WHERE c.listed = 1 ORDER BY c.name, c.id"),
        conversation(db, std::string("SELECT ") + kConversationColumns + " FROM conversations c WHERE c.id = ?2"),
        members(db, "SELECT user_id FROM members WHERE conversation_id = ?1 AND present = 1 ORDER BY user_id"),
        page(db, std::string("SELECT ") + kMessageColumns +
                     " FROM messages m WHERE m.conversation_id = ?1 AND m.seq < ?2 AND m.thread_root_id = '' "
                     "ORDER BY m.seq DESC LIMIT ?3"),
        thread(db, std::string("SELECT ") + kMessageColumns +
                       " FROM messages m WHERE m.thread_root_id = ?1 AND m.thread_root_id <> '' AND m.seq IS NOT NULL "
                       "ORDER BY m.seq LIMIT ?2"),
        search(db, std::string("SELECT ") + kMessageColumns +
                       " FROM messages_fts f JOIN messages m ON m.rowid = f.rowid WHERE messages_fts MATCH ?1 "
                       "AND m.seq IS NOT NULL AND m.deleted_seq = 0 AND (?2 = '' OR m.conversation_id = ?2) "
                       "ORDER BY m.created_at_ms DESC, m.seq DESC LIMIT ?3"),
        reactions(db, "SELECT emoji, user_id FROM reactions WHERE message_id = ?1 AND present = 1 ORDER BY emoji, user_id"),
        low(db, "SELECT low_seq FROM conversations WHERE id = ?1"),
        has_client_id(db,
                      "SELECT 1 FROM messages WHERE client_message_id = ?1 AND client_message_id <> '' "
                      "AND seq IS NOT NULL") {}

  SQLite::Statement ensure_conversation, upsert_listed, move_cursor, move_low;
  SQLite::Statement created, edited, deleted, reaction, member, renamed, advance_read;
  SQLite::Statement cursors, conversations, conversation, members, page, thread, search, reactions, low;
  SQLite::Statement has_client_id;
};

Result<CacheStore::Opened> CacheStore::open(const std::filesystem::path& path, Synchronous synchronous) {
  auto attempt = [&] {
    auto db = std::make_unique<SQLite::Database>(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db->setBusyTimeout(200);
    db->exec("PRAGMA journal_mode = WAL");
    db->exec(synchronous == Synchronous::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    std::unique_ptr<CacheStore> store(new CacheStore(std::move(db), path));
    store->migrate();
    store->statements_ = std::make_unique<Statements>(*store->db_);
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

void CacheStore::migrate() { store::migrate(*db_, db_->execAndGet("PRAGMA user_version").getInt(), kMigrations); }

Result<void> CacheStore::update_conversations(std::span<const protocol::ConversationSummary> listed, bool complete) {
  std::lock_guard lock(mutex_);
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
    }
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return failed("cannot store the conversation list", e);
  }
}

Result<std::vector<CacheCursor>> CacheStore::cursors() {
  std::lock_guard lock(mutex_);
  try {
    std::vector<CacheCursor> out;
    Use q(statements_->cursors);
    while (q->executeStep()) out.push_back({q->getColumn(0).getString(), q->getColumn(1).getInt64()});
    return out;
  } catch (const std::exception& e) {
    return failed("cannot read the cursors", e);
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
      q->bind(10, join_lines(e.body.attachments));
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
  std::lock_guard lock(mutex_);
  try {
    SQLite::Transaction tx(*db_);
    apply_batch(conversation_id, events, mode);
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return failed("cannot store events of " + conversation_id, e);
  }
}

Result<void> CacheStore::apply(std::span<const Batch> batches) {
  if (batches.empty()) return {};
  std::lock_guard lock(mutex_);
  try {
    SQLite::Transaction tx(*db_);
    for (const auto& b : batches) apply_batch(b.conversation_id, b.events, b.mode);
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return failed("cannot store events", e);
  }
}

Result<bool> CacheStore::advance_read(const std::string& conversation_id, Seq read_seq) {
  std::lock_guard lock(mutex_);
  try {
    Use q(statements_->advance_read);
    q->bind(1, conversation_id);
    q->bind(2, read_seq);
    return q->exec() > 0;
  } catch (const std::exception& e) {
    return failed("cannot store the read cursor", e);
  }
}

ConversationInfo CacheStore::read_conversation(SQLite::Statement& q) {
  ConversationInfo c;
  c.conversation_id = q.getColumn(0).getString();
  c.kind = q.getColumn(1).getString();
  c.workspace_id = q.getColumn(2).getString();
  c.name = q.getColumn(3).getString();
  c.topic = q.getColumn(4).getString();
  c.head_seq = q.getColumn(5).getInt64();
  c.synced_seq = q.getColumn(6).getInt64();
  c.read_seq = q.getColumn(7).getInt64();
  c.member_count = q.getColumn(8).getInt();
  c.unread_count = q.getColumn(9).getInt64();
  Use m(statements_->members);
  m->bind(1, c.conversation_id);
  while (m->executeStep()) c.members.push_back(m->getColumn(0).getString());
  return c;
}

Result<std::vector<ConversationInfo>> CacheStore::conversations(const std::string& user_id) {
  std::lock_guard lock(mutex_);
  try {
    std::vector<ConversationInfo> out;
    Use q(statements_->conversations);
    q->bind(1, user_id);
    q->bind(3, kUnreadCountCap);
    while (q->executeStep()) out.push_back(read_conversation(*q));
    return out;
  } catch (const std::exception& e) {
    return failed("cannot read the conversations", e);
  }
}

Result<std::optional<ConversationInfo>> CacheStore::conversation(const std::string& conversation_id,
                                                                 const std::string& user_id) {
  std::lock_guard lock(mutex_);
  try {
    Use q(statements_->conversation);
    q->bind(1, user_id);
    q->bind(3, kUnreadCountCap);
    q->bind(2, conversation_id);
    if (!q->executeStep()) return std::optional<ConversationInfo>();
    return std::optional<ConversationInfo>(read_conversation(*q));
  } catch (const std::exception& e) {
    return failed("cannot read the conversation", e);
  }
}

std::vector<TimelineMessage> CacheStore::read_messages(SQLite::Statement& q) {
  std::vector<TimelineMessage> out;
  while (q.executeStep()) {
    TimelineMessage m;
    m.conversation_id = q.getColumn(0).getString();
    m.seq = q.getColumn(1).getInt64();
    m.message_id = q.getColumn(2).getString();
    m.client_message_id = q.getColumn(3).getString();
    m.sender_id = q.getColumn(4).getString();
    m.text = q.getColumn(5).getString();
    m.created_at_ms = q.getColumn(6).getInt64();
    m.edited = q.getColumn(7).getInt() != 0;
    m.deleted = q.getColumn(8).getInt64() != 0;
    m.attachments = split_lines(q.getColumn(9).getString());
    m.reply_to = q.getColumn(10).getString();
    m.thread_root_id = q.getColumn(11).getString();
    m.reply_count = q.getColumn(12).getInt();
    out.push_back(std::move(m));
  }
  for (auto& m : out) {
    Use r(statements_->reactions);
    r->bind(1, m.message_id);
    while (r->executeStep()) {
      auto emoji = r->getColumn(0).getString();
      if (m.reactions.empty() || m.reactions.back().emoji != emoji) m.reactions.push_back({emoji, {}});
      m.reactions.back().user_ids.push_back(r->getColumn(1).getString());
    }
  }
  return out;
}

Result<MessagePage> CacheStore::page(const std::string& conversation_id, Seq before_seq, int limit) {
  limit = std::clamp(limit, 1, kMaxPage);
  std::lock_guard lock(mutex_);
  try {
    MessagePage page;
    {
      Use q(statements_->page);
      q->bind(1, conversation_id);
      q->bind(2, before_seq > 0 ? before_seq : std::numeric_limits<Seq>::max());
      q->bind(3, limit);
      page.messages = read_messages(*q);
    }
    std::reverse(page.messages.begin(), page.messages.end());
    if (static_cast<int>(page.messages.size()) < limit) {
      Use q(statements_->low);
      q->bind(1, conversation_id);
      page.more_on_server = q->executeStep() && q->getColumn(0).getInt64() > 1;
    }
    return page;
  } catch (const std::exception& e) {
    return failed("cannot read messages", e);
  }
}

Result<std::vector<TimelineMessage>> CacheStore::thread(const std::string& root_message_id, int limit) {
  std::lock_guard lock(mutex_);
  try {
    Use q(statements_->thread);
    q->bind(1, root_message_id);
    q->bind(2, std::clamp(limit, 1, kMaxPage));
    return read_messages(*q);
  } catch (const std::exception& e) {
    return failed("cannot read the thread", e);
  }
}

Result<std::vector<TimelineMessage>> CacheStore::search(const std::string& query, const std::string& conversation_id,
                                                        int limit) {
  auto match = fts_query(query);
  if (match.empty()) return Error::make(ErrorCode::invalid_argument, "the search query has no words");
  std::lock_guard lock(mutex_);
  try {
    Use q(statements_->search);
    q->bind(1, match);
    q->bind(2, conversation_id);
    q->bind(3, std::clamp(limit, 1, kMaxPage));
    return read_messages(*q);
  } catch (const std::exception& e) {
    return failed("cannot search", e);
  }
}

Result<void> CacheStore::set_user_id(const std::string& user_id) {
  std::lock_guard lock(mutex_);
  try {
    SQLite::Statement q(*db_, "INSERT OR REPLACE INTO meta (key, value) VALUES ('user_id', ?1)");
    q.bind(1, user_id);
    q.exec();
    return {};
  } catch (const std::exception& e) {
    return failed("cannot store the user id", e);
  }
}

Result<std::string> CacheStore::user_id() {
  std::lock_guard lock(mutex_);
  try {
    SQLite::Statement q(*db_, "SELECT value FROM meta WHERE key = 'user_id'");
    return q.executeStep() ? q.getColumn(0).getString() : std::string();
  } catch (const std::exception& e) {
    return failed("cannot read the user id", e);
  }
}

Result<Seq> CacheStore::low_seq(const std::string& conversation_id) {
  std::lock_guard lock(mutex_);
  try {
    Use q(statements_->low);
    q->bind(1, conversation_id);
    return q->executeStep() ? q->getColumn(0).getInt64() : Seq{1};
  } catch (const std::exception& e) {
    return failed("cannot read the conversation", e);
  }
}

Result<std::vector<std::string>> CacheStore::stored_client_ids(std::span<const std::string> client_message_ids) {
  std::lock_guard lock(mutex_);
  try {
    std::vector<std::string> out;
    for (const auto& id : client_message_ids) {
      Use q(statements_->has_client_id);
      q->bind(1, id);
      if (q->executeStep()) out.push_back(id);
    }
    return out;
  } catch (const std::exception& e) {
    return failed("cannot read messages", e);
  }
}

}  // namespace confab::store
