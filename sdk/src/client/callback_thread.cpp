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
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    tasks_.clear();
  }
  wake_.notify_one();
}

void CallbackThread::stop() {
  close();
  if (thread_.joinable()) thread_.join();
}

void CallbackThread::wait_until_idle() {
  if (on_this_thread()) return;
  std::lock_guard wait_for_running_task(running_);
}

void CallbackThread::loop() {
  for (;;) {
    std::function<void()> task;
    std::unique_lock running(running_, std::defer_lock);
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (stopping_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
      // Taken before the queue lock is released, so a caller of wait_until_idle() that
      // saw this task leave the queue waits for it to finish.
      running.lock();
    }
    task();
    task = nullptr;  // release what the task holds before this thread counts as idle
  }
}

}  // namespace confab::client
