// The two clocks the core reads, injected so that tests can move each one by hand.
//
// - The wall clock (Unix milliseconds) is for what means a date: a message's creation time
//   and the outbox's maximum age, which counts from a date stored with the row and must
//   hold across restarts. It may jump (the user or NTP sets it).
// - The monotonic clock (milliseconds from an arbitrary start, never going back) is for
//   every deadline and delay: ack timeouts, backoffs, reconnect waits, pings and the
//   receive-idle deadline, gap holds, the read-cursor debounce. Setting the wall clock back
//   ten minutes must not make a resend or the detection of a half-open connection wait ten
//   minutes more. A monotonic time means nothing in another process, so none is stored.
#pragma once

#include <cstdint>
#include <functional>

namespace confab::core {

// One reading of both clocks.
struct Now {
  std::int64_t wall_ms = 0;       // Unix time
  std::int64_t monotonic_ms = 0;  // for deadlines
};

struct Clocks {
  std::function<std::int64_t()> wall;       // Unix milliseconds
  std::function<std::int64_t()> monotonic;  // milliseconds, never going back

  Now now() const { return Now{wall(), monotonic()}; }
};

}  // namespace confab::core
