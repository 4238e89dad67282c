// Typing, presence and receipts end to end: real clients of different users, the real
// server binary, loopback sockets. Every wait is on a condition with a deadline.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "confab/client.h"
#include "fault_proxy.h"
#include "printers.h"
#include "sdk_device.h"
#include "server_process.h"
#include "temp_dir.h"

namespace confab {
namespace {

using namespace std::chrono_literals;
using test::Device;

using Names = std::vector<std::string>;

// The newest typing list a device was told of for a conversation (empty before any).
Names last_typing(const std::vector<TypingChange>& seen, const std::string& conversation_id) {
  for (auto it = seen.rbegin(); it != seen.rend(); ++it) {
    if (it->conversation_id == conversation_id) return it->user_ids;
  }
  return {};
}

// The newest status a device was told of for a user (offline before any).
PresenceStatus last_status(const std::vector<PresenceChange>& seen, const std::string& user_id) {
  for (auto it = seen.rbegin(); it != seen.rend(); ++it) {
    if (it->user_id == user_id) return it->status;
  }
  return PresenceStatus::offline;
}

bool sees_typing(Device& device, const std::string& conversation_id, const Names& who) {
  return device.typing.wait_until(
             [&](const std::vector<TypingChange>& seen) { return last_typing(seen, conversation_id) == who; }) &&
         device.client->typing_users(conversation_id) == who;
}

bool sees_status(Device& device, const std::string& user_id, PresenceStatus status) {
  return device.presence.wait_until(
             [&](const std::vector<PresenceChange>& seen) { return last_status(seen, user_id) == status; }) &&
         device.client->presence(user_id) == status;
}

// A member row's presence, as members() fills it.
std::optional<PresenceStatus> member_presence(Client& client, const std::string& conversation_id,
                                              const std::string& user_id) {
  auto members = client.members(conversation_id);
  if (!members) return std::nullopt;
  for (const auto& m : *members) {
    if (m.user_id == user_id) return m.presence;
  }
  return std::nullopt;
}

// Fast heartbeats, for a server whose presence TTL is short.
void fast_live(ClientOptions& o) { o.live.heartbeat_interval = 300ms; }

class LiveE2e : public testing::Test {
 protected:
  explicit LiveE2e(std::string config = test::default_server_config()) : server_(dir_.path(), std::move(config)) {}

  void connect(Device& device, const std::string& token, const std::string& url = {}) {
    ASSERT_TRUE(device.client->connect(url.empty() ? server_.url() : url, token).ok());
    ASSERT_TRUE(device.wait_for_state(ConnectionState::connected));
  }

  // Sends and waits for the server's ack: the message's seq.
  Seq send_acked(Device& device, const std::string& text) {
    auto sent = device.client->send("c_general", text);
    EXPECT_TRUE(sent.ok());
    if (!sent.ok()) return 0;
    Seq seq = 0;
    EXPECT_TRUE(device.outbox.wait_until([&](const std::vector<LocalMessage>& seen) {
      for (const auto& m : seen) {
        if (m.local_id == sent->local_id && m.state == OutboxState::sent) seq = m.conversation_seq;
      }
      return seq > 0;
    }));
    return seq;
  }

  // Waits until read_by(seq) of the device says `expected`.
  static bool sees_read_by(Device& device, Seq seq, const ReadBy& expected) {
    return device.wait_for_store([&] {
      auto by = device.client->read_by("c_general", seq);
      return by.ok() && *by == expected;
    });
  }

