#include "net/http_client.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "net/tls.h"
#include "protocol/protocol.h"

namespace confab::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using Json = nlohmann::json;

constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
constexpr std::int64_t kMaxRetryAfterMs = 24LL * 60 * 60 * 1000;

// A name lookup in progress; shared with its completion handler, which may outlive the
// request (getaddrinfo cannot be interrupted: its late result is dropped).
struct Lookup {
  explicit Lookup(asio::any_io_executor ex) : resolver(ex), deadline(ex) {}
  tcp::resolver resolver;
  asio::steady_timer deadline;
  tcp::resolver::results_type results;
  beast::error_code ec;
  bool done = false;
};

awaitable<tcp::resolver::results_type> resolve(const HttpUrl& url, std::chrono::milliseconds timeout,
                                               beast::error_code& ec) {
  auto lookup = std::make_shared<Lookup>(co_await asio::this_coro::executor);
  lookup->deadline.expires_after(timeout);
  lookup->resolver.async_resolve(url.host, url.port, [lookup](beast::error_code e, tcp::resolver::results_type r) {
    lookup->ec = e;
    lookup->results = std::move(r);
    lookup->done = true;
    lookup->deadline.cancel();
  });
  beast::error_code wait_ec;
  co_await lookup->deadline.async_wait(asio::redirect_error(use_awaitable, wait_ec));
  if (!lookup->done) {
    lookup->resolver.cancel();
    ec = beast::error::timeout;
    co_return tcp::resolver::results_type{};
  }
  ec = lookup->ec;
  co_return lookup->results;
}

Error step_failed(const std::string& step, const beast::error_code& ec, std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout) {
    return Error::make(ErrorCode::timeout, step + " timed out after " + std::to_string(timeout.count()) + " ms");
  }
  return Error::make(ErrorCode::transport, step + " failed: " + ec.message());
}

// Seconds in a Retry-After header (the HTTP-date form is ignored), as milliseconds.
std::int64_t retry_after_ms(std::string_view header) {
  std::int64_t seconds = 0;
  auto [end, ec] = std::from_chars(header.data(), header.data() + header.size(), seconds);
  if (ec != std::errc() || end != header.data() + header.size() || seconds < 0) return 0;
  return std::min(seconds, kMaxRetryAfterMs / 1000) * 1000;
}

// Connects `stream` to the request's host (and does the TLS handshake), each step under
// its deadline.
template <class Stream>
awaitable<Result<void>> open_stream(Stream& stream, const HttpUrl& url, std::chrono::milliseconds timeout) {
  constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  beast::error_code ec;
  auto endpoints = co_await resolve(url, timeout, ec);
  if (ec) co_return step_failed("resolving " + url.host, ec, timeout);
  auto& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_after(timeout);
  co_await tcp_layer.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return step_failed("connecting to " + url.host + ":" + url.port, ec, timeout);
  tcp_layer.socket().set_option(tcp::no_delay(true), ec);
  if constexpr (kTls) {
    if (auto prepared = prepare_tls_stream(stream, url.host); !prepared) co_return prepared.error();
    tcp_layer.expires_after(timeout);
    co_await stream.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return step_failed("the TLS handshake with " + url.host, ec, timeout);
  }
  co_return Result<void>{};
}

