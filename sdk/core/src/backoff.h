// Full-jitter backoff (the "Full Jitter" of AWS's "Exponential Backoff and Jitter"):
// attempt n waits U(0, min(cap, base * 2^(n-1))), so clients that failed together do not
// come back together.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>

namespace confab::core {

inline std::int64_t full_jitter_ms(std::mt19937_64& random, std::int64_t base_ms, std::int64_t cap_ms, int attempt) {
  int doublings = std::clamp(attempt - 1, 0, 30);
  std::int64_t ceiling = std::min(cap_ms, base_ms << doublings);
  if (ceiling <= 1) return 0;
  return std::uniform_int_distribution<std::int64_t>(0, ceiling - 1)(random);
}

}  // namespace confab::core
