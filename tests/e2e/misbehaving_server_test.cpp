// The client against a server that breaks the protocol: it must drop the connection with
// a clear error and keep its unacknowledged messages, never crash or hang.
#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "confab/client.h"
#include "protocol/protocol.h"
#include "printers.h"
#include "recorder.h"
#include "scripted_server.h"

namespace confab {
namespace {

using test::ScriptedServer;

// Reads the client's auth frame and accepts it.
void accept_auth(ScriptedServer::Socket& ws) {
  boost::beast::flat_buffer buffer;
  ws.read(buffer);
  ws.text(true);
  ws.write(boost::asio::buffer(protocol::encode(
      protocol::ServerFrame{protocol::AuthOk{"auth", "alice", "dev", 1, 0, 65536, 16384}})));
  buffer.clear();
  ws.read(buffer);  // conversations.list
  ws.write(boost::asio::buffer(protocol::encode(protocol::ServerFrame{protocol::Conversations{"conversations", {}, {}}})));
}

// Reads until the client closes.
void drain(ScriptedServer::Socket& ws) {
  for (;;) {
    boost::beast::flat_buffer buffer;
    ws.read(buffer);
  }
}

struct Observed {
  explicit Observed(Client& client)
      : connection_(client.on_connection([this](const ConnectionChange& c) { changes.add(c); })),
        outbox_(client.on_outbox([this](const LocalMessage& m) { outbox.add(m); })) {}

  Error disconnect_reason() {
    EXPECT_TRUE(changes.wait_until([](const std::vector<ConnectionChange>& all) {
      return !all.empty() && all.back().state == ConnectionState::disconnected;
    }));
    auto last = changes.items().back();
    return last.error.value_or(Error{});
  }

  test::Recorder<ConnectionChange> changes;
  test::Recorder<LocalMessage> outbox;

 private:
  Subscription connection_;
  Subscription outbox_;
};

std::unique_ptr<Client> open_client() {
  ClientOptions options;
  options.device_id = "dev";
  options.database_path = ":memory:";
  options.allow_insecure_transport = true;
  return Client::open(options).value();
}

TEST(MisbehavingServer, MalformedJsonEndsTheConnectionAndKeepsTheMessagePending) {
  ScriptedServer server([](ScriptedServer::Socket& ws) {
    accept_auth(ws);
    boost::beast::flat_buffer buffer;
    ws.read(buffer);  // the client's message.send, never acknowledged
    ws.write(boost::asio::buffer(std::string("{\"type\": \"message.ack\", ")));
    drain(ws);
  });
  auto client = open_client();
  Observed observed(*client);
  ASSERT_TRUE(client->send("c_general", "keep me").ok());
  ASSERT_TRUE(client->connect(server.url(), "token").ok());

  Error reason = observed.disconnect_reason();
  EXPECT_EQ(reason.code, ErrorCode::bad_frame) << describe(reason);
  ASSERT_TRUE(observed.outbox.wait_until([](const std::vector<LocalMessage>& changes) {
    return !changes.empty() && changes.back().state == OutboxState::pending && changes.back().last_error;
  }));
  EXPECT_EQ(observed.outbox.items().back().text, "keep me");
}

TEST(MisbehavingServer, ABinaryFrameEndsTheConnectionAsAProtocolError) {
  ScriptedServer server([](ScriptedServer::Socket& ws) {
    accept_auth(ws);
    ws.binary(true);
    ws.write(boost::asio::buffer(std::string("\x01\x02\x03", 3)));
    drain(ws);
  });
  auto client = open_client();
  Observed observed(*client);
  ASSERT_TRUE(client->connect(server.url(), "token").ok());
  Error reason = observed.disconnect_reason();
  EXPECT_EQ(reason.code, ErrorCode::bad_frame) << describe(reason);
}

TEST(MisbehavingServer, AServerThatNeverUpgradesTimesOut) {
  // Accepts TCP but never answers the upgrade request.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  ClientOptions options;
  options.device_id = "dev";
  options.database_path = ":memory:";
  options.allow_insecure_transport = true;
  options.connect_step_timeout = std::chrono::milliseconds(200);
  auto client = Client::open(options).value();
  Observed observed(*client);
  ASSERT_TRUE(client->connect("ws://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/", "t").ok());
  Error reason = observed.disconnect_reason();
  EXPECT_EQ(reason.code, ErrorCode::timeout) << describe(reason);
  EXPECT_TRUE(reason.retryable);
}

TEST(ClientTransport, OffersCompressionInItsUpgradeRequest) {
  ScriptedServer server([](ScriptedServer::Socket& ws) {
    accept_auth(ws);
    drain(ws);
  });
  auto client = open_client();
  Observed observed(*client);
  ASSERT_TRUE(client->connect(server.url(), "token").ok());
  ASSERT_TRUE(observed.changes.wait_until([](const std::vector<ConnectionChange>& all) {
    return !all.empty() && all.back().state == ConnectionState::connected;
  }));
  EXPECT_NE(server.offered_extensions().find("permessage-deflate"), std::string::npos)
      << server.offered_extensions();
}

}  // namespace
}  // namespace confab
