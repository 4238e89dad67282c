// A TCP proxy for tests that breaks the network on purpose, in the manner of Toxiproxy's
// toxics: latency with jitter, a bandwidth cap, slicing into small segments, closing after
// N bytes, a blackhole (the connection stays open but nothing gets through: half-open),
// resetting every connection, and refusing new ones. A test drives it from its own code;
// changes apply to data forwarded from then on.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace confab::test {

struct Toxics {
  std::chrono::milliseconds latency{0};  // added to every chunk, in each direction
  std::chrono::milliseconds jitter{0};   // +/- this much, uniformly
  std::size_t bytes_per_second = 0;      // 0: no cap
  std::size_t slice_bytes = 0;           // 0: forward reads whole; else in segments this big
  std::optional<std::size_t> close_after_bytes;  // per connection, both directions together
};

class FaultProxy {
 public:
  // Listens on an ephemeral loopback port and forwards to 127.0.0.1:upstream_port.
  explicit FaultProxy(std::uint16_t upstream_port);
  ~FaultProxy();

  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::uint16_t port() const;
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port()) + "/"; }

  // New connections go here (a restarted server on another port).
  void set_upstream(std::uint16_t port);
  void set_toxics(const Toxics& toxics);
  // On: nothing gets through in either direction and sockets stay open (half-open); what
  // was sent meanwhile is delivered, in order, once it is off (unless the link closed).
  void blackhole(bool on);
  // Closes every open connection with a TCP reset.
  void reset_all();
  // On: new connections are accepted and reset at once.
  void refuse(bool on);

  std::size_t connections_accepted() const;
  // Bytes forwarded so far, both directions and every connection together.
  std::size_t bytes_forwarded() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace confab::test
