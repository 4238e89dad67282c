#include "http_message.h"

#include <nlohmann/json.hpp>

namespace confab::server {

std::string_view HttpRequest::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view HttpRequest::query() const {
  std::string_view t = target;
  auto mark = t.find('?');
  return mark == std::string_view::npos ? std::string_view() : t.substr(mark + 1);
}

int http_status_of(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_field:
    case ErrorCode::bad_frame: return 400;
    case ErrorCode::unauthorized:
    case ErrorCode::token_expired: return 401;
    case ErrorCode::forbidden: return 403;
    case ErrorCode::not_member:
    case ErrorCode::not_found: return 404;
    case ErrorCode::frame_too_large: return 413;
    case ErrorCode::rate_limited: return 429;
    case ErrorCode::unavailable: return 503;
    default: return 500;
  }
}

HttpResponse error_response(const Error& error) { return error_response(http_status_of(error.code), error); }

HttpResponse error_response(int status, const Error& error) {
  HttpResponse res;
  res.status = status;
  nlohmann::json body{{"code", std::string(to_string(error.code))},
                      {"retryable", error.retryable},
                      {"message", error.message}};
  if (error.retry_after_ms > 0) body["retryAfterMs"] = error.retry_after_ms;
  res.body = body.dump();
  return res;
}

}  // namespace confab::server
