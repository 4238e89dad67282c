#include "message_store.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include <SQLiteCpp/SQLiteCpp.h>

#include "wal_checkpointer.h"
#include "protocol/ids.h"

namespace confab::server {
namespace {

// Forward-only migrations; migration N takes schema version N-1 to N. Never edit a
// released step: add a new one.
constexpr std::array<const char*, MessageStore::kSchemaVersion> kMigrations{
    R"sql(
    CREATE TABLE users (
      id   TEXT PRIMARY KEY,
      name TEXT NOT NULL
    );
    CREATE TABLE conversations (
      id   TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      name TEXT NOT NULL
    );
    CREATE TABLE members (
      conversation_id TEXT NOT NULL REFERENCES conversations(id),
      user_id         TEXT NOT NULL REFERENCES users(id),
      PRIMARY KEY (conversation_id, user_id)
    ) WITHOUT ROWID;
    CREATE TABLE events (
      conversation_id   TEXT    NOT NULL,
      seq               INTEGER NOT NULL,
      kind              TEXT    NOT NULL,
      message_id        TEXT    NOT NULL UNIQUE,
      sender_id         TEXT    NOT NULL,
      client_message_id TEXT    NOT NULL,
      body_text         TEXT    NOT NULL,
      created_at_ms     INTEGER NOT NULL,
      PRIMARY KEY (conversation_id, seq)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX events_by_client_message_id ON events (conversation_id, client_message_id);
    )sql",
    // 2: edits, deletes and reactions. A change event has its own message_id (the event's
    // id) and names the message it changes in target_message_id.
    R"sql(
    ALTER TABLE events ADD COLUMN target_message_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE events ADD COLUMN emoji TEXT NOT NULL DEFAULT '';
    CREATE INDEX events_by_target ON events (target_message_id, kind) WHERE target_message_id <> '';
    CREATE TABLE reactions (
      message_id TEXT    NOT NULL,
      user_id    TEXT    NOT NULL,
      emoji      TEXT    NOT NULL,
      seq        INTEGER NOT NULL,
      PRIMARY KEY (message_id, user_id, emoji)
    ) WITHOUT ROWID;
    )sql",
    // 3: workspaces and roles; conversations created at run time (DMs unique per pair);
    // member and conversation events; read and delivered cursors per device.
    R"sql(
    CREATE TABLE workspaces (
      id   TEXT PRIMARY KEY,
      name TEXT NOT NULL
    );
    CREATE TABLE workspace_members (
      workspace_id TEXT NOT NULL REFERENCES workspaces(id),
      user_id      TEXT NOT NULL REFERENCES users(id),
      role         TEXT NOT NULL,
      PRIMARY KEY (workspace_id, user_id)
    ) WITHOUT ROWID;
    ALTER TABLE conversations ADD COLUMN workspace_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE conversations ADD COLUMN topic TEXT NOT NULL DEFAULT '';
    ALTER TABLE conversations ADD COLUMN dm_key TEXT;
    CREATE UNIQUE INDEX conversations_by_dm_key ON conversations (workspace_id, dm_key) WHERE dm_key IS NOT NULL;
    CREATE INDEX members_by_user ON members (user_id, conversation_id);
    ALTER TABLE events ADD COLUMN member_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE events ADD COLUMN topic TEXT NOT NULL DEFAULT '';
    CREATE TABLE cursors (
      conversation_id TEXT    NOT NULL,
      user_id         TEXT    NOT NULL,
      device_id       TEXT    NOT NULL,
      read_seq        INTEGER NOT NULL DEFAULT 0,
      delivered_seq   INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (conversation_id, user_id, device_id)
    ) WITHOUT ROWID;
    )sql",
    // 4: attachments, and the messages that reference them.
    R"sql(
    CREATE TABLE attachments (
      id            TEXT    PRIMARY KEY,
      uploader_id   TEXT    NOT NULL,
      size          INTEGER NOT NULL,
      content_type  TEXT    NOT NULL,
      created_at_ms INTEGER NOT NULL
    );
    CREATE TABLE message_attachments (
      message_id      TEXT    NOT NULL,
      position        INTEGER NOT NULL,
      attachment_id   TEXT    NOT NULL REFERENCES attachments(id),
      conversation_id TEXT    NOT NULL,
      PRIMARY KEY (message_id, position)
    ) WITHOUT ROWID;
    CREATE INDEX message_attachments_by_attachment ON message_attachments (attachment_id, conversation_id);
    )sql",
    // 5: the push outbox: wake-ups for users with no connected device, until delivered.
    R"sql(
    CREATE TABLE push_outbox (
      id               INTEGER PRIMARY KEY AUTOINCREMENT,
      user_id          TEXT    NOT NULL,
      conversation_id  TEXT    NOT NULL,
      seq              INTEGER NOT NULL,
      sender_id        TEXT    NOT NULL,
      created_at_ms    INTEGER NOT NULL,
      attempts         INTEGER NOT NULL DEFAULT 0,
      next_attempt_ms  INTEGER NOT NULL
    );
    CREATE INDEX push_outbox_due ON push_outbox (next_attempt_ms);
    )sql",
    // 6: replies and threads.
    R"sql(
    ALTER TABLE events ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
    ALTER TABLE events ADD COLUMN thread_root TEXT NOT NULL DEFAULT '';
    )sql",
    // 7: a clientMessageId is the sender's own: deduplicated per (conversation, sender), so
    // one user's id never answers another's request. DMs and group DMs have no name (the
    // ones seeded from the configuration had been given one).
    R"sql(
    DROP INDEX events_by_client_message_id;
    CREATE UNIQUE INDEX events_by_sender_client_message_id ON events (conversation_id, sender_id, client_message_id);
    UPDATE conversations SET name = '' WHERE kind IN ('dm', 'group_dm');
    )sql",
    // 8: an attachment's SHA-256 (as the server computed it), and what the sender of a
    // message said of each file it carries (name, pixel size, preview).
    R"sql(
    ALTER TABLE attachments ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';
    ALTER TABLE message_attachments ADD COLUMN name TEXT NOT NULL DEFAULT '';
    ALTER TABLE message_attachments ADD COLUMN width INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE message_attachments ADD COLUMN height INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE message_attachments ADD COLUMN preview TEXT NOT NULL DEFAULT '';
    CREATE INDEX attachments_by_age ON attachments (created_at_ms);
    )sql",
};

