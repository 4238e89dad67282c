#include "client/callback_thread.h"

namespace confab::client {

CallbackThread::CallbackThread() : thread_([this] { loop(); }) {}

CallbackThread::~CallbackThread() { stop(); }

void CallbackThread::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void CallbackThread::close() {
  std::deque<std::function<void()>> dropped;  // destroyed outside the lock
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(tasks_);
  }
  wake_.notify_one();
}

void CallbackThread::stop() {
  close();
  if (thread_.joinable()) thread_.join();
}

void CallbackThread::wait_until_idle() {
  if (on_this_thread()) return;
  std::unique_lock lock(mutex_);
  const auto running = started_;  // the task running now, if any, is number `started_`
  finished_one_.wait(lock, [this, running] { return finished_ >= running; });
}

void CallbackThread::loop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (stopping_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
      // Counted before the queue lock is released, so a caller of wait_until_idle() that
      // saw this task leave the queue waits for it to finish.
      ++started_;
    }
    task();
    task = nullptr;  // release what the task holds before this thread counts as idle
    {
      std::lock_guard lock(mutex_);
      ++finished_;
    }
    finished_one_.notify_all();
  }
}

}  // namespace confab::client
