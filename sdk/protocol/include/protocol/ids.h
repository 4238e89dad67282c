// Unique identifiers: UUIDv7 (RFC 9562), time-ordered, for clientMessageId and messageId.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace confab::ids {

// Generates UUIDv7 strings ("0190a1b2-...") that sort in creation order: 48 bits of Unix
// milliseconds, then a 12-bit counter that keeps ids made within one millisecond (or
// after the clock steps back) increasing, then 62 random bits. Not thread-safe; use one
// generator per thread.
class UuidV7Generator {
 public:
  // Seeded from std::random_device.
  UuidV7Generator();
  // Deterministic, for tests.
  explicit UuidV7Generator(std::uint64_t seed);

  std::string next(std::int64_t unix_ms);

 private:
  std::mt19937_64 random_;
  std::int64_t last_ms_ = -1;
  std::uint32_t counter_ = 0;
};

// A UUIDv7 from a per-thread generator and the system clock.
std::string new_uuid_v7();

}  // namespace confab::ids
