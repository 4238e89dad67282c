// The local store's reads: conversations with unread counts, pages, threads, search.
#include <algorithm>
#include <limits>

#include "store/cache_statements.h"
#include "store/use_statement.h"

namespace confab::store {

using namespace cache_sql;

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
    if (search_backlog_) index_waiting(std::numeric_limits<std::int64_t>::max());
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

}  // namespace confab::store
