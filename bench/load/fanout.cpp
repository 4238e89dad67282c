// Fan-out: one member of a large channel sends; every member's device is an SDK client
// (in-memory stores), and each arrival is that client's on_message().
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "confab/client.h"
#include "load.h"
#include "sdk_clients.h"

namespace confab::load {
namespace {

class Deliveries {
 public:
  Deliveries(std::size_t messages, std::size_t members) : count_(messages, 0), last_(messages), members_(members) {}
  void start(Clock::time_point start, const StreamPlan& plan) {
    std::lock_guard hold(mutex_);
    start_ = start;
    plan_ = plan;
  }
  void arrived(const std::string& text) {
    auto now = Clock::now();
    std::size_t i = 0;
    if (!parse_numbered(text.data(), text.size(), i)) return;
    std::lock_guard hold(mutex_);
    if (i >= count_.size()) return;
    ++count_[i];
    ++total_;
    last_[i] = now;
    each_ms_.push_back(std::chrono::duration<double, std::milli>(now - plan_.due(start_, i)).count());
    changed_.notify_all();
  }
  void wait_all(Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, deadline, [&] { return total_ == count_.size() * members_; });
  }
  void into(FanoutResult& r) {
    std::lock_guard hold(mutex_);
    r.delivered = total_;
    r.each_ms = each_ms_;
    for (std::size_t i = 0; i < count_.size(); ++i) {
      if (count_[i] == members_) r.last_ms.push_back(std::chrono::duration<double, std::milli>(last_[i] - plan_.due(start_, i)).count());
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::size_t> count_;
  std::vector<Clock::time_point> last_;
  std::vector<double> each_ms_;
  std::size_t members_;
  std::size_t total_ = 0;
  Clock::time_point start_;
  StreamPlan plan_;
};

}  // namespace

FanoutResult fanout(const Workspace& ws, std::size_t members, std::size_t messages) {
  FanoutResult result;
  result.members = members;
  result.messages = messages;
  auto dir = ws.dir / "fanout";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  nlohmann::json config;
  nlohmann::json everyone = nlohmann::json::array();
  for (std::size_t m = 0; m < members; ++m) {
    std::string id = "m" + std::to_string(m);
    config["users"].push_back({{"id", id}, {"name", id}, {"tokens", {"token-" + id}}});
    everyone.push_back(id);
  }
  config["conversations"] = {{{"id", "c_big"}, {"kind", "channel"}, {"members", everyone}}};
  config["rateLimit"] = {{"perSecond", 0}};
  LocalServer server(ws, dir, config.dump());
  if (!server.started()) {
    result.note = "the server did not start";
    return result;
  }
  std::string url = server.url();

  // Every member's device, connected before the first message.
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t connected = 0;
  Deliveries deliveries(messages, members);
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<Subscription> subscriptions;
  auto connect_start = Clock::now();
  for (std::size_t m = 0; m < members; ++m) {
    auto client = open_client(dir, "m" + std::to_string(m) + "-phone", false);
    if (!client) {
      result.note = "cannot open client " + std::to_string(m);
      return result;
    }
    subscriptions.push_back(client->on_connection([&, was = std::make_shared<bool>(false)](const ConnectionChange& c) {
      std::lock_guard hold(mutex);
      if (c.state == ConnectionState::connected && !*was) {
        *was = true;
        ++connected;
        changed.notify_all();
      }
    }));
    subscriptions.push_back(client->on_message([&](const Message& msg) {
      if (msg.kind == EventKind::message_created) deliveries.arrived(msg.text);
    }));
    (void)client->connect(url, "token-m" + std::to_string(m));
    clients.push_back(std::move(client));
  }
  {
    std::unique_lock lock(mutex);
    if (!changed.wait_for(lock, std::chrono::seconds(120), [&] { return connected == members; })) {
      result.note = std::to_string(connected) + " of " + std::to_string(members) + " clients connected";
    }
  }
  result.connect_seconds = std::chrono::duration<double>(Clock::now() - connect_start).count();

  if (result.note.empty()) {
    StreamPlan plan;
    plan.rate = 10;  // one message every 100 ms: each fan-out finishes before the next starts
    plan.payload = 100;
    auto start = Clock::now() + std::chrono::milliseconds(200);
    deliveries.start(start, plan);
    for (std::size_t i = 0; i < messages; ++i) {
      std::this_thread::sleep_until(plan.due(start, i));
      if (!clients.front()->send("c_big", numbered_text(i, plan.payload)).ok()) {
        result.note = "send() failed";
        break;
      }
    }
    deliveries.wait_all(Clock::now() + std::chrono::seconds(60));
  }
  subscriptions.clear();
  clients.clear();
  deliveries.into(result);
  return result;
}

}  // namespace confab::load
