#include "http_client.h"

#include <cstdio>
#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace confab::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

bool same_name(std::string_view a, std::string_view b) { return beast::iequals(a, b); }

std::string head_of(const std::string& method, const std::string& target, const HttpHeaders& headers) {
  std::string head = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
  return head;
}

}  // namespace

std::string HttpReply::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (same_name(n, name)) return v;
  }
  return {};
}

bool HttpReply::has_header(std::string_view name) const {
  for (const auto& header : headers) {
    if (same_name(header.first, name)) return true;
  }
  return false;
}

HttpHeaders bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

struct RawHttpConnection::State {
  asio::io_context io;
  tcp::socket socket{io};
  beast::flat_buffer buffer;

  // Runs the io_context until `done` or the deadline; on the deadline, closes the socket
  // and lets the cancelled operations finish. Returns false on timeout.
  bool run(const bool& done, Duration timeout) {
    io.restart();
    io.run_for(timeout);
    if (done) return true;
    beast::error_code ignored;
    socket.close(ignored);
    io.restart();
    io.run();
    return false;
  }

  // Writes `bytes` while reading the response, so that a server that answers before the
  // request is all sent (413) is heard. The reply is what counts.
  std::optional<HttpReply> exchange(std::string_view bytes, Duration timeout, std::string* error) {
    bool read_done = false;
    bool write_done = false;
    beast::error_code read_error;
    beast::error_code write_error;
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{1} << 30);
    asio::async_write(socket, asio::buffer(bytes.data(), bytes.size()),
                      [&](beast::error_code ec, std::size_t) {
                        write_error = ec;
                        write_done = true;
                      });
    http::async_read(socket, buffer, parser, [&](beast::error_code ec, std::size_t) {
      read_error = ec;
      read_done = true;
      // What the server no longer wants of the request is not sent.
      beast::error_code ignored;
      if (!write_done) socket.cancel(ignored);
    });
    if (!run(read_done, timeout)) {
      if (error) *error = "no answer in time";
      return std::nullopt;
    }
    if (read_error) {
      if (error) *error = read_error.message() + (write_error ? " (write: " + write_error.message() + ")" : "");
      return std::nullopt;
    }
    HttpReply reply;
    auto& res = parser.get();
    reply.status = static_cast<int>(res.result_int());
    for (const auto& field : res) reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    reply.body = std::move(res.body());
    return reply;
  }
};

RawHttpConnection::RawHttpConnection(std::uint16_t port, const std::string& source_address)
    : state_(std::make_unique<State>()) {
  auto& socket = state_->socket;
  socket.open(tcp::v4());
  socket.bind(tcp::endpoint(asio::ip::make_address(source_address), 0));
  bool done = false;
  beast::error_code result;
  socket.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
    result = ec;
    done = true;
  });
  if (!state_->run(done, Duration(10'000)) || result) {
    throw std::runtime_error("cannot connect: " + (result ? result.message() : std::string("timeout")));
  }
}

RawHttpConnection::~RawHttpConnection() = default;
RawHttpConnection::RawHttpConnection(RawHttpConnection&&) noexcept = default;
RawHttpConnection& RawHttpConnection::operator=(RawHttpConnection&&) noexcept = default;

bool RawHttpConnection::write(std::string_view bytes, Duration timeout) {
  bool done = false;
  beast::error_code result;
  asio::async_write(state_->socket, asio::buffer(bytes.data(), bytes.size()), [&](beast::error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  return state_->run(done, timeout) && !result;
}

std::optional<HttpReply> RawHttpConnection::read_reply(Duration timeout, std::string* error) {
  return state_->exchange({}, timeout, error);
}

std::optional<HttpReply> RawHttpConnection::exchange(std::string_view request, Duration timeout, std::string* error) {
  return state_->exchange(request, timeout, error);
}

bool RawHttpConnection::closed_by_server(Duration timeout) {
  bool done = false;
  beast::error_code result;
  std::size_t got = 0;
  char byte = 0;
  // Bytes a parser already holds count as "something more".
  if (state_->buffer.size() > 0) return false;
  state_->socket.async_read_some(asio::buffer(&byte, 1), [&](beast::error_code ec, std::size_t n) {
    result = ec;
    got = n;
    done = true;
  });
  if (!state_->run(done, timeout)) return false;
  return got == 0 && (result == asio::error::eof || result == asio::error::connection_reset);
}

std::optional<HttpReply> HttpClient::get(const std::string& target, const HttpHeaders& headers,
                                         std::string* error) const {
  try {
    RawHttpConnection connection(port_);
    std::string request = head_of("GET", target, headers) + "\r\n";
    auto reply = connection.exchange(request, timeout_, error);
    return reply;
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    return std::nullopt;
  }
}

std::optional<HttpReply> HttpClient::post(const std::string& target, const HttpHeaders& headers, std::string body,
                                          const std::string& content_type, std::string* error) const {
  try {
    RawHttpConnection connection(port_);
    std::string request = head_of("POST", target, headers) + "Content-Type: " + content_type +
                          "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return connection.exchange(request, timeout_, error);
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    return std::nullopt;
  }
}

std::optional<HttpReply> HttpClient::request(const std::string& method, const std::string& target,
                                             const HttpHeaders& headers, const std::string& body,
                                             const std::string& content_type, std::string* error) const {
  try {
    RawHttpConnection connection(port_);
    std::string request = head_of(method, target, headers);
    if (!content_type.empty()) request += "Content-Type: " + content_type + "\r\n";
    if (method != "GET" && (!body.empty() || !content_type.empty() || method == "PATCH" || method == "POST")) {
      request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    request += "\r\n" + body;
    return connection.exchange(request, timeout_, error);
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    return std::nullopt;
  }
}

std::optional<HttpReply> HttpClient::post_chunked(const std::string& target, const HttpHeaders& headers,
                                                  const std::string& body, std::size_t chunk,
                                                  const std::string& content_type, std::string* error) const {
  try {
    RawHttpConnection connection(port_);
    std::string request =
        head_of("POST", target, headers) + "Content-Type: " + content_type + "\r\nTransfer-Encoding: chunked\r\n\r\n";
    char size[32];
    for (std::size_t at = 0; at < body.size(); at += chunk) {
      std::size_t n = std::min(chunk, body.size() - at);
      std::snprintf(size, sizeof size, "%zx\r\n", n);
      request.append(size).append(body, at, n).append("\r\n");
    }
    request += "0\r\n\r\n";
    return connection.exchange(request, timeout_, error);
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    return std::nullopt;
  }
}

}  // namespace confab::test
