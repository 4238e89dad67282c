// The confab side of the latency comparison: two SDK clients through confab-server.
#include <thread>

#include "arrivals.h"
#include "confab/client.h"
#include "load.h"
#include "sdk_clients.h"

namespace confab::load {

LatencyResult confab_latency(const Workspace& ws, const StreamPlan& plan, bool durable) {
  LatencyResult result{durable ? "confab (durable)" : "confab (in memory)", 0, 0, {}, {}};
  auto dir = ws.dir / "confab";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  LocalServer server(ws, dir, R"({"users": [{"id": "alice", "name": "Alice", "tokens": ["token-alice"]},
      {"id": "bob", "name": "Bob", "tokens": ["token-bob"]}],
    "conversations": [{"id": "c_load", "kind": "dm", "members": ["alice", "bob"]}],
    "rateLimit": {"perSecond": 0}})",
                     durable ? "full" : "normal");
  if (!server.started()) {
    result.note = "the server did not start";
    return result;
  }
  std::string url = server.url();

  auto alice = open_client(dir, "alice-phone", durable);
  auto bob = open_client(dir, "bob-phone", durable);
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
