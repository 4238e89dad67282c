// Arrivals of a numbered stream (see load.h), recorded from whatever thread the stack
// calls back on: each message's latency from when it was due; duplicates count once.
#pragma once

#include <condition_variable>
#include <mutex>
#include <vector>

#include "load.h"

namespace confab::load {

// Arrivals, recorded from whatever thread the stack calls back on.
class Arrivals {
 public:
  explicit Arrivals(const StreamPlan& plan) : plan_(plan), seen_(plan.count(), false) {}
  void start(Clock::time_point start) { start_ = start; }
  void arrived(const char* data, std::size_t size) {
    auto now = Clock::now();
    std::size_t i = 0;
    if (!parse_numbered(data, size, i) || i >= seen_.size()) return;
    std::lock_guard hold(mutex_);
    if (seen_[i]) return;  // a duplicate delivery counts once
    seen_[i] = true;
    latency_ms_.push_back(std::chrono::duration<double, std::milli>(now - plan_.due(start_, i)).count());
    changed_.notify_all();
  }
  // Waits until every message arrived, or the deadline passes.
  void wait_all(Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, deadline, [&] { return latency_ms_.size() == seen_.size(); });
  }
  void into(LatencyResult& result) {
    std::lock_guard hold(mutex_);
    result.received = latency_ms_.size();
    result.latency_ms = latency_ms_;
  }

 private:
  const StreamPlan& plan_;
  Clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<bool> seen_;
  std::vector<double> latency_ms_;
};

}  // namespace confab::load
