// confab_outbox_bench: what the durable outbox costs.
//
//  1. send() latency: the time for send() to commit a row and return, with the client
//     offline (so nothing else competes), as p50 and p99.
//  2. Sustained durable throughput: one connected client sends M messages as fast as
//     send() allows; the figure is M divided by the time until the last ack arrived.
//
// Both run with the outbox at synchronous=NORMAL and at FULL, side by side in one run,
// against a confab-server started here on loopback (durability full unless
// --server-durability says otherwise). Each figure is the
// median of --repeats runs.
#include <algorithm>
#include <csignal>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "child_process.h"
#include "stats.h"
#include "confab/client.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

using confab::bench::median;
using confab::bench::percentile;

std::unique_ptr<confab::Client> open_client(const fs::path& db, confab::Durability durability, std::size_t window) {
  confab::ClientOptions options;
  options.device_id = "bench-device";
  options.database_path = db;
  options.durability = durability;
  options.allow_insecure_transport = true;
  options.outbox.window = window;
  auto client = confab::Client::open(options);
  if (!client) {
    std::fprintf(stderr, "open: %s\n", confab::describe(client.error()).c_str());
    std::exit(1);
  }
  return std::move(client).value();
}

// p50 and p99 of send() in microseconds.
std::pair<double, double> send_latency(const fs::path& db, confab::Durability durability, int sends) {
  auto client = open_client(db, durability, 32);
  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(sends));
  for (int i = 0; i < sends; ++i) {
    auto start = Clock::now();
    auto sent = client->send("c_bench", "latency probe " + std::to_string(i));
    auto end = Clock::now();
    if (!sent) std::exit(1);
    micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  return {percentile(micros, 0.50), percentile(micros, 0.99)};
}

// Acked messages per second.
double throughput(const fs::path& db, confab::Durability durability, std::size_t window, const std::string& url,
                  int messages) {
  auto client = open_client(db, durability, window);
  std::mutex mutex;
  std::condition_variable changed;
  int acked = 0;
  bool connected = false;
  auto outbox = client->on_outbox([&](const confab::LocalMessage& m) {
    if (m.state != confab::OutboxState::sent) return;
    std::lock_guard lock(mutex);
    ++acked;
    changed.notify_all();
  });
  auto connection = client->on_connection([&](const confab::ConnectionChange& c) {
    std::lock_guard lock(mutex);
    connected = c.state == confab::ConnectionState::connected;
    changed.notify_all();
  });
  if (!client->connect(url, "bench-token")) std::exit(1);
  {
    std::unique_lock lock(mutex);
    if (!changed.wait_for(lock, std::chrono::seconds(10), [&] { return connected; })) {
      std::fprintf(stderr, "could not connect to %s\n", url.c_str());
      std::exit(1);
    }
  }
  auto start = Clock::now();
  for (int i = 0; i < messages; ++i) {
    if (!client->send("c_bench", "throughput " + std::to_string(i))) std::exit(1);
  }
  std::unique_lock lock(mutex);
  if (!changed.wait_for(lock, std::chrono::seconds(120), [&] { return acked == messages; })) {
    std::fprintf(stderr, "only %d of %d acked in time\n", acked, messages);
    std::exit(1);
  }
  return messages / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"confab_outbox_bench: send() latency and durable throughput of the outbox", "confab_outbox_bench"};
  std::string server = CONFAB_SERVER_BINARY;
  int sends = 2000, messages = 20000, repeats = 3;
  std::size_t window = 32;
  std::string server_durability = "full";
  app.add_option("--server", server, "confab-server binary")->check(CLI::ExistingFile);
  app.add_option("--sends", sends, "send() calls per latency run (FULL runs a quarter as many)")
      ->check(CLI::PositiveNumber);
  app.add_option("--messages", messages, "messages per throughput run")->check(CLI::PositiveNumber);
  app.add_option("--repeats", repeats, "runs per figure; the median is reported")->check(CLI::PositiveNumber);
  app.add_option("--window", window, "the outbox window (unacked messages per conversation)")
      ->check(CLI::PositiveNumber);
  app.add_option("--server-durability", server_durability, "the server's durability")
      ->check(CLI::IsMember({"normal", "full"}));
  CLI11_PARSE(app, argc, argv);

  fs::path dir = fs::temp_directory_path() / ("confab-outbox-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "server.json") << R"({"users": [{"id": "bench", "name": "Bench", "tokens": ["bench-token"]}],
    "conversations": [{"id": "c_bench", "kind": "channel", "name": "bench", "members": ["bench"]}],
    "rateLimit": {"perSecond": 0}})";
  confab::test::ChildProcess process({server, "--config", (dir / "server.json").string(), "--port", "0", "--http-port", "0", "--database",
                                      (dir / "server.db").string(), "--durability", server_durability, "--log-level", "warn"},
                                     dir / "server.log");
  auto ready = process.read_line(std::chrono::seconds(15));
  if (!ready) {
    std::fprintf(stderr, "the server did not start; see %s\n", (dir / "server.log").c_str());
    return 1;
  }
  std::string url = "ws://127.0.0.1:" + ready->substr(ready->rfind(':') + 1) + "/";

  std::printf("| outbox synchronous | send() p50 | send() p99 | acked msg/s (window %zu) |\n", window);
  std::printf("|---|---|---|---|\n");
  int run = 0;
  for (auto durability : {confab::Durability::normal, confab::Durability::full}) {
    bool full = durability == confab::Durability::full;
    std::vector<double> p50, p99, rate;
    for (int r = 0; r < repeats; ++r) {
      auto [a, b] = send_latency(dir / ("latency-" + std::to_string(run) + ".db"), durability, full ? sends / 4 : sends);
      p50.push_back(a);
      p99.push_back(b);
      rate.push_back(throughput(dir / ("throughput-" + std::to_string(run) + ".db"), durability, window, url, messages));
      ++run;
    }
    std::printf("| %s | %.0f µs | %.0f µs | %.0f |\n", full ? "FULL" : "NORMAL", median(p50), median(p99), median(rate));
    std::fflush(stdout);
  }
  process.kill_and_wait(SIGTERM);
  fs::remove_all(dir);
  return 0;
}
