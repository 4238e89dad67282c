#include "core/reconnect.h"

#include <algorithm>

namespace confab::core {

RetrySchedule::Retry RetrySchedule::lost(std::int64_t now_ms, bool was_connected) {
  bool healthy = was_connected && now_ms - connected_at_ >= policy_.healthy_after_ms;
  if (healthy) attempts_ = 0;
  if (down_since_ == 0) down_since_ = now_ms;
  if (now_ms - down_since_ >= policy_.state_ttl_ms) return Retry{policy_.suspended_retry_ms, true};
  if (healthy) return Retry{0, false};  // attempts_ is 0: if this fails, the next waits
  ++attempts_;
  int doublings = std::clamp(attempts_ - 1, 0, 30);
  std::int64_t ceiling = std::min(policy_.retry_cap_ms, policy_.retry_base_ms << doublings);
  std::int64_t delay = ceiling <= 1 ? 0 : std::uniform_int_distribution<std::int64_t>(0, ceiling - 1)(random_);
  return Retry{delay, false};
}

}  // namespace confab::core
