// The local store's directory: the user's workspaces and the users who share one with the
// user (their names and roles), listed at each connection; the members of a conversation
// with those names; and a conversation as the server's answer to a request gives it.
#include <map>

#include "store/cache_reading.h"
#include "store/cache_statements.h"
#include "store/use_statement.h"

namespace confab::store {

using namespace cache_sql;

namespace {

std::int64_t meta_integer(SQLite::Database& db, const char* key) {
  SQLite::Statement q(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?1");
  q.bind(1, key);
  return q.executeStep() ? q.getColumn(0).getInt64() : 0;
}

void set_meta(SQLite::Database& db, const char* key, std::int64_t value) {
  SQLite::Statement q(db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)");
  q.bind(1, key);
  q.bind(2, std::to_string(value));
  q.exec();
}

// The users shown by users(): named by the last complete listing, or by the one in progress.
constexpr const char* kListedUsers =
    "u.listing >= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'directory_complete')";

}  // namespace

Result<void> CacheStore::store_directory(const protocol::Directory& page, bool first, bool last) {
  std::lock_guard lock(write_mutex_);
  try {
    SQLite::Transaction tx(*db_);
    auto listing = meta_integer(*db_, "directory_listing");
    if (first) {
      set_meta(*db_, "directory_listing", ++listing);
      db_->exec("DELETE FROM workspaces");
      SQLite::Statement add(*db_, "INSERT OR REPLACE INTO workspaces (workspace_id, name, role, position) "
                                  "VALUES (?1, ?2, ?3, ?4)");
      int position = 0;
      for (const auto& w : page.workspaces) {
        add.bind(1, w.workspace_id);
        add.bind(2, w.name);
        add.bind(3, w.role);
        add.bind(4, position++);
        add.exec();
        add.reset();
      }
    }
    SQLite::Statement user(*db_, "INSERT INTO users (user_id, display_name, listing) VALUES (?1, ?2, ?3) "
                                 "ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name, "
                                 "listing = excluded.listing");
    SQLite::Statement forget(*db_, "DELETE FROM workspace_members WHERE user_id = ?1");
    SQLite::Statement member(*db_, "INSERT OR REPLACE INTO workspace_members (workspace_id, user_id, role) "
                                   "VALUES (?1, ?2, ?3)");
    for (const auto& u : page.users) {
      user.bind(1, u.user_id);
      user.bind(2, u.display_name);
      user.bind(3, listing);
      user.exec();
      user.reset();
      forget.bind(1, u.user_id);
      forget.exec();
      forget.reset();
      for (const auto& w : u.workspaces) {
        member.bind(1, w.workspace_id);
        member.bind(2, u.user_id);
        member.bind(3, w.role);
        member.exec();
        member.reset();
      }
    }
    if (last) set_meta(*db_, "directory_complete", listing);
    commit(tx);
    return {};
  } catch (const std::exception& e) {
    return failed("cannot store the directory", e);
  }
}

Result<std::vector<Workspace>> CacheStore::workspaces() {
  try {
    auto reading = read();
    std::vector<Workspace> out;
    SQLite::Statement q(reading.db(), "SELECT workspace_id, name, role FROM workspaces ORDER BY position");
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), role_from(q.getColumn(2).getString())});
    }
    return out;
  } catch (const std::exception& e) {
    return failed("cannot read the workspaces", e);
  }
}

namespace {

// Rows of (user_id, display_name, workspace_id, role), ordered by user: one User each.
std::vector<User> read_users(SQLite::Statement& q) {
  std::vector<User> out;
  while (q.executeStep()) {
    auto id = q.getColumn(0).getString();
    if (out.empty() || out.back().user_id != id) out.push_back({id, q.getColumn(1).getString(), {}});
    if (!q.getColumn(2).isNull()) {
      out.back().workspaces.push_back({q.getColumn(2).getString(), role_from(q.getColumn(3).getString())});
    }
  }
  return out;
}

}  // namespace

Result<std::vector<User>> CacheStore::users(const std::string& workspace_id) {
  try {
    auto reading = read();
    SQLite::Statement q(reading.db(),
                        std::string("SELECT u.user_id, u.display_name, wm.workspace_id, wm.role FROM users u "
                                    "LEFT JOIN workspace_members wm ON wm.user_id = u.user_id WHERE ") +
                            kListedUsers +
                            " AND (?1 = '' OR EXISTS (SELECT 1 FROM workspace_members x "
                            "WHERE x.user_id = u.user_id AND x.workspace_id = ?1)) "
                            "ORDER BY u.user_id, wm.workspace_id");
    q.bind(1, workspace_id);
    return read_users(q);
  } catch (const std::exception& e) {
    return failed("cannot read the directory", e);
  }
}