template <class Stream>
awaitable<Result<HttpResponse>> exchange(Stream& stream, const HttpRequest& request, const HttpOptions& options) {
  const auto& url = request.url;
  const auto timeout = options.step_timeout;
  if (auto opened = co_await open_stream(stream, url, timeout); !opened) co_return opened.error();
  auto& tcp_layer = beast::get_lowest_layer(stream);
  beast::error_code ec;

  http::request<http::string_body> out{request.method == HttpMethod::post ? http::verb::post : http::verb::get,
                                       url.target, 11};
  out.set(http::field::host, host_header(url));
  out.set(http::field::user_agent, "confab-sdk");
  out.set(http::field::accept, "application/json");
  out.set(http::field::connection, "close");
  if (!request.bearer.empty()) out.set(http::field::authorization, "Bearer " + request.bearer);
  if (request.method == HttpMethod::post) {
    out.set(http::field::content_type, "application/json");
    out.body() = request.json_body;
  }
  out.prepare_payload();
  tcp_layer.expires_after(timeout);
  co_await http::async_write(stream, out, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return step_failed("sending the request to " + url.host, ec, timeout);

  // The whole answer within one step's time: a server that trickles it cannot hold on.
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(options.max_response_bytes);
  tcp_layer.expires_after(timeout);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
  tcp_layer.close();  // Connection: close; nothing else goes over it
  if (ec == http::error::body_limit || ec == http::error::header_limit) {
    co_return Error::make(ErrorCode::transport, "the answer from " + url.host + " exceeds " +
                                                    std::to_string(options.max_response_bytes) + " bytes");
  }
  if (ec) co_return step_failed("reading the answer from " + url.host, ec, timeout);

  auto& answer = parser.get();
  HttpResponse response{static_cast<int>(answer.result_int()), std::string(answer[http::field::content_type]),
                        std::move(answer.body())};
  if (response.status >= 200 && response.status < 300) co_return response;
  co_return error_from_response(response, retry_after_ms(answer[http::field::retry_after]));
}

constexpr std::size_t kPiece = 64 * 1024;
constexpr std::size_t kMaxErrorBody = 64 * 1024;

template <class Stream>
awaitable<Result<TransferResponse>> transfer_over(Stream& stream, const TransferRequest& request,
                                                  const HttpOptions& options) {
  const auto& url = request.url;
  const auto timeout = options.step_timeout;
  auto& tcp_layer = beast::get_lowest_layer(stream);
  auto cancelled = [&] { return Error::make(ErrorCode::cancelled, "the transfer was cancelled"); };
  if (request.control) {
    request.control->on_cancel([&tcp_layer] {
      beast::error_code ignored;
      tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ignored);
      tcp_layer.socket().close(ignored);
    });
  }
  struct Forget {
    const std::shared_ptr<TransferControl>& control;
    ~Forget() {
      if (control) control->on_cancel(nullptr);
    }
  } forget{request.control};
  auto is_cancelled = [&] { return request.control && request.control->cancelled(); };

  if (auto opened = co_await open_stream(stream, url, timeout); !opened) {
    co_return is_cancelled() ? cancelled() : opened.error();
  }
  if (is_cancelled()) co_return cancelled();

  beast::error_code ec;
  // The head, then the body in pieces.
  http::request<http::buffer_body> out{http::string_to_verb(request.method), url.target, 11};
  out.set(http::field::host, host_header(url));
  out.set(http::field::user_agent, "confab-sdk");
  out.set(http::field::connection, "close");
  if (!request.bearer.empty()) out.set(http::field::authorization, "Bearer " + request.bearer);
  for (const auto& [name, value] : request.headers) out.set(name, value);
  const bool from_file = !request.body_file.empty();
  const std::int64_t body_length = from_file ? request.body_length : static_cast<std::int64_t>(request.body.size());
  if (from_file || !request.body.empty() || request.method == "POST" || request.method == "PATCH") {
    out.set(http::field::content_type, request.content_type);
    out.content_length(static_cast<std::uint64_t>(body_length));
  }
  out.body().data = nullptr;
  out.body().more = body_length > 0;
  http::request_serializer<http::buffer_body> serializer{out};
  tcp_layer.expires_after(timeout);
  co_await http::async_write_header(stream, serializer, asio::redirect_error(use_awaitable, ec));
  if (is_cancelled()) co_return cancelled();
  if (ec) co_return step_failed("sending the request to " + url.host, ec, timeout);
  if (body_length > 0) {
    std::ifstream file;
    if (from_file) {
      file.open(request.body_file, std::ios::binary);
      file.seekg(request.body_offset);
      if (!file) co_return Error::make(ErrorCode::storage, "cannot read " + request.body_file.string());
    }
    std::vector<char> piece(kPiece);
    std::int64_t sent = 0;
    while (sent < body_length) {
      auto n = static_cast<std::size_t>(std::min<std::int64_t>(static_cast<std::int64_t>(kPiece), body_length - sent));
      const char* data = request.body.data() + sent;
      if (from_file) {
        file.read(piece.data(), static_cast<std::streamsize>(n));
        if (static_cast<std::size_t>(file.gcount()) != n) {
          co_return Error::make(ErrorCode::storage, "cannot read " + request.body_file.string());
        }
        data = piece.data();
      }
      out.body().data = const_cast<char*>(data);
      out.body().size = n;
      out.body().more = sent + static_cast<std::int64_t>(n) < body_length;
      tcp_layer.expires_after(timeout);
      co_await http::async_write(stream, serializer, asio::redirect_error(use_awaitable, ec));
      if (ec == http::error::need_buffer) ec = {};
      if (is_cancelled()) co_return cancelled();
      if (ec) co_return step_failed("sending the body to " + url.host, ec, timeout);
      sent += static_cast<std::int64_t>(n);
      if (from_file && request.progress) request.progress(sent);
    }
  }

  // The answer: its head, then its body in pieces, into the file (a 2xx answer with
  // response_file) or into memory (under a cap).
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(boost::none);
  tcp_layer.expires_after(timeout);
  co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
  if (is_cancelled()) co_return cancelled();
  if (ec) co_return step_failed("reading the answer from " + url.host, ec, timeout);
  TransferResponse response;
  const auto& head = parser.get();
  response.status = static_cast<int>(head.result_int());
  response.content_range = std::string(head[http::field::content_range]);
  response.sha256 = std::string(head["X-Confab-Sha256"]);
  const std::int64_t retry_after = retry_after_ms(head[http::field::retry_after]);
  const bool success = response.status >= 200 && response.status < 300;
  const bool to_file = success && !request.response_file.empty();
  std::ofstream sink;
  if (to_file) {
    sink.open(request.response_file, std::ios::binary | (response.status == 206 ? std::ios::app : std::ios::trunc));
    if (!sink) co_return Error::make(ErrorCode::storage, "cannot write " + request.response_file.string());
  }
  std::vector<char> piece(kPiece);
  std::optional<Error> cut;
  while (!parser.is_done()) {
    parser.get().body().data = piece.data();
    parser.get().body().size = piece.size();
    tcp_layer.expires_after(timeout);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    auto got = piece.size() - parser.get().body().size;
    if (got > 0) {
      if (to_file) {
        sink.write(piece.data(), static_cast<std::streamsize>(got));
        sink.flush();
        if (!sink) co_return Error::make(ErrorCode::storage, "cannot write " + request.response_file.string());
      } else if (response.body.size() + got <= (success ? options.max_response_bytes : kMaxErrorBody)) {
        response.body.append(piece.data(), got);
      } else {
        co_return Error::make(ErrorCode::transport, "the answer from " + url.host + " is too large");
      }
      response.body_bytes += static_cast<std::int64_t>(got);
      if (to_file && request.progress) request.progress(response.body_bytes);
    }
    if (is_cancelled()) co_return cancelled();
    if (ec) {
      cut = step_failed("reading the answer from " + url.host, ec, timeout);
      break;
    }
  }
  tcp_layer.close();
  if (!success && request.keep_error_answers && !cut) co_return response;
  if (!success) {
    co_return error_from_response(HttpResponse{response.status, std::string(head[http::field::content_type]), response.body},
                                  retry_after);
  }
  if (cut) co_return *cut;
  if (!parser.is_done()) co_return Error::make(ErrorCode::transport, "the answer was cut short");
  co_return response;
}

