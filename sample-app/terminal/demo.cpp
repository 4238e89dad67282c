// confab-demo: two devices (two users) talk in one conversation through a Confab server.
// Each device prints what it sees as it arrives: the other user's presence and typing, its
// own messages' outbox states and who has read them, and every message the server
// delivers.
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <algorithm>
#include <map>

#include <CLI/CLI.hpp>

#include "confab/client.h"

namespace {

struct Speaker {
  std::string name;
  std::string token;
};

// Whole lines from several callback threads, never interleaved.
class Console {
 public:
  __attribute__((format(printf, 2, 3))) void print(const char* format, ...) {
    std::lock_guard lock(mutex_);
    va_list args;
    va_start(args, format);
    std::vprintf(format, args);
    va_end(args);
    std::fflush(stdout);
  }

 private:
  std::mutex mutex_;
};

// What each device saw, so the demo can end when everything arrived and check the order.
class Transcript {
 public:
  explicit Transcript(std::size_t devices) : seen_(devices) {}

  void record(std::size_t device, const confab::Message& m) {
    std::lock_guard lock(mutex_);
    seen_[device].push_back(m.message_id + "@" + std::to_string(m.conversation_seq));
    changed_.notify_all();
  }

  // False on timeout, or as soon as a device has failed for good.
  bool wait_for(std::size_t per_device, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      if (failed_) return true;
      for (const auto& s : seen_) {
        if (s.size() < per_device) return false;
      }
      return true;
    }) && !failed_;
  }

  void failed() {
    std::lock_guard lock(mutex_);
    failed_ = true;
    changed_.notify_all();
  }

  void closed() {
    std::lock_guard lock(mutex_);
    ++closed_;
    changed_.notify_all();
  }

  void connected() {
    std::lock_guard lock(mutex_);
    ++connected_;
    changed_.notify_all();
  }

  // Until this version has sync, a device sees only what arrives while it is connected:
  // the conversation starts once every device is.
  bool wait_all_connected(std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return failed_ || connected_ >= seen_.size(); }) && !failed_;
  }

  bool wait_closed(std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return closed_ == seen_.size(); });
  }

  // Every device saw the same messages in the same order.
  bool consistent() {
    std::lock_guard lock(mutex_);
    for (const auto& s : seen_) {
      if (s != seen_.front()) return false;
    }
    return true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::vector<std::string>> seen_;
  std::size_t closed_ = 0;
  std::size_t connected_ = 0;  // connections made (a reconnect counts again)
  bool failed_ = false;
};

struct Device {
  Speaker speaker;
  std::unique_ptr<confab::Client> client;
  std::vector<confab::Subscription> subscriptions;
};

