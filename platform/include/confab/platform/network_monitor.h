// Whether the device can reach the network, and when that changes: the hint that lets a
// client reconnect the moment the network comes back instead of waiting out a backoff,
// and drop a connection the moment it goes.
//
// Two monitors: LinuxNetworkMonitor watches the kernel (netlink link and route events);
// ManualNetworkMonitor is driven by the app, for platforms whose network APIs live in
// the app's own code (Android's ConnectivityManager, Apple's NWPathMonitor). Either one is
// tied to a client with follow_network().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "confab/client.h"
#include "confab/result.h"
#include "confab/subscription.h"

namespace confab::platform {

class NetworkMonitor {
 public:
  virtual ~NetworkMonitor() = default;

  // Whether the network is usable now.
  virtual bool available() const = 0;

  // Calls `listener(available)` at each change (not for the current value), on the
  // monitor's thread for LinuxNetworkMonitor and on the caller of set_available() for
  // ManualNetworkMonitor. Once the Subscription is reset, the listener is not running and
  // will not run again; it may be reset from inside the listener. The Subscription may
  // outlive the monitor.
  Subscription on_change(std::function<void(bool available)> listener);

 protected:
  NetworkMonitor();
  // Tells the listeners, if `available` differs from what they were last told.
  void publish(bool available);

 private:
  struct Listeners;
  std::shared_ptr<Listeners> listeners_;
};

class ManualNetworkMonitor final : public NetworkMonitor {
 public:
  explicit ManualNetworkMonitor(bool available = true);
  bool available() const override;
  void set_available(bool available);

 private:
  mutable std::mutex mutex_;
  bool available_;
};

// Available while the routing table has a default route (IPv4 or IPv6) whose link is not
// down. Re-reads the table on every link or route event.
class LinuxNetworkMonitor final : public NetworkMonitor {
 public:
  // Opens the netlink sockets in the calling thread's network namespace and starts the
  // monitor's thread. Fails with `transport` when netlink is not available.
  static Result<std::unique_ptr<LinuxNetworkMonitor>> open();
  ~LinuxNetworkMonitor() override;

  bool available() const override;

 private:
  LinuxNetworkMonitor(int events_fd, int wake_fd);
  void run();
  bool read_default_route() const;

  int events_fd_;
  int wake_fd_;
  mutable std::mutex mutex_;
  bool available_ = false;
  std::thread thread_;
};

// Forwards the monitor's changes to client.set_network_available(), until reset. Tells
// the client the current value at once.
Subscription follow_network(NetworkMonitor& monitor, Client& client);

}  // namespace confab::platform
