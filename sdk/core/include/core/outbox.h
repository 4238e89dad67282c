// The outbox's rules, without I/O: which queued message goes on the wire next, when a
// refused or unanswered one is tried again, and when one gives up.
//
// - Each conversation flushes in enqueue (local_id) order, with at most `window` messages
//   awaiting their ack at once. A message never overtakes an earlier unsent one of its
//   conversation; a failed message is out of the queue and blocks nothing.
// - A retryable refusal puts the message back to pending with a full-jitter backoff (or
//   the server's retry-after). Later messages of the conversation wait behind it.
// - A missing ack is resent with the same clientMessageId after `ack_timeout_ms`.
// - A lost connection puts every in-flight message back to pending, to go first on the
//   next connection.
// - A message still unsent `max_age_ms` after it was queued (or retried) fails `too_old`.
// - An edit, delete or reaction whose target is still in the outbox waits until the
//   target is acknowledged (and so has the server's id); if the target fails or is
//   discarded, so are the changes that wait for it. So does a message that quotes
//   (reply_to) or replies in the thread of (thread_root) a message still in the outbox.
// - A message with attachments waits until each has the server's attachment id
//   (attachment_uploaded()); an upload refused for good fails it (upload_failed()), and
//   the rest of its conversation goes on.
// - The server holds back a connection's later sends to a conversation after it refused
//   one with a retryable error, until that one comes again. A row refused so on this
//   connection that fails or is discarded instead is reported by take_withdrawn(), so that
//   the session tells the server it will not come (message.withdraw) before anything else
//   of that conversation goes: a failed or discarded message never blocks its conversation.
//
// Every row that changes is reported through take_changed(), in the order it changed, so
// the adapter can persist it and tell the app. Time is passed in as both clocks (clock.h):
// the maximum age follows the wall clock, from the date stored with the row; ack
// deadlines and backoffs follow the monotonic clock, and live only in memory (a restart
// sends what is pending at once).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "confab/error.h"
#include "confab/message.h"
#include "confab/result.h"
#include "core/clock.h"

namespace confab::core {

// One outbox row as it is stored: the app-visible message and the date its maximum age
// counts from. (When it may go next is the Outbox's own business, on the monotonic clock.)
struct OutboxRow {
  LocalMessage message;
  std::int64_t age_from_ms = 0;  // wall clock: the maximum age counts from here
};

struct OutboxPolicy {
  std::size_t window = 32;                         // unacked messages per conversation
  std::int64_t ack_timeout_ms = 15'000;            // resend when no ack came in this time
  std::int64_t max_age_ms = 24LL * 3600 * 1000;    // give up (too_old) after this
  std::int64_t retry_base_ms = 1'000;              // backoff after a retryable refusal:
  std::int64_t retry_cap_ms = 60'000;              //   U(0, min(cap, base * 2^(attempts-1)))
};

class Outbox {
 public:
  Outbox(OutboxPolicy policy, std::uint64_t seed);

  // Rows read back at startup, in local_id order. A row that was `sending` when the
  // process stopped goes back to `pending` (reported as changed).
  void restore(std::vector<OutboxRow> rows);
  // A row send() has just committed, in state pending.
  void add(OutboxRow row);

  // Puts due messages on the wire (while connected) and expires old ones. Rows that went
  // out are reported by take_transmit().
  void flush(Now now, bool connected);
  // The connection is gone: in-flight rows go back to pending.
  void connection_lost(const Error& why);

  // The server's answers. Both return false when the clientMessageId is not in flight
  // here (a repeated or foreign answer), and change nothing then.
  bool on_ack(const std::string& client_message_id, const std::string& message_id, Seq seq);
  bool on_refused(const std::string& client_message_id, const Error& error, Now now);

  // The app's requests. retry() queues a pending or failed row to go at once, with a fresh
  // maximum age; discard() drops a row that is not on the wire.
  Result<void> retry(std::int64_t local_id, Now now);
  Result<void> discard(std::int64_t local_id);

  // An upload of the message's attachment `index` is done: the server's id for it. Once
  // every attachment has one, the message may go.
  Result<void> attachment_uploaded(std::int64_t local_id, std::size_t index, const std::string& attachment_id);
  // An upload of the message was refused for good: the pending message fails with `error`.
  Result<void> upload_failed(std::int64_t local_id, Error error);

  // The unsent row with this local id, if any.
  const OutboxRow* find_row(std::int64_t local_id) const;

  // When flush() next has something to do, after `now`, if ever, on the monotonic clock.
  // (What is due by then but held back by a full window goes when an ack makes room. A
  // maximum age ends at a wall-clock date: its wakeup is planned from the time left now,
  // and flush() checks the date itself, so a wall clock set forward expires rows at the
  // next flush, and one set back keeps them.)
  std::optional<std::int64_t> next_wakeup(Now now, bool connected) const;

  std::vector<OutboxRow> take_changed();
  std::vector<OutboxRow> take_transmit();
  // Rows refused with a retryable error on this connection that have since failed or been
  // discarded, in the order that happened.
  std::vector<LocalMessage> take_withdrawn();

  // Rows not yet sent (pending, sending, failed), in local_id order.
  std::vector<LocalMessage> unsent() const;
  std::size_t size() const noexcept { return rows_.size(); }

 private:
  struct Entry {
    OutboxRow row;
    // Monotonic clock.
    std::int64_t next_attempt_at_ms = 0;  // pending: not before this time (0: at once)
    std::int64_t ack_deadline_ms = 0;     // sending: resend after this time
    // Refused with a retryable error on this connection and not on the wire since: the
    // server holds its conversation back until it comes again or is withdrawn.
    bool held_by_server = false;
  };
  // A conversation's pending and sending rows by local_id; the entries live in rows_ (a
  // node-based map, so the pointers stay valid until the row is erased).
  using Queue = std::map<std::int64_t, Entry*>;

  void insert(OutboxRow row);
  void transmit(Entry& entry, std::int64_t monotonic_ms);
  void fail(Entry& entry, Error error);
  // The entry leaves the queue without an ack: withdraw it if the server waits for it.
  void withdraw(Entry& entry);
  void unqueue(const LocalMessage& m);
  // The rows that wait for the message `target_local_id` (and forgets them as waiting).
  std::vector<Entry*> take_dependents(std::int64_t target_local_id);
  void changed(const Entry& entry);
  void flush_queue(const std::string& conversation_id, Now now, bool connected);
  bool expired(const Entry& entry, Now now) const;
  Entry* find(std::int64_t local_id);

  OutboxPolicy policy_;
  std::mt19937_64 random_;
  std::map<std::int64_t, Entry> rows_;  // every unsent row, failed ones included
  std::unordered_map<std::string, std::int64_t> by_client_id_;
  std::unordered_map<std::string, Queue> queues_;  // by conversation
  // Rows waiting for a message still in the outbox (changes to it, replies to it): its
  // local id -> theirs.
  std::unordered_map<std::int64_t, std::vector<std::int64_t>> waiting_;
  std::vector<OutboxRow> changed_;
  std::vector<OutboxRow> transmit_;
  std::vector<LocalMessage> withdrawn_;
};

}  // namespace confab::core
