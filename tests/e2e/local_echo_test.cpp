// A sent message is shown exactly once, from send() to the server's copy: whether the ack
// or the event comes first, and across a restart between them. Driven through the real
// client (its network thread, the session, the store writer, the view the app reads)
// against a server the test plays step by step, so it decides what arrives in which order.
#include <gtest/gtest.h>

#include "confab/client.h"
#include "played_server.h"
#include "printers.h"
#include "sdk_device.h"
#include "temp_dir.h"

namespace confab {
namespace {

using test::Peer;
using test::PlayedServer;

constexpr const char* kConversation = "c_general";

protocol::Event created(Seq seq, const std::string& client_id, const std::string& sender, const std::string& text) {
  protocol::Event e;
  e.conversation_id = kConversation;
  e.conversation_seq = seq;
  e.message_id = "m" + std::to_string(seq);
  e.sender_id = sender;
  e.client_message_id = client_id;
  e.body.text = text;
  e.created_at_ms = 1'763'800'000'000;
  return e;
}

protocol::MessageAck ack_for(const nlohmann::json& send, Seq seq) {
  auto id = send["clientMessageId"].get<std::string>();
  return protocol::MessageAck{send["id"].get<std::string>(), kConversation, id, "m" + std::to_string(seq), seq};
}

std::vector<TimelineMessage> timeline(test::Device& device) {
  auto page = device.client->messages(kConversation, 0, 50);
  EXPECT_TRUE(page.ok()) << (page.ok() ? "" : describe(page.error()));
  return page.ok() ? page->messages : std::vector<TimelineMessage>{};
}

void expect_one_bubble(const std::vector<TimelineMessage>& timeline, const std::string& client_id, bool local,
                       const std::string& where) {
  ASSERT_EQ(timeline.size(), 1u) << where;
  EXPECT_EQ(timeline[0].client_message_id, client_id) << where;
  EXPECT_EQ(timeline[0].local.has_value(), local) << where;
  EXPECT_EQ(timeline[0].text, "hello") << where;
}

// Connects `device` to `server`, which accepts it with the conversation at `head`.
void connect(test::Device& device, PlayedServer& server, Seq head) {
  server.step([head](Peer& peer) { peer.accept("alice", kConversation, head); });
  ASSERT_TRUE(device.client->connect(server.url(), "token").ok());
  ASSERT_TRUE(device.wait_for_state(ConnectionState::connected));
}

bool wait_for_outbox_state(test::Device& device, OutboxState state) {
  return device.outbox.wait_until(
      [state](const std::vector<LocalMessage>& seen) { return !seen.empty() && seen.back().state == state; });
}

bool wait_for_stored(test::Device& device, Seq seq) {
  return device.wait_for_store([&] {
    auto info = device.client->conversation(kConversation);
    return info.ok() && info->synced_seq >= seq;
  });
}

TEST(LocalEcho, AckBeforeEventShowsOneBubbleThroughout) {
  test::TempDir dir;
  PlayedServer server;
  test::Device device("phone", dir.path() / "outbox.db");
  connect(device, server, 0);
  auto sent = device.client->send(kConversation, "hello");
  ASSERT_TRUE(sent.ok());
  expect_one_bubble(timeline(device), sent->client_message_id, true, "after send()");

  server.step([](Peer& peer) { peer.send(ack_for(peer.read("message.send"), 1)); });
  ASSERT_TRUE(wait_for_outbox_state(device, OutboxState::sent));
  auto shown = timeline(device);
  expect_one_bubble(shown, sent->client_message_id, true, "acked, event not stored yet");
  EXPECT_EQ(shown[0].seq, 1);
  EXPECT_EQ(shown[0].local->state, OutboxState::sent);

  server.step([id = sent->client_message_id](Peer& peer) { peer.send(created(1, id, "alice", "hello")); });
  ASSERT_TRUE(wait_for_stored(device, 1));
  shown = timeline(device);
  expect_one_bubble(shown, sent->client_message_id, false, "event stored");
  EXPECT_EQ(shown[0].message_id, "m1");
}

TEST(LocalEcho, EventBeforeAckShowsOneBubbleThroughout) {
  test::TempDir dir;
  PlayedServer server;
  test::Device device("phone", dir.path() / "outbox.db");
  connect(device, server, 0);
  auto sent = device.client->send(kConversation, "hello");
  ASSERT_TRUE(sent.ok());

  nlohmann::json send_frame;
  server.step([&send_frame, id = sent->client_message_id](Peer& peer) {
    send_frame = peer.read("message.send");
    peer.send(created(1, id, "alice", "hello"));
  });
  ASSERT_TRUE(wait_for_stored(device, 1));
  expect_one_bubble(timeline(device), sent->client_message_id, false, "event first");

  ASSERT_TRUE(server.wait_for_steps());
  server.step([&send_frame](Peer& peer) { peer.send(ack_for(send_frame, 1)); });
  ASSERT_TRUE(wait_for_outbox_state(device, OutboxState::sent));
  expect_one_bubble(timeline(device), sent->client_message_id, false, "then the ack");
}

TEST(LocalEcho, ARestartBetweenAckAndEventKeepsTheBubbleUntilTheCatchUpStoresIt) {
  test::TempDir dir;
  std::string client_id;
  {
    PlayedServer server;
    test::Device device("phone", dir.path() / "outbox.db");
    connect(device, server, 0);
    auto sent = device.client->send(kConversation, "hello");
    ASSERT_TRUE(sent.ok());
    client_id = sent->client_message_id;
    server.step([](Peer& peer) { peer.send(ack_for(peer.read("message.send"), 1)); });
    ASSERT_TRUE(wait_for_outbox_state(device, OutboxState::sent));
  }  // gone before the event came

  test::Device device("phone", dir.path() / "outbox.db");
  expect_one_bubble(timeline(device), client_id, true, "after the restart, offline");
  PlayedServer server;
  connect(device, server, 1);
  server.step([client_id](Peer& peer) {
    auto history = peer.read("history.request");
    EXPECT_EQ(history["afterSeq"], 0);
    peer.send(protocol::History{history["id"].get<std::string>(), kConversation, 1,
                                {created(1, client_id, "alice", "hello")}});
  });
  ASSERT_TRUE(wait_for_stored(device, 1));
  expect_one_bubble(timeline(device), client_id, false, "caught up");
}

TEST(LocalEcho, OthersMessagesAndDuplicatesDoNotDisturbTheOrder) {
  test::TempDir dir;
  PlayedServer server;
  test::Device device("phone", dir.path() / "outbox.db");
  connect(device, server, 0);
  auto sent = device.client->send(kConversation, "hello");
  ASSERT_TRUE(sent.ok());
  server.step([](Peer& peer) {
    auto send = peer.read("message.send");
    peer.send(created(1, "cm-bob", "bob", "first"));
    peer.send(ack_for(send, 2));
    peer.send(created(1, "cm-bob", "bob", "first"));  // delivered twice
  });
  ASSERT_TRUE(wait_for_stored(device, 1));
  ASSERT_TRUE(wait_for_outbox_state(device, OutboxState::sent));
  auto shown = timeline(device);
  ASSERT_EQ(shown.size(), 2u);
  EXPECT_EQ(shown[0].client_message_id, "cm-bob");
  EXPECT_EQ(shown[1].client_message_id, sent->client_message_id);
  EXPECT_TRUE(shown[1].local.has_value());

  server.step([id = sent->client_message_id](Peer& peer) { peer.send(created(2, id, "alice", "hello")); });
  ASSERT_TRUE(wait_for_stored(device, 2));
  shown = timeline(device);
  ASSERT_EQ(shown.size(), 2u);
  EXPECT_FALSE(shown[1].local.has_value());
  // Each event reaches on_message once; the change that counts seq 2 comes after it.
  ASSERT_TRUE(device.changes.wait_until(
      [](const std::vector<ConversationChange>& all) { return !all.empty() && all.back().synced_seq == 2; }));
  EXPECT_EQ(device.messages.items().size(), 2u) << "the duplicate is not delivered twice";
}

}  // namespace
}  // namespace confab
