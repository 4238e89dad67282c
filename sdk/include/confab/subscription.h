// Subscription: the handle a callback registration returns.
#pragma once

#include <functional>
#include <utility>

namespace confab {

// Unsubscribes when reset or destroyed. Once reset() returns, the callback is not running
// and will not run again (when reset() is called from inside the callback itself, the
// current invocation finishes normally). A Subscription may outlive its Client.
class [[nodiscard]] Subscription {
 public:
  Subscription() = default;
  explicit Subscription(std::function<void()> cancel) : cancel_(std::move(cancel)) {}
  ~Subscription() { reset(); }

  Subscription(Subscription&& other) noexcept : cancel_(std::exchange(other.cancel_, nullptr)) {}
  Subscription& operator=(Subscription&& other) noexcept {
    if (this != &other) {
      reset();
      cancel_ = std::exchange(other.cancel_, nullptr);
    }
    return *this;
  }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  void reset() {
    if (auto cancel = std::exchange(cancel_, nullptr)) cancel();
  }
  bool active() const noexcept { return static_cast<bool>(cancel_); }

 private:
  std::function<void()> cancel_;
};

}  // namespace confab
