// Conversations in the reference server's store: who is in which, the requests that
// change that (each change is an event in the conversation's log), history pages and
// cursors. Part of MessageStore; runs on the committer thread like the rest of it.
#include <algorithm>
#include <set>

#include <SQLiteCpp/SQLiteCpp.h>

#include "protocol/ids.h"
#include "message_store.h"

namespace confab::server {
namespace {

using protocol::ConversationOp;

constexpr std::size_t kMaxGroupDmOthers = 15;  // a group DM holds at most 16 people

Error invalid(std::string message) { return Error::make(ErrorCode::invalid_field, std::move(message)); }

Error not_member(const std::string& conversation_id) {
  return Error::make(ErrorCode::not_member, "not a member of conversation '" + conversation_id + "'");
}

bool is_channel(const std::string& kind) { return kind == "channel" || kind == "private_channel"; }

// Names are unique among a workspace's public channels only. A private channel is
// invisible to everyone outside it, so checking a name against private channels would
// tell a non-member, through "already exists", that one of that name exists; private
// channels' names need not be unique, and never block a public channel's.
Result<void> check_name_free(SQLite::Database& db, const std::string& kind, const std::string& workspace_id,
                             const std::string& name, const std::string& conversation_id) {
  if (kind != "channel") return {};
  SQLite::Statement taken(db, "SELECT 1 FROM conversations WHERE workspace_id = ?1 AND name = ?2 "
                              "AND kind = 'channel' AND id <> ?3");
  taken.bind(1, workspace_id);
  taken.bind(2, name);
  taken.bind(3, conversation_id);
  if (taken.executeStep()) return invalid("a public channel named '" + name + "' already exists");
  return {};
}

}  // namespace

std::string dm_key(const std::string& a, const std::string& b) { return a < b ? a + "|" + b : b + "|" + a; }

namespace {

constexpr const char* kSummaryColumns =
    "SELECT c.id, c.kind, c.workspace_id, c.name, c.topic, "
    "(SELECT COALESCE(MAX(seq), 0) FROM events e WHERE e.conversation_id = c.id), "
    "(SELECT COALESCE(MAX(read_seq), 0) FROM cursors k WHERE k.conversation_id = c.id AND k.user_id = ?1), "
    "(SELECT COUNT(*) FROM members n WHERE n.conversation_id = c.id) ";

protocol::ConversationSummary read_summary(SQLite::Statement& q) {
  protocol::ConversationSummary c;
  c.conversation_id = q.getColumn(0).getString();
  c.kind = q.getColumn(1).getString();
  c.workspace_id = q.getColumn(2).getString();
  c.name = q.getColumn(3).getString();
  c.topic = q.getColumn(4).getString();
  c.head_seq = q.getColumn(5).getInt64();
  c.read_seq = q.getColumn(6).getInt64();
  c.member_count = q.getColumn(7).getInt();
  return c;
}

}  // namespace

std::vector<protocol::ConversationSummary> MessageStore::conversations_of(const std::string& user_id,
                                                                          const std::string& after, int limit) {
  std::vector<protocol::ConversationSummary> out;
  SQLite::Statement q(*db_, std::string(kSummaryColumns) +
                                "FROM members m JOIN conversations c ON c.id = m.conversation_id "
                                "WHERE m.user_id = ?1 AND c.id > ?2 ORDER BY c.id LIMIT ?3");
  q.bind(1, user_id);
  q.bind(2, after);
  q.bind(3, limit);
  while (q.executeStep()) out.push_back(read_summary(q));
  // DMs and group DMs have no name: their members say what they are.
  for (auto& c : out) {
    if (c.kind == "dm" || c.kind == "group_dm") c.members = members(c.conversation_id);
  }
  return out;
}

Result<protocol::ConversationInfo> MessageStore::describe(const std::string& conversation_id,
                                                          const std::string& user_id) {
  SQLite::Statement q(*db_, std::string(kSummaryColumns) + "FROM conversations c WHERE c.id = ?2");
  q.bind(1, user_id);
  q.bind(2, conversation_id);
  if (!q.executeStep()) return not_member(conversation_id);
  protocol::ConversationInfo info;
  info.conversation = read_summary(q);
  info.members = members(conversation_id);
  return info;
}

protocol::Event MessageStore::append_event(const std::string& conversation_id, EventKind kind,
                                           const std::string& sender_id, const std::string& member_id,
                                           std::int64_t now_ms, const std::string& name, const std::string& topic) {
  protocol::Event e;
  e.conversation_id = conversation_id;
  e.conversation_seq = head_seq(conversation_id) + 1;
  e.kind = kind;
  e.sender_id = sender_id;
  e.member_id = member_id;
  e.created_at_ms = now_ms;
  e.name = name;
  e.topic = topic;
  std::string event_id = ids::new_uuid_v7();
  SQLite::Statement insert(*db_,
                           "INSERT INTO events (conversation_id, seq, kind, message_id, sender_id, client_message_id, "
                           "body_text, created_at_ms, member_id, topic) VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?6, ?7, ?8, ?9)");
  insert.bind(1, conversation_id);
  insert.bind(2, e.conversation_seq);
  insert.bind(3, std::string(to_string(kind)));
  insert.bind(4, event_id);
  insert.bind(5, sender_id);
  insert.bind(6, name);
  insert.bind(7, now_ms);
  insert.bind(8, member_id);
  insert.bind(9, topic);
  insert.exec();
  return e;
}

Result<ConversationChange> MessageStore::change_conversation(const std::string& user_id,
                                                             const protocol::ConversationRequest& r,
                                                             std::int64_t now_ms) {
  try {
    SQLite::Transaction tx(*db_);
    ConversationChange out;
    std::string conversation_id = r.conversation_id;
    std::string workspace_id;
    std::string kind;

    auto workspace_member = [this](const std::string& workspace, const std::string& user) {
      SQLite::Statement q(*db_, "SELECT 1 FROM workspace_members WHERE workspace_id = ?1 AND user_id = ?2");
      q.bind(1, workspace);
      q.bind(2, user);
      return q.executeStep();
    };
    auto add_member = [&](const std::string& member) {
      SQLite::Statement q(*db_, "INSERT INTO members (conversation_id, user_id) VALUES (?1, ?2)");
      q.bind(1, conversation_id);
      q.bind(2, member);
      q.exec();
      out.events.push_back(append_event(conversation_id, EventKind::member_joined, user_id, member, now_ms));
    };

    if (r.op == ConversationOp::create) {
      workspace_id = r.workspace_id;
      if (workspace_id.empty()) {
        SQLite::Statement q(*db_, "SELECT workspace_id FROM workspace_members WHERE user_id = ?1 ORDER BY workspace_id");
        q.bind(1, user_id);
        if (q.executeStep()) workspace_id = q.getColumn(0).getString();
      }
      if (workspace_id.empty() || !workspace_member(workspace_id, user_id)) {
        return Error::make(ErrorCode::forbidden, "not a member of workspace '" + r.workspace_id + "'");
      }
      std::vector<std::string> others;
      for (const auto& id : r.user_ids) {
        if (id == user_id || std::find(others.begin(), others.end(), id) != others.end()) continue;
        if (!workspace_member(workspace_id, id)) {
          return Error::make(ErrorCode::not_found, "no user '" + id + "' in workspace '" + workspace_id + "'");
        }
        others.push_back(id);
      }
      kind = r.kind;
      std::optional<std::string> key;
      std::string name = r.name.value_or("");
      if (is_channel(kind)) {
        if (name.empty()) return invalid("a channel needs a name");
        if (auto free = check_name_free(*db_, kind, workspace_id, name, {}); !free) return free.error();
      } else if (kind == "dm") {
        if (others.size() != 1) return invalid("a DM is between the sender and exactly one other user");
        key = dm_key(user_id, others[0]);
        SQLite::Statement existing(*db_, "SELECT id FROM conversations WHERE workspace_id = ?1 AND dm_key = ?2");
        existing.bind(1, workspace_id);
        existing.bind(2, *key);
        if (existing.executeStep()) {
          // One DM per pair: asking again answers with the one that exists.
          auto info = describe(existing.getColumn(0).getString(), user_id);
          if (!info) return info.error();
          out.info = std::move(info).value();
          return out;
        }
        name.clear();
      } else {  // group_dm
        if (others.size() < 2 || others.size() > kMaxGroupDmOthers) {
          return invalid("a group DM holds 3 to 16 people, the sender included");
        }
        name.clear();
      }
      conversation_id = "c_" + ids::new_uuid_v7();
      SQLite::Statement insert(*db_, "INSERT INTO conversations (id, kind, name, workspace_id, topic, dm_key) "
                                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
      insert.bind(1, conversation_id);
      insert.bind(2, kind);
      insert.bind(3, name);
      insert.bind(4, workspace_id);
      insert.bind(5, r.topic.value_or(""));
      if (key) insert.bind(6, *key); else insert.bind(6);
      insert.exec();
      add_member(user_id);
      for (const auto& other : others) add_member(other);
    } else {
      SQLite::Statement q(*db_, "SELECT kind, workspace_id, name, topic FROM conversations WHERE id = ?1");
      q.bind(1, conversation_id);
      if (!q.executeStep()) return not_member(conversation_id);
      kind = q.getColumn(0).getString();
      workspace_id = q.getColumn(1).getString();
      std::string name = q.getColumn(2).getString();
      std::string topic = q.getColumn(3).getString();
      bool member = is_member(conversation_id, user_id);

      switch (r.op) {
        case ConversationOp::join:
          // Only public channels can be joined; the others answer as if they did not exist.
          if (!member) {
            if (kind != "channel" || !workspace_member(workspace_id, user_id)) return not_member(conversation_id);
            add_member(user_id);
          }
          break;
        case ConversationOp::leave:
          if (!member) return not_member(conversation_id);
          if (kind == "dm") return Error::make(ErrorCode::forbidden, "a DM cannot be left");
          {
            SQLite::Statement del(*db_, "DELETE FROM members WHERE conversation_id = ?1 AND user_id = ?2");
            del.bind(1, conversation_id);
            del.bind(2, user_id);
            del.exec();
          }
          out.events.push_back(append_event(conversation_id, EventKind::member_left, user_id, user_id, now_ms));
          out.audience.push_back(user_id);
          break;
        case ConversationOp::invite:
          if (!member) return not_member(conversation_id);
          if (!is_channel(kind)) return Error::make(ErrorCode::forbidden, "only channels take new members");
          for (const auto& id : r.user_ids) {
            if (!workspace_member(workspace_id, id)) {
              return Error::make(ErrorCode::not_found, "no user '" + id + "' in workspace '" + workspace_id + "'");
            }
          }
          for (const auto& id : r.user_ids) {
            if (!is_member(conversation_id, id)) add_member(id);
          }
          break;
        case ConversationOp::update: {
          if (!member) return not_member(conversation_id);
          if (r.name && !is_channel(kind)) return Error::make(ErrorCode::forbidden, "only channels have names");
          std::string new_name = r.name.value_or(name);
          std::string new_topic = r.topic.value_or(topic);
          if (new_name == name && new_topic == topic) break;
          if (new_name != name) {
            if (auto free = check_name_free(*db_, kind, workspace_id, new_name, conversation_id); !free) {
              return free.error();
            }
          }
          SQLite::Statement set(*db_, "UPDATE conversations SET name = ?2, topic = ?3 WHERE id = ?1");
          set.bind(1, conversation_id);
          set.bind(2, new_name);
          set.bind(3, new_topic);
          set.exec();
          out.events.push_back(append_event(conversation_id, EventKind::conversation_updated, user_id, {}, now_ms,
                                            new_name, new_topic));
          break;
        }
        case ConversationOp::create: break;
      }
    }
    auto info = describe(conversation_id, user_id);
    if (!info) return info.error();
    out.info = std::move(info).value();
    for (const auto& m : out.info.members) {
      if (std::find(out.audience.begin(), out.audience.end(), m) == out.audience.end()) out.audience.push_back(m);
    }
    tx.commit();
    return out;
  } catch (const std::exception& e) {
    return Error::make(ErrorCode::internal, std::string("conversation change failed: ") + e.what());
  }
}

Result<protocol::History> MessageStore::history(const std::string& user_id, const protocol::HistoryRequest& r,
                                                std::int64_t max_difference, std::size_t max_bytes) {
  try {
    if (!is_member(r.conversation_id, user_id)) return not_member(r.conversation_id);
    protocol::History h;
    h.conversation_id = r.conversation_id;
    h.head_seq = head_seq(r.conversation_id);
    auto limit = static_cast<std::size_t>(r.limit);
    if (r.after_seq) {
      if (h.head_seq - *r.after_seq > max_difference) {
        h.too_long = true;
        return h;
      }
      h.events = events_after(r.conversation_id, *r.after_seq, limit);
    } else {
      h.events = events_before(r.conversation_id, *r.before_seq, limit);
    }
    // Keep the page within a frame: drop events from the far end (the newest when paging
    // forward, the oldest when paging back), but always keep one.
    std::size_t budget = max_bytes > 1024 ? max_bytes - 1024 : max_bytes;
    std::size_t used = 0;
    std::size_t keep = 0;
    auto size_of = [](const protocol::Event& e) { return protocol::encode(protocol::ServerFrame{e}).size() + 1; };
    if (r.after_seq) {
      for (; keep < h.events.size(); ++keep) {
        used += size_of(h.events[keep]);
        if (used > budget && keep > 0) break;
      }
      h.events.resize(keep);
      h.more = (h.events.empty() ? *r.after_seq : h.events.back().conversation_seq) < h.head_seq;
    } else {
      std::size_t first = h.events.size();
      while (first > 0) {
        used += size_of(h.events[first - 1]);
        if (used > budget && first < h.events.size()) break;
        --first;
      }
      h.events.erase(h.events.begin(), h.events.begin() + static_cast<std::ptrdiff_t>(first));
      h.more = !h.events.empty() && h.events.front().conversation_seq > 1;
    }
    return h;
  } catch (const std::exception& e) {
    return Error::make(ErrorCode::internal, std::string("history failed: ") + e.what());
  }
}

Result<protocol::CursorState> MessageStore::update_cursor(const std::string& user_id, const std::string& device_id,
                                                          const protocol::CursorUpdate& r) {
  try {
    if (!is_member(r.conversation_id, user_id)) return not_member(r.conversation_id);
    Seq head = head_seq(r.conversation_id);
    if (r.read_seq > head || r.delivered_seq > head) {
      return Error::make(ErrorCode::invalid_field, "a cursor cannot pass the conversation's head (" +
                                                       std::to_string(head) + ")");
    }
    SQLite::Transaction tx(*db_);
    // Cursors never move backward: each value is the highest ever set.
    SQLite::Statement upsert(*db_,
                             "INSERT INTO cursors (conversation_id, user_id, device_id, read_seq, delivered_seq) "
                             "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (conversation_id, user_id, device_id) DO UPDATE "
                             "SET read_seq = MAX(read_seq, excluded.read_seq), "
                             "delivered_seq = MAX(delivered_seq, excluded.delivered_seq)");
    upsert.bind(1, r.conversation_id);
    upsert.bind(2, user_id);
    upsert.bind(3, device_id);
    upsert.bind(4, r.read_seq);
    upsert.bind(5, std::max(r.delivered_seq, r.read_seq));  // read implies delivered
    upsert.exec();
    SQLite::Statement q(*db_, "SELECT MAX(read_seq), MAX(delivered_seq) FROM cursors "
                              "WHERE conversation_id = ?1 AND user_id = ?2");
    q.bind(1, r.conversation_id);
    q.bind(2, user_id);
    q.executeStep();
    protocol::CursorState state{{}, r.conversation_id, user_id, device_id, q.getColumn(0).getInt64(),
                                q.getColumn(1).getInt64()};
    tx.commit();
    return state;
  } catch (const std::exception& e) {
    return Error::make(ErrorCode::internal, std::string("cursor update failed: ") + e.what());
  }
}

}  // namespace confab::server
