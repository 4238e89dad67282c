// Pending<T>: the answer to a request that goes to the server and comes back.
//
// Conversation operations (create a channel, open a DM, join, ...) return a Pending. Every
// Pending completes, exactly once: with the server's answer, with the server's typed
// refusal, or with an error of the SDK (the client's deadline rule says which, e.g.
// `timeout` when no answer came in time; `closed` when the client was destroyed first). Its result can be waited for on any thread but the client's callback thread, or
// handed to a continuation that runs there.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "confab/error.h"
#include "confab/result.h"

namespace confab {

// Runs a task on the thread it stands for (for the client: its callback thread). It may
// drop the task when that thread is gone.
using TaskExecutor = std::function<void(std::function<void()>)>;

namespace detail {

template <class T>
class PendingState;

}  // namespace detail

template <class T>
class Pending {
 public:
  // An empty Pending, as left by a move: valid() is false and it never becomes ready.
  Pending() = default;
  Pending(Pending&&) noexcept = default;
  Pending& operator=(Pending&&) noexcept = default;
  Pending(const Pending&) = delete;
  Pending& operator=(const Pending&) = delete;
  // Destroying a Pending neither cancels the request nor a continuation given to then().
  ~Pending() = default;

  bool valid() const noexcept { return state_ != nullptr; }

  // Whether the result is in (then wait() returns at once).
  bool ready() const;

  // Waits until the result is in, or `timeout` has passed: then nullopt, and the request
  // still completes later. Never call it from a callback of the client (it would wait on
  // the very thread that delivers results): use then(). An empty Pending answers
  // invalid_argument at once.
  std::optional<Result<T>> wait_for(std::chrono::milliseconds timeout) const;

  // Waits until the result is in (it always comes: see the deadlines above). The same
  // rule about callbacks applies.
  Result<T> wait() const;

  // Runs `done` once with the result, through the executor the Pending was made with (for
  // the client: on its callback thread), as soon as the result is in, or at once (posted
  // there, not run inline) if it is already. At most one then() per Pending: a later one
  // is ignored. Thread-safe, also against the completion.
  void then(std::function<void(const Result<T>&)> done);

 private:
  template <class U>
  friend class detail::PendingState;
  explicit Pending(std::shared_ptr<detail::PendingState<T>> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::PendingState<T>> state_;
};

namespace detail {

// The shared state of one request: written once by the SDK, read by the Pending.
template <class T>
class PendingState : public std::enable_shared_from_this<PendingState<T>> {
 public:
  explicit PendingState(TaskExecutor executor) : executor_(std::move(executor)) {}

  // The SDK's side of a new request: the Pending for the caller, and the state to
  // complete (through a PendingCompleter).
  static std::pair<Pending<T>, std::shared_ptr<PendingState>> make(TaskExecutor executor) {
    auto state = std::make_shared<PendingState>(std::move(executor));
    return {Pending<T>(state), state};
  }

  // The first result wins; later ones are ignored.
  void complete(Result<T> result) {
    std::function<void(const Result<T>&)> done;
    {
      std::lock_guard lock(mutex_);
      if (result_) return;
      result_.emplace(std::move(result));
      done = std::move(continuation_);
    }
    ready_.notify_all();
    if (done) post(std::move(done));
  }

  bool ready() const {
    std::lock_guard lock(mutex_);
    return result_.has_value();
  }

  std::optional<Result<T>> wait_for(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    if (!ready_.wait_for(lock, timeout, [this] { return result_.has_value(); })) return std::nullopt;
    return *result_;
  }

  Result<T> wait() const {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [this] { return result_.has_value(); });
    return *result_;
  }

  void then(std::function<void(const Result<T>&)> done) {
    {
      std::lock_guard lock(mutex_);
      if (has_continuation_) return;
      has_continuation_ = true;
      if (!result_) {
        continuation_ = std::move(done);
        return;
      }
    }
    post(std::move(done));
  }

 private:
  // Once the result is in it never changes, so the task reads it without the lock.
  void post(std::function<void(const Result<T>&)> done) {
    if (!done || !executor_) return;
    executor_([state = this->shared_from_this(), done = std::move(done)] { done(*state->result_); });
  }

  const TaskExecutor executor_;
  mutable std::mutex mutex_;
  mutable std::condition_variable ready_;
  std::optional<Result<T>> result_;
  std::function<void(const Result<T>&)> continuation_;
  bool has_continuation_ = false;
};

// Completes a request exactly once; if it is destroyed before that (the client went away
// with the request unanswered), the request fails with `closed`.
template <class T>
class PendingCompleter {
 public:
  explicit PendingCompleter(std::shared_ptr<PendingState<T>> state) : state_(std::move(state)) {}
  PendingCompleter(PendingCompleter&&) noexcept = default;
  PendingCompleter& operator=(PendingCompleter&& other) noexcept {
    if (this != &other) {
      abandon();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  PendingCompleter(const PendingCompleter&) = delete;
  PendingCompleter& operator=(const PendingCompleter&) = delete;
  ~PendingCompleter() { abandon(); }

  void complete(Result<T> result) {
    if (auto state = std::exchange(state_, nullptr)) state->complete(std::move(result));
  }

 private:
  void abandon() { complete(Error::make(ErrorCode::closed, "the client was closed before the answer came")); }
  std::shared_ptr<PendingState<T>> state_;
};

// A new request: the Pending for the caller and its completer for the SDK.
template <class T>
std::pair<Pending<T>, PendingCompleter<T>> make_pending(TaskExecutor executor) {
  auto [pending, state] = PendingState<T>::make(std::move(executor));
  return {std::move(pending), PendingCompleter<T>(std::move(state))};
}

}  // namespace detail

template <class T>
bool Pending<T>::ready() const {
  return state_ && state_->ready();
}

template <class T>
std::optional<Result<T>> Pending<T>::wait_for(std::chrono::milliseconds timeout) const {
  if (!state_) return Result<T>(Error::make(ErrorCode::invalid_argument, "an empty Pending"));
  return state_->wait_for(timeout);
}

template <class T>
Result<T> Pending<T>::wait() const {
  if (!state_) return Error::make(ErrorCode::invalid_argument, "an empty Pending");
  return state_->wait();
}

template <class T>
void Pending<T>::then(std::function<void(const Result<T>&)> done) {
  if (state_) state_->then(std::move(done));
}

}  // namespace confab
