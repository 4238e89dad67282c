// What the app reads: the local store's conversations and messages, with this device's own
// messages shown from send() on. A message stays in view as its outbox row (its local echo)
// until the server's copy is stored; from then on the stored copy stands in its place, with
// the same client message id. Whether the ack or the event comes first, and across
// restarts, the bubble is shown exactly once.
//
// It also keeps the outbox's unsent rows (every kind) as the network thread last reported
// them, so that the app reads them without waiting for that thread.
//
// Thread-safe: reads come from the app's threads, changes from the network thread (and
// send()'s new row from the app's). A read never waits for a write to either database:
// the echoes and unsent rows are in memory, and the store reads on connections of its own.
#pragma once

#include <cstdint>
#include <map>
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

  void set_user_id(std::string user_id);
  std::string user_id() const;

  // At startup: the unsent rows, and the newest sent ones. A sent row is still an echo
  // when its seq is past its conversation's stored cursor (acknowledged, event not stored).
  void restore(std::span<const core::OutboxRow> unsent, std::span<const core::OutboxRow> recent_sent,
               std::span<const store::CacheCursor> cursors);
  // An outbox row was queued or changed state. Called for every new row before the
  // session has it, then for every change the session reports, in order.
  void outbox_changed(const LocalMessage& message);
  // These events are now stored: their echoes give way to them.
  void events_stored(std::span<const protocol::Event> events);

  // The newest page (before_seq 0) ends with the echoes still waiting for their server
  // copy. The echoes are taken before the store's snapshot: an echo is dropped only once
  // its server copy is committed, so one missing from them is in the snapshot.
  Result<MessagePage> messages(const std::string& conversation_id, Seq before_seq, int limit) const;
  // The rows not yet sent (pending, sending, failed), every kind, in local id order.
  std::vector<LocalMessage> unsent() const;
  Result<std::vector<ConversationInfo>> conversations() const;
  Result<ConversationInfo> conversation(const std::string& conversation_id) const;

 private:
  TimelineMessage echo(const LocalMessage& m) const;

  store::CacheStore& cache_;
  mutable std::mutex mutex_;
  std::string user_id_;
  std::map<std::string, LocalMessage> echoes_;  // by client message id
  std::map<std::int64_t, LocalMessage> unsent_;  // by local id
  // Stored before their ack came: the outbox may still report them (a resend, then the
  // ack), and they must not come back as echoes. Dropped once acknowledged.
  std::set<std::string> settled_;
};

}  // namespace confab::client
