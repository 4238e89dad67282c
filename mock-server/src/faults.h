// Faults the server injects on request, for tests (docs/protocol.md, "Testing"). Off
// unless the server runs with fault injection enabled; every field is safe to read and
// change from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace confab::server {

struct Faults {
  std::atomic<int> drop_acks{0};                // acks still to drop after their commit
  std::atomic<std::int64_t> delay_ms{0};        // delay before each outgoing frame
  std::atomic<bool> duplicate_events{false};    // deliver each event twice
  std::atomic<std::int64_t> refuse_until_ms{0};  // close new connections until then (Unix ms)

  // Takes one ack to drop, if any are left.
  bool take_dropped_ack() {
    int left = drop_acks.load();
    while (left > 0) {
      if (drop_acks.compare_exchange_weak(left, left - 1)) return true;
    }
    return false;
  }

  void clear() {
    drop_acks = 0;
    delay_ms = 0;
    duplicate_events = false;
    refuse_until_ms = 0;
  }
};

}  // namespace confab::server
