#include "store/outbox_store.h"

#include <array>
#include <map>

#include <SQLiteCpp/SQLiteCpp.h>

#include "protocol/protocol.h"
#include "store/damage.h"
#include "store/migrations.h"
#include "store/use_statement.h"

namespace confab::store {
namespace {

// Forward-only migrations: step N takes schema version N-1 to N. A released step is
// never edited; a change is a new step. No step may delete outbox rows.
constexpr std::array<const char*, OutboxStore::kSchemaVersion> kMigrations{
    R"sql(
    CREATE TABLE outbox (
      local_id             INTEGER PRIMARY KEY AUTOINCREMENT,
      client_message_id    TEXT    NOT NULL UNIQUE,
      conversation_id      TEXT    NOT NULL,
      text                 TEXT    NOT NULL,
      state                TEXT    NOT NULL,
      attempts             INTEGER NOT NULL DEFAULT 0,
      next_attempt_at_ms   INTEGER NOT NULL DEFAULT 0,
      age_from_ms          INTEGER NOT NULL,
      created_at_ms        INTEGER NOT NULL,
      error_code           TEXT,
      error_retryable      INTEGER,
      error_message        TEXT,
      error_retry_after_ms INTEGER,
      message_id           TEXT,
      conversation_seq     INTEGER
    );
    CREATE INDEX outbox_unsent ON outbox (state) WHERE state <> 'sent';
    )sql",
    // 2: edits, deletes and reactions, which may wait for a message still in the outbox.
    R"sql(
    ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'message';
    ALTER TABLE outbox ADD COLUMN emoji TEXT NOT NULL DEFAULT '';
    ALTER TABLE outbox ADD COLUMN target_message_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE outbox ADD COLUMN target_local_id INTEGER NOT NULL DEFAULT 0;
    )sql",
    // 3: the user's conversations, as the server lists them at each connection. No longer
    // used: the local store keeps that list (docs/architecture.md, "Who owns what"); the
    // table stays, since migrations only go forward.
    R"sql(
    CREATE TABLE conversations (id TEXT PRIMARY KEY) WITHOUT ROWID;
    )sql",
    // 4: replies and threads, which may name a message still in the outbox by local id.
    R"sql(
    ALTER TABLE outbox ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
    ALTER TABLE outbox ADD COLUMN reply_to_local_id INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN thread_root_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE outbox ADD COLUMN thread_root_local_id INTEGER NOT NULL DEFAULT 0;
    )sql",
    // 5: files: a message's attachments (the wire's JSON, an attachment's id empty until
    // its upload is done), and the server's upload session of each while it runs.
    R"sql(
    ALTER TABLE outbox ADD COLUMN attachments TEXT NOT NULL DEFAULT '';
    CREATE TABLE uploads (
      local_id   INTEGER NOT NULL,
      idx        INTEGER NOT NULL,
      upload_id  TEXT    NOT NULL,
      PRIMARY KEY (local_id, idx)
    ) WITHOUT ROWID;
    )sql",
};

constexpr const char* kColumns =
    "local_id, client_message_id, conversation_id, text, state, attempts, next_attempt_at_ms, "
    "age_from_ms, created_at_ms, error_code, error_retryable, error_message, error_retry_after_ms, "
    "message_id, conversation_seq, kind, emoji, target_message_id, target_local_id, "
    "reply_to, reply_to_local_id, thread_root_id, thread_root_local_id, attachments";

Error storage(const std::string& what) { return Error::make(ErrorCode::storage, what); }

OutboxKind kind_from_string(const std::string& s) {
  for (auto kind : {OutboxKind::edit, OutboxKind::remove, OutboxKind::react, OutboxKind::unreact}) {
    if (to_string(kind) == s) return kind;
  }
  return OutboxKind::message;
}

OutboxState state_from_string(const std::string& s) {
  if (s == "sending") return OutboxState::sending;
  if (s == "sent") return OutboxState::sent;
  if (s == "failed") return OutboxState::failed;
  return OutboxState::pending;
}

