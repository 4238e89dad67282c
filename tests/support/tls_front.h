// A TLS front for tests: accepts TLS on an ephemeral loopback port with the certificate
// it is given, and forwards the plaintext to 127.0.0.1:upstream_port (the reference
// server). What a load balancer terminating TLS does.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "test_pki.h"

namespace confab::test {

class TlsFront {
 public:
  TlsFront(std::uint16_t upstream_port, const Certificate& certificate);
  ~TlsFront();
  TlsFront(const TlsFront&) = delete;
  TlsFront& operator=(const TlsFront&) = delete;

  std::uint16_t port() const;
  // wss://HOST:PORT/ for a host name that resolves to loopback ("localhost", "127.0.0.1").
  std::string url(const std::string& host) const { return "wss://" + host + ":" + std::to_string(port()) + "/"; }

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace confab::test
