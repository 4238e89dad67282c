// confab_store_bench: what the local store costs.
//
//  1. Catch-up: a device that was offline while --messages messages arrived in
//     --conversations conversations connects to a confab-server on loopback and catches
//     up. The figure is messages stored per second, from connect() until every
//     conversation's cursor is at its head, and the process's resident memory during it
//     (sampled every 5 ms; the growth over what it used before connecting).
//     With --probe-ms, another thread meanwhile reads the newest page (messages(), 50) of
//     one conversation after another every --probe-ms, and send()s every tenth time, as
//     an app's GUI thread would: their latencies, p50 / p99 / max over the catch-up; and
//     where the time of the calls over 1 ms went: on a CPU, waiting for one, or blocked
//     (from the thread's /proc schedstat).
//     With --slow-callback-ms N, the device also has an on_message callback that takes N ms
//     per event (a UI that renders each one), to show what a slow callback costs in memory.
//  2. Opening a large store: caches holding each of --store-sizes messages (one busy
//     conversation plus 99 small ones) are built here, then opened by a fresh process
//     each time, --repeats times: the time for Client::open() and for the first page of the
//     busy conversation, the conversation list, and the child's peak resident memory.
//
// Each figure is the median of --repeats runs; the runs of each part alternate sizes side
// by side, so machine noise hits them alike.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "child_process.h"
#include "stats.h"
#include "synced_total.h"
#include "waiter.h"
#include "confab/client.h"
#include "store/cache_store.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

using confab::bench::median;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// A line of /proc/self/status, in KiB (VmRSS: now; VmHWM: the peak so far).
long status_kib(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field) + 1));
  }
  return 0;
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "confab_store_bench: %s\n", what.c_str());
  std::exit(1);
}

std::unique_ptr<confab::Client> open_client(const fs::path& db, const std::string& device,
                                            const fs::path& cache = {}) {
  confab::ClientOptions options;
  options.device_id = device;
  options.database_path = db;
  options.cache_path = cache;
  options.allow_insecure_transport = true;
  options.outbox.window = 256;
  auto client = confab::Client::open(options);
  if (!client) fail("open: " + confab::describe(client.error()));
  return std::move(client).value();
}

using confab::bench::Waiter;

std::string conversation_id(int i) { return "c" + std::to_string(i); }

void fill_server(const std::string& url, const fs::path& dir, int conversations, int messages) {
  auto writer = open_client(dir / "writer.db", "writer-device");
  Waiter waiter;
  std::atomic<int> acked = 0;
  std::atomic<bool> connected = false;
  auto outbox = writer->on_outbox([&](const confab::LocalMessage& m) {
    if (m.state == confab::OutboxState::sent) ++acked;
    waiter.notify();
  });
  auto connection = writer->on_connection([&](const confab::ConnectionChange& c) {
    connected = c.state == confab::ConnectionState::connected;
    waiter.notify();
  });
  if (!writer->connect(url, "writer-token")) fail("connect");
  if (!waiter.wait([&] { return connected.load(); }, std::chrono::seconds(10))) fail("the writer could not connect");
  // In chunks: the outbox is built for what a user types, not for a backlog of 100k.
  constexpr int kChunk = 2000;
  for (int i = 0; i < messages; ++i) {
    auto text = "message " + std::to_string(i) + " of the catch-up benchmark, about sixty bytes";
    if (!writer->send(conversation_id(i % conversations), text)) fail("send");
    int queued = i + 1;
    if (queued % kChunk == 0 || queued == messages) {
      if (!waiter.wait([&] { return acked == queued; }, std::chrono::seconds(120))) fail("not every message was acked");
    }
  }
}

// This thread's time on a CPU and waiting on a run queue so far, in ms (schedstat).
std::pair<double, double> thread_schedule_ms() {
  std::ifstream stat("/proc/thread-self/schedstat");
  double on_cpu_ns = 0, runnable_ns = 0;
  stat >> on_cpu_ns >> runnable_ns;
  return {on_cpu_ns / 1e6, runnable_ns / 1e6};
}

