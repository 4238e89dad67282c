// How long typing, presence and read receipts take to reach another user's device: alice
// and bob in a DM through confab-server (clients in memory), each change made on alice's
// (or bob's) client and timed until the other client reports it through its callback.
// The changes are made one at a time, each waiting for the last to arrive.
#include <nlohmann/json.hpp>

#include <algorithm>

#include "confab/client.h"
#include "load.h"
#include "sdk_clients.h"

namespace confab::load {
namespace {

constexpr const char* kDm = "d_alice_bob";
constexpr auto kTimeout = std::chrono::seconds(20);

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

LiveResult live_latency(const Workspace& ws, int rounds) {
  LiveResult result;
  auto dir = ws.dir / "live";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  nlohmann::json config = {
      {"users",
       {{{"id", "alice"}, {"name", "Alice"}, {"tokens", {"token-alice"}}},
        {{"id", "bob"}, {"name", "Bob"}, {"tokens", {"token-bob"}}}}},
      {"conversations", {{{"id", kDm}, {"kind", "dm"}, {"members", {"alice", "bob"}}}}},
  };
  LocalServer server(ws, dir, config.dump());
  if (!server.started()) {
    result.note = "the server did not start";
    return result;
  }
  auto alice = open_client(dir, "alice-laptop", false);
  auto bob = open_client(dir, "bob-phone", false);
  if (!alice || !bob) {
    result.note = "a client could not be opened";
    return result;
  }

  // What bob's client has told of alice, and what alice's has told of bob's reading.
  Waiter waiter;
  std::mutex mutex;
  std::vector<std::string> typing;
  PresenceStatus alice_status = PresenceStatus::offline;
  std::string last_client_id;  // of the newest message bob's client stored
  Seq last_seq = 0;
  auto typing_seen = bob->on_typing([&](const TypingChange& c) {
    {
      std::lock_guard hold(mutex);
      if (c.conversation_id == kDm) typing = c.user_ids;
    }
    waiter.notify();
  });
  auto presence_seen = bob->on_presence([&](const PresenceChange& c) {
    {
      std::lock_guard hold(mutex);
      if (c.user_id == "alice") alice_status = c.status;
    }
    waiter.notify();
  });
  auto arrivals = bob->on_message([&](const Message& m) {
    {
      std::lock_guard hold(mutex);
      if (m.kind == EventKind::message_created) {
        last_client_id = m.client_message_id;
        last_seq = m.conversation_seq;
      }
    }
    waiter.notify();
  });
  auto receipts_seen = alice->on_conversation([&](const ConversationChange&) { waiter.notify(); });
  auto locked = [&](auto read) {
    std::lock_guard hold(mutex);
    return read();
  };

  if (!alice->connect(server.url(), "token-alice").ok() || !bob->connect(server.url(), "token-bob").ok() ||
      !wait_connected(*alice, kTimeout) || !wait_connected(*bob, kTimeout)) {
    result.note = "a client did not connect";
    return result;
  }
  if (!waiter.wait([&] { return locked([&] { return alice_status == PresenceStatus::online; }); }, kTimeout)) {
    result.note = "bob never saw alice online";
    return result;
  }

  for (int r = 0; r < rounds; ++r) {
    auto start = Clock::now();
    static_cast<void>(alice->typing(kDm));
    if (!waiter.wait([&] { return locked([&] { return typing == std::vector<std::string>{"alice"}; }); }, kTimeout)) {
      result.note = "typing did not arrive";
      return result;
    }
    result.typing_start_ms.push_back(ms_since(start));
    start = Clock::now();
    static_cast<void>(alice->stop_typing(kDm));
    if (!waiter.wait([&] { return locked([&] { return typing.empty(); }); }, kTimeout)) {
      result.note = "the end of typing did not arrive";
      return result;
    }
    result.typing_stop_ms.push_back(ms_since(start));

    for (auto [idle, want] : {std::pair{true, PresenceStatus::idle}, std::pair{false, PresenceStatus::online}}) {
      start = Clock::now();
      alice->set_idle(idle);
      if (!waiter.wait([&, want = want] { return locked([&] { return alice_status == want; }); }, kTimeout)) {
        result.note = "a presence change did not arrive";
        return result;
      }
      result.presence_ms.push_back(ms_since(start));
    }

    // A read receipt: bob reads alice's newest message; alice's client learns it.
    static_cast<void>(alice->receipts(kDm));  // watched: pushes are kept
    auto sent = alice->send(kDm, "round " + std::to_string(r));
    if (!sent.ok()) {
      result.note = "send failed: " + describe(sent.error());
      return result;
    }
    Seq seq = 0;
    auto arrived = [&] {
      return locked([&] {
        seq = last_seq;
        return last_client_id == sent->client_message_id;
      });
    };
    if (!waiter.wait(arrived, kTimeout)) {
      result.note = "the message did not arrive";
      return result;
    }
    start = Clock::now();
    if (!bob->mark_read(kDm, seq).ok()) {
      result.note = "mark_read failed";
      return result;
    }
    auto read = [&] {
      auto by = alice->read_by(kDm, seq);
      return by.ok() && std::find(by->read.begin(), by->read.end(), "bob") != by->read.end();
    };
    if (!waiter.wait(read, kTimeout)) {
      result.note = "the read receipt did not arrive";
      return result;
    }
    result.read_ms.push_back(ms_since(start));
  }
  return result;
}

}  // namespace confab::load
