// HTTP/1.1 requests from the client to the server's HTTP side (bootstrap, later history
// and attachments), with Boost.Beast on the caller's executor.
//
// Each request uses a connection of its own (`Connection: close`), over plain TCP or TLS
// with exactly the verification of the WebSocket transport (net/tls.h). Every step —
// resolve, connect, TLS handshake, writing the request, reading the whole answer — has a
// deadline, and the answer is capped in size. Failures are typed Errors:
// - `timeout`: a step exceeded its deadline;
// - `transport`: the name did not resolve, the connection or TLS failed (the message
//   says which step), the answer was malformed or over the size cap;
// - any status but 2xx: the server's typed JSON body ({"code", "retryable", "message"},
//   with `retryAfterMs` or a Retry-After header) as it was sent; without one, a code from
//   the status (401 unauthorized, 403 forbidden, 404 not_found, 429 rate_limited, 503
//   unavailable, other 5xx internal, other 4xx invalid_field), retryable for 5xx and 429.
//
// Coroutines must be started on the executor of the io_context that runs them; nothing is
// shared between requests, so any number may run at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "confab/result.h"
#include "net/url.h"

namespace boost::asio::ssl {
class context;
}

namespace confab::net {

struct HttpOptions {
  std::chrono::milliseconds step_timeout{10'000};  // each step, as above
  std::size_t max_response_bytes = 1024 * 1024;    // the answer's body; its header is capped at 16 KiB
  // Required for https://: which certificates to trust (see make_tls_context).
  std::shared_ptr<boost::asio::ssl::context> tls;
};

enum class HttpMethod { get, post };

struct HttpRequest {
  HttpMethod method = HttpMethod::get;
  HttpUrl url;               // the target is the whole path and query
  std::string bearer;        // sent as `Authorization: Bearer ...` when not empty
  std::string json_body;     // POST: the body, sent as application/json
};

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

// Sends `request` and reads the answer: a 2xx response, or the Error described above.
boost::asio::awaitable<Result<HttpResponse>> http_request(HttpRequest request, HttpOptions options);

// The Error a non-2xx answer stands for (see above). Exposed for tests.
Error error_from_response(const HttpResponse& response, std::int64_t retry_after_header_ms = 0);

// ---- file transfers ----

// Stops a transfer in progress: on the io_context's thread only. cancel() closes its
// connection; the transfer then ends with `cancelled`.
class TransferControl {
 public:
  void cancel() {
    cancelled_ = true;
    if (close_) close_();
  }
  bool cancelled() const { return cancelled_; }
  // The transfer says how to close its connection (and forgets it when done).
  void on_cancel(std::function<void()> close) { close_ = std::move(close); }

 private:
  bool cancelled_ = false;
  std::function<void()> close_;
};

// A request whose body may be a range of a file, streamed, and whose 2xx answer's body may
// be appended to a file, streamed; each step's deadline applies to each piece, so a
// transfer that stalls ends in `timeout` however long it is.
struct TransferRequest {
  std::string method = "GET";  // GET, POST, PATCH, DELETE
  HttpUrl url;
  std::string bearer;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent as `content_type` unless body_file is set
  std::string content_type = "application/json";
  std::filesystem::path body_file;  // the body: body_length bytes of it from body_offset
  std::int64_t body_offset = 0;
  std::int64_t body_length = 0;
  std::filesystem::path response_file;  // a 2xx answer's body is appended here
  // The body's bytes written so far (a request with body_file), or the answer's bytes
  // appended so far (with response_file): called on the io_context's thread.
  std::function<void(std::int64_t)> progress;
  std::shared_ptr<TransferControl> control;
  // Answers that are not 2xx come back as responses (body in memory) rather than errors,
  // for a caller that reads their status (409, 416).
  bool keep_error_answers = false;
};

struct TransferResponse {
  int status = 0;
  std::string body;              // the answer's body, unless it went to response_file
  std::int64_t body_bytes = 0;   // bytes of the body received
  std::string content_range;     // Content-Range, as sent
  std::string sha256;            // X-Confab-Sha256, as sent
};

// A 200 answer replaces what response_file held; a 206 answer is appended to it.
// Errors as http_request()'s; `cancelled` after TransferControl::cancel(); `storage` when a
// file cannot be read or written. A body cut short still leaves in response_file what
// arrived (the caller resumes from there).
boost::asio::awaitable<Result<TransferResponse>> http_transfer(TransferRequest request, HttpOptions options);

// ---- bootstrap ----------------------------------------------------------------------

// A session the server issued for this device (POST /v1/sessions/bootstrap).
struct BootstrapSession {
  std::string user_id;
  std::string device_id;
  std::string websocket_url;    // ws:// or wss://, checked to parse
  std::string session_token;    // for `auth`, until expires_at_ms
  std::int64_t expires_at_ms = 0;  // Unix milliseconds
};

struct BootstrapRequest {
  HttpUrl base;            // http(s)://host[:port][/prefix]: the API lives under the prefix
  std::string credential;  // the app's long-lived credential, sent as the bearer
  std::string device_id;
  std::string platform;    // e.g. "linux", "ios"
};

// POSTs {deviceId, platform} to <base>/v1/sessions/bootstrap. Besides http_request's
// errors: `bad_frame` when the answer is not the documented object (a field missing, of
// the wrong type, an unusable websocketUrl, or a session for another device).
boost::asio::awaitable<Result<BootstrapSession>> bootstrap(BootstrapRequest request, HttpOptions options);

// The same, started on `executor`; `done` runs there with the outcome, exactly once
// (unless the io_context is stopped first).
void start_bootstrap(boost::asio::any_io_executor executor, BootstrapRequest request, HttpOptions options,
                     std::function<void(Result<BootstrapSession>)> done);

}  // namespace confab::net