// The latencies (ms) of one kind of call from the app's thread during the catch-up; and
// of the calls over 1 ms, where their time went (ms, summed): on a CPU, runnable but
// waiting for one (the machine is busy), or neither: blocked on a lock or I/O.
struct Timed {
  std::vector<double> ms;
  double slow = 0, slow_on_cpu = 0, slow_runnable = 0, slow_blocked = 0;

  template <class Call>
  auto time(Call call) {
    auto before = thread_schedule_ms();
    auto start = Clock::now();
    auto result = call();
    double took = seconds_since(start) * 1000;
    auto after = thread_schedule_ms();
    ms.push_back(took);
    if (took > 1.0) {
      double on_cpu = after.first - before.first, runnable = after.second - before.second;
      slow += 1;
      slow_on_cpu += on_cpu;
      slow_runnable += runnable;
      slow_blocked += std::max(0.0, took - on_cpu - runnable);
    }
    return result;
  }
  // count p50 p99 max slow on-cpu runnable blocked
  void print() const {
    using confab::bench::percentile;
    std::printf(" %zu %.3f %.3f %.3f %.0f %.3f %.3f %.3f", ms.size(), percentile(ms, 0.5), percentile(ms, 0.99),
                percentile(ms, 1.0), slow, slow_on_cpu, slow_runnable, slow_blocked);
  }
};

struct Probed {
  Timed page, send;
};

// Reads the newest page of each conversation in turn every `period`, and sends a message
// every tenth time, until `running` is cleared.
void probe(confab::Client& client, int conversations, std::chrono::milliseconds period, const std::atomic<bool>& running,
           Probed& out) {
  for (int i = 0; running; ++i) {
    auto id = conversation_id(i % conversations);
    auto page = out.page.time([&] { return client.messages(id, 0, 50); });
    if (!page) fail("messages(): " + confab::describe(page.error()));
    if (i % 10 == 0) {
      auto sent = out.send.time([&] { return client.send(id, "probe " + std::to_string(i)); });
      if (!sent) fail("send(): " + confab::describe(sent.error()));
    }
    std::this_thread::sleep_for(period);  // the probe's pace, not a wait for a condition
  }
}

// Child mode: a fresh device catches up; prints messages stored per second, and the
// resident memory (KiB) before connecting and at its peak during the catch-up; with a
// probe, then of messages() and of send(): see Timed::print().
int measure_catch_up(const std::string& url, const fs::path& db, int messages, int conversations, int probe_ms,
                     int slow_callback_ms) {
  auto reader = open_client(db, "reader-device");
  Waiter waiter;
  confab::bench::SyncedTotal synced;
  auto changes = reader->on_conversation([&](const confab::ConversationChange& c) {
    synced.changed(c);
    waiter.notify();
  });
  confab::Subscription slow;
  if (slow_callback_ms > 0) {
    slow = reader->on_message([slow_callback_ms](const confab::Message&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(slow_callback_ms));  // the app's slow UI, not a wait
    });
  }
  auto caught_up = [&] { return synced.total() >= messages; };
  std::atomic<bool> sampling = true;
  std::atomic<long> peak = 0;
  long before = status_kib("VmRSS:");
  std::thread sampler([&] {
    while (sampling) {
      peak = std::max(peak.load(), status_kib("VmRSS:"));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a sampling period, not a test wait
    }
  });
  std::atomic<bool> probing = probe_ms > 0;
  Probed probed;
  std::thread prober;
  auto start = Clock::now();
  if (!reader->connect(url, "reader-token")) fail("connect");
  if (probe_ms > 0) {
    prober = std::thread(
        [&] { probe(*reader, conversations, std::chrono::milliseconds(probe_ms), probing, probed); });
  }
  if (!waiter.wait(caught_up, std::chrono::seconds(600))) fail("the catch-up did not finish");
  double elapsed = seconds_since(start);
  sampling = false;
  probing = false;
  sampler.join();
  if (prober.joinable()) prober.join();
  std::printf("%.1f %ld %ld", messages / elapsed, before, peak.load());
  if (probe_ms > 0) {
    probed.page.print();
    probed.send.print();
  }
  std::printf("\n");
  std::fflush(stdout);
  return 0;
}

// Builds a cache holding `total` messages: 99% in c_busy, the rest over 99 conversations.
class StoreBuilder {
 public:
  explicit StoreBuilder(fs::path path) : path_(std::move(path)) {}

