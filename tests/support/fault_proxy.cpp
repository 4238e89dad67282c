#include "fault_proxy.h"

#include <vector>
#include <atomic>
#include <future>
#include <list>
#include <mutex>
#include <random>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace confab::test {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

namespace {

// One proxied connection: the client's socket and the upstream socket.
struct Link {
  explicit Link(asio::io_context& io) : client(io), upstream(io) {}
  tcp::socket client;
  tcp::socket upstream;
  std::size_t forwarded = 0;

  bool open() const { return client.is_open() && upstream.is_open(); }
  void reset() {
    boost::system::error_code ignored;
    for (auto* s : {&client, &upstream}) {
      if (!s->is_open()) continue;
      s->set_option(asio::socket_base::linger(true, 0), ignored);  // RST, not FIN
      s->close(ignored);
    }
  }
  void close() {
    boost::system::error_code ignored;
    client.close(ignored);
    upstream.close(ignored);
  }
};

}  // namespace

class FaultProxy::Impl : public std::enable_shared_from_this<Impl> {
 public:
  explicit Impl(std::uint16_t upstream_port)
      : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}), upstream_port_(upstream_port) {}

  void start() {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

  void stop() {
    std::promise<void> closed;
    asio::post(io_, [this, &closed] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      for (auto& weak : links_) {
        if (auto link = weak.lock()) link->close();
      }
      closed.set_value();
    });
    closed.get_future().wait();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void set_upstream(std::uint16_t port) { upstream_port_ = port; }
  void set_toxics(const Toxics& toxics) {
    std::lock_guard lock(mutex_);
    toxics_ = toxics;
  }
  void blackhole(bool on) { blackhole_ = on; }
  void refuse(bool on) { refuse_ = on; }
  std::size_t accepted() const { return accepted_; }
  std::size_t forwarded() const { return forwarded_; }

  void reset_all() {
    std::promise<void> done;
    asio::post(io_, [this, &done] {
      for (auto& weak : links_) {
        if (auto link = weak.lock()) link->reset();
      }
      links_.clear();
      done.set_value();
    });
    done.get_future().wait();
  }

 private:
  awaitable<void> accept_loop() {
    for (;;) {
      auto link = std::make_shared<Link>(io_);
      boost::system::error_code ec;
      co_await acceptor_.async_accept(link->client, asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      ++accepted_;
      if (refuse_) {
        link->reset();
        continue;
      }
      links_.remove_if([](const auto& weak) { return weak.expired(); });
      links_.push_back(link);
      asio::co_spawn(io_, connect_and_pump(link), asio::detached);
    }
  }

  awaitable<void> connect_and_pump(std::shared_ptr<Link> link) {
    boost::system::error_code ec;
    co_await link->upstream.async_connect({asio::ip::make_address("127.0.0.1"), upstream_port_.load()},
                                          asio::redirect_error(use_awaitable, ec));
    if (ec) {
      link->reset();
      co_return;
    }
    boost::system::error_code ignored;
    link->client.set_option(tcp::no_delay(true), ignored);
    link->upstream.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(io_, pump(link, link->client, link->upstream), asio::detached);
    asio::co_spawn(io_, pump(link, link->upstream, link->client), asio::detached);
  }

  awaitable<void> pump(std::shared_ptr<Link> link, tcp::socket& from, tcp::socket& to) {
    std::vector<char> buffer(16 * 1024);
    asio::steady_timer timer(io_);
    for (;;) {
      boost::system::error_code ec;
      std::size_t n = co_await from.async_read_some(asio::buffer(buffer), asio::redirect_error(use_awaitable, ec));
      if (ec) {
        link->close();  // one side gone: end the other too, as a real peer would see
        co_return;
      }
      // A blackhole holds what was read: nothing gets through, the sender's writes still
      // succeed, and once it lifts the bytes go on in order, as TCP's retransmissions would
      // deliver them. Dropping them instead would cut a hole in the middle of a stream,
      // which TCP never does (and which a compressed WebSocket stream can decode into
      // wrong but well-formed frames).
      while (blackhole_ && link->open()) {
        timer.expires_after(std::chrono::milliseconds(10));
        co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
      }
      if (!link->open()) co_return;
      Toxics t;
      {
        std::lock_guard lock(mutex_);
        t = toxics_;
      }
      if (t.latency.count() > 0 || t.jitter.count() > 0) {
        auto delay = t.latency;
        if (t.jitter.count() > 0) {
          delay += std::chrono::milliseconds(
              std::uniform_int_distribution<long>(-t.jitter.count(), t.jitter.count())(random_));
        }
        timer.expires_after(std::max(delay, std::chrono::milliseconds(0)));
        co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
      }
      std::size_t slice = t.slice_bytes > 0 ? t.slice_bytes : n;
      for (std::size_t at = 0; at < n; at += slice) {
        std::size_t len = std::min(slice, n - at);
        if (t.close_after_bytes && link->forwarded + len > *t.close_after_bytes) {
          len = *t.close_after_bytes > link->forwarded ? *t.close_after_bytes - link->forwarded : 0;
          if (len > 0) co_await asio::async_write(to, asio::buffer(buffer.data() + at, len), asio::redirect_error(use_awaitable, ec));
          link->close();
          co_return;
        }
        co_await asio::async_write(to, asio::buffer(buffer.data() + at, len), asio::redirect_error(use_awaitable, ec));
        if (ec) {
          link->close();
          co_return;
        }
        link->forwarded += len;
        forwarded_ += len;
        if (t.bytes_per_second > 0) {
          timer.expires_after(std::chrono::microseconds(len * 1'000'000 / t.bytes_per_second));
          co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
        }
      }
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<std::uint16_t> upstream_port_;
  std::atomic<bool> blackhole_{false};
  std::atomic<bool> refuse_{false};
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> forwarded_{0};
  std::mutex mutex_;
  Toxics toxics_;
  std::mt19937 random_{12345};
  std::list<std::weak_ptr<Link>> links_;  // io thread only
  std::thread thread_;
};

FaultProxy::FaultProxy(std::uint16_t upstream_port) : impl_(std::make_shared<Impl>(upstream_port)) { impl_->start(); }
FaultProxy::~FaultProxy() { impl_->stop(); }
std::uint16_t FaultProxy::port() const { return impl_->port(); }
void FaultProxy::set_upstream(std::uint16_t port) { impl_->set_upstream(port); }
void FaultProxy::set_toxics(const Toxics& toxics) { impl_->set_toxics(toxics); }
void FaultProxy::blackhole(bool on) { impl_->blackhole(on); }
void FaultProxy::reset_all() { impl_->reset_all(); }
void FaultProxy::refuse(bool on) { impl_->refuse(on); }
std::size_t FaultProxy::connections_accepted() const { return impl_->accepted(); }
std::size_t FaultProxy::bytes_forwarded() const { return impl_->forwarded(); }

}  // namespace confab::test