Error internal(const std::string& what) { return Error::make(ErrorCode::internal, what); }

}  // namespace

struct MessageStore::Statements {
  explicit Statements(SQLite::Database& db)
      : is_member(db, "SELECT 1 FROM members WHERE conversation_id = ?1 AND user_id = ?2"),
        members(db, "SELECT user_id FROM members WHERE conversation_id = ?1 ORDER BY user_id"),
        find_duplicate(db,
                       "SELECT CASE WHEN target_message_id <> '' THEN target_message_id ELSE message_id END, seq, "
                       "kind, body_text, target_message_id, emoji, reply_to, thread_root, message_id "
                       "FROM events WHERE conversation_id = ?1 AND sender_id = ?2 AND client_message_id = ?3"),
        attachments_of(db, "SELECT attachment_id FROM message_attachments WHERE message_id = ?1 ORDER BY position"),
        head(db, "SELECT COALESCE(MAX(seq), 0) FROM events WHERE conversation_id = ?1"),
        insert(db,
               "INSERT INTO events (conversation_id, seq, kind, message_id, sender_id, "
               "client_message_id, body_text, created_at_ms, target_message_id, emoji, reply_to, thread_root) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
        after(db,
              "SELECT seq, CASE WHEN target_message_id <> '' THEN target_message_id ELSE message_id END, "
              "sender_id, client_message_id, body_text, created_at_ms, kind, emoji, member_id, topic, reply_to, thread_root "
              "FROM events WHERE conversation_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"),
        before(db,
               "SELECT seq, CASE WHEN target_message_id <> '' THEN target_message_id ELSE message_id END, "
               "sender_id, client_message_id, body_text, created_at_ms, kind, emoji, member_id, topic, reply_to, thread_root "
               "FROM events WHERE conversation_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3"),
        page_attachments(db,
                         "SELECT l.message_id, l.attachment_id, l.name, a.size, a.content_type, a.sha256, l.width, "
                         "l.height, l.preview FROM events e "
                         "JOIN message_attachments l ON l.message_id = e.message_id "
                         "JOIN attachments a ON a.id = l.attachment_id "
                         "WHERE e.conversation_id = ?1 AND e.seq BETWEEN ?2 AND ?3 ORDER BY e.seq, l.position"),
        role(db,
             "SELECT w.role FROM workspace_members w JOIN conversations c ON c.workspace_id = w.workspace_id "
             "WHERE c.id = ?1 AND w.user_id = ?2"),
        author(db,
               "SELECT sender_id FROM events "
               "WHERE message_id = ?1 AND conversation_id = ?2 AND kind = 'message.created'"),
        deleted(db, "SELECT 1 FROM events WHERE target_message_id = ?1 AND kind = 'message.deleted'"),
        find_reaction(db, "SELECT seq FROM reactions WHERE message_id = ?1 AND user_id = ?2 AND emoji = ?3"),
        add_reaction(db, "INSERT INTO reactions (message_id, user_id, emoji, seq) VALUES (?1, ?2, ?3, ?4)"),
        remove_reaction(db, "DELETE FROM reactions WHERE message_id = ?1 AND user_id = ?2 AND emoji = ?3") {}

  SQLite::Statement is_member;
  SQLite::Statement members;
  SQLite::Statement find_duplicate;
  SQLite::Statement attachments_of;
  SQLite::Statement head;
  SQLite::Statement insert;
  SQLite::Statement after;
  SQLite::Statement before;
  SQLite::Statement page_attachments;
  SQLite::Statement role;
  SQLite::Statement author;
  SQLite::Statement deleted;
  SQLite::Statement find_reaction;
  SQLite::Statement add_reaction;
  SQLite::Statement remove_reaction;
};

namespace {

// Resets a cached statement when the scope ends, whatever happened in it.
class Use {
 public:
  explicit Use(SQLite::Statement& s) : s_(s) {}
  ~Use() {
    // tryReset, not reset: reset() rethrows the last step's error, and this may run while
    // that very error is unwinding the stack.
    s_.tryReset();
    s_.clearBindings();  // cannot fail: sqlite3_clear_bindings always returns SQLITE_OK
  }
  SQLite::Statement* operator->() { return &s_; }
  SQLite::Statement& operator*() { return s_; }

