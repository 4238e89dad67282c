// When to reconnect, and when a connection is dead: the two timers of the connection,
// without I/O. Time is the monotonic clock's milliseconds (clock.h), passed in: setting
// the wall clock back or forward moves neither a backoff nor the receive-idle deadline.
#pragma once

#include <cstdint>
#include <optional>
#include <random>

namespace confab::core {

struct ConnectionPolicy {
  std::int64_t retry_base_ms = 1'000;          // backoff: U(0, min(cap, base * 2^(attempt-1)))
  std::int64_t retry_cap_ms = 30'000;
  std::int64_t state_ttl_ms = 120'000;         // disconnected this long: suspended
  std::int64_t suspended_retry_ms = 30'000;    // the retry period while suspended
  std::int64_t healthy_after_ms = 10'000;      // connected this long: the attempt count resets
  std::int64_t ping_interval_ms = 25'000;      // a ping when nothing was sent or received for this long
  std::int64_t ping_timeout_ms = 10'000;       // nothing received for interval + timeout: dead
  std::int64_t auth_timeout_ms = 10'000;       // auth.ok (and the conversation list) within this
};

// Full-jitter backoff with Ably's connection states: the first unexpected drop of a healthy
// connection retries at once; later failures wait a random time in a window that doubles
// up to the cap; after `state_ttl_ms` without a connection the wait is `suspended_retry_ms`.
class RetrySchedule {
 public:
  struct Retry {
    std::int64_t delay_ms = 0;
    bool suspended = false;
  };

  RetrySchedule(const ConnectionPolicy& policy, std::uint64_t seed) : policy_(policy), random_(seed) {}

  // The app asked to connect, or the network came back: a fresh start.
  void reset() noexcept {
    attempts_ = 0;
    down_since_ = 0;
  }
  void connected(std::int64_t now_ms) noexcept {
    connected_at_ = now_ms;
    down_since_ = 0;
  }
  // The connection was lost, or an attempt failed: when to try again.
  Retry lost(std::int64_t now_ms, bool was_connected);

  int attempts() const noexcept { return attempts_; }

 private:
  ConnectionPolicy policy_;
  std::mt19937_64 random_;
  int attempts_ = 0;
  std::int64_t connected_at_ = 0;
  std::int64_t down_since_ = 0;  // 0 while connected
};

// The receive-idle deadline and the ping schedule of one connection.
class Liveness {
 public:
  explicit Liveness(const ConnectionPolicy& policy) : policy_(policy) {}

  void start(std::int64_t now_ms) noexcept { last_received_ = last_sent_ = now_ms; }
  void received(std::int64_t now_ms) noexcept { last_received_ = now_ms; }
  void sent(std::int64_t now_ms) noexcept { last_sent_ = now_ms; }

  bool ping_due(std::int64_t now_ms) const noexcept {
    return now_ms - std::max(last_received_, last_sent_) >= policy_.ping_interval_ms;
  }
  bool dead(std::int64_t now_ms) const noexcept {
    return now_ms - last_received_ >= policy_.ping_interval_ms + policy_.ping_timeout_ms;
  }
  std::int64_t next_check() const noexcept {
    return std::min(std::max(last_received_, last_sent_) + policy_.ping_interval_ms,
                    last_received_ + policy_.ping_interval_ms + policy_.ping_timeout_ms);
  }

 private:
  ConnectionPolicy policy_;
  std::int64_t last_received_ = 0;
  std::int64_t last_sent_ = 0;
};

}  // namespace confab::core