// What a screen shows of the others, so the script can wait until it is shown.
class Screens {
 public:
  void typing(std::size_t device, const std::vector<std::string>& users) {
    std::lock_guard lock(mutex_);
    typing_[device] = users;
    changed_.notify_all();
  }
  void read(std::size_t device, confab::Seq seq) {
    std::lock_guard lock(mutex_);
    read_[device] = std::max(read_[device], seq);
    changed_.notify_all();
  }
  void stored(const std::string& client_message_id, confab::Seq seq) {
    std::lock_guard lock(mutex_);
    seqs_[client_message_id] = seq;
  }
  confab::Seq seq_of(const std::string& client_message_id) {
    std::lock_guard lock(mutex_);
    auto found = seqs_.find(client_message_id);
    return found == seqs_.end() ? 0 : found->second;
  }
  void presence(std::size_t device, const std::string& user, confab::PresenceStatus status) {
    std::lock_guard lock(mutex_);
    presence_[{device, user}] = status;
    changed_.notify_all();
  }
  bool wait_presence(std::size_t device, const std::string& user, confab::PresenceStatus status,
                     std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      auto found = presence_.find({device, user});
      return found != presence_.end() && found->second == status;
    });
  }
  bool wait_typing(std::size_t device, const std::string& user, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      const auto& now = typing_[device];
      return std::find(now.begin(), now.end(), user) != now.end();
    });
  }
  bool wait_read(std::size_t device, confab::Seq seq, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return read_[device] >= seq; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::size_t, std::vector<std::string>> typing_;
  std::map<std::size_t, confab::Seq> read_;
  std::map<std::string, confab::Seq> seqs_;  // of each message, by client message id
  std::map<std::pair<std::size_t, std::string>, confab::PresenceStatus> presence_;
};

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"confab-demo: two SDK clients exchange messages through a Confab server", "confab-demo"};
  std::string url = "ws://127.0.0.1:8700/";
  std::string conversation = "c_general";
  std::vector<std::string> users = {"alice=dev-alice", "bob=dev-bob"};
  int timeout_s = 20;
  app.add_option("--url", url, "Server WebSocket URL");
  app.add_option("--conversation", conversation, "Conversation both users are members of");
  app.add_option("--user", users, "Two users as NAME=TOKEN")->expected(2);
  std::string data_dir = ".";
  app.add_option("--data-dir", data_dir, "Directory for each user's outbox database (USER.db)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--timeout", timeout_s, "Seconds to wait for every message to arrive")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  std::vector<Speaker> speakers;
  for (const auto& spec : users) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      std::fprintf(stderr, "--user takes NAME=TOKEN, got '%s'\n", spec.c_str());
      return 2;
    }
    speakers.push_back({spec.substr(0, eq), spec.substr(eq + 1)});
  }

  const std::vector<std::pair<int, std::string>> script = {
      {0, "Morning! Is the release branch cut?"},
      {1, "Cut an hour ago. CI is green on all platforms."},
      {0, "Great. I'll tag it after the standup."},
      {1, "I'll write the changelog meanwhile."},
      {0, "Thanks. Ping me if the Windows build acts up again."},
      {1, "Will do. Shipping it!"},
  };

  Console console;
  Transcript transcript(speakers.size());
  Screens screens;
  // Per device: the seq of its newest message (who has read it is shown once, when someone
  // has).
  std::vector<std::atomic<confab::Seq>> last_sent(speakers.size());
  std::vector<std::atomic<confab::Seq>> read_shown(speakers.size());
  std::vector<Device> devices;
  for (const auto& speaker : speakers) {
    confab::ClientOptions options;
    options.device_id = "demo-" + speaker.name;
    options.allow_insecure_transport = true;  // the demo talks to a local server over ws://
    options.database_path = std::filesystem::path(data_dir) / (speaker.name + ".db");
    auto client = confab::Client::open(options);
    if (!client) {
      std::fprintf(stderr, "%s\n", confab::describe(client.error()).c_str());
      return 1;
    }
    Device device{speaker, std::move(client).value(), {}};
    const std::string who = speaker.name;
    const std::size_t index = devices.size();
    device.subscriptions.push_back(device.client->on_connection([&, who](const confab::ConnectionChange& c) {
      if (c.state == confab::ConnectionState::closed) transcript.closed();
      if (c.state == confab::ConnectionState::connected) transcript.connected();
      if (c.state == confab::ConnectionState::failed) transcript.failed();
      console.print("  [%s] connection: %s%s\n", who.c_str(), std::string(confab::to_string(c.state)).c_str(),
                    c.error ? (" (" + confab::describe(*c.error) + ")").c_str() : "");
    }));
    device.subscriptions.push_back(device.client->on_outbox([&console, who](const confab::LocalMessage& m) {
      if (m.state == confab::OutboxState::sent) {
        console.print("  [%s] ✓ acknowledged as #%lld\n", who.c_str(), static_cast<long long>(m.conversation_seq));
      } else if (m.state == confab::OutboxState::failed) {
        console.print("  [%s] ✗ failed: %s\n", who.c_str(), confab::describe(*m.last_error).c_str());
      }
    }));
    device.subscriptions.push_back(device.client->on_typing([&, who, index](const confab::TypingChange& c) {
      if (!c.user_ids.empty()) {
        console.print("  [%s's screen] %s %s typing…\n", who.c_str(), join(c.user_ids).c_str(),
                      c.user_ids.size() > 1 ? "are" : "is");
      }
      screens.typing(index, c.user_ids);
    }));
    device.subscriptions.push_back(device.client->on_presence(
        [&, who, index, client = device.client.get()](const confab::PresenceChange& c) {
          if (c.user_id == client->user_id()) return;  // the screen shows the others
          console.print("  [%s's screen] %s is %s\n", who.c_str(), c.user_id.c_str(),
                        std::string(confab::to_string(c.status)).c_str());
          screens.presence(index, c.user_id, c.status);
        }));
    // Receipts of this device's own messages: "read by" once the other user has read one.
    device.subscriptions.push_back(device.client->on_conversation(
        [&, who, index, client = device.client.get()](const confab::ConversationChange& c) {
          auto seq = last_sent[index].load();
          if (c.conversation_id != conversation || seq == 0 || read_shown[index] >= seq) return;
          auto by = client->read_by(conversation, seq);
          if (!by || by->read.empty()) return;
          read_shown[index] = seq;
          console.print("  [%s] ✓✓ #%lld read by %s\n", who.c_str(), static_cast<long long>(seq), join(by->read).c_str());
          screens.read(index, seq);
        }));
    device.subscriptions.push_back(device.client->on_message([&, who, index](const confab::Message& m) {
      console.print("  [%s's screen] #%lld %s: %s\n", who.c_str(), static_cast<long long>(m.conversation_seq),
                    m.sender_id.c_str(), m.text.c_str());
      if (m.kind == confab::EventKind::message_created) screens.stored(m.client_message_id, m.conversation_seq);
      transcript.record(index, m);
    }));
    if (auto connected = device.client->connect(url, speaker.token); !connected) {
      std::fprintf(stderr, "%s\n", confab::describe(connected.error()).c_str());
      return 1;
    }
    devices.push_back(std::move(device));
  }

  if (!transcript.wait_all_connected(std::chrono::seconds(timeout_s))) {
    console.print("Stopping: a device could not connect (see above).\n");
    return 1;
  }

  // Each device watches the conversation's receipts (who has read its messages).
  for (auto& device : devices) static_cast<void>(device.client->receipts(conversation));

  // A conversation, not a burst: the speaker types (the other screen shows it), sends, and
  // the next line waits until both screens show it and the other user has read it.
  std::size_t lines = 0;
  const auto timeout = std::chrono::seconds(timeout_s);
  for (const auto& [speaker_index, text] : script) {
    auto index = static_cast<std::size_t>(speaker_index) % devices.size();
    auto& device = devices[index];
    auto other = (index + 1) % devices.size();
    static_cast<void>(device.client->typing(conversation));
    if (!screens.wait_typing(other, device.client->user_id(), timeout)) {
      console.print("Stopping: %s's typing did not show within %d s.\n", device.speaker.name.c_str(), timeout_s);
      return 1;
    }
    console.print("%s sends: %s\n", device.speaker.name.c_str(), text.c_str());
    auto sent = device.client->send(conversation, text);  // ends the typing
    if (!sent) {
      std::fprintf(stderr, "send failed: %s\n", confab::describe(sent.error()).c_str());
      return 1;
    }
    if (!transcript.wait_for(++lines, timeout)) {
      console.print("Stopping: a device failed (see above) or a message took over %d s.\n", timeout_s);
      return 1;
    }
    auto seq = screens.seq_of(sent->client_message_id);
    last_sent[index] = seq;
    static_cast<void>(devices[other].client->mark_read(conversation, seq));
    if (!screens.wait_read(index, seq, timeout)) {
      console.print("Stopping: the read receipt of #%lld did not come within %d s.\n", static_cast<long long>(seq),
                    timeout_s);
      return 1;
    }
  }
  // One user steps away: the other screen shows them idle.
  devices.back().client->set_idle(true);
  if (!screens.wait_presence(0, devices.back().client->user_id(), confab::PresenceStatus::idle, timeout)) {
    console.print("Stopping: %s's presence did not turn idle within %d s.\n", devices.back().speaker.name.c_str(),
                  timeout_s);
    return 1;
  }
  if (!transcript.consistent()) {
    console.print("The devices saw the messages in different orders.\n");
    return 1;
  }
  console.print("Both devices saw all %zu messages, in the same order.\n", script.size());
  for (auto& device : devices) device.client->disconnect();
  if (!transcript.wait_closed(std::chrono::seconds(timeout_s))) {
    console.print("The connections did not close within %d s.\n", timeout_s);
    return 1;
  }
  return 0;
}
