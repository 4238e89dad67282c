// End to end through the SDK: real clients, the real server binary, loopback sockets.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "confab/client.h"
#include "printers.h"
#include "sdk_device.h"
#include "server_process.h"
#include "temp_dir.h"
#include "ws_probe.h"

namespace confab {
namespace {

using test::Device;

class ClientExchange : public testing::Test {
 protected:
  test::TempDir dir_;
  test::ServerProcess server_{dir_.path()};
};

TEST_F(ClientExchange, TwoMembersSeeEveryMessageInTheSameGapFreeOrder) {
  Device alice("alice-laptop");
  Device bob("bob-phone");
  ASSERT_TRUE(alice.client->connect(server_.url(), "token-alice").ok());
  ASSERT_TRUE(bob.client->connect(server_.url(), "token-bob").ok());
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::connected));
  ASSERT_TRUE(bob.wait_for_state(ConnectionState::connected));

  constexpr int kEach = 100;
  for (int i = 0; i < kEach; ++i) {
    ASSERT_TRUE(alice.client->send("c_general", "alice " + std::to_string(i)).ok());
    ASSERT_TRUE(bob.client->send("c_general", "bob " + std::to_string(i)).ok());
  }
  ASSERT_TRUE(alice.messages.wait_for_count(2 * kEach)) << alice.messages.items().size() << " arrived";
  ASSERT_TRUE(bob.messages.wait_for_count(2 * kEach)) << bob.messages.items().size() << " arrived";

  auto seen_by_alice = alice.messages.items();
  auto seen_by_bob = bob.messages.items();
  ASSERT_EQ(seen_by_alice.size(), 2u * kEach) << "nothing extra";
  ASSERT_EQ(seen_by_bob.size(), 2u * kEach) << "nothing extra";
  std::map<std::string, int> next_from;  // each sender's messages arrive in the order sent
  for (std::size_t i = 0; i < seen_by_alice.size(); ++i) {
    const auto& a = seen_by_alice[i];
    const auto& b = seen_by_bob[i];
    EXPECT_EQ(a.conversation_seq, static_cast<Seq>(i + 1)) << "gap-free and in order";
    EXPECT_EQ(a.message_id, b.message_id) << "both devices see the same order";
    EXPECT_EQ(a.text, b.text);
    EXPECT_EQ(a.text, a.sender_id + " " + std::to_string(next_from[a.sender_id]++));
  }
  EXPECT_EQ(next_from["alice"], kEach);
  EXPECT_EQ(next_from["bob"], kEach);

  EXPECT_TRUE(alice.wait_for_outbox(kEach, 0));
  EXPECT_TRUE(bob.wait_for_outbox(kEach, 0));
}

TEST_F(ClientExchange, AcknowledgedMessageCarriesTheSequenceTheOthersSee) {
  Device alice("alice-laptop");
  Device bob("bob-phone");
  ASSERT_TRUE(alice.client->connect(server_.url(), "token-alice").ok());
  ASSERT_TRUE(bob.client->connect(server_.url(), "token-bob").ok());
  ASSERT_TRUE(bob.wait_for_state(ConnectionState::connected));
  auto local = alice.client->send("c_release", "ship it");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->state, OutboxState::pending) << "the local echo is there at once";
  EXPECT_EQ(local->text, "ship it");

  ASSERT_TRUE(alice.outbox.wait_until([](const auto& changes) {
    return !changes.empty() && changes.back().state == OutboxState::sent;
  }));
  auto sent = alice.outbox.items().back();
  EXPECT_EQ(sent.client_message_id, local->client_message_id);
  ASSERT_TRUE(bob.messages.wait_for_count(1));
  auto received = bob.messages.items().front();
  EXPECT_EQ(received.message_id, sent.message_id);
  EXPECT_EQ(received.conversation_seq, sent.conversation_seq);
  EXPECT_EQ(received.client_message_id, local->client_message_id);
  EXPECT_EQ(received.sender_id, "alice");
  EXPECT_EQ(received.conversation_id, "c_release");
}

TEST_F(ClientExchange, MessagesQueuedBeforeConnectingGoOutOnceConnected) {
  Device alice("alice-laptop");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(alice.client->send("c_general", "early " + std::to_string(i)).ok());
  ASSERT_TRUE(alice.client->connect(server_.url(), "token-alice").ok());
  ASSERT_TRUE(alice.messages.wait_for_count(5));
  auto messages = alice.messages.items();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(messages[static_cast<std::size_t>(i)].text, "early " + std::to_string(i));
}

TEST_F(ClientExchange, SendingWhereTheUserIsNotAMemberFailsOnlyThatMessage) {
  Device carol("carol-tablet");
  // Queued before connecting: once connected, the client knows carol's conversations and
  // send() itself refuses c_release; this test is about the server's refusal.
  auto refused = carol.client->send("c_release", "let me in");
  auto fine = carol.client->send("c_general", "hello all");
  ASSERT_TRUE(refused.ok() && fine.ok());
  ASSERT_TRUE(carol.client->connect(server_.url(), "token-carol").ok());
  ASSERT_TRUE(carol.wait_for_outbox(1, 1));
  for (const auto& change : carol.outbox.items()) {
    if (change.state != OutboxState::failed) continue;
    EXPECT_EQ(change.client_message_id, refused->client_message_id);
    ASSERT_TRUE(change.last_error.has_value());
    EXPECT_EQ(change.last_error->code, ErrorCode::not_member);
    EXPECT_FALSE(change.last_error->retryable);
  }
  EXPECT_EQ(carol.client->connection_state(), ConnectionState::connected) << "the connection stays up";
}

