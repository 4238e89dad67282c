// The two stacks confab is measured against, driven the same way: the physical floor (a
// plain TCP relay on loopback) and the nearest widely deployed store-and-forward stack
// (a mosquitto broker and libmosquitto clients at QoS 1).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>

#include <mosquitto.h>

#include "child_process.h"
#include "arrivals.h"
#include "load.h"

namespace confab::load {

std::string numbered_text(std::size_t i, std::size_t payload) {
  std::string text = std::to_string(i) + " ";
  if (text.size() < payload) text.append(payload - text.size(), 'x');
  return text;
}

bool parse_numbered(const char* data, std::size_t size, std::size_t& index) {
  std::size_t value = 0, at = 0;
  for (; at < size && data[at] >= '0' && data[at] <= '9'; ++at) value = value * 10 + static_cast<std::size_t>(data[at] - '0');
  if (at == 0 || at >= size || data[at] != ' ') return false;
  index = value;
  return true;
}

namespace {

int listen_loopback(std::uint16_t& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return -1;
  }
  port = ntohs(addr.sin_port);
  return fd;
}

int connect_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
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

bool read_all(int fd, char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::recv(fd, data, size, 0);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::uint16_t free_loopback_port() {
  std::uint16_t port = 0;
  int probe = listen_loopback(port);
  if (probe >= 0) ::close(probe);
  return port;
}

std::vector<std::string> ending_with_us(std::vector<std::string> command) {
  command.insert(command.begin(), {"/usr/bin/setpriv", "--pdeathsig", "TERM", "--"});
  return command;
}

LatencyResult tcp_latency(const StreamPlan& plan) {
  LatencyResult result{"TCP relay (floor)", 0, 0, {}, {}};
  std::uint16_t port = 0;
  int listener = listen_loopback(port);
  if (listener < 0) {
    result.note = "cannot listen";
    return result;
  }
  // The relay accepts the receiver, then the sender, and forwards bytes as they come.
  std::thread relay([&] {
    int to = ::accept(listener, nullptr, nullptr);
    int from = ::accept(listener, nullptr, nullptr);
    int one = 1;
    ::setsockopt(to, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(from, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char buffer[64 * 1024];
    for (ssize_t n; (n = ::recv(from, buffer, sizeof buffer, 0)) > 0;) {
      if (!write_all(to, buffer, static_cast<std::size_t>(n))) break;
    }
    ::close(from);
    ::close(to);
  });
  int receiver = connect_loopback(port);
  Arrivals arrivals(plan);
  std::thread reading([&] {
    std::vector<char> frame;
    for (;;) {
      std::uint32_t length = 0;
      if (!read_all(receiver, reinterpret_cast<char*>(&length), sizeof length)) break;
      frame.resize(length);
      if (!read_all(receiver, frame.data(), length)) break;
      arrivals.arrived(frame.data(), length);
    }
  });
  // The relay takes the receiver first: connect the sender once that one is in.
  int sender = connect_loopback(port);
  auto start = Clock::now() + std::chrono::milliseconds(50);
  arrivals.start(start);
  for (std::size_t i = 0; i < plan.count(); ++i) {
    std::this_thread::sleep_until(plan.due(start, i));
    std::string text = numbered_text(i, plan.payload);
    auto length = static_cast<std::uint32_t>(text.size());
    std::string frame(reinterpret_cast<const char*>(&length), sizeof length);
    frame += text;
    if (!write_all(sender, frame.data(), frame.size())) break;
    ++result.sent;
  }
  arrivals.wait_all(Clock::now() + std::chrono::seconds(10));
  ::shutdown(sender, SHUT_WR);
  relay.join();
  ::close(sender);
  reading.join();
  ::close(receiver);
  ::close(listener);
  arrivals.into(result);
  return result;
}

namespace {

struct MqttClient {
  mosquitto* handle = nullptr;
  std::mutex mutex;
  std::condition_variable changed;
  bool connected = false;
  bool subscribed = false;
  Arrivals* arrivals = nullptr;
};

}  // namespace

LatencyResult mqtt_latency(const Workspace& ws, const StreamPlan& plan) {
  LatencyResult result{"mosquitto QoS 1 (peer)", 0, 0, {}, {}};
  std::uint16_t port = free_loopback_port();
  auto dir = ws.dir / "mosquitto";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "mosquitto.conf") << "listener " << port << " 127.0.0.1\n"
                                        << "allow_anonymous true\n"
                                        << "persistence true\n"
                                        << "persistence_location " << dir.string() << "/\n"
                                        << "max_inflight_messages 100\n"
                                        << "max_queued_messages 1000000\n";
  test::ChildProcess broker(ending_with_us({"/usr/sbin/mosquitto", "-c", (dir / "mosquitto.conf").string()}),
                            dir / "mosquitto.log");

  mosquitto_lib_init();
  Arrivals arrivals(plan);
  MqttClient publisher, subscriber;
  subscriber.arrivals = &arrivals;
  auto open = [&](MqttClient& c, const char* id) {
    c.handle = mosquitto_new(id, true, &c);
    mosquitto_int_option(c.handle, MOSQ_OPT_SEND_MAXIMUM, 100);
    mosquitto_int_option(c.handle, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_callback_set(c.handle, [](mosquitto*, void* obj, int rc) {
      auto* self = static_cast<MqttClient*>(obj);
      std::lock_guard hold(self->mutex);
      self->connected = rc == 0;
      self->changed.notify_all();
    });
    mosquitto_subscribe_callback_set(c.handle, [](mosquitto*, void* obj, int, int, const int*) {
      auto* self = static_cast<MqttClient*>(obj);
      std::lock_guard hold(self->mutex);
      self->subscribed = true;
      self->changed.notify_all();
    });
    mosquitto_message_callback_set(c.handle, [](mosquitto*, void* obj, const mosquitto_message* m) {
      auto* self = static_cast<MqttClient*>(obj);
      if (self->arrivals) self->arrivals->arrived(static_cast<const char*>(m->payload), static_cast<std::size_t>(m->payloadlen));
    });
    // The broker takes a moment to listen: retry the connect until a deadline.
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (mosquitto_connect(c.handle, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    mosquitto_loop_start(c.handle);
    std::unique_lock lock(c.mutex);
    return c.changed.wait_until(lock, deadline, [&] { return c.connected; });
  };
  bool ready = open(subscriber, "confab-load-sub") && open(publisher, "confab-load-pub");
  if (ready) {
    mosquitto_subscribe(subscriber.handle, nullptr, "confab/load", 1);
    std::unique_lock lock(subscriber.mutex);
    ready = subscriber.changed.wait_for(lock, std::chrono::seconds(10), [&] { return subscriber.subscribed; });
  }
  if (!ready) {
    result.note = "the broker did not come up";
  } else {
    auto start = Clock::now() + std::chrono::milliseconds(50);
    arrivals.start(start);
    for (std::size_t i = 0; i < plan.count(); ++i) {
      std::this_thread::sleep_until(plan.due(start, i));
      std::string text = numbered_text(i, plan.payload);
      if (mosquitto_publish(publisher.handle, nullptr, "confab/load", static_cast<int>(text.size()), text.data(), 1,
                            false) != MOSQ_ERR_SUCCESS) {
        result.note = "publish refused";
        break;
      }
      ++result.sent;
    }
    arrivals.wait_all(Clock::now() + std::chrono::seconds(30));
  }
  for (auto* c : {&publisher, &subscriber}) {
    if (!c->handle) continue;
    mosquitto_disconnect(c->handle);
    mosquitto_loop_stop(c->handle, false);
    mosquitto_destroy(c->handle);
  }
  mosquitto_lib_cleanup();
  broker.kill_and_wait(15);  // SIGTERM
  arrivals.into(result);
  return result;
}

}  // namespace confab::load
