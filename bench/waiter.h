// Waits for a condition that a client's callbacks change: they call notify(), the
// waiting thread checks `done()` again each time, until the deadline.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace confab::bench {

class Waiter {
 public:
  void notify() {
    std::lock_guard hold(mutex_);
    changed_.notify_all();
  }
  template <class Done>
  bool wait(Done done, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, done);
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
};

}  // namespace confab::bench