core::OutboxRow read_row(SQLite::Statement& q) {
  core::OutboxRow row;
  auto& m = row.message;
  m.local_id = q.getColumn(0).getInt64();
  m.client_message_id = q.getColumn(1).getString();
  m.conversation_id = q.getColumn(2).getString();
  m.text = q.getColumn(3).getString();
  m.state = state_from_string(q.getColumn(4).getString());
  m.attempts = q.getColumn(5).getInt();
  // Column 6, next_attempt_at_ms, is no longer read: a backoff lives on the monotonic
  // clock in memory, and a restart sends what is pending at once.
  row.age_from_ms = q.getColumn(7).getInt64();
  m.created_at_ms = q.getColumn(8).getInt64();
  if (!q.getColumn(9).isNull()) {
    Error e;
    e.code = error_code_from_string(q.getColumn(9).getString());
    e.retryable = q.getColumn(10).getInt() != 0;
    e.message = q.getColumn(11).getString();
    e.retry_after_ms = q.getColumn(12).getInt64();
    m.last_error = std::move(e);
  }
  m.message_id = q.getColumn(13).getString();
  m.conversation_seq = q.getColumn(14).getInt64();
  m.kind = kind_from_string(q.getColumn(15).getString());
  m.emoji = q.getColumn(16).getString();
  m.target_message_id = q.getColumn(17).getString();
  m.target_local_id = q.getColumn(18).getInt64();
  m.reply_to = q.getColumn(19).getString();
  m.reply_to_local_id = q.getColumn(20).getInt64();
  m.thread_root_id = q.getColumn(21).getString();
  m.thread_root_local_id = q.getColumn(22).getInt64();
  m.attachments = protocol::to_attachments(protocol::attachments_from_text(q.getColumn(23).getString()));
  return row;
}

}  // namespace

struct OutboxStore::Statements {
  explicit Statements(SQLite::Database& db)
      : insert(db,
               "INSERT INTO outbox (client_message_id, conversation_id, text, state, attempts, "
               "next_attempt_at_ms, age_from_ms, created_at_ms, kind, emoji, target_message_id, target_local_id, "
               "reply_to, reply_to_local_id, thread_root_id, thread_root_local_id, attachments) "
               "VALUES (?1, ?2, ?3, 'pending', 0, 0, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"),
        update(db,
               "UPDATE outbox SET state = ?2, attempts = ?3, next_attempt_at_ms = ?4, age_from_ms = ?5, "
               "error_code = ?6, error_retryable = ?7, error_message = ?8, error_retry_after_ms = ?9, "
               "message_id = ?10, conversation_seq = ?11, target_message_id = ?12, reply_to = ?13, thread_root_id = ?14, "
               "attachments = ?15 WHERE local_id = ?1"),
        remove(db, "DELETE FROM outbox WHERE local_id = ?1"),
        forget_uploads(db, "DELETE FROM uploads WHERE local_id = ?1"),
        unsent(db, std::string("SELECT ") + kColumns + " FROM outbox WHERE state <> 'sent' ORDER BY local_id"),
        get(db, std::string("SELECT ") + kColumns + " FROM outbox WHERE local_id = ?1") {}

  SQLite::Statement insert;
  SQLite::Statement update;
  SQLite::Statement remove;
  SQLite::Statement forget_uploads;
  SQLite::Statement unsent;
  SQLite::Statement get;
};

