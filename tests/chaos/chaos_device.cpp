// One device of a chaos run: the real SDK in its own process, so that the driver can
// kill -9 it and start it again on the same databases.
//
// Until --send-until (Unix ms) it sends messages to its user's conversations at random
// (Poisson) times, printing "sending CONV TEXT" before each send() and "sent CONV TEXT"
// once it returned. Every --files-every'th message carries a file, file_bytes(TEXT)
// (chaos_files.h), uploaded through --http-url: its lines end in " file". Then it answers
// commands on stdin, one per line:
//   drain SECONDS            waits until its outbox is empty: "drained UNSENT"
//   dump SECONDS CONV=HEAD.. waits until its store holds each conversation up to HEAD,
//                            then prints "caught-up 0|1", "heard TWICE OUT_OF_ORDER",
//                            "conv CONV" and "msg CONV SEQ CLIENT_ID SENDER TEXT" lines
//                            (ending in " ATTACHMENT_ID SIZE SHA256" for a message with
//                            a file), and "end"
//   fetch SECONDS TEXT..     downloads the file of each message (found by its text in the
//                            last dump), reads it back and prints "fetched TEXT SIZE
//                            SHA256" or "unfetched TEXT WHY", then "end"
//   quit                     exits
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "chaos_files.h"
#include "confab/client.h"
#include "timeline.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

