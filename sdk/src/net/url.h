// Parsing of ws://, wss://, http:// and https:// URLs.
#pragma once

#include <string>
#include <string_view>

#include "confab/result.h"

namespace confab::net {

struct Url {
  bool secure = false;  // wss:// or https://
  std::string host;     // without brackets for IPv6 literals
  std::string port;     // defaults to 80 / 443
  std::string target;   // path and query; "/" when empty
};
using WsUrl = Url;
using HttpUrl = Url;

// Fails with invalid_argument for anything but ws:// or wss:// with a host, an optional
// numeric port, and an optional path. User info and fragments are refused.
Result<WsUrl> parse_ws_url(std::string_view url);
// The same for http:// and https://.
Result<HttpUrl> parse_http_url(std::string_view url);

// "host:port" for a Host header, with brackets around an IPv6 literal.
std::string host_header(const Url& url);

}  // namespace confab::net
