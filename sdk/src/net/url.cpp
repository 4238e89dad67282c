#include "net/url.h"

#include <charconv>

namespace confab::net {
namespace {

Error bad_url(std::string_view url, std::string_view why) {
  return Error::make(ErrorCode::invalid_argument,
                     "invalid URL '" + std::string(url) + "': " + std::string(why));
}

// `plain` and `secure` are the two schemes accepted, e.g. "ws" and "wss".
Result<Url> parse_url(std::string_view url, std::string_view plain, std::string_view secure) {
  Url out;
  std::string_view rest;
  std::string plain_prefix = std::string(plain) + "://";
  std::string secure_prefix = std::string(secure) + "://";
  if (url.starts_with(plain_prefix)) {
    rest = url.substr(plain_prefix.size());
  } else if (url.starts_with(secure_prefix)) {
    out.secure = true;
    rest = url.substr(secure_prefix.size());
  } else {
    return bad_url(url, "the scheme must be " + plain_prefix + " or " + secure_prefix);
  }
  if (rest.find_first_of("#") != std::string_view::npos) return bad_url(url, "fragments are not allowed");
  if (rest.find_first_of(" \t\r\n") != std::string_view::npos) return bad_url(url, "whitespace");

  auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.target.front() == '?') out.target.insert(out.target.begin(), '/');
  if (authority.find('@') != std::string_view::npos) return bad_url(url, "user info is not allowed");

  std::string_view port;
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad_url(url, "unterminated IPv6 literal");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(":")) return bad_url(url, "unexpected text after the host");
      port = after.substr(1);
      if (port.empty()) return bad_url(url, "empty port");
    }
  } else {
    auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return bad_url(url, "empty port");
    }
  }
  if (out.host.empty()) return bad_url(url, "missing host");

  if (port.empty()) {
    out.port = out.secure ? "443" : "80";
  } else {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return bad_url(url, "the port must be a number from 1 to 65535");
    }
    out.port = std::string(port);
  }
  return out;
}

}  // namespace

Result<WsUrl> parse_ws_url(std::string_view url) { return parse_url(url, "ws", "wss"); }

Result<HttpUrl> parse_http_url(std::string_view url) { return parse_url(url, "http", "https"); }

std::string host_header(const Url& url) {
  std::string host = url.host.find(':') == std::string::npos ? url.host : "[" + url.host + "]";
  return host + ":" + url.port;
}

}  // namespace confab::net
