// The app's ClientOptions, checked and turned into what the client is built from: the
// core session's options and the TLS context.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>

#include "confab/client.h"
#include "core/session.h"
#include "net/tls.h"

namespace confab::client {

// Refuses options the client cannot work with (invalid_argument, naming the field).
Result<void> check_options(const ClientOptions& options);

core::SessionOptions session_options(const ClientOptions& options);
// The platform a bootstrap names: the option, or the system the SDK was built for.
std::string platform_of(const ClientOptions& options);

// What the client accepts as a token and as a message text (invalid_argument, saying why).
Result<void> check_token(const std::string& token);
Result<void> check_text(std::string_view text, bool files = false);

// TLS for wss:// (and https://): net/tls.h.
using net::make_tls_context;

}  // namespace confab::client
