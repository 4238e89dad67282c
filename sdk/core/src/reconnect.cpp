#include "core/reconnect.h"

#include "backoff.h"

namespace confab::core {

RetrySchedule::Retry RetrySchedule::lost(std::int64_t now_ms, bool was_connected) {
  bool healthy = was_connected && now_ms - connected_at_ >= policy_.healthy_after_ms;
  if (healthy) attempts_ = 0;
  if (down_since_ == 0) down_since_ = now_ms;
  if (now_ms - down_since_ >= policy_.state_ttl_ms) return Retry{policy_.suspended_retry_ms, true};
  if (healthy) return Retry{0, false};  // attempts_ is 0: if this fails, the next waits
  ++attempts_;
  return Retry{full_jitter_ms(random_, policy_.retry_base_ms, policy_.retry_cap_ms, attempts_), false};
}

}  // namespace confab::core