  test::TempDir dir_;
  test::ServerProcess server_;
};

// Typing ends by itself on the server after 2 s without a renewal, and presence after 1 s
// without a heartbeat.
class LiveShortTtlE2e : public LiveE2e {
 protected:
  LiveShortTtlE2e() : LiveE2e(test::server_config_with(R"("typingTtlMs": 2000, "presenceTtlMs": 1000)")) {}
};

TEST_F(LiveE2e, TypingShowsOnTheOtherDeviceAndClearsOnStopAndOnSend) {
  Device alice("alice-laptop");
  Device bob("bob-phone");
  connect(alice, "token-alice");
  connect(bob, "token-bob");

  ASSERT_TRUE(alice.client->typing("c_general").ok());
  ASSERT_TRUE(sees_typing(bob, "c_general", {"alice"}));
  EXPECT_TRUE(alice.client->typing_users("c_general").empty()) << "never this user";

  ASSERT_TRUE(alice.client->stop_typing("c_general").ok());
  ASSERT_TRUE(sees_typing(bob, "c_general", {}));

  ASSERT_TRUE(alice.client->typing("c_general").ok());
  ASSERT_TRUE(sees_typing(bob, "c_general", {"alice"}));
  ASSERT_TRUE(alice.client->send("c_general", "done typing").ok());
  ASSERT_TRUE(sees_typing(bob, "c_general", {})) << "sending the message ends the typing";
  ASSERT_TRUE(bob.messages.wait_until([](const std::vector<Message>& seen) {
    return std::any_of(seen.begin(), seen.end(), [](const Message& m) { return m.text == "done typing"; });
  }));
}

TEST_F(LiveE2e, TypingAndReceiptsRefuseBadIdsAndTypingOfflineSaysSo) {
  Device alice("alice-laptop");
  EXPECT_EQ(alice.client->typing("").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(alice.client->stop_typing("bad id!").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(alice.client->receipts("").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(alice.client->read_by("c_general", 0).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(alice.client->typing("c_general").error().code, ErrorCode::offline) << "never connected";
  connect(alice, "token-alice");
  EXPECT_EQ(alice.client->typing("c_secret").error().code, ErrorCode::invalid_argument) << "not the user's";
  EXPECT_TRUE(alice.client->typing("c_general").ok());
}

TEST_F(LiveShortTtlE2e, TypingEndsByItselfWhenTheTyperVanishes) {
  test::FaultProxy proxy(server_.port());
  std::optional<Device> alice(std::in_place, "alice-laptop", ":memory:", fast_live);
  // Bob's own deadline for others' typing is far away: only the server's TTL can end it.
  Device bob("bob-phone", ":memory:", [](ClientOptions& o) {
    fast_live(o);
    o.live.typing_ttl = 10min;
  });
  connect(*alice, "token-alice", proxy.url());
  connect(bob, "token-bob");

  ASSERT_TRUE(alice->client->typing("c_general").ok());
  ASSERT_TRUE(sees_typing(bob, "c_general", {"alice"}));
  proxy.blackhole(true);  // alice's device vanishes: no stop, no close, nothing
  EXPECT_TRUE(sees_typing(bob, "c_general", {})) << "the server ends typing that is not renewed";
  alice.reset();
}

TEST_F(LiveShortTtlE2e, PresenceGoesOnlineIdleOfflineOnTheOtherDevice) {
  test::FaultProxy proxy(server_.port());
  Device alice("alice-laptop", ":memory:", fast_live);
  Device bob("bob-phone", ":memory:", fast_live);
  connect(bob, "token-bob");
  EXPECT_EQ(bob.client->presence("alice"), PresenceStatus::offline) << "offline until known";

  connect(alice, "token-alice", proxy.url());
  ASSERT_TRUE(sees_status(bob, "alice", PresenceStatus::online));
  EXPECT_TRUE(sees_status(alice, "bob", PresenceStatus::online)) << "and the other way round";
  // A DM, whose member rows bob's app shows with their presence.
  auto dm = alice.client->open_dm("bob").wait_for(20s);
  ASSERT_TRUE(dm && dm->ok());
  std::string dm_id = (*dm)->conversation_id;
  ASSERT_TRUE(bob.wait_for_store([&] { return member_presence(*bob.client, dm_id, "alice").has_value(); }));
  EXPECT_EQ(member_presence(*bob.client, dm_id, "alice"), PresenceStatus::online);
  auto users = bob.client->users();
  ASSERT_TRUE(users.ok());
  for (const auto& u : *users) {
    if (u.user_id == "alice") {
      EXPECT_EQ(u.presence, PresenceStatus::online) << "users() rows too";
    }
  }

  alice.client->set_idle(true);
  ASSERT_TRUE(sees_status(bob, "alice", PresenceStatus::idle));
  EXPECT_EQ(member_presence(*bob.client, dm_id, "alice"), PresenceStatus::idle);
  alice.client->set_idle(false);
  ASSERT_TRUE(sees_status(bob, "alice", PresenceStatus::online));
  alice.client->app_moved_to_background();
  ASSERT_TRUE(sees_status(bob, "alice", PresenceStatus::idle)) << "in the background the user is away";
  alice.client->app_moved_to_foreground();
  ASSERT_TRUE(sees_status(bob, "alice", PresenceStatus::online));

  // Heartbeats stop arriving (a half-open connection): offline once the server's TTL passes.
  proxy.blackhole(true);
  ASSERT_TRUE(sees_status(bob, "alice", PresenceStatus::offline));
  EXPECT_EQ(member_presence(*bob.client, dm_id, "alice"), PresenceStatus::offline);
  proxy.blackhole(false);
  alice.client->disconnect();
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::closed));
  EXPECT_TRUE(sees_status(alice, "bob", PresenceStatus::offline)) << "disconnected: everyone is offline, reported";

  connect(alice, "token-alice", proxy.url());
  ASSERT_TRUE(sees_status(bob, "alice", PresenceStatus::online));
  alice.client->disconnect();
  EXPECT_TRUE(sees_status(bob, "alice", PresenceStatus::offline)) << "a closed connection counts at once";
}

// Presence fans out only through conversations of at most 2 members: c_general (3) does
// not, so alice learns carol's presence only by asking.
class LiveSmallFanoutE2e : public LiveE2e {
 protected:
  LiveSmallFanoutE2e() : LiveE2e(test::server_config_with(R"("presenceFanoutLimit": 2)")) {}
};

TEST_F(LiveSmallFanoutE2e, PresenceOfUsersOutsideTheFanOutIsAskedFor) {
  Device alice("alice-laptop");
  Device carol("carol-phone");
  auto before = alice.client->query_presence({"carol"}).wait_for(20s);
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->error().code, ErrorCode::offline);
  EXPECT_EQ(alice.client->query_presence({}).wait().error().code, ErrorCode::invalid_argument);
  connect(carol, "token-carol");
  connect(alice, "token-alice");
  EXPECT_EQ(alice.client->presence("carol"), PresenceStatus::offline) << "not pushed through a large channel";

  auto answer = alice.client->query_presence({"carol", "nobody", "carol"}).wait_for(20s);
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->ok()) << describe(answer->error());
  EXPECT_EQ(**answer, (std::vector<PresenceChange>{{"carol", PresenceStatus::online}, {"nobody", PresenceStatus::offline}}));
  EXPECT_EQ(alice.client->presence("carol"), PresenceStatus::online) << "the snapshot is kept";
}

TEST_F(LiveE2e, ReadByTwoOfThreeAndSentDeliveredReadSeenByTheSender) {
  Device alice("alice-laptop");
  Device bob("bob-phone");
  Device carol("carol-phone");
  connect(alice, "token-alice");
  connect(bob, "token-bob");
  connect(carol, "token-carol");
  ASSERT_TRUE(alice.client->receipts("c_general").ok());  // alice's app shows receipts here

  Seq seq = send_acked(alice, "did everyone see this?");  // sent
  ASSERT_GT(seq, 0);
  ASSERT_TRUE(sees_read_by(alice, seq, ReadBy{{}, {"bob", "carol"}})) << "delivered to both devices";

  ASSERT_TRUE(bob.wait_for_store([&] { return !bob.stored("c_general").empty(); }));
  ASSERT_TRUE(bob.client->mark_read("c_general", seq).ok());
  ASSERT_TRUE(sees_read_by(alice, seq, ReadBy{{"bob"}, {"carol"}})) << "read by bob: 2 of 3 with alice";

  // The row's "seen by" line is told to update.
  EXPECT_TRUE(alice.changes.wait_until([&](const std::vector<ConversationChange>& seen) {
    for (const auto& c : seen) {
      for (const auto& u : c.updated) {
        if (c.conversation_id == "c_general" && u.seq == seq && (u.flags & MessageUpdate::receipts)) return true;
      }
    }
    return false;
  }));
  // The third member sees the same. (Sending moves none of the sender's cursors.)
  EXPECT_TRUE(sees_read_by(carol, seq, ReadBy{{"bob"}, {}}));
  auto receipts = alice.client->receipts("c_general");
  ASSERT_TRUE(receipts.ok());
  for (const auto& r : *receipts) EXPECT_NE(r.user_id, "alice") << "this user is not among the receipts";
}

TEST_F(LiveE2e, ReceiptsAfterAReconnectNeverGoBackward) {
  Device alice("alice-laptop");
  Device bob("bob-phone");
  connect(alice, "token-alice");
  connect(bob, "token-bob");
  ASSERT_TRUE(alice.client->receipts("c_general").ok());

  // Every view alice's app gets of bob's read cursor, after every change it is told of.
  std::mutex mutex;
  std::vector<Seq> bob_reads;
  auto watching = alice.client->on_conversation([&](const ConversationChange&) {
    auto receipts = alice.client->receipts("c_general");
    if (!receipts) return;
    for (const auto& r : *receipts) {
      if (r.user_id != "bob") continue;
      std::lock_guard lock(mutex);
      bob_reads.push_back(r.read_seq);
    }
  });

  Seq first = send_acked(alice, "one");
  Seq second = send_acked(alice, "two");
  ASSERT_TRUE(bob.wait_for_store([&] { return bob.stored("c_general").size() >= 2; }));
  ASSERT_TRUE(bob.client->mark_read("c_general", second).ok());
  ASSERT_TRUE(sees_read_by(alice, second, ReadBy{{"bob"}, {}}));

  alice.client->disconnect();
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::closed));
  auto away = alice.client->read_by("c_general", first);
  ASSERT_TRUE(away.ok());
  EXPECT_EQ(*away, (ReadBy{{"bob"}, {}})) << "receipts are kept while disconnected";

