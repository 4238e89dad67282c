// Certificates made at test time with OpenSSL: a throwaway CA and server certificates it
// signs, so TLS tests need no files and nothing from outside.
#pragma once

#include <string>
#include <vector>

namespace confab::test {

struct Certificate {
  std::string cert_pem;
  std::string key_pem;
};

class TestCa {
 public:
  TestCa();  // a fresh P-256 CA, valid for a day
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::string& cert_pem() const { return ca_.cert_pem; }
  // A server certificate for these subject alternative names ("DNS:localhost",
  // "IP:127.0.0.1"), signed by this CA.
  Certificate issue(const std::vector<std::string>& alt_names) const;

 private:
  Certificate ca_;
  struct Keys;
  Keys* keys_;
};

}  // namespace confab::test