  void grow_to(std::int64_t total) {
    auto opened = confab::store::CacheStore::open(path_, confab::store::Synchronous::normal);
    if (!opened) fail(opened.error().message);
    auto& store = *opened->store;
    if (!listed_) {
      std::vector<confab::protocol::ConversationSummary> list(100);
      for (int i = 0; i < 100; ++i) {
        list[static_cast<std::size_t>(i)].conversation_id = i == 0 ? "c_busy" : conversation_id(i);
        list[static_cast<std::size_t>(i)].name = i == 0 ? "busy" : "quiet " + std::to_string(i);
      }
      if (!store.update_conversations(list, true)) fail("list");
      listed_ = true;
    }
    std::vector<confab::protocol::Event> batch;
    while (count_ < total) {
      int target = count_ % 100 == 0 ? 1 + static_cast<int>((count_ / 100) % 99) : 0;
      auto id = target == 0 ? std::string("c_busy") : conversation_id(target);
      auto& seq = seqs_[static_cast<std::size_t>(target)];
      confab::protocol::Event e;
      e.conversation_id = id;
      e.conversation_seq = ++seq;
      e.message_id = "m" + std::to_string(count_);
      e.client_message_id = "cm" + std::to_string(count_);
      e.sender_id = count_ % 3 == 0 ? "reader" : "writer";
      e.body.text = "message " + std::to_string(count_) + " in a store that keeps growing, with a few words";
      e.created_at_ms = 1'763'800'000'000 + count_;
      ++count_;
      if (!batch.empty() && batch.back().conversation_id != id) flush(store, batch);
      batch.push_back(std::move(e));
      if (batch.size() >= 2000) flush(store, batch);
    }
    flush(store, batch);
    // A client's store writer indexes its pages for search soon after it stores them.
    if (!store.index_for_search(std::numeric_limits<std::int64_t>::max())) fail("index");
  }

 private:
  static void flush(confab::store::CacheStore& store, std::vector<confab::protocol::Event>& batch) {
    if (batch.empty()) return;
    if (!store.apply(batch.front().conversation_id, batch, confab::store::ApplyMode::forward)) fail("apply");
    batch.clear();
  }

  fs::path path_;
  bool listed_ = false;
  std::int64_t count_ = 0;
  std::vector<confab::Seq> seqs_ = std::vector<confab::Seq>(100, 0);
};

