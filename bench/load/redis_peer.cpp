// The durable peer: Redis Streams with `appendonly yes` and `appendfsync always`, so that
// Redis syncs its log before it writes any reply, the consumer's included — "durable
// before delivery", as confab commits before it fans out. A producer XADDs, a consumer
// blocks in XREAD; driven by hiredis, at the same rate and with the same payloads as the
// other stacks.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <hiredis/hiredis.h>

#include "arrivals.h"
#include "child_process.h"
#include "load.h"

namespace confab::load {
namespace {

struct Reply {
  redisReply* reply = nullptr;
  explicit Reply(void* r) : reply(static_cast<redisReply*>(r)) {}
  ~Reply() {
    if (reply) freeReplyObject(reply);
  }
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  bool ok() const { return reply && reply->type != REDIS_REPLY_ERROR; }
};

struct Connection {
  redisContext* context = nullptr;
  Connection() = default;
  ~Connection() {
    if (context) redisFree(context);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  bool ok() const { return context && context->err == 0; }
};

// redis-server from Debian on a free loopback port, its files in `dir`, with only the
// durability settings on its command line (no configuration file): `appendonly yes`,
// `appendfsync always`, `save ''`. Stopped with SIGTERM when this goes, or when
// confab-load does (ending_with_us).
class LocalRedis {
 public:
  // Starts from an empty directory: a stream left by an earlier run would be read again.
  explicit LocalRedis(const std::filesystem::path& dir) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    port_ = free_loopback_port();
    process_ = std::make_unique<test::ChildProcess>(
        ending_with_us({"/usr/bin/redis-server", "--bind", "127.0.0.1", "--port", std::to_string(port_), "--dir",
                        dir.string(), "--appendonly", "yes", "--appendfsync", "always", "--save", ""}),
        dir / "redis.log");
  }
  ~LocalRedis() { process_->kill_and_wait(15); }
  LocalRedis(const LocalRedis&) = delete;
  LocalRedis& operator=(const LocalRedis&) = delete;

