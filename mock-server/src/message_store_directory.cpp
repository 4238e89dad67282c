// Who the user can see and who sees the user: the directory (workspaces, roles, users who
// share a workspace), presence contacts and the conversations shared with other users,
// and every member's receipts in a conversation. Part of MessageStore; runs on the
// committer thread like the rest of it.
#include <SQLiteCpp/SQLiteCpp.h>

#include "message_store.h"

namespace confab::server {

std::vector<protocol::WorkspaceEntry> MessageStore::user_workspaces(const std::string& user_id) {
  std::vector<protocol::WorkspaceEntry> out;
  SQLite::Statement q(*db_, "SELECT w.id, w.name, m.role FROM workspace_members m JOIN workspaces w "
                            "ON w.id = m.workspace_id WHERE m.user_id = ?1 ORDER BY w.id LIMIT ?2");
  q.bind(1, user_id);
  q.bind(2, static_cast<std::int64_t>(protocol::kMaxWorkspacesListed));
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString()});
  }
  return out;
}

std::vector<protocol::UserEntry> MessageStore::directory_users(const std::string& user_id, const std::string& after,
                                                               int limit) {
  std::vector<protocol::UserEntry> out;
  SQLite::Statement q(*db_,
                      "SELECT DISTINCT u.id, u.name FROM workspace_members me "
                      "JOIN workspace_members o ON o.workspace_id = me.workspace_id "
                      "JOIN users u ON u.id = o.user_id "
                      "WHERE me.user_id = ?1 AND u.id > ?2 ORDER BY u.id LIMIT ?3");
  q.bind(1, user_id);
  q.bind(2, after);
  q.bind(3, limit);
  while (q.executeStep()) out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), {}});
  // Each user's role in the workspaces shared with the caller, so that the caller can list
  // a workspace's people and show their roles.
  SQLite::Statement shared(*db_,
                           "SELECT o.workspace_id, o.role FROM workspace_members o "
                           "JOIN workspace_members me ON me.workspace_id = o.workspace_id AND me.user_id = ?1 "
                           "WHERE o.user_id = ?2 ORDER BY o.workspace_id LIMIT ?3");
  for (auto& u : out) {
    shared.bind(1, user_id);
    shared.bind(2, u.user_id);
    shared.bind(3, static_cast<std::int64_t>(protocol::kMaxWorkspacesListed));
    while (shared.executeStep()) u.workspaces.push_back({shared.getColumn(0).getString(), shared.getColumn(1).getString()});
    shared.reset();
  }
  return out;
}

std::vector<std::string> MessageStore::contacts(const std::string& user_id, std::size_t fanout_limit) {
  std::vector<std::string> out;
  // A large channel's members are not contacts: a status change of one of them would go
  // to every device of every member. DMs and group DMs always count.
  SQLite::Statement q(*db_,
                      "SELECT DISTINCT o.user_id FROM members m "
                      "JOIN conversations c ON c.id = m.conversation_id "
                      "JOIN members o ON o.conversation_id = m.conversation_id "
                      "WHERE m.user_id = ?1 AND (c.kind IN ('dm', 'group_dm') OR "
                      "(SELECT COUNT(*) FROM members n WHERE n.conversation_id = c.id) <= ?2) "
                      "ORDER BY o.user_id");
  q.bind(1, user_id);
  q.bind(2, static_cast<std::int64_t>(fanout_limit));
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

bool MessageStore::shares_conversation(const std::string& user_id, const std::string& other_id) {
  SQLite::Statement q(*db_, "SELECT 1 FROM members m JOIN members o ON o.conversation_id = m.conversation_id "
                            "WHERE m.user_id = ?1 AND o.user_id = ?2 LIMIT 1");
  q.bind(1, user_id);
  q.bind(2, other_id);
  return q.executeStep();
}

Result<std::vector<protocol::ReceiptPosition>> MessageStore::receipts(const std::string& user_id,
                                                                      const protocol::ReceiptsRequest& request,
                                                                      int limit) {
  try {
    if (!is_member(request.conversation_id, user_id)) {
      return Error::make(ErrorCode::not_member, "not a member of conversation '" + request.conversation_id + "'");
    }
    std::vector<protocol::ReceiptPosition> out;
    SQLite::Statement q(*db_,
                        "SELECT m.user_id, COALESCE(MAX(k.read_seq), 0), COALESCE(MAX(k.delivered_seq), 0) "
                        "FROM members m LEFT JOIN cursors k "
                        "ON k.conversation_id = m.conversation_id AND k.user_id = m.user_id "
                        "WHERE m.conversation_id = ?1 AND m.user_id > ?2 "
                        "GROUP BY m.user_id ORDER BY m.user_id LIMIT ?3");
    q.bind(1, request.conversation_id);
    q.bind(2, request.after);
    q.bind(3, limit);
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64()});
    }
    return out;
  } catch (const std::exception& e) {
    return Error::make(ErrorCode::internal, std::string("receipts failed: ") + e.what());
  }
}

}  // namespace confab::server