// Child mode: open a client on `cache`, read the first page and the list, print the costs.
int measure_open(const fs::path& cache) {
  auto outbox = fs::temp_directory_path() / ("confab-store-bench-outbox-" + std::to_string(::getpid()) + ".db");
  auto start = Clock::now();
  auto client = open_client(outbox, "reader-device", cache);
  double open_ms = seconds_since(start) * 1000;
  start = Clock::now();
  auto page = client->messages("c_busy", 0, 50);
  double page_ms = seconds_since(start) * 1000;
  if (!page || page->messages.size() != 50) fail("no first page");
  start = Clock::now();
  auto list = client->conversations();
  double list_ms = seconds_since(start) * 1000;
  if (!list || list->size() != 100) fail("no conversation list");
  std::printf("%.3f %.3f %.3f %ld\n", open_ms, page_ms, list_ms, status_kib("VmHWM:"));
  std::fflush(stdout);
  client.reset();
  for (const char* suffix : {"", "-wal", "-shm", ".cache", ".cache-wal", ".cache-shm"}) {
    fs::remove(outbox.string() + suffix);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"confab_store_bench: catch-up rate and large-store opening of the local store", "confab_store_bench"};
  std::string server = CONFAB_SERVER_BINARY;
  int messages = 100'000, conversations = 10, repeats = 3, probe_ms = 0, slow_callback_ms = 0;
  std::vector<std::int64_t> sizes{10'000, 100'000, 1'000'000};
  std::string measure, catch_up_url, catch_up_db;
  bool skip_catch_up = false, skip_open = false;
  app.add_option("--server", server, "confab-server binary")->check(CLI::ExistingFile);
  app.add_option("--messages", messages, "messages missed while offline")->check(CLI::PositiveNumber);
  app.add_option("--conversations", conversations, "conversations they are spread over")->check(CLI::Range(1, 1000));
  app.add_option("--store-sizes", sizes, "messages in the stores opened");
  app.add_option("--repeats", repeats, "runs per figure; the median is reported")->check(CLI::PositiveNumber);
  app.add_option("--probe-ms", probe_ms,
                 "during the catch-up, call messages() every this many ms (and send() every tenth time) from another "
                 "thread and report their latencies; 0: no probe")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--slow-callback-ms", slow_callback_ms, "catch-up: an on_message callback taking this long per event")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--skip-catch-up", skip_catch_up, "only the large-store part");
  app.add_flag("--skip-open", skip_open, "only the catch-up part");
  app.add_option("--measure-open", measure, "(internal) open this cache in this process and print the costs");
  app.add_option("--measure-catch-up", catch_up_url, "(internal) catch up from this server in this process");
  app.add_option("--catch-up-db", catch_up_db, "(internal) the database of --measure-catch-up");
  CLI11_PARSE(app, argc, argv);
  if (!measure.empty()) return measure_open(measure);
  if (!catch_up_url.empty()) {
    return measure_catch_up(catch_up_url, catch_up_db, messages, conversations, probe_ms, slow_callback_ms);
  }

  fs::path dir = fs::temp_directory_path() / ("confab-store-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);

  if (!skip_catch_up) {
    std::ostringstream config;
    config << R"({"users": [{"id": "writer", "name": "Writer", "tokens": ["writer-token"]},
                            {"id": "reader", "name": "Reader", "tokens": ["reader-token"]}],
                 "rateLimit": {"perSecond": 0}, "maxDifference": 100000000, "conversations": [)";
    for (int i = 0; i < conversations; ++i) {
      config << (i ? "," : "") << R"({"id": ")" << conversation_id(i) << R"(", "kind": "channel", "name": "bench )" << i
             << R"(", "members": ["writer", "reader"]})";
    }
    config << "]}";
    std::ofstream(dir / "server.json") << config.str();
    confab::test::ChildProcess process({server, "--config", (dir / "server.json").string(), "--port", "0",
                                        "--http-port", "0", "--database", (dir / "server.db").string(),
                                        "--durability", "normal", "--log-level", "warn"},
                                       dir / "server.log");
    auto ready = process.read_line(std::chrono::seconds(15));
    if (!ready) fail("the server did not start; see " + (dir / "server.log").string());
    std::string url = "ws://127.0.0.1:" + ready->substr(ready->rfind(':') + 1) + "/";
    auto start = Clock::now();
    fill_server(url, dir, conversations, messages);
    std::fprintf(stderr, "server filled with %d messages in %.1f s\n", messages, seconds_since(start));

    std::vector<double> rate, growth, peak;
    // Per run, for messages() then send(): count, p50, p99, max; the calls over 1 ms,
    // and their ms on a CPU, runnable, blocked.
    constexpr std::size_t kFigures = 8;
    std::vector<std::vector<double>> probed(2 * kFigures);
    for (int r = 0; r < repeats; ++r) {
      auto db = dir / ("reader-" + std::to_string(r) + ".db");
      confab::test::ChildProcess child({argv[0], "--measure-catch-up", url, "--catch-up-db", db.string(), "--messages",
                                        std::to_string(messages), "--conversations", std::to_string(conversations),
                                        "--probe-ms", std::to_string(probe_ms), "--slow-callback-ms",
                                        std::to_string(slow_callback_ms)},
                                       dir / "child.log");
      auto line = child.read_line(std::chrono::seconds(600));
      if (!line) fail("the catch-up child printed nothing; see " + (dir / "child.log").string());
      double r_rate = 0;
      long before = 0, high = 0;
      std::istringstream in(*line);
      in >> r_rate >> before >> high;
      for (auto& figure : probed) {
        double value = 0;
        in >> value;
        figure.push_back(value);
      }
      rate.push_back(r_rate);
      growth.push_back(static_cast<double>(high - before) / 1024.0);
      peak.push_back(static_cast<double>(high) / 1024.0);
      child.wait(std::chrono::seconds(30));
    }
    std::printf("| missed messages | conversations | slow on_message | seen caught up, msg/s | RSS growth | RSS peak |\n"
                "|---|---|---|---|---|---|\n");
    std::printf("| %d | %d | %s | %.0f | %.1f MiB | %.1f MiB |\n\n", messages, conversations,
                slow_callback_ms > 0 ? (std::to_string(slow_callback_ms) + " ms").c_str() : "none", median(rate),
                median(growth), median(peak));
    if (probe_ms > 0) {
      std::printf("From another thread during the catch-up, every %d ms (medians of %d runs):\n\n", probe_ms, repeats);
      std::printf("| call | calls | p50 | p99 | max |\n|---|---|---|---|---|\n");
      const char* names[] = {"messages() (newest 50)", "send()"};
      for (std::size_t call = 0; call < 2; ++call) {
        const auto* f = &probed[kFigures * call];
        std::printf("| %s | %.0f | %.3f ms | %.3f ms | %.3f ms |\n", names[call], median(f[0]), median(f[1]),
                    median(f[2]), median(f[3]));
      }
      for (std::size_t call = 0; call < 2; ++call) {
        const auto* f = &probed[kFigures * call];
        std::printf("\n%s per run (p99 / max, ms):", names[call]);
        for (std::size_t r = 0; r < f[0].size(); ++r) std::printf(" %.2f/%.2f", f[2][r], f[3][r]);
        auto sum = [&](std::size_t i) {
          double total = 0;
          for (double v : f[i]) total += v;
          return total;
        };
        std::printf("\n  calls over 1 ms, all runs: %.0f, taking %.1f ms on a CPU, %.1f ms runnable waiting for a CPU, "
                    "%.1f ms blocked (a lock, I/O)",
                    sum(4), sum(5), sum(6), sum(7));
      }
      std::printf("\n\n");
    }
    std::fflush(stdout);
    process.kill_and_wait(SIGTERM);
  }

  if (!skip_open) {
    std::sort(sizes.begin(), sizes.end());
    StoreBuilder builder(dir / "building.cache");
    std::vector<fs::path> stores;
    for (auto size : sizes) {
      auto start = Clock::now();
      builder.grow_to(size);
      auto copy = dir / ("store-" + std::to_string(size) + ".cache");
      fs::copy_file(dir / "building.cache", copy, fs::copy_options::overwrite_existing);
      stores.push_back(copy);
      std::fprintf(stderr, "store of %lld messages built (%.1f s, %.0f MiB)\n", static_cast<long long>(size),
                   seconds_since(start), static_cast<double>(fs::file_size(copy)) / (1 << 20));
    }
    std::vector<std::vector<double>> open_ms(sizes.size()), page_ms(sizes.size()), list_ms(sizes.size()),
        rss(sizes.size());
    for (int r = 0; r < repeats; ++r) {
      for (std::size_t i = 0; i < sizes.size(); ++i) {
        confab::test::ChildProcess child({argv[0], "--measure-open", stores[i].string()}, dir / "child.log");
        auto line = child.read_line(std::chrono::seconds(120));
        if (!line) fail("the measuring child printed nothing; see " + (dir / "child.log").string());
        double o = 0, p = 0, l = 0;
        long kib = 0;
        std::istringstream(*line) >> o >> p >> l >> kib;
        open_ms[i].push_back(o);
        page_ms[i].push_back(p);
        list_ms[i].push_back(l);
        rss[i].push_back(static_cast<double>(kib) / 1024.0);
        child.wait(std::chrono::seconds(30));
      }
    }
    std::printf("| stored messages | store file | Client::open() | first page (50) | conversation list (100) | peak RSS |\n");
    std::printf("|---|---|---|---|---|---|\n");
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      std::printf("| %lld | %.0f MiB | %.1f ms | %.2f ms | %.1f ms | %.1f MiB |\n", static_cast<long long>(sizes[i]),
                  static_cast<double>(fs::file_size(stores[i])) / (1 << 20), median(open_ms[i]), median(page_ms[i]),
                  median(list_ms[i]), median(rss[i]));
    }
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      std::printf("csv,open,%lld,%.3f,%.3f\n", static_cast<long long>(sizes[i]), median(open_ms[i]), median(page_ms[i]));
    }
  }
  fs::remove_all(dir);
  return 0;
}
