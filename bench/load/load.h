// confab-load's measurements, each bounded in time and count and stopping by itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "confab/client.h"

namespace confab::test {
class ChildProcess;
}

namespace confab::load {

using Clock = std::chrono::steady_clock;

// An open-loop stream: message i is due at start + i / rate, whatever happened to the
// ones before, and its latency counts from when it was due (so a stall shows in the
// tail instead of hiding in a slower send rate).
struct StreamPlan {
  int rate = 1000;          // messages per second
  int seconds = 10;
  std::size_t payload = 100;  // bytes of text per message

  std::size_t count() const { return static_cast<std::size_t>(rate) * static_cast<std::size_t>(seconds); }
  Clock::time_point due(Clock::time_point start, std::size_t i) const {
    return start + std::chrono::nanoseconds(static_cast<std::int64_t>(i) * 1'000'000'000 / rate);
  }
};

struct LatencyResult {
  std::string stack;
  std::size_t sent = 0;
  std::size_t received = 0;
  std::vector<double> latency_ms;  // one per message received
  std::string note;                // why it stopped early, if it did
};

// The text of message i: its index, then filler up to `payload` bytes.
std::string numbered_text(std::size_t i, std::size_t payload);
// The index back from such a text; false when it is not one.
bool parse_numbered(const char* data, std::size_t size, std::size_t& index);

// A loopback port that was free a moment ago (bound, then released), for a server that
// takes its port from its configuration.
std::uint16_t free_loopback_port();

// `command` run through setpriv with a parent-death signal: the process gets SIGTERM when
// the thread that started it ends, so a server or broker never outlives a confab-load
// that was killed before its destructors ran. Start such processes from the main thread.
std::vector<std::string> ending_with_us(std::vector<std::string> command);

// Where each stack's processes keep their files.
struct Workspace {
  std::filesystem::path dir;
  std::string confab_server;  // the confab-server binary
};

// A confab-server on free loopback ports, its files in `dir` (the config written there),
// stopped with SIGTERM when this goes.
class LocalServer {
 public:
  // `durability`: the server's --durability, full (an fsync per commit) or normal.
  LocalServer(const Workspace& ws, const std::filesystem::path& dir, const std::string& config_json,
              const std::string& durability = "full");
  ~LocalServer();
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  bool started() const { return port_ != 0; }
  std::uint16_t port() const { return port_; }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/"; }
  int pid() const;

 private:
  std::unique_ptr<test::ChildProcess> process_;
  std::uint16_t port_ = 0;
};

// Two SDK clients through confab-server: alice sends, bob's on_message() is the arrival.
// Durable: the server fsyncs every commit and both clients keep their outbox and store
// on disk. Not durable (to show what storage costs): the server commits without an
// fsync and the clients keep everything in memory.
LatencyResult confab_latency(const Workspace& ws, const StreamPlan& plan, bool durable = true);
// Two libmosquitto clients through a mosquitto broker, QoS 1 both ways.
LatencyResult mqtt_latency(const Workspace& ws, const StreamPlan& plan);
// The durable peer: a producer XADDs into a Redis stream, a consumer blocks in XREAD;
// redis-server with appendonly yes, appendfsync always (synced before every reply).
LatencyResult redis_latency(const Workspace& ws, const StreamPlan& plan);
// The floor: a plain TCP relay on loopback (sender -> relay -> receiver), no framing
// beyond a length, no storage.
LatencyResult tcp_latency(const StreamPlan& plan);

struct IdleResult {
  std::size_t connections = 0;
  std::size_t authenticated = 0;  // of `connections`
  std::size_t failed = 0;
  long rss_before_kib = 0;  // the server, with a few connections open
  long rss_after_kib = 0;   // and with all of them
  std::string note;

  double per_connection_kib() const {
    return authenticated == 0 ? 0 : static_cast<double>(rss_after_kib - rss_before_kib) / static_cast<double>(authenticated);
  }
};

// The server's memory per idle, authenticated connection; `compression`: the clients
// offer permessage-deflate as the SDK does.
IdleResult idle_connections(const Workspace& ws, std::size_t connections, bool compression = true);

struct FanoutResult {
  std::size_t members = 0;
  std::size_t messages = 0;
  std::size_t delivered = 0;     // of members * messages
  double connect_seconds = 0;    // until every member's client was connected
  std::vector<double> each_ms;   // send() to each member's on_message()
  std::vector<double> last_ms;   // send() to the last member's, per message
  std::string note;
};

// One member of a `members`-strong channel sends `messages`, 100 ms apart.
FanoutResult fanout(const Workspace& ws, std::size_t members, std::size_t messages);

struct LiveResult {
  std::vector<double> typing_start_ms;  // alice's typing() to bob's on_typing() listing her
  std::vector<double> typing_stop_ms;   // alice's stop_typing() to bob's on_typing() empty
  std::vector<double> presence_ms;      // alice's set_idle() to bob's on_presence() (both ways)
  std::vector<double> read_ms;          // bob's mark_read() to alice's read_by() listing him
  std::string note;
};

// Alice and bob in a DM; `rounds` of: typing on and off, idle and back, a message read.
LiveResult live_latency(const Workspace& ws, int rounds);

struct ThroughputResult {
  double per_second = 0;  // acknowledged messages per second
  std::string note;
};

// One client (outbox at `outbox`) sends `messages` to one conversation as fast as
// send() returns; acked messages per second, until the last ack. The conversation has
// one other member, offline (so every message also queues a push wake-up), unless
// `alone`.
// With `clients` > 1: that many users, each alone in a channel of its own, send at once
// (`messages` in all), each from a thread of its own.
ThroughputResult confab_throughput(const Workspace& ws, std::size_t messages, Durability outbox, bool alone = false,
                                   std::size_t clients = 1);

// `clients` hiredis clients, each pipelining XADDs (32 awaiting their replies) into a
// stream of its own, `messages` in all; acked XADDs per second. appendfsync always.
ThroughputResult redis_throughput(const Workspace& ws, std::size_t messages, std::size_t clients = 1);

struct CatchupResult {
  double seconds = 0;     // from connect() until every cursor is at its head
  double per_second = 0;  // messages stored per second
  std::string note;
};

// A device that was connected goes away while `messages` arrive in `conversations`
// channels, then reconnects and catches up.
CatchupResult confab_catchup(const Workspace& ws, std::size_t messages, std::size_t conversations);

}  // namespace confab::load