TEST_F(ClientExchange, AUserInvitedWhileConnectedCanSendThereAtOnceAndNotAfterLeaving) {
  Device carol("carol-tablet");
  ASSERT_TRUE(carol.client->connect(server_.url(), "token-carol").ok());
  ASSERT_TRUE(carol.wait_for_state(ConnectionState::connected));
  auto before = carol.client->send("c_release", "too early");
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.error().code, ErrorCode::invalid_argument) << "not one of carol's conversations yet";

  test::WsProbe alice(server_.port());
  alice.authenticate("token-alice");
  alice.send_text(R"({"type":"conversation.invite","id":"i","conversationId":"c_release","userIds":["carol"]})");
  ASSERT_EQ(alice.read_json()["type"], "conversation");
  ASSERT_TRUE(carol.messages.wait_until([](const std::vector<Message>& seen) {
    return !seen.empty() && seen.back().kind == EventKind::member_joined && seen.back().member_id == "carol";
  }));
  auto after = carol.client->send("c_release", "thanks for the invite");
  ASSERT_TRUE(after.ok()) << describe(after.error());
  ASSERT_TRUE(carol.wait_for_outbox(1));

  // carol leaves from another device; her client hears of it like any member.
  test::WsProbe carol_probe(server_.port());
  carol_probe.authenticate("token-carol", "carol-probe");
  carol_probe.send_text(R"({"type":"conversation.leave","id":"l","conversationId":"c_release"})");
  // Events may come first: carol's own message can still be on its way to her devices.
  auto left = carol_probe.read_json();
  while (left["type"] == "event") left = carol_probe.read_json();
  ASSERT_EQ(left["type"], "conversation") << left.dump();
  ASSERT_TRUE(carol.messages.wait_until([](const std::vector<Message>& seen) {
    return !seen.empty() && seen.back().kind == EventKind::member_left && seen.back().member_id == "carol";
  }));
  auto gone = carol.client->send("c_release", "still here?");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::invalid_argument);
}

TEST_F(ClientExchange, TheConversationListAndTheMembershipsSinceAreRememberedAcrossARestart) {
  auto db = dir_.path() / "carol.db";
  {
    Device carol("carol-tablet", db);
    ASSERT_TRUE(carol.client->connect(server_.url(), "token-carol").ok());
    ASSERT_TRUE(carol.wait_for_state(ConnectionState::connected));
    test::WsProbe alice(server_.port());
    alice.authenticate("token-alice");
    alice.send_text(R"({"type":"conversation.invite","id":"i","conversationId":"c_release","userIds":["carol"]})");
    ASSERT_EQ(alice.read_json()["type"], "conversation");
    ASSERT_TRUE(carol.messages.wait_until([](const std::vector<Message>& seen) {
      return !seen.empty() && seen.back().kind == EventKind::member_joined && seen.back().member_id == "carol";
    }));
  }
  // Restarted, and offline: send() knows the list from the local store.
  Device carol("carol-tablet", db);
  EXPECT_TRUE(carol.client->send("c_general", "listed").ok());
  EXPECT_TRUE(carol.client->send("c_release", "joined since").ok());
  auto unknown = carol.client->send("c_nowhere", "never listed");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::invalid_argument);
  auto listed = carol.client->conversations();
  ASSERT_TRUE(listed.ok());
  std::set<std::string> ids;
  for (const auto& c : *listed) ids.insert(c.conversation_id);
  EXPECT_TRUE(ids.contains("c_release")) << "conversations() reads the same list";
}

TEST_F(ClientExchange, ARefusedTokenEndsInFailed) {
  Device mallory("mallory-pc");
  ASSERT_TRUE(mallory.client->connect(server_.url(), "token-mallory").ok());
  ASSERT_TRUE(mallory.wait_for_state(ConnectionState::failed));
  auto last = mallory.connection.items().back();
  ASSERT_TRUE(last.error.has_value());
  EXPECT_EQ(last.error->code, ErrorCode::unauthorized);
  EXPECT_EQ(mallory.client->connection_state(), ConnectionState::failed);
}

TEST_F(ClientExchange, DisconnectClosesAndUnacknowledgedMessagesWaitForTheNextConnection) {
  Device alice("alice-laptop");
  ASSERT_TRUE(alice.client->connect(server_.url(), "token-alice").ok());
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::connected));
  alice.client->disconnect();
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::closed));

  ASSERT_TRUE(alice.client->send("c_general", "written offline").ok());
  ASSERT_TRUE(alice.client->connect(server_.url(), "token-alice").ok());
  ASSERT_TRUE(alice.messages.wait_for_count(1));
  EXPECT_EQ(alice.messages.items().front().text, "written offline");
}

TEST(ClientConnection, AClosedPortReportsDisconnectedWithTheReason) {
  // A port bound but not listening refuses connections, and stays ours for the whole test
  // (a port merely closed could be taken by another test's server meanwhile).
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor bound(io);
  bound.open(boost::asio::ip::tcp::v4());
  bound.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
  std::string url = "ws://127.0.0.1:" + std::to_string(bound.local_endpoint().port()) + "/";
  Device alice("alice-laptop");
  ASSERT_TRUE(alice.client->connect(url, "token-alice").ok());
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::disconnected));
  auto last = alice.connection.items().back();
  ASSERT_TRUE(last.error.has_value());
  EXPECT_EQ(last.error->code, ErrorCode::transport);
  EXPECT_TRUE(last.error->retryable);
}

}  // namespace
}  // namespace confab
