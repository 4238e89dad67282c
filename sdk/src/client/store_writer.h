// The network thread's writes to the local store, and what the app hears of them: events
// the sync engine released (batched), older history, read cursors, the conversation list.
// The app hears of a change only once it is stored.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "client/local_view.h"
#include "client/notifier.h"
#include "core/session.h"
#include "store/cache_store.h"

namespace confab::client {

class StoreWriter {
 public:
  // Called with the conversations whose events the store could not take, and the cursor
  // it still holds for each: the session fetches them again from there.
  using Rewind = std::function<void(const std::vector<store::CacheCursor>&)>;

  StoreWriter(boost::asio::io_context& io, store::CacheStore& cache, LocalView& view, Notifier& notifier,
              Rewind rewind);

  // All on the network thread.
  void listed(const std::string& user_id, const std::vector<protocol::ConversationSummary>& items);
  // After a quiet spell, stored at once; under a stream of events, what arrives within
  // kBatch shares one transaction (a commit per event would cap the rate at what the disk
  // can sync).
  void events(core::ApplyEvents a);
  void older(const core::OlderEvents& a);
  void read_moved(const core::ReadCursorMoved& a);
  // The user joined or left a conversation while connected: the stored list follows at
  // once (the next connection lists it all again).
  void membership(const core::MembershipChanged& a);
  // A stored row changed other than by an event of its log (its receipts, say): reports it
  // to the timeline's list models (ConversationChange::updated; an empty thread_root_id is
  // the main timeline). Same-row updates waiting for the callbacks merge, flags or'ed.
  void message_updated(const std::string& conversation_id, const std::string& thread_root_id,
                       const MessageUpdate& update);

  // ---- Identity and conversations ----
  // A page of the directory: stored, then on_directory().
  void directory(const core::DirectoryListed& a);
  // The server's answer to a conversation request: stored at once (the request's Pending
  // completes after it), then the list's on_conversation().
  Result<void> answered(const protocol::ConversationInfo& answer, bool listed);

  static constexpr std::chrono::microseconds kBatch{250};
  // Messages stored in pages wait for the search index (CacheStore::index_for_search):
  // they go in kIndexStep at a time, the first step kIndexDelay after the store wrote,
  // then back to back while nothing else is stored, or one per kIndexDelay while events
  // keep coming.
  static constexpr std::chrono::milliseconds kIndexDelay{250};
  static constexpr std::int64_t kIndexStep = 500;

 private:
  void flush();
  // Hands the row-level changes of one batch to the notifier.
  void report(const std::vector<ConversationChange>& changes);
  void index_later();
  void index_step();

  store::CacheStore& cache_;
  LocalView& view_;
  Notifier& notifier_;
  Rewind rewind_;
  boost::asio::steady_timer timer_;
  bool timer_armed_ = false;
  boost::asio::steady_timer index_timer_;
  bool index_armed_ = false;
  bool stored_since_armed_ = false;
  std::chrono::steady_clock::time_point last_flush_{};
  std::vector<store::CacheStore::Batch> pending_;  // in order, not yet stored
};

}  // namespace confab::client