void say(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// What the app heard through on_message, per conversation, during this run of the process.
class Hearing {
 public:
  void heard(const confab::Message& m) {
    std::lock_guard hold(mutex_);
    auto& seen = seen_[m.conversation_id];
    if (!seen.insert(m.conversation_seq).second) {
      ++twice_;
    } else if (m.conversation_seq < *seen.rbegin()) {
      ++out_of_order_;
    }
  }
  std::string report() const {
    std::lock_guard hold(mutex_);
    return "heard " + std::to_string(twice_) + " " + std::to_string(out_of_order_);
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::set<confab::Seq>> seen_;
  std::size_t twice_ = 0;
  std::size_t out_of_order_ = 0;
};

// Wakes the command loop whenever the outbox or the store changes.
class Changes {
 public:
  void notify() {
    { std::lock_guard hold(mutex_); ++generation_; }
    changed_.notify_all();
  }
  template <class Condition>
  bool wait_until(Clock::time_point deadline, Condition condition) {
    std::unique_lock lock(mutex_);
    for (;;) {
      auto seen = generation_;
      lock.unlock();
      if (condition()) return true;
      lock.lock();
      // A change between the check and here bumped the generation: check again at once.
      if (!changed_.wait_until(lock, deadline, [&] { return generation_ != seen; })) return condition();
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t generation_ = 0;
};

// The files of the messages the last dump printed, by the message's text.
using FilesByText = std::map<std::string, confab::Attachment>;

void dump(confab::Client& client, Changes& changes, const Hearing& hearing, FilesByText& files,
          std::istringstream& args) {
  int seconds = 0;
  args >> seconds;
  std::map<std::string, confab::Seq> heads;
  for (std::string pair; args >> pair;) {
    auto eq = pair.find('=');
    heads[pair.substr(0, eq)] = std::stoll(pair.substr(eq + 1));
  }
  bool caught_up = changes.wait_until(Clock::now() + std::chrono::seconds(seconds), [&] {
    for (const auto& [conversation, head] : heads) {
      auto info = client.conversation(conversation);
      if (!info.ok() || info->synced_seq < head) return false;
    }
    return true;
  });
  say(std::string("caught-up ") + (caught_up ? "1" : "0"));
  say(hearing.report());
  for (const auto& [conversation, head] : heads) {
    say("conv " + conversation);
    for (const auto& m : confab::test::stored_timeline(client, conversation)) {
      std::string file;
      if (!m.attachments.empty()) {
        const auto& a = m.attachments.front();
        file = " " + a.attachment_id + " " + std::to_string(a.size) + " " + a.sha256;
        files[m.text] = a;
      }
      say("msg " + conversation + " " + std::to_string(m.seq) + " " + m.client_message_id + " " + m.sender_id + " " +
          m.text + file);
    }
  }
  say("end");
}

// Downloads are started together (the SDK runs FileOptions::parallel_downloads at once)
// and each one's bytes are read back from the path it completes with.
void fetch(confab::Client& client, const FilesByText& files, std::istringstream& args) {
  int seconds = 0;
  args >> seconds;
  const auto deadline = Clock::now() + std::chrono::seconds(seconds);
  std::vector<std::pair<std::string, confab::Pending<std::filesystem::path>>> running;
  for (std::string text; args >> text;) {
    auto file = files.find(text);
    if (file == files.end()) {
      say("unfetched " + text + " not in the store");
      continue;
    }
    running.emplace_back(text, client.download(file->second));
  }
  for (auto& [text, pending] : running) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    auto got = pending.wait_for(std::max(left, std::chrono::milliseconds(0)));
    if (!got) {
      say("unfetched " + text + " timed out");
    } else if (!got->ok()) {
      say("unfetched " + text + " " + confab::describe(got->error()));
    } else {
      std::ifstream in(got->value(), std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      say("fetched " + text + " " + std::to_string(bytes.size()) + " " + confab::chaos::sha256_hex(bytes));
    }
  }
  say("end");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"One device of a chaos run"};
  std::string url, http_url, token, device_id, database;
  std::string run = "0";
  std::vector<std::string> conversations;
  std::int64_t send_until_ms = 0;
  int interval_ms = 100;
  std::uint64_t seed = 1;
  int files_every = 0;
  app.add_option("--url", url)->required();
  app.add_option("--http-url", http_url, "the server's HTTP API, for files");
  app.add_option("--files-every", files_every, "every Nth message carries a file (0: none)");
  app.add_option("--token", token)->required();
  app.add_option("--device", device_id)->required();
  app.add_option("--database", database)->required();
  app.add_option("--run", run, "which start of this device this is (texts stay unique)");
  app.add_option("--conversations", conversations)->required()->delimiter(',');
  app.add_option("--send-until", send_until_ms, "Unix time in ms")->required();
  app.add_option("--interval-ms", interval_ms, "mean time between sends");
  app.add_option("--seed", seed);
  CLI11_PARSE(app, argc, argv);

  confab::ClientOptions options;
  options.device_id = device_id;
  options.database_path = database;
  options.allow_insecure_transport = true;
  // Short timers, so that a run of a minute or two sees many heals.
  options.connect_step_timeout = 3s;
  options.outbox.ack_timeout = 3s;
  options.connection.retry_base = 200ms;
  options.connection.retry_cap = 2s;
  options.connection.ping_interval = 1500ms;
  options.connection.ping_timeout = 2s;
  options.files.http_url = http_url;
  options.files.retry_base = 200ms;
  options.files.retry_cap = 2s;
  auto opened = confab::Client::open(options);
  if (!opened) {
    std::fprintf(stderr, "%s: open: %s\n", device_id.c_str(), confab::describe(opened.error()).c_str());
    return 1;
  }
  auto client = std::move(opened).value();

  Hearing hearing;
  Changes changes;
  std::vector<confab::Subscription> subscriptions;
  subscriptions.push_back(client->on_message([&](const confab::Message& m) { hearing.heard(m); }));
  subscriptions.push_back(client->on_outbox([&](const confab::LocalMessage&) { changes.notify(); }));
  subscriptions.push_back(client->on_conversation([&](const confab::ConversationChange&) { changes.notify(); }));
  subscriptions.push_back(client->on_connection([&](const confab::ConnectionChange& c) {
    if (c.error) std::fprintf(stderr, "%s: %s\n", device_id.c_str(), confab::describe(*c.error).c_str());
    changes.notify();
  }));
  if (auto connected = client->connect(url, token); !connected) {
    std::fprintf(stderr, "%s: connect: %s\n", device_id.c_str(), confab::describe(connected.error()).c_str());
    return 1;
  }

  // Sending: arrivals at exponential intervals, paced against the clock. This is load,
  // not a test waiting for something, so a timed wait is what it needs.
  std::mt19937_64 random(seed);
  std::exponential_distribution<double> gap(1.0 / interval_ms);
  std::uniform_int_distribution<std::size_t> which(0, conversations.size() - 1);
  auto send_until = std::chrono::system_clock::time_point(std::chrono::milliseconds(send_until_ms));
  auto next = Clock::now();
  for (int k = 0; std::chrono::system_clock::now() < send_until; ++k) {
    next += std::chrono::microseconds(static_cast<std::int64_t>(gap(random) * 1000));
    std::this_thread::sleep_until(next);
    if (std::chrono::system_clock::now() >= send_until) break;
    const auto& conversation = conversations[which(random)];
    std::string text = device_id + "." + run + "." + std::to_string(k);
    confab::SendOptions send_options;
    std::string mark;
    if (files_every > 0 && k % files_every == files_every - 1) {
      send_options.attachments = {confab::FileToSend{{}, confab::chaos::file_bytes(text), text + ".bin", {}}};
      mark = " file";
    }
    say("sending " + conversation + " " + text + mark);
    auto sent = client->send(conversation, text, send_options);
    if (sent.ok()) {
      say("sent " + conversation + " " + text + mark);
    } else {
      say("refused " + conversation + " " + text + " " + confab::describe(sent.error()));
    }
  }
  say("idle");

  FilesByText files;
  for (std::string line; std::getline(std::cin, line);) {
    std::istringstream args(line);
    std::string command;
    args >> command;
    if (command == "drain") {
      int seconds = 0;
      args >> seconds;
      changes.wait_until(Clock::now() + std::chrono::seconds(seconds),
                         [&] { return client->unsent_messages().empty(); });
      say("drained " + std::to_string(client->unsent_messages().size()));
    } else if (command == "dump") {
      dump(*client, changes, hearing, files, args);
    } else if (command == "fetch") {
      fetch(*client, files, args);
    } else if (command == "quit") {
      break;
    }
  }
  return 0;
}
