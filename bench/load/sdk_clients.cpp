#include "sdk_clients.h"

namespace confab::load {

std::unique_ptr<Client> open_client(const std::filesystem::path& dir, const std::string& device, bool on_disk,
                                    Durability durability) {
  ClientOptions options;
  options.device_id = device;
  options.database_path = on_disk ? dir / (device + ".db") : std::filesystem::path(":memory:");
  options.durability = durability;
  options.allow_insecure_transport = true;
  auto opened = Client::open(options);
  return opened.ok() ? std::move(opened).value() : nullptr;
}

bool wait_connected(Client& client, std::chrono::seconds timeout) {
  Waiter waiter;
  auto subscription = client.on_connection([&](const ConnectionChange&) { waiter.notify(); });
  return waiter.wait([&] { return client.connection_state() == ConnectionState::connected; }, timeout);
}

}  // namespace confab::load
