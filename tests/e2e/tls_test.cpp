// wss://: the client verifies the server's certificate and host name; a pinned CA
// replaces the system's store. The server sits behind a TLS front, as behind a load
// balancer, with certificates made for each test.
#include <gtest/gtest.h>

#include "printers.h"
#include "sdk_device.h"
#include "server_process.h"
#include "temp_dir.h"
#include "test_pki.h"
#include "tls_front.h"

namespace confab {
namespace {

using namespace std::chrono_literals;

class Tls : public testing::Test {
 protected:
  // A client that trusts `ca_pem` (the system's store when empty) and refuses ws://.
  std::unique_ptr<test::Device> device(const std::string& ca_pem) {
    return std::make_unique<test::Device>("alice-phone", ":memory:", [ca_pem](ClientOptions& o) {
      o.allow_insecure_transport = false;
      o.tls_ca_pem = ca_pem;
      o.connect_step_timeout = 2s;
    });
  }

  // The first attempt's outcome: connected, or the error it was dropped with.
  static std::optional<Error> first_outcome(test::Device& d) {
    EXPECT_TRUE(d.connection.wait_until([](const std::vector<ConnectionChange>& all) {
      return !all.empty() && (all.back().state == ConnectionState::connected ||
                              all.back().state == ConnectionState::disconnected);
    }));
    auto last = d.connection.items().back();
    if (last.state == ConnectionState::connected) return std::nullopt;
    return last.error;
  }

  test::TempDir dir_;
  test::ServerProcess server_{dir_ / "server"};
  test::TestCa ca_;
};

TEST_F(Tls, ConnectsAndSendsThroughTlsWithThePinnedCa) {
  test::TlsFront front(server_.port(), ca_.issue({"DNS:localhost", "IP:127.0.0.1"}));
  auto alice = device(ca_.cert_pem());
  ASSERT_TRUE(alice->client->connect(front.url("localhost"), "token-alice").ok());
  auto outcome = first_outcome(*alice);
  ASSERT_FALSE(outcome.has_value()) << describe(*outcome);
  ASSERT_TRUE(alice->client->send("c_general", "over TLS").ok());
  ASSERT_TRUE(alice->wait_for_outbox(1));

  auto by_address = device(ca_.cert_pem());
  ASSERT_TRUE(by_address->client->connect(front.url("127.0.0.1"), "token-alice").ok());
  auto second = first_outcome(*by_address);
  EXPECT_FALSE(second.has_value()) << "an IP address is checked against the IP SANs: " << describe(*second);
}

TEST_F(Tls, RefusesACertificateForAnotherHostName) {
  test::TlsFront front(server_.port(), ca_.issue({"DNS:chat.example.org"}));
  auto alice = device(ca_.cert_pem());
  ASSERT_TRUE(alice->client->connect(front.url("localhost"), "token-alice").ok());
  auto outcome = first_outcome(*alice);
  ASSERT_TRUE(outcome.has_value()) << "connected to a server whose certificate names another host";
  EXPECT_EQ(outcome->code, ErrorCode::transport);
  EXPECT_NE(outcome->message.find("certificate verify failed"), std::string::npos) << outcome->message;
  EXPECT_NE(outcome->message.find("TLS handshake"), std::string::npos) << outcome->message;
}

TEST_F(Tls, RefusesACertificateFromAnUntrustedCa) {
  test::TestCa stranger;
  test::TlsFront front(server_.port(), stranger.issue({"DNS:localhost"}));
  auto alice = device(ca_.cert_pem());
  ASSERT_TRUE(alice->client->connect(front.url("localhost"), "token-alice").ok());
  auto outcome = first_outcome(*alice);
  ASSERT_TRUE(outcome.has_value()) << "connected to a server signed by a CA it does not trust";
  EXPECT_NE(outcome->message.find("TLS handshake"), std::string::npos) << outcome->message;
}

TEST_F(Tls, TheSystemStoreDoesNotTrustATestCa) {
  test::TlsFront front(server_.port(), ca_.issue({"DNS:localhost"}));
  auto alice = device("");
  ASSERT_TRUE(alice->client->connect(front.url("localhost"), "token-alice").ok());
  auto outcome = first_outcome(*alice);
  ASSERT_TRUE(outcome.has_value());
  EXPECT_NE(outcome->message.find("TLS handshake"), std::string::npos) << outcome->message;
}

}  // namespace
}  // namespace confab
