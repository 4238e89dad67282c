// The app's reads beside the client's writes, against the real server: while the network
// thread is in the middle of storing events, another thread still reads the conversation,
// the list, search results and the outbox, and sends; and what the app itself wrote is in
// its next read.
#include <gtest/gtest.h>

#include "held_write.h"
#include "sdk_device.h"
#include "server_process.h"
#include "temp_dir.h"

namespace confab::test {
namespace {

constexpr const char* kGeneral = "c_general";

class StoreReadsE2e : public testing::Test {
 protected:
  std::unique_ptr<Device> device(const std::string& id, const std::string& token, std::filesystem::path db) {
    auto d = std::make_unique<Device>(id, std::move(db));
    EXPECT_TRUE(d->client->connect(server_.url(), token).ok());
    EXPECT_TRUE(d->wait_for_state(ConnectionState::connected)) << id;
    return d;
  }

  static Seq synced(Device& d) {
    auto info = d.client->conversation(kGeneral);
    return info.ok() ? info->synced_seq : -1;
  }

  TempDir dir_;
  ServerProcess server_{dir_.path() / "server"};
};

TEST_F(StoreReadsE2e, TheAppReadsAndSendsWhileTheNetworkThreadIsStoringEvents) {
  auto bob = device("bob-phone", "token-bob", ":memory:");
  for (int i = 0; i < 250; ++i) ASSERT_TRUE(bob->client->send(kGeneral, "before " + std::to_string(i)).ok());
  ASSERT_TRUE(bob->wait_for_outbox(250));
  auto alice = device("alice-phone", "token-alice", dir_.path() / "alice.db");
  ASSERT_TRUE(alice->wait_for_store([&] { return synced(*alice) == 250; }));
  ASSERT_EQ(alice->client->search("before").value().size(), 50u);  // the index is complete

  // Alice's network thread stores Bob's next message, and is held inside that write.
  HeldWrite held(dir_.path() / "alice.db.cache");
  held.arm();
  ASSERT_TRUE(bob->client->send(kGeneral, "while held").ok());
  ASSERT_TRUE(held.wait_until_held()) << "alice never stored bob's message";
  {
    Beside beside(held);
    auto page = beside.call([&] { return alice->client->messages(kGeneral); });
    ASSERT_TRUE(page) << "messages() waited for the network thread's write";
    ASSERT_EQ((*page)->messages.size(), 50u);
    EXPECT_EQ((*page)->messages.back().seq, 250) << "the last committed state";
    auto list = beside.call([&] { return alice->client->conversations(); });
    ASSERT_TRUE(list) << "conversations() waited for the network thread's write";
    EXPECT_TRUE(*list);
    auto found = beside.call([&] { return alice->client->search("before"); });
    ASSERT_TRUE(found) << "search() waited for the network thread's write";
    EXPECT_EQ((*found)->size(), 50u);
    auto sent = beside.call([&] { return alice->client->send(kGeneral, "mine while held"); });
    ASSERT_TRUE(sent) << "send() waited for the network thread's write";
    ASSERT_TRUE(*sent);
    auto unsent = beside.call([&] { return alice->client->unsent_messages(); });
    ASSERT_TRUE(unsent) << "unsent_messages() waited for the network thread";
    ASSERT_EQ(unsent->size(), 1u);
    EXPECT_EQ(unsent->front().local_id, (*sent)->local_id);
    auto with_echo = beside.call([&] { return alice->client->messages(kGeneral); });
    ASSERT_TRUE(with_echo);
    EXPECT_EQ((*with_echo)->messages.back().client_message_id, (*sent)->client_message_id);
    EXPECT_TRUE((*with_echo)->messages.back().local) << "its local echo";
  }
  // Released: both messages are stored, and the echo gives way to the stored copy.
  ASSERT_TRUE(alice->wait_for_store([&] { return synced(*alice) == 252; }));
  ASSERT_TRUE(alice->wait_for_outbox(1));
  auto page = alice->client->messages(kGeneral).value();
  EXPECT_EQ(page.messages.back().text, "mine while held");
  EXPECT_EQ(page.messages.back().seq, 252);
  EXPECT_FALSE(page.messages.back().local);
  EXPECT_TRUE(alice->client->unsent_messages().empty());
}

TEST_F(StoreReadsE2e, WhatTheAppWroteIsInItsNextRead) {
  auto bob = device("bob-phone", "token-bob", ":memory:");
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(bob->client->send(kGeneral, "line " + std::to_string(i)).ok());
  ASSERT_TRUE(bob->wait_for_outbox(20));
  auto alice = device("alice-phone", "token-alice", dir_.path() / "alice.db");
  ASSERT_TRUE(alice->wait_for_store([&] { return synced(*alice) == 20; }));
  for (Seq seq = 1; seq <= 20; ++seq) {
    ASSERT_TRUE(alice->client->mark_read(kGeneral, seq));
    EXPECT_EQ(alice->client->conversation(kGeneral)->unread_count, 20 - seq);
    auto listed = alice->client->conversations().value();
    for (const auto& c : listed) {
      if (c.conversation_id == kGeneral) {
        EXPECT_EQ(c.read_seq, seq);
      }
    }
  }
  for (int i = 0; i < 20; ++i) {
    auto sent = alice->client->send(kGeneral, "mine " + std::to_string(i));
    ASSERT_TRUE(sent);
    auto page = alice->client->messages(kGeneral).value();
    bool shown = false;
    for (const auto& m : page.messages) shown = shown || m.client_message_id == sent->client_message_id;
    EXPECT_TRUE(shown) << "send() " << i << " is in the next messages()";
  }
}

}  // namespace
}  // namespace confab::test