Error bad_answer(const std::string& why) {
  return Error::make(ErrorCode::bad_frame, "the bootstrap answer " + why);
}

const std::string* string_field(const Json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

Result<BootstrapSession> read_session(const std::string& body, const std::string& device_id) {
  Json json = Json::parse(body, nullptr, false);
  if (!json.is_object()) return bad_answer("is not a JSON object");
  BootstrapSession session;
  const auto* user = string_field(json, "userId");
  if (user == nullptr || !protocol::is_identifier(*user)) return bad_answer("has no valid userId");
  session.user_id = *user;
  const auto* device = string_field(json, "deviceId");
  if (device == nullptr || *device != device_id) return bad_answer("is for another device");
  session.device_id = *device;
  const auto* url = string_field(json, "websocketUrl");
  if (url == nullptr || !parse_ws_url(*url)) return bad_answer("has no usable websocketUrl");
  session.websocket_url = *url;
  const auto* token = string_field(json, "sessionToken");
  if (token == nullptr || token->empty() || token->size() > protocol::kMaxTokenBytes) {
    return bad_answer("has no valid sessionToken");
  }
  session.session_token = *token;
  auto expires = json.find("expiresAtMs");
  if (expires == json.end() || !expires->is_number_integer() || expires->get<std::int64_t>() <= 0) {
    return bad_answer("has no valid expiresAtMs");
  }
  session.expires_at_ms = expires->get<std::int64_t>();
  return session;
}

}  // namespace

