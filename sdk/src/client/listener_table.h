// The callbacks registered for one kind of notification.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "client/callback_thread.h"
#include "confab/subscription.h"

namespace confab::client {

template <class Event>
class ListenerTable : public std::enable_shared_from_this<ListenerTable<Event>> {
 public:
  using Callback = std::function<void(const Event&)>;

  // `thread` is where call() runs; a Subscription that is reset waits for it to be idle.
  // The table does not own the thread: only the thread's owner may destroy it, after
  // stopping it, never the thread itself by dropping a last reference held by a task.
  explicit ListenerTable(std::weak_ptr<CallbackThread> thread) : thread_(std::move(thread)) {}

  Subscription add(Callback callback) {
    std::uint64_t key;
    {
      std::lock_guard lock(mutex_);
      key = next_key_++;
      callbacks_.emplace(key, std::make_shared<Entry>(std::move(callback)));
    }
    std::weak_ptr<ListenerTable> weak = this->shared_from_this();
    return Subscription([weak, key] {
      if (auto table = weak.lock()) table->remove(key);
    });
  }

  // Whether anyone listens: a notification nobody listens to is not even queued.
  bool empty() const {
    std::lock_guard lock(mutex_);
    return callbacks_.empty();
  }

  // On the callback thread: calls every listener with `event`.
  void call(const Event& event) {
    for (const auto& entry : snapshot()) {
      // An earlier listener in this round may have unsubscribed this one.
      if (entry->active.load()) entry->callback(event);
    }
  }

 private:
  struct Entry {
    explicit Entry(Callback c) : callback(std::move(c)) {}
    Callback callback;
    std::atomic<bool> active{true};
  };

  void remove(std::uint64_t key) {
    {
      std::lock_guard lock(mutex_);
      auto it = callbacks_.find(key);
      if (it == callbacks_.end()) return;
      it->second->active.store(false);
      callbacks_.erase(it);
    }
    // A call() may have taken its snapshot before the removal; wait until it is done.
    if (auto thread = thread_.lock()) thread->wait_until_idle();
  }

  std::vector<std::shared_ptr<Entry>> snapshot() {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<Entry>> out;
    out.reserve(callbacks_.size());
    for (const auto& [key, callback] : callbacks_) out.push_back(callback);
    return out;
  }

  std::weak_ptr<CallbackThread> thread_;
  mutable std::mutex mutex_;
  std::uint64_t next_key_ = 0;
  std::map<std::uint64_t, std::shared_ptr<Entry>> callbacks_;
};

}  // namespace confab::client
