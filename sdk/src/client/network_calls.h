// Calls from the app's threads that run on the network thread and wait for its answer
// (never for the network): edit(), retry(), discard(), unsent_messages(), ...
//
// The client may be destroyed on one thread while another (a callback, say) waits here.
// close() stops the network thread; a call it never ran gets its `if_closed` answer, and a
// call made after that gets it at once, so no thread is left waiting for a network thread
// that is gone (and ~Client, which joins the callback thread, cannot hang on one).
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace confab::client {

class NetworkCalls {
 public:
  explicit NetworkCalls(boost::asio::io_context& io) : io_(io) {}

  // Runs `f` on the network thread and returns its result, or `if_closed` when the network
  // thread stops first. Not from the network thread.
  template <class F, class R = std::invoke_result_t<F&>>
  R run(F f, R if_closed) {
    auto answer = std::make_shared<std::promise<R>>();
    auto result = answer->get_future();
    std::uint64_t key;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return if_closed;
      key = next_key_++;
      waiting_.emplace(key, [answer, if_closed = std::move(if_closed)]() mutable {
        answer->set_value(std::move(if_closed));
      });
    }
    boost::asio::post(io_, [this, key, answer, f = std::move(f)]() mutable {
      {
        std::lock_guard lock(mutex_);
        if (waiting_.erase(key) == 0) return;  // answered `closed` already
      }
      answer->set_value(f());
    });
    return result.get();
  }

  // Refuses new calls, runs `stop_network` (which stops and joins the network thread), then
  // answers every call it did not run.
  template <class Stop>
  void close(Stop stop_network) {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    stop_network();
    std::map<std::uint64_t, std::function<void()>> unanswered;
    {
      std::lock_guard lock(mutex_);
      unanswered.swap(waiting_);
    }
    for (auto& [key, answer_closed] : unanswered) answer_closed();
  }

 private:
  boost::asio::io_context& io_;
  std::mutex mutex_;
  bool closed_ = false;
  std::uint64_t next_key_ = 0;
  std::map<std::uint64_t, std::function<void()>> waiting_;  // answer `closed` to each
};

}  // namespace confab::client