 private:
  SQLite::Statement& s_;
};

}  // namespace

Result<std::unique_ptr<MessageStore>> MessageStore::open(const std::filesystem::path& path,
                                                         Durability durability) {
  try {
    auto db = std::make_unique<SQLite::Database>(path.string(),
                                                 SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db->setBusyTimeout(5000);
    db->exec("PRAGMA journal_mode = WAL");
    db->exec(durability == Durability::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    db->exec("PRAGMA foreign_keys = ON");
    std::unique_ptr<MessageStore> store(new MessageStore(std::move(db)));
    store->migrate();
    store->statements_ = std::make_unique<Statements>(*store->db_);
    store->checkpointer_ = std::make_unique<WalCheckpointer>(*store->db_, path, durability == Durability::full);
    return store;
  } catch (const std::exception& e) {
    return internal("cannot open database " + path.string() + ": " + e.what());
  }
}

MessageStore::MessageStore(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {}
MessageStore::~MessageStore() = default;

int MessageStore::background_checkpoints() const { return checkpointer_ ? checkpointer_->checkpoints() : 0; }

void MessageStore::migrate() {
  int version = db_->execAndGet("PRAGMA user_version").getInt();
  if (version > kSchemaVersion) {
    throw std::runtime_error("database schema version " + std::to_string(version) +
                             " is newer than this server (" + std::to_string(kSchemaVersion) + ")");
  }
  for (int next = version + 1; next <= kSchemaVersion; ++next) {
    SQLite::Transaction tx(*db_);
    db_->exec(kMigrations[static_cast<std::size_t>(next - 1)]);
    db_->exec("PRAGMA user_version = " + std::to_string(next));
    tx.commit();
  }
}

Result<void> MessageStore::apply_directory(const ServerConfig& config) {
  try {
    SQLite::Transaction tx(*db_);
    SQLite::Statement user(*db_,
                           "INSERT INTO users (id, name) VALUES (?1, ?2) "
                           "ON CONFLICT (id) DO UPDATE SET name = excluded.name");
    for (const auto& u : config.users) {
      user.bind(1, u.id);
      user.bind(2, u.name);
      user.exec();
      user.reset();
    }
    SQLite::Statement workspace(*db_,
                                "INSERT INTO workspaces (id, name) VALUES (?1, ?2) "
                                "ON CONFLICT (id) DO UPDATE SET name = excluded.name");
    // Workspace membership is the configuration's alone: a user or a workspace removed
    // from it is in no workspace any more (so no directory lists the user).
    db_->exec("DELETE FROM workspace_members");
    SQLite::Statement role(*db_, "INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (?1, ?2, ?3)");
    for (const auto& w : workspaces_of(config)) {
      workspace.bind(1, w.id);
      workspace.bind(2, w.name);
      workspace.exec();
      workspace.reset();
      for (const auto& m : w.members) {
        role.bind(1, w.id);
        role.bind(2, m.user_id);
        role.bind(3, std::string(to_string(m.role)));
        role.exec();
        role.reset();
      }
    }
    // Configured conversations are seeded once; later changes (joins, leaves, renames)
    // belong to the conversation's log and are kept.
    SQLite::Statement conversation(*db_,
                                   "INSERT INTO conversations (id, kind, name, workspace_id, dm_key) "
                                   "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO NOTHING");
    SQLite::Statement member(*db_, "INSERT INTO members (conversation_id, user_id) VALUES (?1, ?2)");
    for (const auto& c : config.conversations) {
      conversation.bind(1, c.id);
      conversation.bind(2, std::string(to_string(c.kind)));
      conversation.bind(3, c.name);
      conversation.bind(4, workspace_of(config, c));
      if (c.kind == ConversationKind::dm) {
        conversation.bind(5, dm_key(c.members.at(0), c.members.at(1)));
      } else {
        conversation.bind(5);
      }
      bool created = conversation.exec() > 0;
      conversation.reset();
      if (!created) continue;
      for (const auto& m : c.members) {
        member.bind(1, c.id);
        member.bind(2, m);
        member.exec();
        member.reset();
      }
    }
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return internal(std::string("cannot store the directory: ") + e.what());
  }
}

AppendResult MessageStore::append_one(const SendRequest& r, std::int64_t now_ms) {
  auto& s = *statements_;
  if (!is_member(r.conversation_id, r.user_id)) {
    // Unknown and foreign conversations answer alike, so ids cannot be probed.
    return Error::make(ErrorCode::not_member, "not a member of conversation '" + r.conversation_id + "'");
  }
  Appended out;
  out.ack.conversation_id = r.conversation_id;
  out.ack.client_message_id = r.client_message_id;
  {
    Use q(s.find_duplicate);
    q->bind(1, r.conversation_id);
    q->bind(2, r.user_id);
    q->bind(3, r.client_message_id);
    if (q->executeStep()) {
      // A resend gets the original ack; another request under the same id gets an error,
      // never the ack of a request it is not.
      if (!same_request(r, *q)) {
        return Error::make(ErrorCode::invalid_field,
                           "clientMessageId '" + r.client_message_id +
                               "' was already used by you in this conversation for a different request");
      }
      out.ack.message_id = q->getColumn(0).getString();
      out.ack.conversation_seq = q->getColumn(1).getInt64();
      return out;
    }
  }
  // Each file as the server recorded it, with what only the sender knows (its name, pixel
  // size and preview); a size or SHA-256 the sender declared must be the server's.
  std::vector<protocol::AttachmentRef> attachments;
  for (const auto& declared : r.attachments) {
    SQLite::Statement q(*db_, "SELECT uploader_id, size, content_type, sha256 FROM attachments WHERE id = ?1");
    q.bind(1, declared.id);
    if (!q.executeStep() || q.getColumn(0).getString() != r.user_id) {
      return Error::make(ErrorCode::not_found, "no attachment '" + declared.id + "' uploaded by you");
    }
    protocol::AttachmentRef file = declared;
    file.size = q.getColumn(1).getInt64();
    file.content_type = q.getColumn(2).getString();
    file.sha256 = q.getColumn(3).getString();
    if (declared.size != 0 && declared.size != file.size) {
      return Error::make(ErrorCode::invalid_field, "attachment '" + declared.id + "' has " +
                                                       std::to_string(file.size) + " bytes, not " +
                                                       std::to_string(declared.size));
    }
    if (!declared.sha256.empty() && declared.sha256 != file.sha256) {
      return Error::make(ErrorCode::invalid_field, "attachment '" + declared.id + "' does not have that sha256");
    }
    attachments.push_back(std::move(file));
  }
  for (const auto* referenced : {&r.reply_to, &r.thread_root_id}) {
    if (referenced->empty()) continue;
    SQLite::Statement q(*db_, "SELECT thread_root FROM events WHERE message_id = ?1 AND conversation_id = ?2 "
                              "AND kind = 'message.created' AND NOT EXISTS (SELECT 1 FROM events d WHERE "
                              "d.target_message_id = ?1 AND d.kind = 'message.deleted')");
    q.bind(1, *referenced);
    q.bind(2, r.conversation_id);
    if (!q.executeStep()) {
      return Error::make(ErrorCode::not_found, "no message '" + *referenced + "' in conversation '" +
                                                   r.conversation_id + "'");
    }
    if (referenced == &r.thread_root_id && !q.getColumn(0).getString().empty()) {
      return Error::make(ErrorCode::invalid_field, "threads do not nest: '" + *referenced + "' is itself a reply in a thread");
    }
  }
  if (r.kind != EventKind::message_created) {
    auto checked = check_change(r, out);
    if (!checked) return checked.error();
    if (!*checked) return out;  // already so (a repeated reaction): the earlier ack, no event
  }
  Seq seq = 0;
  {
    Use q(s.head);
    q->bind(1, r.conversation_id);
    q->executeStep();
    seq = q->getColumn(0).getInt64() + 1;
  }
  std::string event_id = ids::new_uuid_v7();
  {
    Use q(s.insert);
    q->bind(1, r.conversation_id);
    q->bind(2, seq);
    q->bind(3, std::string(to_string(r.kind)));
    q->bind(4, event_id);
    q->bind(5, r.user_id);
    q->bind(6, r.client_message_id);
    q->bind(7, r.text);
    q->bind(8, now_ms);
    q->bind(9, r.target_message_id);
    q->bind(10, r.emoji);
    q->bind(11, r.reply_to);
    q->bind(12, r.thread_root_id);
    q->exec();
  }
  for (std::size_t i = 0; i < attachments.size(); ++i) {
    SQLite::Statement q(*db_, "INSERT INTO message_attachments (message_id, position, attachment_id, conversation_id, "
                              "name, width, height, preview) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    q.bind(1, event_id);
    q.bind(2, static_cast<std::int64_t>(i));
    q.bind(3, attachments[i].id);
    q.bind(4, r.conversation_id);
    q.bind(5, attachments[i].name);
    q.bind(6, attachments[i].width);
    q.bind(7, attachments[i].height);
    q.bind(8, attachments[i].preview);
    q.exec();
  }
  if (r.kind == EventKind::reaction_added || r.kind == EventKind::reaction_removed) {
    Use q(r.kind == EventKind::reaction_added ? s.add_reaction : s.remove_reaction);
    q->bind(1, r.target_message_id);
    q->bind(2, r.user_id);
    q->bind(3, r.emoji);
    if (r.kind == EventKind::reaction_added) q->bind(4, seq);
    q->exec();
  }
  out.members = members(r.conversation_id);
  // The message a change applies to is what its ack and event name.
  const std::string& message_id = r.kind == EventKind::message_created ? event_id : r.target_message_id;
  out.ack.message_id = message_id;
  out.ack.conversation_seq = seq;
  protocol::Event event;
  event.conversation_id = r.conversation_id;
  event.conversation_seq = seq;
  event.message_id = message_id;
  event.sender_id = r.user_id;
  event.client_message_id = r.client_message_id;
  event.body.text = r.text;
  event.body.attachments = std::move(attachments);
  event.reply_to = r.reply_to;
  event.thread_root_id = r.thread_root_id;
  event.created_at_ms = now_ms;
  event.kind = r.kind;
  event.emoji = r.emoji;
  out.event = std::move(event);
  return out;
}

bool MessageStore::same_request(const SendRequest& r, SQLite::Statement& stored) {
  if (stored.getColumn(2).getString() != to_string(r.kind)) return false;
  auto same = [&stored](int column, const std::string& value) { return stored.getColumn(column).getString() == value; };
  switch (r.kind) {
    case EventKind::message_created: {
      if (!same(3, r.text) || !same(6, r.reply_to) || !same(7, r.thread_root_id)) return false;
      std::vector<std::string> attachments;
      Use q(statements_->attachments_of);
      q->bind(1, stored.getColumn(8).getString());
      while (q->executeStep()) attachments.push_back(q->getColumn(0).getString());
      // The same files, by id: what the sender says of them may differ between resends
      // (a preview made again), and the first one stands.
      if (attachments.size() != r.attachments.size()) return false;
      for (std::size_t i = 0; i < attachments.size(); ++i) {
        if (attachments[i] != r.attachments[i].id) return false;
      }
      return true;
    }
    case EventKind::message_edited: return same(4, r.target_message_id) && same(3, r.text);
    case EventKind::message_deleted: return same(4, r.target_message_id);
    case EventKind::reaction_added:
    case EventKind::reaction_removed: return same(4, r.target_message_id) && same(5, r.emoji);
    default: return false;
  }
}

Result<bool> MessageStore::check_change(const SendRequest& r, Appended& out) {
  auto& s = *statements_;
  auto missing = [&r] {
    return Error::make(ErrorCode::not_found,
                       "no message '" + r.target_message_id + "' in conversation '" + r.conversation_id + "'");
  };
  std::string author;
  {
    Use q(s.author);
    q->bind(1, r.target_message_id);
    q->bind(2, r.conversation_id);
    if (!q->executeStep()) return missing();
    author = q->getColumn(0).getString();
  }
  {
    Use q(s.deleted);
    q->bind(1, r.target_message_id);
    if (q->executeStep()) return missing();
  }
  bool authors_only = r.kind == EventKind::message_edited || r.kind == EventKind::message_deleted;
  if (authors_only && author != r.user_id) {
    Use q(s.role);
    q->bind(1, r.conversation_id);
    q->bind(2, r.user_id);
    bool admin = q->executeStep() && q->getColumn(0).getString() != "member";
    if (!admin) {
      return Error::make(ErrorCode::forbidden,
                         "only the author or a workspace admin can edit or delete message '" + r.target_message_id + "'");
    }
  }
  if (r.kind == EventKind::reaction_added || r.kind == EventKind::reaction_removed) {
    Use q(s.find_reaction);
    q->bind(1, r.target_message_id);
    q->bind(2, r.user_id);
    q->bind(3, r.emoji);
    bool present = q->executeStep();
    if (r.kind == EventKind::reaction_removed && !present) {
      return Error::make(ErrorCode::not_found, "no reaction '" + r.emoji + "' of yours on message '" +
                                                   r.target_message_id + "'");
    }
    if (r.kind == EventKind::reaction_added && present) {
      out.ack.message_id = r.target_message_id;
      out.ack.conversation_seq = q->getColumn(0).getInt64();
      return false;
    }
  }
  return true;
}

std::vector<AppendResult> MessageStore::append_batch(std::span<const SendRequest> requests,
                                                     std::int64_t now_ms) {
  std::vector<AppendResult> results;
  results.reserve(requests.size());
  try {
    SQLite::Transaction tx(*db_);
    for (const auto& request : requests) results.push_back(append_one(request, now_ms));
    tx.commit();
  } catch (const std::exception& e) {
    // The transaction rolled back: nothing of this batch exists. The clients resend with
    // the same clientMessageId, so retrying is safe.
    results.assign(requests.size(), AppendResult(internal(std::string("commit failed: ") + e.what())));
  }
  return results;
}

Seq MessageStore::head_seq(const std::string& conversation_id) {
  Use q(statements_->head);
  q->bind(1, conversation_id);
  q->executeStep();
  return q->getColumn(0).getInt64();
}

namespace {

protocol::Event read_event_row(SQLite::Statement& q, const std::string& conversation_id) {
  protocol::Event e;
  e.conversation_id = conversation_id;
  e.conversation_seq = q.getColumn(0).getInt64();
  e.sender_id = q.getColumn(2).getString();
  e.created_at_ms = q.getColumn(5).getInt64();
  std::string kind = q.getColumn(6).getString();
  for (auto k : {EventKind::message_edited, EventKind::message_deleted, EventKind::reaction_added,
                 EventKind::reaction_removed, EventKind::member_joined, EventKind::member_left,
                 EventKind::conversation_updated}) {
    if (to_string(k) == kind) e.kind = k;
  }
  switch (e.kind) {
    case EventKind::member_joined:
    case EventKind::member_left:
      e.member_id = q.getColumn(8).getString();
      break;
    case EventKind::conversation_updated:
      e.name = q.getColumn(4).getString();
      e.topic = q.getColumn(9).getString();
      break;
    default:
      e.message_id = q.getColumn(1).getString();
      e.client_message_id = q.getColumn(3).getString();
      e.body.text = q.getColumn(4).getString();
      e.emoji = q.getColumn(7).getString();
      e.reply_to = q.getColumn(10).getString();
      e.thread_root_id = q.getColumn(11).getString();
      break;
  }
  return e;
}

}  // namespace

bool MessageStore::is_member(const std::string& conversation_id, const std::string& user_id) {
  Use q(statements_->is_member);
  q->bind(1, conversation_id);
  q->bind(2, user_id);
  return q->executeStep();
}

std::vector<std::string> MessageStore::members(const std::string& conversation_id) {
  std::vector<std::string> out;
  Use q(statements_->members);
  q->bind(1, conversation_id);
  while (q->executeStep()) out.push_back(q->getColumn(0).getString());
  return out;
}

std::vector<protocol::Event> MessageStore::events_after(const std::string& conversation_id,
                                                        Seq after_seq, std::size_t limit) {
  return read_events(statements_->after, conversation_id, after_seq, limit, false);
}

std::vector<protocol::Event> MessageStore::events_before(const std::string& conversation_id,
                                                         Seq before_seq, std::size_t limit) {
  return read_events(statements_->before, conversation_id, before_seq, limit, true);
}

std::vector<protocol::Event> MessageStore::read_events(SQLite::Statement& statement, const std::string& conversation_id,
                                                       Seq from_seq, std::size_t limit, bool newest_first) {
  std::vector<protocol::Event> out;
  {
    Use q(statement);
    q->bind(1, conversation_id);
    q->bind(2, from_seq);
    q->bind(3, static_cast<std::int64_t>(limit));
    while (q->executeStep()) out.push_back(read_event_row(*q, conversation_id));
  }
  if (newest_first) std::reverse(out.begin(), out.end());
  if (out.empty()) return out;
  // The page's attachments in one query, matched to their messages in order.
  std::unordered_map<std::string, protocol::Event*> by_message;
  for (auto& e : out) {
    if (e.kind == EventKind::message_created) by_message.emplace(e.message_id, &e);
  }
  Use q(statements_->page_attachments);
  q->bind(1, conversation_id);
  q->bind(2, out.front().conversation_seq);
  q->bind(3, out.back().conversation_seq);
  while (q->executeStep()) {
    auto found = by_message.find(q->getColumn(0).getString());
    if (found == by_message.end()) continue;
    found->second->body.attachments.push_back(protocol::AttachmentRef{
        .id = q->getColumn(1).getString(),
        .name = q->getColumn(2).getString(),
        .size = q->getColumn(3).getInt64(),
        .content_type = q->getColumn(4).getString(),
        .sha256 = q->getColumn(5).getString(),
        .width = q->getColumn(6).getInt(),
        .height = q->getColumn(7).getInt(),
        .preview = q->getColumn(8).getString(),
    });
  }
  return out;
}

}  // namespace confab::server