Result<std::optional<User>> CacheStore::user(const std::string& user_id) {
  try {
    auto reading = read();
    SQLite::Statement q(reading.db(),
                        "SELECT u.user_id, u.display_name, wm.workspace_id, wm.role FROM users u "
                        "LEFT JOIN workspace_members wm ON wm.user_id = u.user_id WHERE u.user_id = ?1 "
                        "ORDER BY wm.workspace_id");
    q.bind(1, user_id);
    auto found = read_users(q);
    if (found.empty()) return std::optional<User>();
    return std::optional<User>(std::move(found.front()));
  } catch (const std::exception& e) {
    return failed("cannot read the directory", e);
  }
}

Result<std::vector<Member>> CacheStore::members(const std::string& conversation_id) {
  try {
    auto reading = read();
    SQLite::Statement q(reading.db(),
                        "SELECT mb.user_id, ifnull(u.display_name, ''), ifnull(wm.role, '') FROM members mb "
                        "LEFT JOIN users u ON u.user_id = mb.user_id "
                        "LEFT JOIN workspace_members wm ON wm.user_id = mb.user_id AND wm.workspace_id = "
                        "(SELECT c.workspace_id FROM conversations c WHERE c.id = ?1) "
                        "WHERE mb.conversation_id = ?1 AND mb.present = 1 ORDER BY mb.user_id");
    q.bind(1, conversation_id);
    std::vector<Member> out;
    while (q.executeStep()) {
      Member m;
      m.user_id = q.getColumn(0).getString();
      m.display_name = q.getColumn(1).getString();
      m.role = role_from(q.getColumn(2).getString());
      out.push_back(std::move(m));
    }
    return out;
  } catch (const std::exception& e) {
    return failed("cannot read the members", e);
  }
}

Result<void> CacheStore::store_answer(const protocol::ConversationInfo& answer, bool listed) {
  const auto& c = answer.conversation;
  std::lock_guard lock(write_mutex_);
  try {
    SQLite::Transaction tx(*db_);
    {
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
    // The answer says what the conversation is as of its head: newer than any event up to
    // it, older than any after it (which the log brings as usual).
    SQLite::Statement names(*db_, "UPDATE conversations SET name = ?2, topic = ?3, meta_seq = ?4 "
                                  "WHERE id = ?1 AND meta_seq <= ?4");
    names.bind(1, c.conversation_id);
    names.bind(2, c.name);
    names.bind(3, c.topic);
    names.bind(4, c.head_seq);
    names.exec();
    store_members_at_head(c.conversation_id, c.head_seq, c.member_count, answer.members);
    if (!listed) {
      SQLite::Statement mark(*db_, "UPDATE conversations SET listed = 0 WHERE id = ?1");
      mark.bind(1, c.conversation_id);
      mark.exec();
    }
    commit(tx);
    return {};
  } catch (const std::exception& e) {
    return failed("cannot store the conversation", e);
  }
}

void CacheStore::store_members_at_head(const std::string& conversation_id, Seq head_seq, int member_count,
                                       const std::vector<std::string>& members) {
  std::map<std::string, bool> present;
  for (const auto& id : members) present[id] = true;
  // Everyone listed is a member at the head; when the list is whole, nobody else is.
  if (static_cast<int>(members.size()) >= member_count) {
    SQLite::Statement stored(*db_, "SELECT user_id FROM members WHERE conversation_id = ?1 AND present = 1");
    stored.bind(1, conversation_id);
    while (stored.executeStep()) present.try_emplace(stored.getColumn(0).getString(), false);
  }
  for (const auto& [user_id, is_member] : present) {
    Use q(statements_->member);
    q->bind(1, conversation_id);
    q->bind(2, user_id);
    q->bind(3, head_seq);
    q->bind(4, is_member ? 1 : 0);
    q->exec();
  }
}

Result<bool> CacheStore::has_details(const std::string& conversation_id) {
  try {
    auto reading = read();
    SQLite::Statement q(reading.db(), "SELECT kind <> '' FROM conversations WHERE id = ?1");
    q.bind(1, conversation_id);
    return q.executeStep() && q.getColumn(0).getInt() != 0;
  } catch (const std::exception& e) {
    return failed("cannot read the conversation", e);
  }
}

}  // namespace confab::store