  // Meanwhile bob writes and reads on: alice misses the pushes.
  Seq third = send_acked(bob, "three");
  ASSERT_TRUE(bob.client->mark_read("c_general", third).ok());
  // A lower cursor from bob's other device changes nothing.
  Device tablet("bob-tablet");
  connect(tablet, "token-bob");
  ASSERT_TRUE(tablet.client->mark_read("c_general", first).ok());

  connect(alice, "token-alice");
  ASSERT_TRUE(sees_read_by(alice, third, ReadBy{{"bob"}, {}})) << "asked for again after connecting";
  watching.reset();
  auto final = alice.client->receipts("c_general");
  ASSERT_TRUE(final.ok());
  std::lock_guard lock(mutex);
  ASSERT_FALSE(bob_reads.empty());
  EXPECT_TRUE(std::is_sorted(bob_reads.begin(), bob_reads.end())) << "bob's read cursor never went backward";
  EXPECT_LE(bob_reads.back(), third);
  EXPECT_EQ(*final, (std::vector<Receipt>{{"bob", third, third}}))
      << "bob's newest cursors (his tablet's lower one changed nothing); carol, with nothing delivered, is not listed";
}

TEST_F(LiveE2e, ReceiptsAreToldAsTheyMoveAndKeptInTheStoreAcrossARestart) {
  auto database = dir_.path() / "alice.db";
  Seq seq = 0;
  {
    Device alice("alice-laptop", database);
    Device bob("bob-phone");
    connect(alice, "token-alice");
    connect(bob, "token-bob");
    test::Recorder<ReceiptChange> told;
    auto on_receipts = alice.client->on_receipts([&](const ReceiptChange& r) { told.add(r); });
    seq = send_acked(alice, "read me");
    ASSERT_GT(seq, 0);
    ASSERT_TRUE(bob.wait_for_store([&] { return !bob.stored("c_general").empty(); }));
    ASSERT_TRUE(bob.client->mark_read("c_general", seq).ok());
    // Told without asking: each move of bob's cursors, the last one his read.
    ASSERT_TRUE(told.wait_until([&](const std::vector<ReceiptChange>& seen) {
      return !seen.empty() && seen.back() == ReceiptChange{"c_general", {"bob", seq, seq}};
    }));
    for (std::size_t i = 1; i < told.items().size(); ++i) {
      const auto& before = told.items()[i - 1].receipt;
      const auto& after = told.items()[i].receipt;
      if (before.user_id != after.user_id) continue;
      EXPECT_GE(after.read_seq, before.read_seq);
      EXPECT_GE(after.delivered_seq, before.delivered_seq);
    }
    auto by = alice.client->read_by("c_general", seq);
    ASSERT_TRUE(by.ok());
    EXPECT_EQ(*by, (ReadBy{{"bob"}, {}})) << "in the store when the callback runs";
  }
  // The app starts again, offline: "seen by" is shown from the store at once.
  Device alice("alice-laptop", database);
  auto by = alice.client->read_by("c_general", seq);
  ASSERT_TRUE(by.ok());
  EXPECT_EQ(*by, (ReadBy{{"bob"}, {}}));
  auto receipts = alice.client->receipts("c_general");
  ASSERT_TRUE(receipts.ok());
  EXPECT_EQ(*receipts, (std::vector<Receipt>{{"bob", seq, seq}}));
}

}  // namespace
}  // namespace confab