std::unique_ptr<OutboxStore> OutboxStore::open_or_throw(const std::filesystem::path& path, Synchronous synchronous) {
  auto db = std::make_unique<SQLite::Database>(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  // Exclusive locking: the lock is taken by the first write below and held until the
  // store closes, so two clients never flush one outbox. The OS drops it if the process dies.
  db->exec("PRAGMA locking_mode = EXCLUSIVE");
  db->setBusyTimeout(200);  // only opening waits on the lock
  db->exec("PRAGMA journal_mode = WAL");
  db->exec(synchronous == Synchronous::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  std::unique_ptr<OutboxStore> store(new OutboxStore(std::move(db)));
  store->migrate();
  store->statements_ = std::make_unique<Statements>(*store->db_);
  // Every unsent row is read at startup anyway; reading them here finds a damaged table.
  store->db_->exec(std::string("SELECT ") + kColumns + " FROM outbox WHERE state <> 'sent'");
  return store;
}

Result<std::unique_ptr<OutboxStore>> OutboxStore::open(const std::filesystem::path& path,
                                                       Synchronous synchronous) {
  try {
    return open_or_throw(path, synchronous);
  } catch (const std::exception& e) {
    return storage("cannot open the outbox database " + path.string() + ": " + e.what());
  }
}

Result<OutboxStore::Recovered> OutboxStore::open_recovering(const std::filesystem::path& path,
                                                            Synchronous synchronous) {
  Recovered out;
  try {
    out.store = open_or_throw(path, synchronous);
    return out;
  } catch (const SQLite::Exception& e) {
    if (path == ":memory:" || !is_damage(e)) {
      return storage("cannot open the outbox database " + path.string() + ": " + e.what());
    }
    out.detail = "the outbox database " + path.string() + " was unreadable (" + e.what() + ")";
  } catch (const std::exception& e) {
    return storage("cannot open the outbox database " + path.string() + ": " + e.what());
  }
  auto damaged = move_aside(path);
  out.rebuilt = true;
  out.detail += "; it was moved to " + damaged;

  // Whatever unsent rows can still be read, in order, until the damage stops the scan.
  std::vector<core::OutboxRow> rows;
  try {
    SQLite::Database old(damaged, SQLite::OPEN_READONLY);
    SQLite::Statement q(old, std::string("SELECT ") + kColumns + " FROM outbox NOT INDEXED WHERE state <> 'sent' ORDER BY local_id");
    while (q.executeStep()) rows.push_back(read_row(q));
  } catch (const std::exception& e) {
    out.detail += std::string("; reading its unsent messages stopped at: ") + e.what();
  }

  auto fresh = open(path, synchronous);
  if (!fresh) return fresh.error();
  out.store = std::move(fresh).value();
  std::map<std::int64_t, std::int64_t> renumbered;  // old local id -> new
  for (auto& row : rows) {
    auto& m = row.message;
    // A row that waits for another names it by local id: renumber it, or lose the row
    // when that message was not carried over.
    auto renumber = [&renumbered](std::int64_t& local_id, const std::string& server_id) {
      if (local_id == 0 || !server_id.empty()) return true;
      auto target = renumbered.find(local_id);
      if (target == renumbered.end()) return false;
      local_id = target->second;
      return true;
    };
    if (!renumber(m.target_local_id, m.target_message_id) || !renumber(m.reply_to_local_id, m.reply_to) ||
        !renumber(m.thread_root_local_id, m.thread_root_id)) {
      ++out.lost;
      continue;
    }
    auto old_id = m.local_id;
    auto failed = m.state == OutboxState::failed ? m.last_error : std::nullopt;
    auto inserted = out.store->insert(std::move(row));
    if (!inserted) return inserted.error();
    renumbered[old_id] = inserted->message.local_id;
    if (failed) {
      // It stays failed, as the app last saw it, until retried.
      inserted->message.state = OutboxState::failed;
      inserted->message.last_error = failed;
      if (auto written = out.store->write(std::span(&*inserted, 1)); !written) return written.error();
    }
    ++out.salvaged;
  }
  out.detail += "; " + std::to_string(out.salvaged) + " unsent message(s) carried over";
  if (out.lost > 0) out.detail += ", " + std::to_string(out.lost) + " lost";
  return out;
}

std::span<const char* const> OutboxStore::migrations() { return kMigrations; }

OutboxStore::OutboxStore(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {}
OutboxStore::~OutboxStore() = default;

void OutboxStore::migrate() {
  // BEGIN IMMEDIATE takes the write lock now, even when there is nothing to migrate, so a
  // database in use elsewhere is refused here rather than at the first send().
  SQLite::Transaction lock(*db_, SQLite::TransactionBehavior::IMMEDIATE);
  int version = db_->execAndGet("PRAGMA user_version").getInt();
  lock.commit();
  store::migrate(*db_, version, kMigrations);
}

int OutboxStore::schema_version() {
  std::lock_guard lock(mutex_);
  return db_->execAndGet("PRAGMA user_version").getInt();
}

Result<core::OutboxRow> OutboxStore::insert(core::OutboxRow row) {
  std::lock_guard lock(mutex_);
  try {
    auto& m = row.message;
    Use q(statements_->insert);
    q->bind(1, m.client_message_id);
    q->bind(2, m.conversation_id);
    q->bind(3, m.text);
    q->bind(4, row.age_from_ms);
    q->bind(5, m.created_at_ms);
    q->bind(6, std::string(to_string(m.kind)));
    q->bind(7, m.emoji);
    q->bind(8, m.target_message_id);
    q->bind(9, m.target_local_id);
    q->bind(10, m.reply_to);
    q->bind(11, m.reply_to_local_id);
    q->bind(12, m.thread_root_id);
    q->bind(13, m.thread_root_local_id);
    q->bind(14, protocol::attachments_text(protocol::to_refs(m.attachments)));
    q->exec();  // autocommit: durable (to the level `synchronous` gives) when this returns
    m.local_id = db_->getLastInsertRowid();
    m.state = OutboxState::pending;
    m.attempts = 0;
    return row;
  } catch (const std::exception& e) {
    return storage(std::string("cannot queue the message: ") + e.what());
  }
}

Result<void> OutboxStore::write(std::span<const core::OutboxRow> rows) {
  if (rows.empty()) return {};
  std::lock_guard lock(mutex_);
  try {
    SQLite::Transaction tx(*db_);
    for (const auto& row : rows) {
      const auto& m = row.message;
      if (m.state == OutboxState::discarded || m.state == OutboxState::sent) {
        Use forget(statements_->forget_uploads);
        forget->bind(1, m.local_id);
        forget->exec();
      }
      if (m.state == OutboxState::discarded) {
        Use q(statements_->remove);
        q->bind(1, m.local_id);
        q->exec();
        continue;
      }
      Use q(statements_->update);
      q->bind(1, m.local_id);
      q->bind(2, std::string(to_string(m.state)));
      q->bind(3, m.attempts);
      q->bind(4, std::int64_t{0});  // next_attempt_at_ms: see read_row()
      q->bind(5, row.age_from_ms);
      if (m.last_error) {
        q->bind(6, std::string(to_string(m.last_error->code)));
        q->bind(7, m.last_error->retryable ? 1 : 0);
        q->bind(8, m.last_error->message);
        q->bind(9, m.last_error->retry_after_ms);
      }
      if (!m.message_id.empty()) {
        q->bind(10, m.message_id);
        q->bind(11, m.conversation_seq);
      }
      q->bind(12, m.target_message_id);
      q->bind(13, m.reply_to);
      q->bind(14, m.thread_root_id);
      q->bind(15, protocol::attachments_text(protocol::to_refs(m.attachments)));
      q->exec();
    }
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return storage(std::string("cannot update the outbox: ") + e.what());
  }
}

Result<std::vector<core::OutboxRow>> OutboxStore::load_unsent() {
  std::lock_guard lock(mutex_);
  try {
    std::vector<core::OutboxRow> rows;
    Use q(statements_->unsent);
    while (q->executeStep()) rows.push_back(read_row(*q));
    return rows;
  } catch (const std::exception& e) {
    return storage(std::string("cannot read the outbox: ") + e.what());
  }
}

Result<std::vector<core::OutboxRow>> OutboxStore::load_recent_sent(int limit) {
  std::lock_guard lock(mutex_);
  try {
    std::vector<core::OutboxRow> rows;
    SQLite::Statement q(*db_, std::string("SELECT ") + kColumns +
                                  " FROM outbox WHERE state = 'sent' AND kind = 'message' ORDER BY local_id DESC LIMIT ?1");
    q.bind(1, limit);
    while (q.executeStep()) rows.push_back(read_row(q));
    return rows;
  } catch (const std::exception& e) {
    return storage(std::string("cannot read the outbox: ") + e.what());
  }
}

Result<core::OutboxRow> OutboxStore::get(std::int64_t local_id) {
  std::lock_guard lock(mutex_);
  try {
    Use q(statements_->get);
    q->bind(1, local_id);
    if (!q->executeStep()) {
      return Error::make(ErrorCode::invalid_argument, "no message with local id " + std::to_string(local_id));
    }
    return read_row(*q);
  } catch (const std::exception& e) {
    return storage(std::string("cannot read the outbox: ") + e.what());
  }
}

Result<void> OutboxStore::set_upload_id(std::int64_t local_id, std::size_t index, const std::string& upload_id) {
  std::lock_guard lock(mutex_);
  try {
    SQLite::Statement q(*db_, "INSERT OR REPLACE INTO uploads (local_id, idx, upload_id) VALUES (?1, ?2, ?3)");
    q.bind(1, local_id);
    q.bind(2, static_cast<std::int64_t>(index));
    q.bind(3, upload_id);
    q.exec();
    return {};
  } catch (const std::exception& e) {
    return storage(std::string("cannot record the upload: ") + e.what());
  }
}

Result<std::map<std::size_t, std::string>> OutboxStore::upload_ids(std::int64_t local_id) {
  std::lock_guard lock(mutex_);
  try {
    std::map<std::size_t, std::string> out;
    SQLite::Statement q(*db_, "SELECT idx, upload_id FROM uploads WHERE local_id = ?1");
    q.bind(1, local_id);
    while (q.executeStep()) out[static_cast<std::size_t>(q.getColumn(0).getInt64())] = q.getColumn(1).getString();
    return out;
  } catch (const std::exception& e) {
    return storage(std::string("cannot read the uploads: ") + e.what());
  }
}

Result<void> OutboxStore::forget_upload(std::int64_t local_id, std::size_t index) {
  std::lock_guard lock(mutex_);
  try {
    SQLite::Statement q(*db_, "DELETE FROM uploads WHERE local_id = ?1 AND idx = ?2");
    q.bind(1, local_id);
    q.bind(2, static_cast<std::int64_t>(index));
    q.exec();
    return {};
  } catch (const std::exception& e) {
    return storage(std::string("cannot update the uploads: ") + e.what());
  }
}

}  // namespace confab::store
