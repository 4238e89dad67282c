// confab-demo-peer: a scripted user for the Qt demo (scripts/demo --qt). Signed in as bob,
// it greets the app's user in #general, then answers each of their messages where they
// wrote it: it reads it (a receipt), types for a moment (typing), and replies. It runs until
// SIGINT or SIGTERM.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "confab/client.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::atomic<bool> stop_requested{false};
void on_signal(int) { stop_requested = true; }

// Steps to run in order, each after its delay, on this thread.
class Script {
 public:
  void then(Clock::duration delay, std::function<void()> step) {
    std::lock_guard lock(mutex_);
    auto at = (steps_.empty() ? Clock::now() : std::max(Clock::now(), steps_.back().at)) + delay;
    steps_.push_back({at, std::move(step)});
    changed_.notify_all();
  }
  // Runs steps until stop_requested.
  void run() {
    while (!stop_requested) {
      std::function<void()> step;
      {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, 100ms, [&] { return !steps_.empty() && steps_.front().at <= Clock::now(); });
        if (steps_.empty() || steps_.front().at > Clock::now()) continue;
        step = std::move(steps_.front().run);
        steps_.pop_front();
      }
      step();
    }
  }

 private:
  struct Step {
    Clock::time_point at;
    std::function<void()> run;
  };
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Step> steps_;
};

std::string answer_to(const std::string& text, int count) {
  static const char* const lines[] = {
      "Sounds good to me.",
      "Agreed, let's do that after the release.",
      "Good point. I'll add it to the checklist.",
      "Ha, fair enough.",
      "Let me check and get back to you.",
  };
  if (text.find('?') != std::string::npos) return "Good question. I think so, but let me double-check.";
  return lines[count % 5];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"confab-demo-peer: a scripted user who talks to the demo's user", "confab-demo-peer"};
  std::string url = "ws://127.0.0.1:8700/";
  std::string token = "dev-bob";
  std::string partner = "alice";
  std::string conversation = "c_general";
  std::string data_dir = ".";
  app.add_option("--url", url, "Server WebSocket URL");
  app.add_option("--token", token, "This peer's token");
  app.add_option("--partner", partner, "The user it answers");
  app.add_option("--conversation", conversation, "Where it greets them");
  app.add_option("--data-dir", data_dir, "Directory for its databases")->check(CLI::ExistingDirectory);
  CLI11_PARSE(app, argc, argv);

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  confab::ClientOptions options;
  options.device_id = "demo-peer";
  options.allow_insecure_transport = true;  // a local server over ws://
  options.database_path = std::filesystem::path(data_dir) / "peer.db";
  auto opened = confab::Client::open(options);
  if (!opened) {
    std::fprintf(stderr, "confab-demo-peer: %s\n", confab::describe(opened.error()).c_str());
    return 1;
  }
  auto client = std::move(opened).value();
  Script script;
  std::atomic<int> answered{0};
  std::atomic<bool> greeted{false};

  auto say = [&](const std::string& where, const std::string& text) {
    // Types for a moment first, as a person would.
    script.then(600ms, [&, where] { static_cast<void>(client->typing(where)); });
    script.then(1800ms, [&, where, text] {
      auto sent = client->send(where, text);
      if (!sent) std::fprintf(stderr, "confab-demo-peer: %s\n", confab::describe(sent.error()).c_str());
    });
  };

  auto on_connection = client->on_connection([&](const confab::ConnectionChange& change) {
    std::printf("confab-demo-peer: %s\n", std::string(confab::to_string(change.state)).c_str());
    std::fflush(stdout);
    if (change.state == confab::ConnectionState::connected && !greeted.exchange(true)) {
      script.then(1500ms, [] {});
      say(conversation, "Hi! I'm Bob, a scripted peer. Write something and I'll answer: "
                        "you'll see me read it, type, and reply.");
    }
  });
  auto on_message = client->on_message([&](const confab::Message& m) {
    if (m.sender_id != partner || m.kind != confab::EventKind::message_created || !m.thread_root_id.empty()) return;
    auto where = m.conversation_id;
    auto seq = m.conversation_seq;
    script.then(900ms, [&, where, seq] { static_cast<void>(client->mark_read(where, seq)); });
    say(where, answer_to(m.text, answered++));
  });

  if (auto connected = client->connect(url, token); !connected) {
    std::fprintf(stderr, "confab-demo-peer: %s\n", confab::describe(connected.error()).c_str());
    return 1;
  }
  script.run();
  return 0;
}
