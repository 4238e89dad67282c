// Collects values from callbacks on other threads and lets a test wait, with a deadline,
// until they satisfy a condition.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace confab::test {

template <class T>
class Recorder {
 public:
  void add(T value) {
    std::lock_guard lock(mutex_);
    items_.push_back(std::move(value));
    changed_.notify_all();
  }

  // Waits until `condition(items)` holds; false if the deadline passes first.
  template <class Condition>
  bool wait_until(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return condition(items_); });
  }

  bool wait_for_count(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    return wait_until([count](const std::vector<T>& items) { return items.size() >= count; }, timeout);
  }

  std::vector<T> items() const {
    std::lock_guard lock(mutex_);
    return items_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<T> items_;
};

}  // namespace confab::test
