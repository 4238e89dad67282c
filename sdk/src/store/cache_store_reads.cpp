// The local store's reads: conversations with unread counts, pages, threads, search. Each
// runs on a reading connection of its own, in one read transaction (Reading).
#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "store/cache_reading.h"
#include "store/cache_statements.h"
#include "store/use_statement.h"

namespace confab::store {

using namespace cache_sql;

CacheStore::Reading CacheStore::read() { return Reading(*this); }

std::unique_ptr<CacheStore::Reader> CacheStore::lease_reader() {
  std::unique_lock lock(readers_mutex_);
  reader_returned_.wait(lock, [this] { return !idle_readers_.empty() || readers_open_ < kMaxReaders; });
  if (!idle_readers_.empty()) {
    auto reader = std::move(idle_readers_.back());
    idle_readers_.pop_back();
    return reader;
  }
  ++readers_open_;
  lock.unlock();
  try {
    // Read-only on the same file: WAL gives it the last committed state while the
    // writing connection writes. The -wal and -shm files exist: the writer opened them.
    auto db = std::make_unique<SQLite::Database>(path_.string(), SQLite::OPEN_READONLY);
    db->setBusyTimeout(1000);  // only while the WAL is being recovered or reset
    return std::make_unique<Reader>(std::move(db), *db_);
  } catch (...) {
    lock.lock();
    --readers_open_;
    reader_returned_.notify_one();
    throw;
  }
}

void CacheStore::return_reader(std::unique_ptr<Reader> reader) {
  {
    std::lock_guard lock(readers_mutex_);
    idle_readers_.push_back(std::move(reader));
  }
  reader_returned_.notify_one();
}

Result<std::vector<std::string>> CacheStore::listed_conversations() {
  try {
    auto reading = read();
    std::vector<std::string> out;
    SQLite::Statement q(reading.db(), "SELECT id FROM conversations WHERE listed = 1 ORDER BY id");
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
  } catch (const std::exception& e) {
    return failed("cannot read the conversation list", e);
  }
}

Result<std::vector<CacheCursor>> CacheStore::cursors() {
  try {
    auto reading = read();
    std::vector<CacheCursor> out;
    Use q(reading.statements().cursors);
    while (q->executeStep()) out.push_back({q->getColumn(0).getString(), q->getColumn(1).getInt64()});
    return out;
  } catch (const std::exception& e) {
    return failed("cannot read the cursors", e);
  }
}

ConversationInfo CacheStore::read_conversation(ReadStatements& s, SQLite::Statement& q) {
  ConversationInfo c;
  c.conversation_id = q.getColumn(0).getString();
  c.kind = kind_from(q.getColumn(1).getString());
  c.workspace_id = q.getColumn(2).getString();
  c.name = q.getColumn(3).getString();
  c.topic = q.getColumn(4).getString();
  c.head_seq = q.getColumn(5).getInt64();
  c.synced_seq = q.getColumn(6).getInt64();
  c.read_seq = q.getColumn(7).getInt64();
  c.member_count = q.getColumn(8).getInt();
  c.unread_count = q.getColumn(9).getInt64();
  Use m(s.members);
  m->bind(1, c.conversation_id);
  while (m->executeStep()) c.members.push_back(m->getColumn(0).getString());
  c.last_activity_ms = q.getColumn(10).getInt64();
  c.role = role_from(q.getColumn(11).getString());
  Use last(s.last_message);
  last->bind(1, c.conversation_id);
  auto newest = read_messages(s, *last);
  if (!newest.empty()) c.last_message = std::move(newest.front());
  return c;
}

Result<std::vector<ConversationInfo>> CacheStore::conversations(const std::string& user_id) {
  try {
    auto reading = read();
    auto& s = reading.statements();
    std::vector<ConversationInfo> out;
    Use q(s.conversations);
    q->bind(1, user_id);
    q->bind(3, kUnreadCountCap);
    while (q->executeStep()) out.push_back(read_conversation(s, *q));
    return out;
  } catch (const std::exception& e) {
    return failed("cannot read the conversations", e);
  }
}

Result<std::optional<ConversationInfo>> CacheStore::conversation(const std::string& conversation_id,
                                                                 const std::string& user_id) {
  try {
    auto reading = read();
    auto& s = reading.statements();
    Use q(s.conversation);
    q->bind(1, user_id);
    q->bind(3, kUnreadCountCap);
    q->bind(2, conversation_id);
    if (!q->executeStep()) return std::optional<ConversationInfo>();
    return std::optional<ConversationInfo>(read_conversation(s, *q));
  } catch (const std::exception& e) {
    return failed("cannot read the conversation", e);
  }
}

std::vector<TimelineMessage> CacheStore::read_messages(ReadStatements& s, SQLite::Statement& q) {
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
    m.attachments = protocol::to_attachments(protocol::attachments_from_text(q.getColumn(9).getString()));
    m.reply_to = q.getColumn(10).getString();
    m.thread_root_id = q.getColumn(11).getString();
    m.reply_count = q.getColumn(12).getInt();
    m.last_reply_at_ms = q.getColumn(13).getInt64();
    out.push_back(std::move(m));
  }
  // Senders' names from the directory, each looked up once per call.
  std::map<std::string, std::string> names;
  for (auto& m : out) {
    auto [name, added] = names.try_emplace(m.sender_id);
    if (added) {
      Use n(s.user_name);
      n->bind(1, m.sender_id);
      if (n->executeStep()) name->second = n->getColumn(0).getString();
    }
    m.sender_name = name->second;
  }
  for (auto& m : out) {
    Use r(s.reactions);
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
  try {
    auto reading = read();
    auto& s = reading.statements();
    MessagePage page;
    {
      Use q(s.page);
      q->bind(1, conversation_id);
      q->bind(2, before_seq > 0 ? before_seq : std::numeric_limits<Seq>::max());
      q->bind(3, limit);
      page.messages = read_messages(s, *q);
    }
    std::reverse(page.messages.begin(), page.messages.end());
    if (static_cast<int>(page.messages.size()) < limit) {
      Use q(s.low);
      q->bind(1, conversation_id);
      page.more_on_server = q->executeStep() && q->getColumn(0).getInt64() > 1;
    }
    return page;
  } catch (const std::exception& e) {
    return failed("cannot read messages", e);
  }
}

Result<std::vector<TimelineMessage>> CacheStore::thread(const std::string& root_message_id, int limit) {
  try {
    auto reading = read();
    auto& s = reading.statements();
    Use q(s.thread);
    q->bind(1, root_message_id);
    q->bind(2, std::clamp(limit, 1, kMaxPage));
    return read_messages(s, *q);
  } catch (const std::exception& e) {
    return failed("cannot read the thread", e);
  }
}

Result<std::vector<CacheStore::StoredRow>> CacheStore::stored_rows(std::span<const std::string> message_ids) {
  std::vector<StoredRow> out;
  if (message_ids.empty()) return out;
  try {
    auto reading = read();
    auto& s = reading.statements();
    std::set<std::string> asked(message_ids.begin(), message_ids.end());
    auto find = [&](const std::string& id) {
      Use q(s.row_key);
      q->bind(1, id);
      if (!q->executeStep()) return;
      out.push_back(StoredRow{id, q->getColumn(0).getInt64(), q->getColumn(1).getString(), q->getColumn(2).getString()});
    };
    for (const auto& id : asked) find(id);
    // The roots of the replies found: a reply edited or deleted changes its root's row too.
    for (std::size_t i = 0, found = out.size(); i < found; ++i) {
      if (!out[i].thread_root_id.empty() && asked.insert(out[i].thread_root_id).second) find(out[i].thread_root_id);
    }
    return out;
  } catch (const std::exception& e) {
    return failed("cannot read messages", e);
  }
}

Result<std::vector<TimelineMessage>> CacheStore::search(const std::string& query, const std::string& conversation_id,
                                                        int limit) {
  auto match = fts_query(query);
  if (match.empty()) return Error::make(ErrorCode::invalid_argument, "the search query has no words");
  auto find = [&](ReadStatements& s) {
    Use q(s.search);
    q->bind(1, match);
    q->bind(2, conversation_id);
    q->bind(3, std::clamp(limit, 1, kMaxPage));
    return read_messages(s, *q);
  };
  try {
    std::int64_t waiting_through = 0;
    {
      auto reading = read();
      auto& s = reading.statements();
      Use q(s.unindexed);
      q->executeStep();
      if (q->getColumn(0).getInt64() <= q->getColumn(1).getInt64()) return find(s);
      waiting_through = q->getColumn(0).getInt64();
    }
    // Rows stored before this search began wait for the index: add them (as writes, with
    // no reader held), then search a snapshot that has them.
    index_through(waiting_through);
    auto reading = read();
    return find(reading.statements());
  } catch (const std::exception& e) {
    return failed("cannot search", e);
  }
}

Result<std::string> CacheStore::user_id() {
  try {
    auto reading = read();
    Use q(reading.statements().user_id);
    return q->executeStep() ? q->getColumn(0).getString() : std::string();
  } catch (const std::exception& e) {
    return failed("cannot read the user id", e);
  }
}

Result<Seq> CacheStore::low_seq(const std::string& conversation_id) {
  try {
    auto reading = read();
    Use q(reading.statements().low);
    q->bind(1, conversation_id);
    return q->executeStep() ? q->getColumn(0).getInt64() : Seq{1};
  } catch (const std::exception& e) {
    return failed("cannot read the conversation", e);
  }
}

}  // namespace confab::store
