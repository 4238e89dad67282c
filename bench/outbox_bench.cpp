// confab_outbox_bench: what the durable outbox costs a send(): the time for send() to
// commit a row and return, with the client offline (so nothing else competes), as p50
// and p99, with the outbox at synchronous=NORMAL and at FULL side by side in one run.
// Each figure is the median of --repeats runs. (Acked throughput, with a server, is
// `confab-load throughput`.)
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "stats.h"
#include "confab/client.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

using confab::bench::median;
using confab::bench::percentile;

std::unique_ptr<confab::Client> open_client(const fs::path& db, confab::Durability durability) {
  confab::ClientOptions options;
  options.device_id = "bench-device";
  options.database_path = db;
  options.durability = durability;
  options.allow_insecure_transport = true;
  auto client = confab::Client::open(options);
  if (!client) {
    std::fprintf(stderr, "open: %s\n", confab::describe(client.error()).c_str());
    std::exit(1);
  }
  return std::move(client).value();
}

// p50 and p99 of send() in microseconds.
std::pair<double, double> send_latency(const fs::path& db, confab::Durability durability, int sends) {
  auto client = open_client(db, durability);
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"confab_outbox_bench: send() latency of the durable outbox", "confab_outbox_bench"};
  int sends = 2000, repeats = 3;
  app.add_option("--sends", sends, "send() calls per run (FULL runs a quarter as many)")->check(CLI::PositiveNumber);
  app.add_option("--repeats", repeats, "runs per figure; the median is reported")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  fs::path dir = fs::temp_directory_path() / ("confab-outbox-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::printf("| outbox synchronous | send() p50 | send() p99 |\n|---|---|---|\n");
  int run = 0;
  for (auto durability : {confab::Durability::normal, confab::Durability::full}) {
    bool full = durability == confab::Durability::full;
    std::vector<double> p50, p99;
    for (int r = 0; r < repeats; ++r) {
      auto [a, b] = send_latency(dir / ("latency-" + std::to_string(run++) + ".db"), durability, full ? sends / 4 : sends);
      p50.push_back(a);
      p99.push_back(b);
    }
    std::printf("| %s | %.0f µs | %.0f µs |\n", full ? "FULL" : "NORMAL", median(p50), median(p99));
    std::fflush(stdout);
  }
  fs::remove_all(dir);
  return 0;
}
