// Uses confab::platform from the installed package: a manual network monitor tied to a
// client. Exits 0 when the client follows the monitor's changes without error.
#include <cstdio>

#include <confab/client.h>
#include <confab/platform/network_monitor.h>

int main() {
  confab::ClientOptions options;
  options.device_id = "consumer-platform";
  options.database_path = ":memory:";
  auto client = confab::Client::open(options);
  if (!client) {
    std::fprintf(stderr, "platform consumer: open: %s\n", confab::describe(client.error()).c_str());
    return 1;
  }
  confab::platform::ManualNetworkMonitor monitor(true);
  auto following = confab::platform::follow_network(monitor, **client);
  monitor.set_available(false);
  monitor.set_available(true);
  std::puts("platform consumer: follow_network ran");
  return following.active() ? 0 : 1;
}
