// TLS for the client's connections (wss:// and https://): one verification policy for
// both. TLS 1.2 or later; the peer's chain is always verified, against the system's CAs or
// only the pinned ones; its certificate must name the host (IP addresses against IP SANs);
// SNI carries the host name.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "confab/result.h"

namespace confab::net {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// A client context trusting `ca_pem` (PEM; empty: the system's store). invalid_argument
// for a PEM that does not parse; transport when the system's store cannot be loaded.
Result<std::shared_ptr<boost::asio::ssl::context>> make_tls_context(const std::string& ca_pem);

// Before the handshake of `stream` with `host`: SNI (for host names, not addresses) and
// host name verification. Fails (transport) when OpenSSL refuses the name.
Result<void> prepare_tls_stream(TlsStream& stream, const std::string& host);

}  // namespace confab::net
