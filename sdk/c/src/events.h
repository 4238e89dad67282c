// How events leave the C API: to the app's callback (on the client's callback thread) and
// to the poll queue, each for the kinds it asked for. The SDK is subscribed to exactly the
// kinds one of them wants, so that nothing is produced for a kind nobody hears.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "confab/confab.h"
#include "confab/subscription.h"

namespace confab {
class Client;
}

namespace confab::c {

// The bounded queue confab_poll_event() reads. When it holds `capacity` events a new one is
// dropped (unless it must be kept: a request's answer), and the first drop queues an
// overflow marker behind the full queue that counts every drop until it is taken.
class PollQueue {
 public:
  explicit PollQueue(std::size_t capacity) : capacity_(capacity) {}

  void push(unsigned kind, std::string event, bool keep);
  // The oldest event, waiting up to `timeout`; false when none came.
  bool pop(std::string& event, std::chrono::milliseconds timeout);
  // An event of `kind` that could not be made: counted as dropped.
  void drop(unsigned kind) noexcept;
  void clear();

 private:
  std::string take_overflow();  // under the lock: the marker's event, and the counts reset

  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  // Events, and at most one empty string standing for the overflow marker.
  std::deque<std::string> events_;
  bool marker_queued_ = false;
  std::size_t dropped_ = 0;
  unsigned dropped_kinds_ = 0;
};

class EventHub {
 public:
  // The bits of confab_event_kind.
  static constexpr std::size_t kKindBits = 13;
  static_assert(CONFAB_EVENT_ALL == (1u << kKindBits) - 1, "one bit per kind");

  EventHub(const confab_client* owner, std::size_t poll_capacity) : owner_(owner), queue_(poll_capacity) {}

  // Subscribes to the client's notifications from now on (set once, after it is open).
  void attach(Client& client) { client_ = &client; }

  void set_callback(unsigned kinds, confab_event_cb callback, void* payload);
  void set_poll_kinds(unsigned kinds);
  bool poll(std::string& event, std::chrono::milliseconds timeout) { return queue_.pop(event, timeout); }

  // Whether anyone hears events of `kind` (a confab_event_kind bit).
  bool wanted(unsigned kind) const;
  // Delivers an event of `kind`, made by `make` only if someone hears that kind. On the
  // client's callback thread (or, for a request refused at once, its caller's).
  // Never throws: an event that cannot be made is counted as dropped (see PollQueue).
  void emit(unsigned kind, const std::function<nlohmann::json()>& make) noexcept;

  // Before the client is destroyed: no callback of the app runs once this returns, and
  // the SDK's subscriptions are gone.
  void stop();

 private:
  void deliver(unsigned kind, const std::function<nlohmann::json()>& make);
  void resubscribe();
  Subscription subscribe(unsigned kind);

  const confab_client* owner_;
  Client* client_ = nullptr;
  PollQueue queue_;

  // The app's callback. Held while it runs, so that replacing it waits for a call in
  // progress; recursive, so that the callback may replace itself.
  std::recursive_mutex callback_mutex_;
  confab_event_cb callback_ = nullptr;
  void* payload_ = nullptr;

  mutable std::mutex kinds_mutex_;
  unsigned callback_kinds_ = 0;
  unsigned poll_kinds_ = 0;
  bool stopped_ = false;
  // The SDK subscriptions, one per bit of confab_event_kind (none for `request`, whose
  // answers come from the calls, nor `overflow`).
  std::mutex subscriptions_mutex_;
  std::array<Subscription, kKindBits> subscriptions_;
};

// The wire name of a kind ("message"), for events and the overflow counts.
const char* kind_name(unsigned kind) noexcept;

}  // namespace confab::c
