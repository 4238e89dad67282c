#include "client/client_options.h"

#include <chrono>
#include <random>

#if defined(__APPLE__)
#include <TargetConditionals.h>
#endif

#include "protocol/protocol.h"
#include "protocol/utf8.h"
#include "net/url.h"

namespace confab::client {
namespace {

Error invalid(std::string message) { return Error::make(ErrorCode::invalid_argument, std::move(message)); }

constexpr std::size_t kMaxPlatformBytes = 32;  // the server's limit

}  // namespace

Result<void> check_options(const ClientOptions& options) {
  if (!protocol::is_identifier(options.device_id)) {
    return invalid("the device id must be 1-128 characters from A-Z a-z 0-9 . _ : -");
  }
  if (options.connect_step_timeout <= std::chrono::milliseconds::zero()) {
    return invalid("connect_step_timeout must be positive");
  }
  const auto& c = options.connection;
  std::chrono::milliseconds zero{0};
  if (c.retry_base <= zero || c.retry_cap < c.retry_base || c.connection_state_ttl <= zero ||
      c.suspended_retry <= zero || c.healthy_after < zero || c.ping_interval <= zero || c.ping_timeout <= zero) {
    return invalid("connection times must be positive, and retry_cap at least retry_base");
  }
  const auto& o = options.outbox;
  if (o.window == 0) return invalid("outbox.window must be at least 1");
  if (o.ack_timeout <= std::chrono::milliseconds::zero() || o.max_age <= std::chrono::milliseconds::zero() ||
      o.retry_base <= std::chrono::milliseconds::zero() || o.retry_cap < o.retry_base) {
    return invalid("outbox times must be positive, and retry_cap at least retry_base");
  }
  if (options.database_path.empty()) {
    return invalid("database_path is empty; the outbox needs a database (\":memory:\" for tests)");
  }
  if (!options.platform.empty() && !protocol::is_identifier(options.platform, kMaxPlatformBytes)) {
    return invalid("the platform must be 1-32 characters from A-Z a-z 0-9 . _ : -");
  }
  if (options.request_timeout <= std::chrono::milliseconds::zero()) return invalid("request_timeout must be positive");
  const auto& files = options.files;
  if (files.parallel_uploads == 0 || files.parallel_downloads == 0 || files.cache_bytes < 0 ||
      files.chunk_bytes < 64 * 1024 || files.retry_base <= std::chrono::milliseconds::zero() ||
      files.retry_cap < files.retry_base) {
    return invalid("files: parallel transfers at least 1, cache_bytes not negative, chunk_bytes at least 64 KiB, "
                   "retry times positive and retry_cap at least retry_base");
  }
  if (!files.http_url.empty()) {
    auto url = net::parse_http_url(files.http_url);
    if (!url) return invalid("files.http_url: " + url.error().message);
    if (!url->secure && !options.allow_insecure_transport) {
      return invalid("files.http_url is http://, which is unencrypted; use https://, or set allow_insecure_transport");
    }
  }
  const auto& live = options.live;
  if (live.heartbeat_interval <= std::chrono::milliseconds::zero() || live.typing_renew <= std::chrono::milliseconds::zero() ||
      live.typing_idle <= std::chrono::milliseconds::zero() || live.typing_ttl <= std::chrono::milliseconds::zero()) {
    return invalid("live times must be positive");
  }
  return {};
}

std::string platform_of(const ClientOptions& options) {
  if (!options.platform.empty()) return options.platform;
#if defined(__ANDROID__)
  return "android";
#elif defined(__APPLE__) && TARGET_OS_IPHONE
  return "ios";
#elif defined(__APPLE__)
  return "macos";
#elif defined(_WIN32)
  return "windows";
#elif defined(__linux__)
  return "linux";
#else
  return "unknown";
#endif
}

core::SessionOptions session_options(const ClientOptions& o) {
  core::SessionOptions s;
  s.device_id = o.device_id;
  const auto& c = o.connection;
  s.reconnect = c.reconnect;
  s.connection.retry_base_ms = c.retry_base.count();
  s.connection.retry_cap_ms = c.retry_cap.count();
  s.connection.state_ttl_ms = c.connection_state_ttl.count();
  s.connection.suspended_retry_ms = c.suspended_retry.count();
  s.connection.healthy_after_ms = c.healthy_after.count();
  s.connection.ping_interval_ms = c.ping_interval.count();
  s.connection.ping_timeout_ms = c.ping_timeout.count();
  s.connection.auth_timeout_ms = o.connect_step_timeout.count();
  s.outbox.window = o.outbox.window;
  s.outbox.ack_timeout_ms = o.outbox.ack_timeout.count();
  s.outbox.max_age_ms = o.outbox.max_age.count();
  s.outbox.retry_base_ms = o.outbox.retry_base.count();
  s.outbox.retry_cap_ms = o.outbox.retry_cap.count();
  s.seed = std::random_device{}();
  s.request_timeout_ms = o.request_timeout.count();
  s.presence.heartbeat_ms = o.live.heartbeat_interval.count();
  s.typing.renew_ms = o.live.typing_renew.count();
  s.typing.idle_ms = o.live.typing_idle.count();
  s.typing.remote_ttl_ms = o.live.typing_ttl.count();
  return s;
}

Result<void> check_token(const std::string& token) {
  if (token.empty()) return invalid("the token is empty");
  if (token.size() > protocol::kMaxTokenBytes) return invalid("the token exceeds 4096 bytes");
  if (!utf8::is_valid(token)) return invalid("the token is not valid UTF-8");
  return {};
}

Result<void> check_text(std::string_view text, bool files) {
  if (text.empty() && !files) return invalid("the message text is empty");
  if (!utf8::is_valid(text)) return invalid("the message text is not valid UTF-8");
  // The server's rule: the text as written in JSON, escapes included.
  if (auto written = protocol::json_string_bytes(text); written > protocol::kMaxTextBytes) {
    return invalid("the message text takes " + std::to_string(written) +
                   " bytes written in JSON (escapes count); the limit is " + std::to_string(protocol::kMaxTextBytes));
  }
  return {};
}

}  // namespace confab::client
