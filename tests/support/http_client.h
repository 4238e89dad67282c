// A small HTTP/1.1 client for tests of the server's HTTP side: one connection per request,
// a deadline on the whole exchange, and the answer as it came (status, headers, body).
// A raw variant sends exactly the bytes a test gives it, from the loopback address it
// names, so that tests can send what no well-behaved client would.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace confab::test {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpReply {
  int status = 0;
  HttpHeaders headers;
  std::string body;

  // The first header of that name (case-insensitive), or "".
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

class HttpClient {
 public:
  using Duration = std::chrono::milliseconds;
  static constexpr Duration kDefaultTimeout{30'000};

  explicit HttpClient(std::uint16_t port, Duration timeout = kDefaultTimeout) : port_(port), timeout_(timeout) {}

  // nullopt when the exchange failed (refused, reset, closed early, past the deadline);
  // `error` (when given) then says why.
  std::optional<HttpReply> get(const std::string& target, const HttpHeaders& headers = {},
                               std::string* error = nullptr) const;
  std::optional<HttpReply> post(const std::string& target, const HttpHeaders& headers, std::string body,
                                const std::string& content_type, std::string* error = nullptr) const;
  std::optional<HttpReply> post(const std::string& target, std::string body, const std::string& content_type) const {
    return post(target, {}, std::move(body), content_type);
  }
  // Any method, with a body (and its Content-Length) unless it is GET or the body is empty
  // and no `content_type` is given (as for DELETE); extra headers (Range, Upload-Offset, …).
  std::optional<HttpReply> request(const std::string& method, const std::string& target, const HttpHeaders& headers,
                                   const std::string& body = {}, const std::string& content_type = {},
                                   std::string* error = nullptr) const;
  // Sends the body in chunks (Transfer-Encoding: chunked), `chunk` bytes at a time.
  std::optional<HttpReply> post_chunked(const std::string& target, const HttpHeaders& headers, const std::string& body,
                                        std::size_t chunk, const std::string& content_type,
                                        std::string* error = nullptr) const;

 private:
  std::uint16_t port_;
  Duration timeout_;
};

// Bearer authorization header.
HttpHeaders bearer(const std::string& token);

// One raw connection: what a test writes goes out unchanged.
class RawHttpConnection {
 public:
  using Duration = std::chrono::milliseconds;
  // Connects from `source_address` (any 127.x.y.z on Linux) to 127.0.0.1:port; throws on
  // failure.
  explicit RawHttpConnection(std::uint16_t port, const std::string& source_address = "127.0.0.1");
  ~RawHttpConnection();
  RawHttpConnection(RawHttpConnection&&) noexcept;
  RawHttpConnection& operator=(RawHttpConnection&&) noexcept;

  // False when the write failed (e.g. the server closed the connection).
  bool write(std::string_view bytes, Duration timeout = Duration(10'000));
  // The next response, or nullopt (`error` says why) when none arrives whole in time.
  std::optional<HttpReply> read_reply(Duration timeout = Duration(15'000), std::string* error = nullptr);
  // Writes `request` while reading the response (a server may answer before the request
  // is all sent, e.g. 413); the response is what counts.
  std::optional<HttpReply> exchange(std::string_view request, Duration timeout = Duration(30'000),
                                    std::string* error = nullptr);
  // True when the server has closed the connection (end of stream or reset) within the
  // time, having sent nothing more.
  bool closed_by_server(Duration timeout = Duration(10'000));

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace confab::test
