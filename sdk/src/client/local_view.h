// What the app reads: the local store's conversations and messages, with this device's own
// messages shown from send() on. A message stays in view as its outbox row (its local echo)
// until the server's copy is stored; from then on the stored copy stands in its place, with
// the same client message id. Whether the ack or the event comes first, and across
// restarts, the bubble is shown exactly once.
//
// It also keeps the outbox's unsent rows (every kind) as the network thread last reported
// them, so that the app reads them without waiting for that thread.
//
// It reports what happens to the echo rows (added, changed, merged, removed) as
// ConversationChange detail, to the sink given to report_to(), in the order it happens.
//
// Thread-safe: reads come from the app's threads, changes from the network thread (and
// send()'s new row from the app's). A read never waits for a write to either database:
// the echoes and unsent rows are in memory, and the store reads on connections of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "confab/conversation.h"
#include "confab/result.h"
#include "core/outbox.h"
#include "protocol/protocol.h"
#include "store/cache_store.h"

namespace confab::client {

class LocalView {
 public:
  explicit LocalView(store::CacheStore& cache) : cache_(cache) {}

  // Where changes to echo rows go; called with the view's lock held, so in order.
  void report_to(std::function<void(const ConversationChange&)> sink);

  void set_user_id(std::string user_id);
  std::string user_id() const;

  // At startup: the unsent rows, and the newest sent ones. A sent row is still an echo
  // when its seq is past its conversation's stored cursor (acknowledged, event not stored).
  void restore(std::span<const core::OutboxRow> unsent, std::span<const core::OutboxRow> recent_sent,
               std::span<const store::CacheCursor> cursors);
  // An outbox row was queued or changed state. Called for every new row before the
  // session has it, then for every change the session reports, in order.
  void outbox_changed(const LocalMessage& message);
  // These events are now stored: their echoes give way to them. Returns the echoes merged
  // so, each in a change of its timeline (main, or a thread), for the caller to report
  // with the rest of what the events changed.
  std::vector<ConversationChange> events_stored(std::span<const protocol::Event> events);

  // The newest page (before_seq 0) ends with the echoes still waiting for their server
  // copy. The echoes are taken before the store's snapshot: an echo is dropped only once
  // its server copy is committed, so one missing from them is in the snapshot.
  Result<MessagePage> messages(const std::string& conversation_id, Seq before_seq, int limit) const;
  // The rows not yet sent (pending, sending, failed), every kind, in local id order.
  std::vector<LocalMessage> unsent() const;
  // A thread's stored replies, then the echoes of replies in it, as messages() orders them.
  Result<std::vector<TimelineMessage>> thread(const std::string& root_message_id, int limit) const;
  Result<std::vector<ConversationInfo>> conversations() const;
  Result<ConversationInfo> conversation(const std::string& conversation_id) const;

 private:
  TimelineMessage echo(const LocalMessage& m) const;
  // The timeline an echo of `m` is shown in: "" for the main one, a thread's root id, or
  // none (a reply waiting for a root still in the outbox, or not a message).
  static std::optional<std::string> timeline_of(const LocalMessage& m);
  // `list` (stored rows, by seq) with the echoes of `timeline` in `conversation_id` (every
  // conversation when empty) at their places. `echoes` were taken before `list` was read.
  static void add_echoes(std::vector<TimelineMessage>& list, std::vector<TimelineMessage> echoes);
  std::vector<TimelineMessage> echoes_in(const std::string& conversation_id, const std::string& timeline) const;
  void name_echoes(std::vector<TimelineMessage>& echoes) const;  // sender_name from the directory
  void report(ConversationChange change) const;

  store::CacheStore& cache_;
  mutable std::mutex mutex_;
  std::function<void(const ConversationChange&)> sink_;
  std::string user_id_;
  std::map<std::string, LocalMessage> echoes_;  // by client message id
  std::map<std::int64_t, LocalMessage> unsent_;  // by local id
  // Stored before their ack came: the outbox may still report them (a resend, then the
  // ack), and they must not come back as echoes. Dropped once acknowledged.
  std::set<std::string> settled_;
};

}  // namespace confab::client
