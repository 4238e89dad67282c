// Holding a local store's write open, to show what does not wait for it: HeldWrite stops
// the next write transaction of a cache store just before it commits (through the store's
// test hook) until released; Beside runs calls on other threads meanwhile and tells which
// came back within a deadline. For tests that link confab_sdk_internals.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "store/cache_store.h"

namespace confab::test {

class HeldWrite {
 public:
  // Holds writes of the store at `path`; of any store when empty.
  explicit HeldWrite(std::filesystem::path path = {}) : state_(std::make_shared<State>()) {
    state_->path = std::move(path);
    store::CacheStore::set_test_hooks(
        {.in_write = [state = state_](const std::filesystem::path& p) { state->on_write(p); }, .in_read = {}});
  }
  ~HeldWrite() {
    release();
    store::CacheStore::set_test_hooks({});
  }
  HeldWrite(const HeldWrite&) = delete;
  HeldWrite& operator=(const HeldWrite&) = delete;

  // The next write transaction (of that store) waits, open, until release().
  void arm() {
    std::lock_guard lock(state_->mutex);
    state_->armed = true;
  }
  // Waits until a write is being held; false if the deadline passes first.
  bool wait_until_held(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(state_->mutex);
    return state_->changed.wait_for(lock, timeout, [&] { return state_->held; });
  }
  void release() {
    std::lock_guard lock(state_->mutex);
    state_->armed = false;
    state_->released = true;
    state_->changed.notify_all();
  }

 private:
  // Shared with the hook, which a writing thread may still be running as this goes away.
  struct State {
    void on_write(const std::filesystem::path& p) {
      std::unique_lock lock(mutex);
      if (!armed || (!path.empty() && p != path)) return;
      armed = false;
      held = true;
      changed.notify_all();
      changed.wait(lock, [&] { return released; });
    }
    std::filesystem::path path;
    std::mutex mutex;
    std::condition_variable changed;
    bool armed = false, held = false, released = false;
  };
  std::shared_ptr<State> state_;
};

// Calls made on threads of their own while a write is held. A call that does not come
// back within the deadline is waited for at the end, once the write is released.
class Beside {
 public:
  explicit Beside(HeldWrite& held, std::chrono::milliseconds deadline = std::chrono::seconds(5))
      : held_(held), deadline_(deadline) {}
  ~Beside() {
    held_.release();
    for (auto& t : threads_) t.join();
  }
  Beside(const Beside&) = delete;
  Beside& operator=(const Beside&) = delete;

  // What `call` returned, or nothing if it did not return within the deadline.
  template <class F>
  auto call(F call) -> std::optional<decltype(call())> {
    using R = decltype(call());
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(call));
    auto result = task->get_future();
    threads_.emplace_back([task] { (*task)(); });
    if (result.wait_for(deadline_) != std::future_status::ready) return std::nullopt;
    return result.get();
  }

 private:
  HeldWrite& held_;
  std::chrono::milliseconds deadline_;
  std::vector<std::thread> threads_;
};

}  // namespace confab::test
