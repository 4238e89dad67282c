// confab-load: the reference server driven by SDK clients over loopback, side by side
// with the physical floor (a plain TCP relay) and two peer stacks (mosquitto at QoS 1,
// and Redis Streams syncing every write), at the same rate with the same payloads, in one
// run. Every run is bounded and stops by itself. Lines starting with "csv," carry the
// medians for scripts/bench's plots.
//
//   confab-load latency [--rate R] [--seconds S] [--payload B] [--repeats N]
//   confab-load throughput [--messages N] [--repeats N] [--alone] [--clients N]
//   confab-load catchup [--messages N] [--conversations C] [--repeats N]
//   confab-load idle [--connections 1000,10000]
//   confab-load fanout [--members 500] [--messages 20]
#include <cstdio>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "../stats.h"
#include "load.h"

namespace {

using namespace confab::load;
using confab::bench::median;
using confab::bench::percentile;

struct Summary {
  double p50 = 0, p99 = 0, p999 = 0;
  std::size_t sent = 0, received = 0;
};

Summary summarize(const LatencyResult& r) {
  return {percentile(r.latency_ms, 0.50), percentile(r.latency_ms, 0.99), percentile(r.latency_ms, 0.999), r.sent,
          r.received};
}

int latency(const Workspace& ws, const StreamPlan& plan, int repeats) {
  std::printf("latency from send() to the other client's callback: %d msg/s for %d s, %zu-byte texts, %d repeats\n",
              plan.rate, plan.seconds, plan.payload, repeats);
  // Each stack beside the peer it is judged against: confab durable (the server syncs
  // each commit, the clients keep everything on disk) beside Redis Streams with
  // appendfsync always; confab with nothing on disk beside mosquitto at QoS 1.
  std::vector<Summary> floor, mqtt, redis, ours, ours_in_memory;
  std::vector<double> durable_p99, durable_p50, memory_p99, memory_p50, floor_p99;
  for (int r = 0; r < repeats; ++r) {
    // Interleaved, so that a noisy spell on the machine hits every stack alike.
    auto t = summarize(tcp_latency(plan));
    auto m = mqtt_latency(ws, plan);
    auto x = redis_latency(ws, plan);
    auto c = confab_latency(ws, plan);
    auto c_mem = confab_latency(ws, plan, false);
    for (const auto* result : {&m, &x, &c, &c_mem}) {
      if (!result->note.empty()) std::printf("  %s: %s\n", result->stack.c_str(), result->note.c_str());
    }
    auto ms = summarize(m), xs = summarize(x), cs = summarize(c), cm = summarize(c_mem);
    std::printf("  run %d: p50/p99 floor %.3f/%.3f, mosquitto %.3f/%.3f, redis %.3f/%.3f, confab durable %.3f/%.3f, "
                "in memory %.3f/%.3f ms (received %zu/%zu/%zu/%zu/%zu of %zu)\n",
                r + 1, t.p50, t.p99, ms.p50, ms.p99, xs.p50, xs.p99, cs.p50, cs.p99, cm.p50, cm.p99, t.received,
                ms.received, xs.received, cs.received, cm.received, plan.count());
    std::fflush(stdout);
    floor.push_back(t);
    mqtt.push_back(ms);
    redis.push_back(xs);
    ours.push_back(cs);
    ours_in_memory.push_back(cm);
    durable_p99.push_back(cs.p99 / xs.p99);
    durable_p50.push_back(cs.p50 / xs.p50);
    memory_p99.push_back(cm.p99 / ms.p99);
    memory_p50.push_back(cm.p50 / ms.p50);
    floor_p99.push_back(cs.p99 / t.p99);
  }
  auto column = [](const std::vector<Summary>& runs, double Summary::*field) {
    std::vector<double> v;
    for (const auto& s : runs) v.push_back(s.*field);
    return median(v);
  };
  std::printf("\n| stack | p50 | p99 | p99.9 | delivered |\n|---|---|---|---|---|\n");
  for (auto [name, runs] : {std::pair{"TCP relay (floor)", &floor}, {"mosquitto 2.0, QoS 1 (peer)", &mqtt},
                            {"Redis Streams 7.0, appendfsync always (durable peer)", &redis},
                            {"confab, durable (server fsync per commit, clients on disk)", &ours},
                            {"confab, in memory (server without fsync, clients in memory)", &ours_in_memory}}) {
    std::size_t delivered = 0;
    for (const auto& s : *runs) delivered += s.received;
    std::printf("| %s | %.3f ms | %.3f ms | %.3f ms | %zu/%zu |\n", name, column(*runs, &Summary::p50),
                column(*runs, &Summary::p99), column(*runs, &Summary::p999), delivered,
                plan.count() * static_cast<std::size_t>(repeats));
  }
  std::printf("\nratios (median of per-run ratios): confab durable / Redis p50 %.2f, p99 %.2f; "
              "confab in memory / mosquitto p50 %.2f, p99 %.2f; confab durable / floor p99 %.1f\n",
              median(durable_p50), median(durable_p99), median(memory_p50), median(memory_p99), median(floor_p99));
  std::printf("csv,latency,%d,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f\n", plan.rate,
              column(floor, &Summary::p50), column(floor, &Summary::p99), column(mqtt, &Summary::p50),
              column(mqtt, &Summary::p99), column(redis, &Summary::p50), column(redis, &Summary::p99),
              column(ours, &Summary::p50), column(ours, &Summary::p99), column(ours_in_memory, &Summary::p50),
              column(ours_in_memory, &Summary::p99));
  bool complete = true;
  for (const auto& s : ours) complete = complete && s.received == plan.count();
  return complete ? 0 : 1;
}

int idle(const Workspace& ws, const std::vector<std::size_t>& counts, bool compression) {
  std::printf("| idle connections | authenticated | server RSS before | after | per connection |\n|---|---|---|---|---|\n");
  int status = 0;
  for (auto n : counts) {
    auto r = idle_connections(ws, n, compression);
    if (!r.note.empty()) std::printf("  %zu connections: %s\n", n, r.note.c_str());
    std::printf("| %zu | %zu | %.1f MiB | %.1f MiB | %.1f KiB |\n", n, r.authenticated, r.rss_before_kib / 1024.0,
                r.rss_after_kib / 1024.0, r.per_connection_kib());
    // A size that did not come up whole leaves no point on the curve.
    if (r.authenticated == n) std::printf("csv,idle,%zu,%.1f,%.2f\n", n, r.rss_after_kib / 1024.0, r.per_connection_kib());
    std::fflush(stdout);
    if (r.authenticated != n) status = 1;
  }
  return status;
}

int fan_out(const Workspace& ws, std::size_t members, std::size_t messages) {
  auto r = fanout(ws, members, messages);
  if (!r.note.empty()) std::printf("  fan-out: %s\n", r.note.c_str());
  std::printf("fan-out to %zu members (every member's device an SDK client), %zu messages 100 ms apart:\n", members,
              messages);
  std::printf("  %zu clients connected in %.1f s; %zu of %zu deliveries\n", members, r.connect_seconds, r.delivered,
              members * messages);
  std::printf("  send() to each member's callback: p50 %.1f ms, p99 %.1f ms; to the last member: median %.1f ms, "
              "max %.1f ms\n",
              percentile(r.each_ms, 0.5), percentile(r.each_ms, 0.99), median(r.last_ms), percentile(r.last_ms, 1.0));
  return r.delivered == members * messages ? 0 : 1;
}

int throughput(const Workspace& ws, std::size_t messages, int repeats, bool alone, std::size_t clients) {
  std::printf("throughput: %zu client(s) send %zu messages in all, each to a conversation (%s) as fast as send() "
              "returns; acked messages per second until the last ack (server durability full), beside Redis Streams "
              "(appendfsync always, the same number of hiredis clients pipelining XADDs), %d repeats\n",
              clients, messages, clients > 1 || alone ? "no other member" : "one other member, offline", repeats);
  std::vector<double> normal, full, redis;
  for (int r = 0; r < repeats; ++r) {
    // Side by side: the two outbox settings and the peer alternate.
    for (auto [outbox, into] : {std::pair{confab::Durability::normal, &normal}, {confab::Durability::full, &full}}) {
      auto result = confab_throughput(ws, messages, outbox, alone, clients);
      if (!result.note.empty()) {
        std::printf("  %s\n", result.note.c_str());
        return 1;
      }
      into->push_back(result.per_second);
    }
    auto peer = redis_throughput(ws, messages, clients);
    if (!peer.note.empty()) std::printf("  redis: %s\n", peer.note.c_str());
    redis.push_back(peer.per_second);
    std::printf("  run %d: outbox NORMAL %.0f, FULL %.0f acked msg/s; Redis %.0f\n", r + 1, normal.back(), full.back(),
                redis.back());
    std::fflush(stdout);
  }
  std::printf("\n| sender | acked msg/s (median) |\n|---|---|\n| confab, outbox NORMAL | %.0f |\n"
              "| confab, outbox FULL | %.0f |\n| Redis Streams, appendfsync always | %.0f |\n",
              median(normal), median(full), median(redis));
  std::printf("csv,throughput,%zu,%.1f,%.1f,%.1f\n", clients, median(normal), median(full), median(redis));
  return 0;
}

int catchup(const Workspace& ws, std::size_t messages, std::size_t conversations, int repeats) {
  std::printf("catch-up after a reconnect: %zu messages over %zu conversations arrived while the device was away "
              "(store on disk, server durability full), %d repeats\n",
              messages, conversations, repeats);
  std::vector<double> rates, seconds;
  for (int r = 0; r < repeats; ++r) {
    auto result = confab_catchup(ws, messages, conversations);
    if (!result.note.empty()) {
      std::printf("  %s\n", result.note.c_str());
      return 1;
    }
    rates.push_back(result.per_second);
    seconds.push_back(result.seconds);
    std::printf("  run %d: %.2f s, %.0f msg/s stored\n", r + 1, result.seconds, result.per_second);
    std::fflush(stdout);
  }
  std::printf("\ncatch-up: median %.2f s, %.0f msg/s stored\n", median(seconds), median(rates));
  std::printf("csv,catchup,%zu,%.3f,%.1f\n", messages, median(seconds), median(rates));
  return 0;
}

int live(const Workspace& ws, int rounds) {
  std::printf("typing, presence and read receipts from one user's device to the other's (a DM, clients in "
              "memory), %d rounds, one change at a time\n",
              rounds);
  auto r = live_latency(ws, rounds);
  if (!r.note.empty()) {
    std::printf("  %s\n", r.note.c_str());
    return 1;
  }
  std::printf("\n| change | p50 ms | p99 ms | max ms |\n|---|---|---|---|\n");
  auto row = [](const char* name, const std::vector<double>& v) {
    std::printf("| %s | %.2f | %.2f | %.2f |\n", name, percentile(v, 0.5), percentile(v, 0.99),
                v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()));
  };
  row("typing shown (typing() to on_typing)", r.typing_start_ms);
  row("typing cleared (stop_typing() to on_typing)", r.typing_stop_ms);
  row("presence (set_idle() to on_presence)", r.presence_ms);
  row("read receipt (mark_read() to read_by())", r.read_ms);
  std::printf("csv,live,%d,%.3f,%.3f,%.3f,%.3f\n", rounds, percentile(r.typing_start_ms, 0.5),
              percentile(r.typing_stop_ms, 0.5), percentile(r.presence_ms, 0.5), percentile(r.read_ms, 0.5));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"confab-load: the reference server under load, beside the floor and a peer"};
  app.require_subcommand(1);
  Workspace ws;
  ws.confab_server = CONFAB_SERVER_BINARY;
  app.add_option("--server", ws.confab_server, "confab-server binary")->check(CLI::ExistingFile);
  StreamPlan plan;
  int repeats = 3;
  auto* latency_cmd = app.add_subcommand("latency", "end-to-end latency at a set rate: floor, mosquitto, confab");
  latency_cmd->add_option("--rate", plan.rate, "messages per second")->check(CLI::Range(1, 100'000));
  latency_cmd->add_option("--seconds", plan.seconds, "length of each run")->check(CLI::Range(1, 600));
  latency_cmd->add_option("--payload", plan.payload, "bytes per message")->check(CLI::Range(16, 16'000));
  latency_cmd->add_option("--repeats", repeats, "runs of each stack; medians are reported")->check(CLI::Range(1, 50));
  std::vector<std::size_t> idle_counts{1000, 10000};
  auto* idle_cmd = app.add_subcommand("idle", "server memory per idle, authenticated connection");
  idle_cmd->add_option("--connections", idle_counts, "how many, one run each")->delimiter(',');
  bool no_compression = false;
  idle_cmd->add_flag("--no-compression", no_compression, "clients that do not offer permessage-deflate");
  std::size_t members = 500, fan_messages = 20;
  auto* fanout_cmd = app.add_subcommand("fanout", "one message to a large channel, every member an SDK client");
  fanout_cmd->add_option("--members", members)->check(CLI::Range(2, 5000));
  fanout_cmd->add_option("--messages", fan_messages)->check(CLI::Range(1, 1000));
  std::size_t throughput_messages = 20000;
  auto* throughput_cmd = app.add_subcommand("throughput", "acked messages per second from one client");
  throughput_cmd->add_option("--messages", throughput_messages)->check(CLI::Range(1, 1'000'000));
  throughput_cmd->add_option("--repeats", repeats)->check(CLI::Range(1, 50));
  bool alone = false;
  throughput_cmd->add_flag("--alone", alone, "the sender is the conversation's only member (no push wake-ups)");
  std::size_t throughput_clients = 1;
  throughput_cmd->add_option("--clients", throughput_clients, "sending clients, each a user alone in a channel")
      ->check(CLI::Range(1, 1000));
  std::size_t catchup_messages = 50000, catchup_conversations = 10;
  auto* catchup_cmd = app.add_subcommand("catchup", "messages stored per second by a device catching up");
  catchup_cmd->add_option("--messages", catchup_messages)->check(CLI::Range(1, 1'000'000));
  catchup_cmd->add_option("--conversations", catchup_conversations)->check(CLI::Range(1, 1000));
  catchup_cmd->add_option("--repeats", repeats)->check(CLI::Range(1, 50));
  int live_rounds = 50;
  auto* live_cmd = app.add_subcommand("live", "typing, presence and read receipts: one user's change to the other's screen");
  live_cmd->add_option("--rounds", live_rounds)->check(CLI::Range(1, 10'000));
  CLI11_PARSE(app, argc, argv);

  ws.dir = std::filesystem::temp_directory_path() / ("confab-load-" + std::to_string(::getpid()));
  std::filesystem::create_directories(ws.dir);
  int status = 0;
  if (latency_cmd->parsed()) status = latency(ws, plan, repeats);
  if (idle_cmd->parsed()) status = idle(ws, idle_counts, !no_compression);
  if (fanout_cmd->parsed()) status = fan_out(ws, members, fan_messages);
  if (throughput_cmd->parsed()) status = throughput(ws, throughput_messages, repeats, alone, throughput_clients);
  if (catchup_cmd->parsed()) status = catchup(ws, catchup_messages, catchup_conversations, repeats);
  if (live_cmd->parsed()) status = live(ws, live_rounds);
  std::filesystem::remove_all(ws.dir);
  return status;
}
