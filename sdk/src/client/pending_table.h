// Requests of the app waiting for their answer, by key, each with the Pending its caller
// holds (confab/request.h). Thread-safe: added on the app's threads, completed on the
// network thread. Destroyed with requests unanswered (the client closing), each fails
// with `closed`.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <utility>

#include "confab/request.h"

namespace confab::client {

template <class T>
class PendingTable {
 public:
  explicit PendingTable(TaskExecutor executor) : executor_(std::move(executor)) {}

  // A new request: its key, and the Pending the caller waits on.
  std::pair<std::uint64_t, Pending<T>> add() {
    auto [pending, completer] = detail::make_pending<T>(executor_);
    std::lock_guard lock(mutex_);
    auto key = next_key_++;
    waiting_.emplace(key, std::move(completer));
    return {key, std::move(pending)};
  }

  // Completes the request (once; an unknown key is ignored).
  void complete(std::uint64_t key, Result<T> result) {
    typename decltype(waiting_)::node_type node;
    {
      std::lock_guard lock(mutex_);
      node = waiting_.extract(key);
    }
    if (node) node.mapped().complete(std::move(result));  // outside the lock: it may post a continuation
  }

 private:
  TaskExecutor executor_;
  std::mutex mutex_;
  std::uint64_t next_key_ = 1;
  std::map<std::uint64_t, detail::PendingCompleter<T>> waiting_;
};

}  // namespace confab::client
