// Sustained throughput from one client, and catch-up after a reconnect: SDK clients
// through confab-server (durability full), their outbox and store on disk.
#include <atomic>
#include <thread>
#include <vector>

#include "../synced_total.h"
#include "confab/client.h"
#include "load.h"
#include "sdk_clients.h"

namespace confab::load {
namespace {

std::string conversation_id(std::size_t i) { return "c" + std::to_string(i); }

// Two users, alice and bob, in `conversations` channels (alice alone in them when
// `alone`).
std::string two_users_config(std::size_t conversations, bool alone = false) {
  std::string config = R"({"users": [{"id": "alice", "name": "Alice", "tokens": ["token-alice"]},
      {"id": "bob", "name": "Bob", "tokens": ["token-bob"]}], "rateLimit": {"perSecond": 0}, "conversations": [)";
  for (std::size_t c = 0; c < conversations; ++c) {
    if (c > 0) config += ", ";
    config += R"({"id": ")" + conversation_id(c) + R"(", "kind": "channel", "name": ")" + conversation_id(c) +
              (alone ? R"(", "members": ["alice"]})" : R"(", "members": ["alice", "bob"]})");
  }
  return config + "]}";
}

// A connected sender that counts its acknowledged messages.
class Sender {
 public:
  Sender(const std::filesystem::path& dir, const std::string& url, Durability outbox, const std::string& user = "alice")
      : client_(open_client(dir, user + "-phone", true, outbox)) {
    if (!client_) return;
    acked_subscription_ = client_->on_outbox([this](const LocalMessage& m) {
      if (m.state != OutboxState::sent) return;
      ++acked_;
      waiter_.notify();
    });
    connected_ = client_->connect(url, "token-" + user).ok() && wait_connected(*client_, std::chrono::seconds(10));
  }
  bool connected() const { return connected_; }

  // Sends `count` texts over `conversations`, as fast as send() returns, waiting for
  // the acks every `chunk` (the outbox holds what a user types, not a backlog of 100k).
  // True once every one is acked.
  bool send(std::size_t count, std::size_t conversations, std::size_t chunk, std::size_t first_conversation = 0) {
    std::size_t base = acked_;
    for (std::size_t i = 0; i < count; ++i) {
      if (!client_->send(conversation_id(first_conversation + i % conversations), numbered_text(i, 100)).ok()) {
        return false;
      }
      std::size_t queued = i + 1;
      if (queued % chunk == 0 || queued == count) {
        if (!waiter_.wait([&] { return acked_ - base >= queued; }, std::chrono::seconds(120))) return false;
      }
    }
    return true;
  }

 private:
  std::unique_ptr<Client> client_;
  Subscription acked_subscription_;
  std::atomic<std::size_t> acked_ = 0;
  Waiter waiter_;
  bool connected_ = false;
};

// `senders` users s0, s1, …, each alone in a channel of its own.
std::string senders_config(std::size_t senders) {
  std::string config = R"({"rateLimit": {"perSecond": 0}, "users": [)";
  for (std::size_t k = 0; k < senders; ++k) {
    if (k > 0) config += ", ";
    config += R"({"id": "s)" + std::to_string(k) + R"(", "name": "S)" + std::to_string(k) + R"(", "tokens": ["token-s)" +
              std::to_string(k) + R"("]})";
  }
  config += R"(], "conversations": [)";
  for (std::size_t k = 0; k < senders; ++k) {
    if (k > 0) config += ", ";
    config += R"({"id": ")" + conversation_id(k) + R"(", "kind": "channel", "name": ")" + conversation_id(k) +
              R"(", "members": ["s)" + std::to_string(k) + R"("]})";
  }
  return config + "]}";
}

}  // namespace

ThroughputResult confab_throughput(const Workspace& ws, std::size_t messages, Durability outbox, bool alone,
                                   std::size_t clients) {
  ThroughputResult result;
  auto dir = ws.dir / "throughput";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  LocalServer server(ws, dir, clients == 1 ? two_users_config(1, alone) : senders_config(clients));
  if (!server.started()) {
    result.note = "the server did not start";
    return result;
  }
  std::vector<std::unique_ptr<Sender>> senders;
  for (std::size_t k = 0; k < clients; ++k) {
    auto user = clients == 1 ? std::string("alice") : "s" + std::to_string(k);
    senders.push_back(std::make_unique<Sender>(dir, server.url(), outbox, user));
    if (!senders.back()->connected()) {
      result.note = "client " + user + " did not connect";
      return result;
    }
  }
  std::atomic<bool> all_acked{true};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (std::size_t k = 0; k < clients; ++k) {
    std::size_t mine = messages / clients + (k < messages % clients ? 1 : 0);
    threads.emplace_back([&, k, mine] {
      if (!senders[k]->send(mine, 1, mine, clients == 1 ? 0 : k)) all_acked = false;
    });
  }
  for (auto& t : threads) t.join();
  if (!all_acked) {
    result.note = "not every message was acked within 120 s";
    return result;
  }
  result.per_second = static_cast<double>(messages) / std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

CatchupResult confab_catchup(const Workspace& ws, std::size_t messages, std::size_t conversations) {
  CatchupResult result;
  auto dir = ws.dir / "catchup";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  LocalServer server(ws, dir, two_users_config(conversations));
  if (!server.started()) {
    result.note = "the server did not start";
    return result;
  }
  auto bob = open_client(dir, "bob-phone", true);
  if (!bob || !bob->connect(server.url(), "token-bob").ok() || !wait_connected(*bob, std::chrono::seconds(10))) {
    result.note = "bob did not connect";
    return result;
  }
  Waiter waiter;
  bench::SyncedTotal synced;
  auto changes = bob->on_conversation([&](const ConversationChange& c) {
    synced.changed(c);
    waiter.notify();
  });
  auto stored = [&] { return static_cast<std::size_t>(synced.total()); };
  if (!waiter.wait([&] { return bob->conversations() && bob->conversations()->size() == conversations; },
                   std::chrono::seconds(10))) {
    result.note = "bob did not list the conversations";
    return result;
  }
  bob->disconnect();
  // While bob is away, alice sends the backlog; every message is on the server before
  // bob comes back.
  {
    Sender alice(dir, server.url(), Durability::normal);
    if (!alice.connected() || !alice.send(messages, conversations, 2000)) {
      result.note = "alice could not send the backlog";
      return result;
    }
  }
  auto start = Clock::now();
  if (!bob->connect(server.url(), "token-bob").ok()) {
    result.note = "bob could not reconnect";
    return result;
  }
  if (!waiter.wait([&] { return stored() >= messages; }, std::chrono::seconds(300))) {
    result.note = "bob stored " + std::to_string(stored()) + " of " + std::to_string(messages) + " within 300 s";
    return result;
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.per_second = static_cast<double>(messages) / result.seconds;
  return result;
}

}  // namespace confab::load
