// The thread on which the SDK runs the app's callbacks, one at a time, in order.
#pragma once

#include <condition_variable>
#include <cstdint>
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

  // Returns once the task running when it was called (if any) has finished, without
  // waiting for the ones queued after it. From the callback thread itself, returns at once.
  void wait_until_idle();

  bool on_this_thread() const noexcept { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  void loop();

  // mutex_ is never held while a task runs or while another lock is taken, so tasks may
  // post, and callers may post while holding locks of their own.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable finished_one_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::uint64_t started_ = 0;   // tasks taken from the queue
  std::uint64_t finished_ = 0;  // of which this many have returned
  std::thread thread_;
};

}  // namespace confab::client