  // A connection, retried until the server listens or the deadline passes.
  bool connect(Connection& c, Clock::time_point deadline) const {
    for (;;) {
      if (c.context) redisFree(c.context);
      c.context = redisConnect("127.0.0.1", port_);
      if (c.ok()) {
        Reply pong(redisCommand(c.context, "PING"));
        if (pong.ok()) return true;
      }
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  std::uint16_t port_ = 0;
  std::unique_ptr<test::ChildProcess> process_;
};

// Reads the numbered payloads out of an XREAD reply: [[stream, [[id, [field, value]], …]]].
// Returns the last entry id seen.
std::string read_entries(const redisReply* reply, Arrivals* arrivals, std::size_t& count) {
  std::string last;
  if (!reply || reply->type != REDIS_REPLY_ARRAY) return last;
  for (std::size_t s = 0; s < reply->elements; ++s) {
    const redisReply* stream = reply->element[s];
    if (stream->type != REDIS_REPLY_ARRAY || stream->elements < 2) continue;
    const redisReply* entries = stream->element[1];
    for (std::size_t e = 0; e < entries->elements; ++e) {
      const redisReply* entry = entries->element[e];
      if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 2) continue;
      last.assign(entry->element[0]->str, entry->element[0]->len);
      const redisReply* fields = entry->element[1];
      if (fields->elements >= 2 && arrivals) arrivals->arrived(fields->element[1]->str, fields->element[1]->len);
      ++count;
    }
  }
  return last;
}

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

LatencyResult redis_latency(const Workspace& ws, const StreamPlan& plan) {
  LatencyResult result{"Redis Streams, appendfsync always (durable peer)", 0, 0, {}, {}};
  LocalRedis redis(ws.dir / "redis-latency");
  auto deadline = Clock::now() + std::chrono::seconds(10);
  Connection producer, consumer;
  if (!redis.connect(producer, deadline) || !redis.connect(consumer, deadline)) {
    result.note = "redis-server did not come up";
    return result;
  }
  Arrivals arrivals(plan);
  std::atomic<bool> stop{false};
  std::thread reading([&] {
    std::string last = "0-0";
    std::size_t seen = 0;
    while (!stop.load() && seen < plan.count()) {
      // BLOCK 200: wake up now and then to see whether the run is over.
      Reply reply(redisCommand(consumer.context, "XREAD COUNT 1000 BLOCK 200 STREAMS s %s", last.c_str()));
      if (!reply.reply) break;
      auto newest = read_entries(reply.reply, &arrivals, seen);
      if (!newest.empty()) last = newest;
    }
  });
  // The producer does not wait for each XADD's reply before the next one is due (as
  // confab's send() does not wait for the ack): the commands go out on the socket when
  // due, and a thread of its own reads the replies. So Redis can sync several XADDs at
  // once, as confab's server commits several sends in one transaction.
  std::atomic<std::size_t> acked{0};
  std::atomic<bool> refused{false};
  int fd = producer.context->fd;
  std::thread replies([&] {
    redisReader* reader = redisReaderCreate();
    char buffer[16 * 1024];
    while (acked.load() < plan.count() && !refused.load()) {
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      redisReaderFeed(reader, buffer, static_cast<std::size_t>(n));
      for (void* raw = nullptr; redisReaderGetReply(reader, &raw) == REDIS_OK && raw;) {
        Reply reply(raw);
        if (!reply.ok()) refused = true;
        ++acked;
      }
    }
    redisReaderFree(reader);
  });
  auto start = Clock::now() + std::chrono::milliseconds(50);
  arrivals.start(start);
  for (std::size_t i = 0; i < plan.count() && !refused.load(); ++i) {
    std::this_thread::sleep_until(plan.due(start, i));
    std::string text = numbered_text(i, plan.payload);
    char* command = nullptr;
    int length = redisFormatCommand(&command, "XADD s * m %b", text.data(), text.size());
    bool written = length > 0 && write_all(fd, command, static_cast<std::size_t>(length));
    redisFreeCommand(command);
    if (!written) {
      result.note = "the connection to redis-server failed";
      break;
    }
    ++result.sent;
  }
  arrivals.wait_all(Clock::now() + std::chrono::seconds(30));
  stop = true;
  reading.join();
  ::shutdown(fd, SHUT_RD);
  replies.join();
  if (refused) result.note = "an XADD was refused";
  arrivals.into(result);
  return result;
}

ThroughputResult redis_throughput(const Workspace& ws, std::size_t messages, std::size_t clients) {
  ThroughputResult result;
  LocalRedis redis(ws.dir / "redis-throughput");
  auto deadline = Clock::now() + std::chrono::seconds(10);
  std::vector<Connection> connections(clients);
  for (auto& c : connections) {
    if (!redis.connect(c, deadline)) {
      result.note = "redis-server did not come up";
      return result;
    }
  }
  // Each client pipelines its XADDs with up to `window` awaiting their replies, as the
  // confab outbox keeps a window of sends awaiting their acks.
  constexpr std::size_t window = 32;
  std::string text = numbered_text(0, 100);
  std::atomic<bool> failed{false};
  auto start = Clock::now();
  std::vector<std::thread> senders;
  for (std::size_t k = 0; k < clients; ++k) {
    senders.emplace_back([&, k] {
      redisContext* c = connections[k].context;
      std::size_t mine = messages / clients + (k < messages % clients ? 1 : 0);
      std::size_t queued = 0, answered = 0;
      std::string stream = "s" + std::to_string(k);
      while (answered < mine) {
        while (queued < mine && queued - answered < window) {
          redisAppendCommand(c, "XADD %s * m %b", stream.c_str(), text.data(), text.size());
          ++queued;
        }
        void* raw = nullptr;
        if (redisGetReply(c, &raw) != REDIS_OK) {
          failed = true;
          return;
        }
        Reply reply(raw);
        if (!reply.ok()) {
          failed = true;
          return;
        }
        ++answered;
      }
    });
  }
  for (auto& t : senders) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed) {
    result.note = "an XADD failed";
    return result;
  }
  result.per_second = static_cast<double>(messages) / seconds;
  return result;
}

}  // namespace confab::load
