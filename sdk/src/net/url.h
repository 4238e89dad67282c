// Parsing of ws:// and wss:// URLs.
#pragma once

#include <string>
#include <string_view>

#include "confab/result.h"

namespace confab::net {

struct WsUrl {
  bool secure = false;  // wss://
  std::string host;     // without brackets for IPv6 literals
  std::string port;     // defaults to 80 / 443
  std::string target;   // path and query; "/" when empty
};

// Fails with invalid_argument for anything but ws:// or wss:// with a host, an optional
// numeric port, and an optional path. User info and fragments are refused.
Result<WsUrl> parse_ws_url(std::string_view url);

}  // namespace confab::net
