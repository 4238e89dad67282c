// Group commit: one thread owns the MessageStore and appends whatever has queued up
// since its last commit in a single transaction. Each request's completion runs on that
// thread after the commit, in commit order; so acks are never early, and completions that
// hand their events on in that order keep every conversation's events in seq order.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "message_store.h"

namespace confab::server {

class Committer {
 public:
  using Completion = std::function<void(AppendResult&&)>;
  using Clock = std::function<std::int64_t()>;  // Unix milliseconds

  Committer(MessageStore& store, std::size_t max_batch, Clock clock);
  // Stops (see stop()).
  ~Committer();

  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;

  // Thread-safe. After stop(), completes at once with a retryable `unavailable` error.
  void submit(SendRequest request, Completion done);

  // Commits everything submitted so far, runs its completions, and joins the thread.
  void stop();

 private:
  struct Pending {
    SendRequest request;
    Completion done;
  };
  void loop();

  MessageStore& store_;
  const std::size_t max_batch_;
  const Clock clock_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace confab::server
