#include "client/store_writer.h"

#include "client/row_changes.h"

namespace confab::client {

StoreWriter::StoreWriter(boost::asio::io_context& io, store::CacheStore& cache, LocalView& view, Notifier& notifier,
                         Rewind rewind)
    : cache_(cache),
      view_(view),
      notifier_(notifier),
      rewind_(std::move(rewind)),
      timer_(io),
      index_timer_(io) {}

void StoreWriter::listed(const std::string& user_id, const std::vector<protocol::ConversationSummary>& items) {
  if (!user_id.empty() && user_id != view_.user_id()) {
    view_.set_user_id(user_id);
    static_cast<void>(cache_.set_user_id(user_id));  // kept for unread counts before the next connection
  }
  if (cache_.update_conversations(items, true)) notifier_.conversation(ConversationChange{});
}

void StoreWriter::events(core::ApplyEvents a) {
  pending_.push_back(
      {std::move(a.conversation_id), std::move(a.events), a.reset ? store::ApplyMode::reset : store::ApplyMode::forward});
  if (timer_armed_) return;
  auto due = last_flush_ + kBatch;
  if (std::chrono::steady_clock::now() >= due) {
    flush();
    return;
  }
  timer_armed_ = true;
  timer_.expires_at(due);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) flush();
  });
}

void StoreWriter::flush() {
  timer_armed_ = false;
  last_flush_ = std::chrono::steady_clock::now();
  auto batches = std::exchange(pending_, {});
  if (batches.empty()) return;
  if (auto stored = cache_.apply(batches); !stored) {
    std::vector<store::CacheCursor> rewind;
    auto cursors = cache_.cursors();
    for (const auto& b : batches) {
      store::CacheCursor at{b.conversation_id, 0};
      if (cursors) {
        for (const auto& c : *cursors) {
          if (c.conversation_id == b.conversation_id) at.cursor = c.cursor;
        }
      }
      rewind.push_back(std::move(at));
    }
    rewind_(rewind);
    return;
  }
  index_later();
  std::vector<std::string> touched;
  for (const auto& b : batches) {
    auto ids = messages_touched(b.events);
    touched.insert(touched.end(), ids.begin(), ids.end());
  }
  auto rows = cache_.stored_rows(touched);
  for (const auto& b : batches) {
    auto merged = view_.events_stored(b.events);
    for (const auto& e : b.events) notifier_.message_stored(b.conversation_id, [&e] { return protocol::to_message(e); });
    auto changes = describe_rows(b.conversation_id, b.events, b.mode, std::move(merged),
                                 rows ? std::span<const store::CacheStore::StoredRow>(*rows)
                                      : std::span<const store::CacheStore::StoredRow>());
    auto& main = changes.front();
    main.events_applied = b.events.size();
    main.reset = b.mode == store::ApplyMode::reset || !rows;  // rows unknown: read them all again
    main.synced_seq = b.events.back().conversation_seq;
    if (b.mode == store::ApplyMode::reset) main.window_low = b.events.front().conversation_seq;
    report(changes);
  }
}

void StoreWriter::older(const core::OlderEvents& a) {
  if (cache_.apply(a.conversation_id, a.events, store::ApplyMode::older)) {
    index_later();
    auto rows = cache_.stored_rows(messages_touched(a.events));
    auto changes = describe_rows(a.conversation_id, a.events, store::ApplyMode::older, view_.events_stored(a.events),
                                 rows ? std::span<const store::CacheStore::StoredRow>(*rows)
                                      : std::span<const store::CacheStore::StoredRow>());
    auto& main = changes.front();
    main.events_applied = a.events.size();
    main.older = true;
    main.reset = !rows;  // rows unknown: read them all again
    report(changes);
  }
}

void StoreWriter::report(const std::vector<ConversationChange>& changes) {
  for (const auto& change : changes) notifier_.conversation(change);
}

void StoreWriter::message_updated(const std::string& conversation_id, const std::string& thread_root_id,
                                  const MessageUpdate& update) {
  ConversationChange change{.conversation_id = conversation_id, .thread_root_id = thread_root_id};
  change.updated.push_back(update);
  notifier_.conversation(change);
}

void StoreWriter::index_later() {
  if (index_armed_) {
    stored_since_armed_ = true;
    return;
  }
  if (!cache_.search_backlog()) return;
  index_armed_ = true;
  stored_since_armed_ = false;
  index_timer_.expires_after(kIndexDelay);
  index_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) index_step();
  });
}

void StoreWriter::index_step() {
  bool busy = std::exchange(stored_since_armed_, false);
  auto more = cache_.index_for_search(kIndexStep);
  if (!more || !*more) {  // done; after an error, search() indexes what still waits
    index_armed_ = false;
    return;
  }
  index_timer_.expires_after(busy ? std::chrono::milliseconds(kIndexDelay) : std::chrono::milliseconds(0));
  index_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) index_step();
  });
}

void StoreWriter::read_moved(const core::ReadCursorMoved& a) {
  auto moved = cache_.advance_read(a.conversation_id, a.read_seq);
  if (moved && *moved) {
    notifier_.conversation(ConversationChange{.conversation_id = a.conversation_id, .read = true});
  }
}

void StoreWriter::membership(const core::MembershipChanged& a) {
  if (cache_.set_listed(a.conversation_id, a.joined)) notifier_.conversation(ConversationChange{});
}

// ---- Identity and conversations ----

void StoreWriter::directory(const core::DirectoryListed& a) {
  if (cache_.store_directory(a.page, a.first, a.last)) notifier_.directory_changed();
}

Result<void> StoreWriter::answered(const protocol::ConversationInfo& answer, bool listed) {
  auto stored = cache_.store_answer(answer, listed);
  if (stored) notifier_.conversation(ConversationChange{});
  return stored;
}

}  // namespace confab::client