awaitable<Result<HttpResponse>> http_request(HttpRequest request, HttpOptions options) {
  auto executor = co_await asio::this_coro::executor;
  if (request.url.secure) {
    if (!options.tls) co_return Error::make(ErrorCode::invalid_argument, "https:// needs a TLS context");
    TlsStream stream(executor, *options.tls);
    co_return co_await exchange(stream, request, options);
  }
  beast::tcp_stream stream(executor);
  co_return co_await exchange(stream, request, options);
}

awaitable<Result<TransferResponse>> http_transfer(TransferRequest request, HttpOptions options) {
  auto executor = co_await asio::this_coro::executor;
  if (request.url.secure) {
    if (!options.tls) co_return Error::make(ErrorCode::invalid_argument, "https:// needs a TLS context");
    TlsStream stream(executor, *options.tls);
    co_return co_await transfer_over(stream, request, options);
  }
  beast::tcp_stream stream(executor);
  co_return co_await transfer_over(stream, request, options);
}

Error error_from_response(const HttpResponse& response, std::int64_t retry_after_header_ms) {
  const int status = response.status;
  // The server's typed body, as it was sent.
  Json body = Json::parse(response.body, nullptr, false);
  if (body.is_object()) {
    const auto* code = string_field(body, "code");
    auto retryable = body.find("retryable");
    if (code != nullptr && retryable != body.end() && retryable->is_boolean()) {
      Error error;
      error.code = error_code_from_string(*code);
      error.retryable = retryable->get<bool>();
      const auto* message = string_field(body, "message");
      error.message = message != nullptr ? message->substr(0, protocol::kMaxErrorMessageBytes) : *code;
      if (error.code == ErrorCode::unknown) error.message = *code + ": " + error.message;
      auto after = body.find("retryAfterMs");
      error.retry_after_ms = after != body.end() && after->is_number_integer()
                                 ? std::clamp(after->get<std::int64_t>(), std::int64_t{0}, kMaxRetryAfterMs)
                                 : retry_after_header_ms;
      return error;
    }
  }
  ErrorCode code = ErrorCode::invalid_field;
  if (status == 401) {
    code = ErrorCode::unauthorized;
  } else if (status == 403) {
    code = ErrorCode::forbidden;
  } else if (status == 404) {
    code = ErrorCode::not_found;
  } else if (status == 408 || status == 504) {
    code = ErrorCode::timeout;
  } else if (status == 413) {
    code = ErrorCode::frame_too_large;
  } else if (status == 429) {
    code = ErrorCode::rate_limited;
  } else if (status == 503) {
    code = ErrorCode::unavailable;
  } else if (status >= 500) {
    code = ErrorCode::internal;
  } else if (status < 400) {
    code = ErrorCode::transport;  // a redirect or an informational answer: not followed
  }
  Error error = Error::make(code, "HTTP status " + std::to_string(status));
  error.retryable = error.retryable || status >= 500 || status == 429;
  error.retry_after_ms = retry_after_header_ms;
  return error;
}

awaitable<Result<BootstrapSession>> bootstrap(BootstrapRequest request, HttpOptions options) {
  HttpRequest post;
  post.method = HttpMethod::post;
  post.url = request.base;
  if (post.url.target.find('?') != std::string::npos) {
    co_return Error::make(ErrorCode::invalid_argument, "the bootstrap URL must not have a query");
  }
  std::string prefix = post.url.target;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  post.url.target = prefix + "/v1/sessions/bootstrap";
  post.bearer = request.credential;
  post.json_body = Json{{"deviceId", request.device_id}, {"platform", request.platform}}.dump();
  auto response = co_await http_request(std::move(post), std::move(options));
  if (!response) co_return response.error();
  co_return read_session(response->body, request.device_id);
}

void start_bootstrap(asio::any_io_executor executor, BootstrapRequest request, HttpOptions options,
                     std::function<void(Result<BootstrapSession>)> done) {
  auto callback = std::make_shared<std::function<void(Result<BootstrapSession>)>>(std::move(done));
  asio::co_spawn(
      executor,
      [request = std::move(request), options = std::move(options), callback]() mutable -> awaitable<void> {
        auto result = co_await bootstrap(std::move(request), std::move(options));
        if (auto callback_now = std::exchange(*callback, nullptr)) callback_now(std::move(result));
      },
      [callback](std::exception_ptr failure) {
        if (!failure) return;
        std::string what = "unknown failure";
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        if (auto callback_now = std::exchange(*callback, nullptr)) {
          callback_now(Error::make(ErrorCode::transport, "bootstrap failed: " + what));
        }
      });
}

}  // namespace confab::net
