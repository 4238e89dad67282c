// The confab side of the latency comparison: two SDK clients through confab-server.
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include "arrivals.h"
#include "confab/client.h"
#include "load.h"

namespace confab::load {
namespace {

// Waits for a client to be connected (its conversations listed).
bool wait_connected(Client& client, std::chrono::seconds timeout) {
  std::mutex mutex;
  std::condition_variable changed;
  bool connected = client.connection_state() == ConnectionState::connected;
  auto subscription = client.on_connection([&](const ConnectionChange& c) {
    std::lock_guard hold(mutex);
    connected = c.state == ConnectionState::connected;
    changed.notify_all();
  });
  std::unique_lock lock(mutex);
  return changed.wait_for(lock, timeout, [&] { return connected || client.connection_state() == ConnectionState::connected; });
}

std::unique_ptr<Client> open_client(const std::filesystem::path& dir, const std::string& device) {
  ClientOptions options;
  options.device_id = device;
  options.database_path = dir / (device + ".db");
  options.allow_insecure_transport = true;
  auto opened = Client::open(options);
  return opened.ok() ? std::move(opened).value() : nullptr;
}

}  // namespace

LatencyResult confab_latency(const Workspace& ws, const StreamPlan& plan) {
  LatencyResult result{"confab (durable)", 0, 0, {}, {}};
  auto dir = ws.dir / "confab";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  LocalServer server(ws, dir, R"({"users": [{"id": "alice", "name": "Alice", "tokens": ["token-alice"]},
      {"id": "bob", "name": "Bob", "tokens": ["token-bob"]}],
    "conversations": [{"id": "c_load", "kind": "dm", "members": ["alice", "bob"]}],
    "rateLimit": {"perSecond": 0}})");
  if (!server.started()) {
    result.note = "the server did not start";
    return result;
  }
  std::string url = server.url();

  auto alice = open_client(dir, "alice-phone");
  auto bob = open_client(dir, "bob-phone");
  if (!alice || !bob || !alice->connect(url, "token-alice").ok() || !bob->connect(url, "token-bob").ok() ||
      !wait_connected(*alice, std::chrono::seconds(10)) || !wait_connected(*bob, std::chrono::seconds(10))) {
    result.note = "the clients did not connect";
    return result;
  }
  Arrivals arrivals(plan);
  auto heard = bob->on_message([&](const Message& m) {
    if (m.kind == EventKind::message_created && m.sender_id == "alice") arrivals.arrived(m.text.data(), m.text.size());
  });
  auto start = Clock::now() + std::chrono::milliseconds(50);
  arrivals.start(start);
  for (std::size_t i = 0; i < plan.count(); ++i) {
    std::this_thread::sleep_until(plan.due(start, i));
    if (!alice->send("c_load", numbered_text(i, plan.payload)).ok()) {
      result.note = "send() failed";
      break;
    }
    ++result.sent;
  }
  arrivals.wait_all(Clock::now() + std::chrono::seconds(60));
  heard.reset();
  alice.reset();
  bob.reset();
  arrivals.into(result);
  return result;
}

}  // namespace confab::load
