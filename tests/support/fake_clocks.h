// The core's two clocks (core/clock.h), moved by hand. advance() moves both, as time
// passing does; a test of the wall clock being set (by the user, by NTP) moves wall_ms
// alone. They start far apart, so a test cannot pass by mixing them up.
#pragma once

#include <cstdint>

#include "core/clock.h"

namespace confab::test {

struct FakeClocks {
  std::int64_t wall_ms = 1'763'800'000'000;  // Unix time
  std::int64_t monotonic_ms = 42'000'000;     // since some boot

  void advance(std::int64_t ms) {
    wall_ms += ms;
    monotonic_ms += ms;
  }
  // Time passes until the monotonic clock reads `monotonic` (never backward).
  void advance_to(std::int64_t monotonic) {
    if (monotonic > monotonic_ms) advance(monotonic - monotonic_ms);
  }
  core::Now now() const { return core::Now{wall_ms, monotonic_ms}; }
  // Clocks that read this object (which must outlive their users).
  core::Clocks clocks() {
    return core::Clocks{[this] { return wall_ms; }, [this] { return monotonic_ms; }};
  }
};

}  // namespace confab::test
