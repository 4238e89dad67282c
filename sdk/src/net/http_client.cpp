#include "net/http_client.h"

#include <algorithm>
#include <charconv>

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

template <class Stream>
awaitable<Result<HttpResponse>> exchange(Stream& stream, const HttpRequest& request, const HttpOptions& options) {
  constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  const auto& url = request.url;
  const auto timeout = options.step_timeout;
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
