#include "net/tls.h"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

namespace confab::net {

namespace asio = boost::asio;

Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const std::string& ca_pem) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1,
                       ec);
  context->set_verify_mode(asio::ssl::verify_peer, ec);
  if (ca_pem.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) return Error::make(ErrorCode::transport, "cannot load the system's CA store: " + ec.message());
  } else {
    context->add_certificate_authority(asio::buffer(ca_pem), ec);
    if (ec) return Error::make(ErrorCode::invalid_argument, "tls_ca_pem is not a PEM certificate: " + ec.message());
  }
  return context;
}

Result<void> prepare_tls_stream(TlsStream& stream, const std::string& host) {
  // SSL_set_tlsext_host_name, without its C cast. SNI carries names, not addresses.
  boost::system::error_code not_an_address;
  asio::ip::make_address(host, not_an_address);
  if (not_an_address && SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                                 const_cast<char*>(host.c_str())) != 1) {
    return Error::make(ErrorCode::transport, "cannot set the TLS server name " + host);
  }
  stream.set_verify_callback(asio::ssl::host_name_verification(host));
  return {};
}

}  // namespace confab::net
