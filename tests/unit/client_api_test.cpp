// confab::Client's argument checks: bad input is refused at the call, and nothing is queued.
#include <gtest/gtest.h>

#include "confab/client.h"
#include "printers.h"
#include "recorder.h"

namespace confab {
namespace {

std::unique_ptr<Client> open_client(bool allow_insecure = true) {
  ClientOptions options;
  options.device_id = "unit-device";
  options.database_path = ":memory:";
  options.allow_insecure_transport = allow_insecure;
  auto client = Client::open(options);
  EXPECT_TRUE(client.ok());
  return std::move(client).value();
}

TEST(ClientApi, OpenRefusesBadOptions) {
  ClientOptions no_device;
  EXPECT_EQ(Client::open(no_device).error().code, ErrorCode::invalid_argument);
  ClientOptions bad_device;
  bad_device.device_id = "my phone";
  bad_device.database_path = ":memory:";
  EXPECT_EQ(Client::open(bad_device).error().code, ErrorCode::invalid_argument);
  ClientOptions no_timeout;
  no_timeout.device_id = "d";
  no_timeout.database_path = ":memory:";
  no_timeout.connect_step_timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(Client::open(no_timeout).error().code, ErrorCode::invalid_argument);
}

TEST(ClientApi, SendRefusesBadInputAndQueuesNothing) {
  auto client = open_client();
  EXPECT_EQ(client->send("c_general", "").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->send("c_general", std::string(16 * 1024 + 1, 'a')).error().code, ErrorCode::invalid_argument);
  // The limit counts the text as written in JSON, as the server does: \u0001 takes 6 bytes,
  // a quote 2. (10896 of them once made an event frame over 64 KiB.)
  EXPECT_EQ(client->send("c_general", std::string(10896, '\x01')).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->send("c_general", std::string(2731, '\x01')).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->send("c_general", std::string(8193, '"')).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->send("c_general", "bad \xC3\x28 utf8").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->send("", "hi").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->send("c general", "hi").error().code, ErrorCode::invalid_argument);

  // The next valid send is the only message in the outbox.
  auto ok = client->send("c_general", std::string(16 * 1024, 'a'));
  ASSERT_TRUE(ok.ok());
  auto unsent = client->unsent_messages();
  ASSERT_EQ(unsent.size(), 1u);
  EXPECT_EQ(unsent.front().client_message_id, ok->client_message_id);
  EXPECT_EQ(unsent.front().local_id, ok->local_id);
  EXPECT_TRUE(client->send("c_general", std::string(2730, '\x01')).ok()) << "16380 bytes written";
  EXPECT_TRUE(client->send("c_general", std::string(8192, '\\')).ok()) << "16384 bytes written";
}

TEST(ClientApi, SendReturnsTheLocalEchoAtOnce) {
  auto client = open_client();
  auto first = client->send("c_general", "one");
  auto second = client->send("c_general", "two");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->state, OutboxState::pending);
  EXPECT_EQ(first->conversation_id, "c_general");
  EXPECT_EQ(first->text, "one");
  EXPECT_GT(first->created_at_ms, 0);
  EXPECT_LT(first->client_message_id, second->client_message_id) << "ids sort in send order";
}

TEST(ClientApi, ConnectRefusesUrlsItCannotUseSafely) {
  auto careful = open_client(/*allow_insecure=*/false);
  EXPECT_EQ(careful->connect("ws://127.0.0.1:1/", "t").error().code, ErrorCode::invalid_argument)
      << "plaintext needs an explicit opt-in";
  auto client = open_client();
  EXPECT_EQ(client->connect("http://example.com/", "t").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->connect("wss://example.com/", "").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->connect("ws://127.0.0.1:1/", "").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->connection_state(), ConnectionState::initialized) << "a refused call changes nothing";
}

TEST(ClientApi, OpenRefusesACaThatIsNotPem) {
  ClientOptions options;
  options.device_id = "d";
  options.database_path = ":memory:";
  options.tls_ca_pem = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";
  auto refused = Client::open(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(refused.error().message.find("tls_ca_pem"), std::string::npos);
}

TEST(ClientApi, DestroyingAClientMidConnectWithQueuedSendsReturnsPromptly) {
  // Fails by hanging (the ctest timeout) or crashing; the sanitizer builds make the most of it.
  Subscription outlives_client;
  {
    auto client = open_client();
    outlives_client = client->on_connection([](const ConnectionChange&) {});
    ASSERT_TRUE(client->connect("ws://127.0.0.1:1/", "token").ok());
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(client->send("c_general", "bye").ok());
  }
  outlives_client.reset();
  EXPECT_FALSE(outlives_client.active());
}

}  // namespace
}  // namespace confab
