// The local store's prepared statements and small helpers, shared by its writing half
// (cache_store.cpp) and its reading half (cache_store_reads.cpp). Private to the store.
// Each connection has its own statements: the writing one, and each reading one.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "protocol/protocol.h"
#include "store/cache_store.h"

namespace confab::store {
namespace cache_sql {

inline constexpr const char* kMessageColumns =
    "m.conversation_id, m.seq, m.message_id, m.client_message_id, m.sender_id, m.text, m.created_at_ms, "
    "m.edited, m.deleted_seq, m.attachments, m.reply_to, m.thread_root_id, "
    "(SELECT COUNT(*) FROM messages r WHERE r.thread_root_id = m.message_id AND r.thread_root_id <> '' "
    "AND r.seq IS NOT NULL "
    "AND r.deleted_seq = 0), "
    "(SELECT ifnull(max(r.created_at_ms), 0) FROM messages r WHERE r.thread_root_id = m.message_id "
    "AND r.thread_root_id <> '' AND r.seq IS NOT NULL AND r.deleted_seq = 0)";

inline constexpr const char* kConversationColumns =
    "c.id, c.kind, c.workspace_id, c.name, c.topic, c.head_seq, c.cursor, c.read_seq, c.member_count, "
    "(SELECT COUNT(*) FROM (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.seq > c.read_seq "
    "AND m.sender_id <> ?1 AND m.deleted_seq = 0 AND m.thread_root_id = '' LIMIT ?3)), "
    "c.last_activity_ms, ifnull((SELECT w.role FROM workspaces w WHERE w.workspace_id = c.workspace_id), '')";


inline Error storage(const std::string& what) { return Error::make(ErrorCode::storage, what); }

// The wire's names, as stored. A name this SDK does not know (from a newer server) reads as
// the least: a channel, a member.
inline ConversationKind kind_from(const std::string& name) {
  if (name == "private_channel") return ConversationKind::private_channel;
  if (name == "dm") return ConversationKind::dm;
  if (name == "group_dm") return ConversationKind::group_dm;
  return ConversationKind::channel;
}

inline Role role_from(const std::string& name) {
  if (name == "owner") return Role::owner;
  if (name == "admin") return Role::admin;
  return Role::member;
}

}  // namespace cache_sql

// The writing connection's statements.
struct CacheStore::WriteStatements {
  explicit WriteStatements(SQLite::Database& db)
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
        touch(db, "UPDATE conversations SET last_activity_ms = max(last_activity_ms, ?2) WHERE id = ?1"),
        fts_add(db, "INSERT INTO messages_fts (rowid, text) SELECT rowid, text FROM messages WHERE rowid > ?1 AND rowid <= ?2"),
        fts_mark(db, "UPDATE meta SET value = ?1 WHERE key = 'fts_rowid'") {}

  SQLite::Statement ensure_conversation, upsert_listed, move_cursor, move_low;
  SQLite::Statement created, edited, deleted, reaction, member, renamed, advance_read;
  SQLite::Statement touch;  // a conversation's last activity
  SQLite::Statement fts_add, fts_mark;
};

// A reading connection's statements.
struct CacheStore::ReadStatements {
  explicit ReadStatements(SQLite::Database& db)
      : snapshot(db, "SELECT 1 FROM meta LIMIT 1"),
        cursors(db, "SELECT id, cursor FROM conversations ORDER BY id"),
        conversations(db, std::string("SELECT ") + cache_sql::kConversationColumns +
                              " FROM conversations c WHERE c.listed = 1 ORDER BY c.last_activity_ms DESC, c.id"),
        conversation(db, std::string("SELECT ") + cache_sql::kConversationColumns + " FROM conversations c WHERE c.id = ?2"),
        members(db, "SELECT user_id FROM members WHERE conversation_id = ?1 AND present = 1 ORDER BY user_id"),
        page(db, std::string("SELECT ") + cache_sql::kMessageColumns +
                     " FROM messages m WHERE m.conversation_id = ?1 AND m.seq < ?2 AND m.thread_root_id = '' "
                     "ORDER BY m.seq DESC LIMIT ?3"),
        thread(db, std::string("SELECT ") + cache_sql::kMessageColumns +
                       " FROM messages m WHERE m.thread_root_id = ?1 AND m.thread_root_id <> '' AND m.seq IS NOT NULL "
                       "ORDER BY m.seq LIMIT ?2"),
        search(db, std::string("SELECT ") + cache_sql::kMessageColumns +
                       " FROM messages_fts f JOIN messages m ON m.rowid = f.rowid WHERE messages_fts MATCH ?1 "
                       "AND m.seq IS NOT NULL AND m.deleted_seq = 0 AND (?2 = '' OR m.conversation_id = ?2) "
                       "ORDER BY m.created_at_ms DESC, m.seq DESC LIMIT ?3"),
        unindexed(db,
                  "SELECT ifnull(max(rowid), 0), (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'fts_rowid') "
                  "FROM messages"),
        reactions(db, "SELECT emoji, user_id FROM reactions WHERE message_id = ?1 AND present = 1 ORDER BY emoji, user_id"),
        low(db, "SELECT low_seq FROM conversations WHERE id = ?1"),
        user_id(db, "SELECT value FROM meta WHERE key = 'user_id'"),
        user_name(db, "SELECT display_name FROM users WHERE user_id = ?1"),
        last_message(db, std::string("SELECT ") + cache_sql::kMessageColumns +
                             " FROM messages m WHERE m.conversation_id = ?1 AND m.seq IS NOT NULL "
                             "AND m.thread_root_id = '' AND m.deleted_seq = 0 ORDER BY m.seq DESC LIMIT 1"),
        row_key(db, "SELECT seq, client_message_id, thread_root_id FROM messages WHERE message_id = ?1 AND seq IS NOT NULL") {}

  // Read first in each read transaction: it takes the snapshot the rest of the call sees.
  SQLite::Statement snapshot;
  SQLite::Statement cursors, conversations, conversation, members, page, thread, search, unindexed, reactions, low,
      user_id;
  // The directory's names; a conversation's newest message, for its preview.
  SQLite::Statement user_name, last_message;
  SQLite::Statement row_key;  // where a message is shown (stored_rows())
};

// A reading connection: its own (read-only, on the store's file), or for a store in
// memory the writing connection, used under the write mutex.
struct CacheStore::Reader {
  Reader(std::unique_ptr<SQLite::Database> own, SQLite::Database& writing)
      : owned(std::move(own)), db(owned ? *owned : writing), statements(db) {}

  std::unique_ptr<SQLite::Database> owned;
  SQLite::Database& db;
  ReadStatements statements;  // after the connection: finalized before it closes
};

}  // namespace confab::store
