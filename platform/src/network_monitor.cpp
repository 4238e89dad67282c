#include "confab/platform/network_monitor.h"

#include <atomic>
#include <optional>
#include <utility>

namespace confab::platform {

// Shared with the Subscriptions, so that one may outlive the monitor.
struct NetworkMonitor::Listeners {
  std::mutex mutex;          // guards the map and `last`
  std::mutex calling;        // held while listeners run
  // The thread running them, while it does: read by an unsubscribing thread without the
  // `calling` lock (which that thread may be the holder of).
  std::atomic<std::thread::id> caller;
  std::map<std::uint64_t, std::function<void(bool)>> map;
  std::uint64_t next_id = 1;
  std::optional<bool> last;
};

NetworkMonitor::NetworkMonitor() : listeners_(std::make_shared<Listeners>()) {}

Subscription NetworkMonitor::on_change(std::function<void(bool available)> listener) {
  std::uint64_t id = 0;
  {
    std::lock_guard lock(listeners_->mutex);
    id = listeners_->next_id++;
    listeners_->map.emplace(id, std::move(listener));
  }
  std::weak_ptr<Listeners> weak = listeners_;
  return Subscription([weak, id] {
    auto listeners = weak.lock();
    if (!listeners) return;
    {
      std::lock_guard lock(listeners->mutex);
      listeners->map.erase(id);
    }
    // Wait for a call in progress, unless this is that call.
    if (listeners->caller != std::this_thread::get_id()) std::lock_guard wait(listeners->calling);
  });
}

void NetworkMonitor::publish(bool available) {
  std::lock_guard calling(listeners_->calling);
  std::map<std::uint64_t, std::function<void(bool)>> snapshot;
  {
    std::lock_guard lock(listeners_->mutex);
    if (listeners_->last == available) return;
    listeners_->last = available;
    snapshot = listeners_->map;
  }
  listeners_->caller = std::this_thread::get_id();
  for (auto& [id, listener] : snapshot) {
    bool still_there = false;
    {
      std::lock_guard lock(listeners_->mutex);
      still_there = listeners_->map.contains(id);
    }
    if (still_there) listener(available);
  }
  listeners_->caller = std::thread::id{};
}

ManualNetworkMonitor::ManualNetworkMonitor(bool available) : available_(available) { publish(available); }

bool ManualNetworkMonitor::available() const {
  std::lock_guard lock(mutex_);
  return available_;
}

void ManualNetworkMonitor::set_available(bool available) {
  {
    std::lock_guard lock(mutex_);
    available_ = available;
  }
  publish(available);
}

Subscription follow_network(NetworkMonitor& monitor, Client& client) {
  auto subscription = monitor.on_change([&client](bool available) { client.set_network_available(available); });
  client.set_network_available(monitor.available());
  return subscription;
}

}  // namespace confab::platform
