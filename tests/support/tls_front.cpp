#include "tls_front.h"

#include <future>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace confab::test {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

class TlsFront::Impl {
 public:
  Impl(std::uint16_t upstream_port, const Certificate& certificate)
      : context_(ssl::context::tls_server), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}),
        upstream_port_(upstream_port) {
    context_.use_certificate_chain(asio::buffer(certificate.cert_pem));
    context_.use_private_key(asio::buffer(certificate.key_pem), ssl::context::pem);
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() {
    std::promise<void> closed;
    asio::post(io_, [this, &closed] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      closed.set_value();
    });
    closed.get_future().wait();
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  struct Link {
    Link(asio::io_context& io, ssl::context& context) : client(io, context), upstream(io) {}
    ssl::stream<tcp::socket> client;
    tcp::socket upstream;
    void close() {
      boost::system::error_code ignored;
      client.lowest_layer().close(ignored);
      upstream.close(ignored);
    }
  };

  awaitable<void> accept_loop() {
    for (;;) {
      auto link = std::make_shared<Link>(io_, context_);
      boost::system::error_code ec;
      co_await acceptor_.async_accept(link->client.lowest_layer(), asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      asio::co_spawn(io_, serve(link), asio::detached);
    }
  }

  awaitable<void> serve(std::shared_ptr<Link> link) {
    boost::system::error_code ec;
    co_await link->client.async_handshake(ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
    if (ec) {  // e.g. the client refused our certificate
      link->close();
      co_return;
    }
    co_await link->upstream.async_connect({asio::ip::make_address("127.0.0.1"), upstream_port_},
                                          asio::redirect_error(use_awaitable, ec));
    if (ec) {
      link->close();
      co_return;
    }
    asio::co_spawn(io_, pump(link, link->client, link->upstream), asio::detached);
    asio::co_spawn(io_, pump(link, link->upstream, link->client), asio::detached);
  }

  template <class From, class To>
  awaitable<void> pump(std::shared_ptr<Link> link, From& from, To& to) {
    std::vector<char> buffer(16 * 1024);
    for (;;) {
      boost::system::error_code ec;
      std::size_t n = co_await from.async_read_some(asio::buffer(buffer), asio::redirect_error(use_awaitable, ec));
      if (!ec) co_await asio::async_write(to, asio::buffer(buffer.data(), n), asio::redirect_error(use_awaitable, ec));
      if (ec) {
        link->close();
        co_return;
      }
    }
  }

  asio::io_context io_;
  ssl::context context_;
  tcp::acceptor acceptor_;
  std::uint16_t upstream_port_;
  std::thread thread_;
};

TlsFront::TlsFront(std::uint16_t upstream_port, const Certificate& certificate)
    : impl_(std::make_shared<Impl>(upstream_port, certificate)) {}
TlsFront::~TlsFront() = default;
std::uint16_t TlsFront::port() const { return impl_->port(); }

}  // namespace confab::test
