// A sent message is shown exactly once, from send() to the server's copy: whether the ack
// or the event comes first, and across a restart between them. Driven through the real
// client (its network thread, the session, the store writer, the view the app reads)
// against a server the test plays step by step, so it decides what arrives in which order.
#include <gtest/gtest.h>

#include <algorithm>

#include "confab/client.h"
#include "played_server.h"
#include "printers.h"
#include "sdk_device.h"
#include "store/cache_store.h"
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

TEST(LocalEcho, ABubbleStoredWhileThePageIsReadIsShownOnce) {
  test::TempDir dir;
  PlayedServer server;
  test::Device device("phone", dir.path() / "outbox.db");
  connect(device, server, 0);
  auto sent = device.client->send(kConversation, "hello");
  ASSERT_TRUE(sent.ok());
  server.step([](Peer& peer) { peer.send(ack_for(peer.read("message.send"), 1)); });
  ASSERT_TRUE(wait_for_outbox_state(device, OutboxState::sent));
  // Once the page's snapshot is taken, the event is stored and its echo given up: the
  // page has no stored copy, so the echo must have been taken before it.
  bool armed = true;
  bool stored_meanwhile = false;
  store::CacheStore::set_test_hooks({.in_write = {}, .in_read = [&](const std::filesystem::path&) {
                                       if (!std::exchange(armed, false)) return;
                                       server.step([id = sent->client_message_id](Peer& peer) {
                                         peer.send(created(1, id, "alice", "hello"));
                                       });
                                       stored_meanwhile = wait_for_stored(device, 1);
                                     }});
  auto shown = timeline(device);
  store::CacheStore::set_test_hooks({});
  ASSERT_FALSE(armed);
  ASSERT_TRUE(stored_meanwhile);
  expect_one_bubble(shown, sent->client_message_id, true, "stored while the page was read");
  expect_one_bubble(timeline(device), sent->client_message_id, false, "read after");
}

// unsent_messages() answers from the client's own copy of the outbox's rows (it never
// waits for the network thread): the copy must follow every state change.
TEST(LocalEcho, UnsentMessagesFollowTheOutboxThroughAcksRefusalsRetriesAndARestart) {
  test::TempDir dir;
  auto states = [](test::Device& device) {
    std::vector<std::pair<OutboxKind, OutboxState>> out;
    for (const auto& m : device.client->unsent_messages()) out.emplace_back(m.kind, m.state);
    return out;
  };
  using K = OutboxKind;
  using S = OutboxState;
  {
    test::Device device("phone", dir.path() / "outbox.db");
    auto one = device.client->send(kConversation, "one");
    auto two = device.client->send(kConversation, "two");
    ASSERT_TRUE(one.ok() && two.ok());
    ASSERT_TRUE(device.client->send(kConversation, "three").ok());
    ASSERT_TRUE(device.client->react(MessageRef::local(one->local_id), "👍").ok());
    using V = std::vector<std::pair<K, S>>;
    EXPECT_EQ(states(device), (V{{K::message, S::pending}, {K::message, S::pending}, {K::message, S::pending},
                                 {K::react, S::pending}}));

    PlayedServer server;
    connect(device, server, 0);
    nlohmann::json first, second;
    server.step([&](Peer& peer) {
      first = peer.read("message.send");
      second = peer.read("message.send");
      peer.read("message.send");
    });
    ASSERT_TRUE(server.wait_for_steps());
    ASSERT_TRUE(device.outbox.wait_until([](const std::vector<LocalMessage>& seen) {
      return std::count_if(seen.begin(), seen.end(), [](const auto& m) { return m.state == S::sending; }) >= 3;
    }));
    EXPECT_EQ(states(device), (V{{K::message, S::sending}, {K::message, S::sending}, {K::message, S::sending},
                                 {K::react, S::pending}}));

    server.step([&](Peer& peer) {
      peer.send(ack_for(first, 1));
      peer.read("reaction.add");
      peer.send(protocol::ErrorFrame{second["id"].get<std::string>(), Error::make(ErrorCode::forbidden, "no"), "", ""});
    });
    ASSERT_TRUE(server.wait_for_steps());
    ASSERT_TRUE(device.outbox.wait_until(
        [](const std::vector<LocalMessage>& seen) { return !seen.empty() && seen.back().state == S::failed; }));
    EXPECT_EQ(states(device), (V{{K::message, S::failed}, {K::message, S::sending}, {K::react, S::sending}}));

    ASSERT_TRUE(device.client->retry(two->local_id).ok());
    ASSERT_TRUE(device.outbox.wait_until([&](const std::vector<LocalMessage>& seen) {
      return !seen.empty() && seen.back().local_id == two->local_id && seen.back().state != S::failed;
    }));
    auto after_retry = states(device);
    ASSERT_EQ(after_retry.size(), 3u);
    EXPECT_NE(after_retry[0].second, S::failed) << "retried";
  }  // gone with rows on the wire

  test::Device device("phone", dir.path() / "outbox.db");
  auto restored = device.client->unsent_messages();
  ASSERT_EQ(restored.size(), 3u);
  for (const auto& m : restored) EXPECT_EQ(m.state, S::pending) << "local id " << m.local_id;
}

}  // namespace
}  // namespace confab
