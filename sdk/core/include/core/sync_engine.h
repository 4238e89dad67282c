// The sync rules, without I/O: which events of a conversation may be applied, which are
// duplicates, when a gap is filled, and how a device catches up after a reconnect.
//
// TDLib's per-channel rule, per conversation with its cursor (the highest seq applied):
// - seq == cursor + 1: apply it (and any held events that now follow on);
// - seq <= cursor: a duplicate; drop it;
// - a larger seq: hold it for `gap_hold_ms`; if the gap is still open then, fetch the
//   difference (history after the cursor) and apply it in order.
// On connecting, the engine pages through sync.request for the heads of the user's
// conversations and fetches the difference of each one that is behind, at most
// `max_concurrent` conversations at a time, `page` events per request. A difference the
// server calls too long resets the conversation to its newest page: the cursor jumps to
// the head and the events before that page are left to history paging.
//
// Time is the monotonic clock's milliseconds (clock.h), passed in. The adapter sends the requests, applies each
// Apply in one transaction with its cursor, and feeds the answers back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "confab/conversation.h"
#include "protocol/protocol.h"

namespace confab::core {

struct SyncPolicy {
  std::int64_t gap_hold_ms = 500;  // how long an out-of-order event waits for the gap to close
  std::size_t max_concurrent = 4;  // conversations fetching differences at once
  int page = 200;                  // events per history request
};

// Apply these events (contiguous, in seq order) and set the conversation's cursor to the
// last one's seq, in one transaction.
struct ApplyEvents {
  std::string conversation_id;
  std::vector<protocol::Event> events;
  // The events do not follow the previous cursor: the conversation was too far behind and
  // starts again from its newest page. What lies between stays for history paging.
  bool reset = false;
};

// Send this frame.
struct SyncSend {
  protocol::ClientFrame frame;
};

using SyncAction = std::variant<ApplyEvents, SyncSend, SyncProgress>;

class SyncEngine {
 public:
  explicit SyncEngine(SyncPolicy policy = {}) : policy_(policy) {}

  // The cursors kept in the store, at startup.
  void restore(const std::string& conversation_id, Seq cursor);
  Seq cursor(const std::string& conversation_id) const;

  // The session is authenticated: start the catch-up.
  void connected(std::int64_t now_ms);
  // The connection is gone: requests in flight are forgotten (held events stay held).
  void disconnected();

  void on_event(const protocol::Event& event, std::int64_t now_ms);
  void on_sync_state(const protocol::SyncState& state, std::int64_t now_ms);
  void on_history(const protocol::History& history, std::int64_t now_ms);
  // The store could not take an ApplyEvents: go back to the cursor it holds and fetch
  // from there again.
  void rewind(const std::string& conversation_id, Seq stored_cursor);
  // A history request was refused (e.g. the user left the conversation).
  void on_refused(const std::string& request_id);
  void tick(std::int64_t now_ms);
  std::optional<std::int64_t> next_wakeup() const;

  // Request ids this engine uses start with this prefix.
  static bool owns(const std::string& request_id);

  std::vector<SyncAction> take_actions();

  // How many events were dropped as duplicates (for tests and diagnostics).
  std::size_t duplicates_dropped() const noexcept { return duplicates_; }

 private:
  struct Conversation {
    Seq cursor = 0;
    Seq head = 0;                              // the highest seq known to exist
    std::map<Seq, protocol::Event> held;       // out-of-order events waiting for the gap
    std::optional<std::int64_t> hold_until;    // when to stop waiting and fetch
    bool fetching = false;                     // a history request is in flight
    bool queued = false;                       // waiting for a fetch slot
    bool catching_up = false;                  // counted in this connection's progress
  };

  Conversation& conversation(const std::string& id) { return conversations_[id]; }
  // Applies what follows the cursor among `events` and the held ones; keeps the rest held.
  // With `reset`, events that start past cursor + 1 move the cursor up to them.
  void apply_ready(const std::string& id, Conversation& c, std::vector<protocol::Event> events, bool reset);
  void need_fetch(const std::string& id, Conversation& c);
  void pump();
  void request_history(const std::string& id, Conversation& c, bool newest_page);
  void finish_fetch(const std::string& id, Conversation& c, std::int64_t now_ms);
  void report_progress();
  void request_sync_page(const std::string& after);

  SyncPolicy policy_;
  std::map<std::string, Conversation> conversations_;
  std::deque<std::string> fetch_queue_;
  std::size_t in_flight_ = 0;
  std::map<std::string, std::pair<std::string, bool>> requests_;  // request id -> (conversation, newest page)
  std::uint64_t next_request_ = 1;
  bool connected_ = false;
  bool listing_ = false;  // sync.request pages still coming
  std::size_t behind_ = 0;
  std::size_t caught_up_ = 0;
  std::size_t duplicates_ = 0;
  std::optional<SyncProgress> last_progress_;
  std::vector<SyncAction> actions_;
};

}  // namespace confab::core
