// Network reachability: the monitors, and a client that follows them.
//
// The netlink test runs in a private network namespace (it needs root, as CI has), made
// by a thread of its own, so the routes it adds and removes touch nothing else.
#include <gtest/gtest.h>

#include <sched.h>

#include <cstdlib>
#include <future>
#include <thread>

#include "confab/platform/network_monitor.h"
#include "printers.h"
#include "recorder.h"
#include "sdk_device.h"
#include "server_process.h"
#include "temp_dir.h"

namespace confab {
namespace {

TEST(ManualNetworkMonitor, TellsListenersOfChangesOnly) {
  platform::ManualNetworkMonitor monitor(true);
  test::Recorder<bool> seen;
  auto subscription = monitor.on_change([&](bool available) { seen.add(available); });
  monitor.set_available(true);
  monitor.set_available(false);
  monitor.set_available(false);
  monitor.set_available(true);
  EXPECT_EQ(seen.items(), (std::vector<bool>{false, true}));
  subscription.reset();
  monitor.set_available(false);
  EXPECT_EQ(seen.items().size(), 2u) << "nothing after reset";
}

TEST(ManualNetworkMonitor, AListenerMayUnsubscribeItselfAndASubscriptionMayOutliveTheMonitor) {
  Subscription outlives;
  {
    platform::ManualNetworkMonitor monitor(true);
    Subscription self;
    int calls = 0;
    self = monitor.on_change([&](bool) {
      ++calls;
      self.reset();
    });
    outlives = monitor.on_change([](bool) {});
    monitor.set_available(false);
    monitor.set_available(true);
    EXPECT_EQ(calls, 1);
  }
  outlives.reset();
}

// Runs `ip ARGS` (in the calling thread's network namespace).
bool ip(const std::string& args) { return std::system(("ip " + args + " >/dev/null 2>&1").c_str()) == 0; }

TEST(LinuxNetworkMonitor, FollowsADefaultRouteComingAndGoing) {
  std::promise<std::string> outcome;
  std::thread namespaced([&outcome] {
    if (::unshare(CLONE_NEWNET) != 0) {
      outcome.set_value("skip: cannot create a network namespace (needs root)");
      return;
    }
    auto opened = platform::LinuxNetworkMonitor::open();
    if (!opened) {
      outcome.set_value("netlink: " + describe(opened.error()));
      return;
    }
    auto& monitor = **opened;
    if (monitor.available()) {
      outcome.set_value("a new namespace has no default route, yet the monitor says available");
      return;
    }
    test::Recorder<bool> seen;
    auto subscription = monitor.on_change([&](bool available) { seen.add(available); });
    bool made = ip("link add cf0 type veth peer name cf1") && ip("addr add 10.77.0.1/24 dev cf0") &&
                ip("link set cf0 up") && ip("link set cf1 up") && ip("route add default via 10.77.0.2 dev cf0");
    if (!made) {
      outcome.set_value("skip: `ip` could not set up a veth pair");
      return;
    }
    if (!seen.wait_until([](const auto& all) { return !all.empty() && all.back(); })) {
      outcome.set_value("no `available` after the default route was added");
      return;
    }
    ip("route del default");
    if (!seen.wait_until([](const auto& all) { return !all.back(); })) {
      outcome.set_value("no `unavailable` after the default route was removed");
      return;
    }
    ip("route add default via 10.77.0.2 dev cf0");
    if (!seen.wait_until([](const auto& all) { return all.size() >= 3 && all.back(); })) {
      outcome.set_value("no `available` after the route came back");
      return;
    }
    ip("link set cf0 down");  // the link going down takes its routes with it
    if (!seen.wait_until([](const auto& all) { return !all.back(); })) {
      outcome.set_value("no `unavailable` after the link went down");
      return;
    }
    outcome.set_value("ok");
  });
  auto result = outcome.get_future().get();
  namespaced.join();
  if (result.rfind("skip:", 0) == 0) GTEST_SKIP() << result;
  EXPECT_EQ(result, "ok");
}

TEST(FollowNetwork, AClientDropsWhenTheNetworkGoesAndReconnectsAtOnceWhenItComesBack) {
  test::TempDir dir;
  test::ServerProcess server(dir / "server");
  platform::ManualNetworkMonitor monitor(true);
  test::Device alice("alice-phone", ":memory:", [](ClientOptions& o) {
    o.connection.retry_base = std::chrono::minutes(10);  // only the monitor can bring it back soon
    o.connection.retry_cap = std::chrono::minutes(10);
  });
  auto follow = platform::follow_network(monitor, *alice.client);
  ASSERT_TRUE(alice.client->connect(server.url(), "token-alice").ok());
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::connected));
  monitor.set_available(false);
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::disconnected));
  EXPECT_EQ(alice.client->connection().error->code, ErrorCode::transport);
  monitor.set_available(true);
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::connected)) << "without waiting out a 10-minute backoff";
}

}  // namespace
}  // namespace confab
