// The thread on which the SDK runs the app's callbacks, one at a time, in order.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace confab::client {

class CallbackThread {
 public:
  CallbackThread();
  // Stops the thread; see stop().
  ~CallbackThread();

  CallbackThread(const CallbackThread&) = delete;
  CallbackThread& operator=(const CallbackThread&) = delete;

  // Runs `task` after the tasks posted before it. Ignored once stopped.
  void post(std::function<void()> task);

  // Drops the tasks not yet started and refuses new ones; returns at once.
  void close();

  // close(), then waits for the task running (if any) and joins the thread.
  // Must not be called from the callback thread.
  void stop();

  // Returns once no task is running. From the callback thread itself, returns at once.
  void wait_until_idle();

  bool on_this_thread() const noexcept { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::mutex running_;  // held while a task runs
  std::thread thread_;
};

}  // namespace confab::client
