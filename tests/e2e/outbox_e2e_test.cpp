// The outbox against the real server: what send() accepted reaches the server exactly
// once and in order, across client restarts and server restarts; refused messages fail
// alone and can be retried or discarded.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "printers.h"
#include "sdk_device.h"
#include "server_log.h"
#include "server_process.h"
#include "temp_dir.h"

namespace confab {
namespace {

using test::Device;

std::vector<std::string> numbered(const std::string& prefix, int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

class OutboxE2e : public testing::Test {
 protected:
  test::TempDir dir_;
};

TEST_F(OutboxE2e, UnsentMessagesSurviveAClientRestartAndGoOutInOrder) {
  test::ServerProcess server(dir_ / "server");
  const auto db = dir_ / "alice.db";
  std::vector<LocalMessage> queued;
  {
    Device offline("alice-phone", db);
    for (int i = 0; i < 5; ++i) queued.push_back(offline.client->send("c_general", "g" + std::to_string(i)).value());
    for (int i = 0; i < 2; ++i) queued.push_back(offline.client->send("c_release", "r" + std::to_string(i)).value());
  }  // the app quits before it ever connects

  Device alice("alice-phone", db);
  auto unsent = alice.client->unsent_messages();
  ASSERT_EQ(unsent.size(), queued.size());
  for (std::size_t i = 0; i < unsent.size(); ++i) {
    EXPECT_EQ(unsent[i].client_message_id, queued[i].client_message_id);
    EXPECT_EQ(unsent[i].state, OutboxState::pending);
  }
  ASSERT_TRUE(alice.client->connect(server.url(), "token-alice").ok());
  ASSERT_TRUE(alice.wait_for_outbox(7));
  EXPECT_TRUE(alice.client->unsent_messages().empty());

  EXPECT_EQ(test::read_server_texts(server.database(), "c_general"), numbered("g", 0, 5));
  EXPECT_EQ(test::read_server_texts(server.database(), "c_release"), numbered("r", 0, 2));
}

TEST_F(OutboxE2e, NothingIsLostOrDoubledWhenTheServerRestartsMidStream) {
  const auto db = dir_ / "alice.db";
  Device alice("alice-phone", db);
  std::optional<test::ServerProcess> server(std::in_place, dir_ / "server");
  ASSERT_TRUE(alice.client->connect(server->url(), "token-alice").ok());
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::connected));

  constexpr int kBefore = 300, kTotal = 400;
  for (int i = 0; i < kBefore; ++i) ASSERT_TRUE(alice.client->send("c_general", "m" + std::to_string(i)).ok());
  server.reset();  // SIGTERM while sends are in flight: some acked, some refused, some unread
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::disconnected));
  for (int i = kBefore; i < kTotal; ++i) ASSERT_TRUE(alice.client->send("c_general", "m" + std::to_string(i)).ok());

  server.emplace(dir_ / "server");
  ASSERT_TRUE(alice.client->connect(server->url(), "token-alice").ok());
  ASSERT_TRUE(alice.outbox.wait_until([](const std::vector<LocalMessage>& changes) {
    std::set<std::string> sent;
    for (const auto& m : changes) {
      if (m.state == OutboxState::sent) sent.insert(m.client_message_id);
    }
    return sent.size() == kTotal;
  })) << "every message acknowledged";

  auto log = test::read_server_log(server->database(), "c_general");
  EXPECT_EQ(test::texts_of(log), numbered("m", 0, kTotal)) << "each message exactly once, in send() order";
  for (std::size_t i = 0; i < log.size(); ++i) EXPECT_EQ(log[i].seq, static_cast<Seq>(i + 1));
}

TEST_F(OutboxE2e, ARefusedMessageFailsAloneAndCanBeRetriedOrDiscarded) {
  test::ServerProcess server(dir_ / "server");
  Device carol("carol-laptop", dir_ / "carol.db");  // carol is not in c_release
  // Queued before connecting, while the client does not know carol's conversations yet:
  // this test is about the server's refusal.
  auto refused = carol.client->send("c_release", "let me in").value();
  auto fine = carol.client->send("c_general", "hello").value();
  ASSERT_TRUE(carol.client->connect(server.url(), "token-carol").ok());
  ASSERT_TRUE(carol.wait_for_outbox(1, 1));

  auto unsent = carol.client->unsent_messages();
  ASSERT_EQ(unsent.size(), 1u);
  EXPECT_EQ(unsent[0].local_id, refused.local_id);
  EXPECT_EQ(unsent[0].state, OutboxState::failed);
  ASSERT_TRUE(unsent[0].last_error.has_value());
  EXPECT_EQ(unsent[0].last_error->code, ErrorCode::not_member);
  EXPECT_EQ(test::read_server_log(server.database(), "c_general").size(), 1u) << fine.text << " went on";

  ASSERT_TRUE(carol.client->retry(refused.local_id).ok());
  ASSERT_TRUE(carol.wait_for_outbox(1, 2)) << "refused again";
  EXPECT_EQ(carol.client->unsent_messages().at(0).attempts, 2);

  ASSERT_TRUE(carol.client->discard(refused.local_id).ok());
  ASSERT_TRUE(carol.outbox.wait_until([&](const std::vector<LocalMessage>& changes) {
    return changes.back().state == OutboxState::discarded && changes.back().local_id == refused.local_id;
  }));
  EXPECT_TRUE(carol.client->unsent_messages().empty());
  EXPECT_EQ(carol.client->discard(refused.local_id).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(carol.client->retry(fine.local_id).error().code, ErrorCode::invalid_argument) << "already sent";
  EXPECT_TRUE(test::read_server_log(server.database(), "c_release").empty());
}

// A message the server refused for the connection's rate holds back the connection's later
// sends to its conversation until it comes again. The app discards it (and those behind
// it) instead: the client withdraws them, and the next send goes through.
TEST_F(OutboxE2e, AMessageRefusedForTheRateAndThenDiscardedDoesNotBlockItsConversation) {
  test::ServerProcess server(dir_ / "server",
                             test::server_config_with(R"("rateLimit": {"perSecond": 0.2, "burst": 8})"));
  Device alice("alice-phone");
  ASSERT_TRUE(alice.client->connect(server.url(), "token-alice").ok());
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::connected));
  constexpr int kSent = 12;  // more than the burst: the rate refuses some
  std::vector<LocalMessage> queued;
  for (int i = 0; i < kSent; ++i) queued.push_back(alice.client->send("c_general", "m" + std::to_string(i)).value());
  // Settled for now: each one acknowledged, or refused and waiting (5 s for the rate).
  ASSERT_TRUE(alice.outbox.wait_until([&](const std::vector<LocalMessage>& changes) {
    std::map<std::int64_t, OutboxState> latest;
    for (const auto& m : changes) latest[m.local_id] = m.state;
    int waiting = 0;
    for (const auto& q : queued) {
      auto state = latest.find(q.local_id);
      if (state == latest.end() || state->second == OutboxState::sending) return false;
      waiting += state->second == OutboxState::pending;
    }
    return waiting > 0;
  }));
  auto unsent = alice.client->unsent_messages();
  ASSERT_FALSE(unsent.empty());
  ASSERT_TRUE(unsent.front().last_error.has_value());
  EXPECT_EQ(unsent.front().last_error->code, ErrorCode::rate_limited);
  // Newest first, so that none of them moves up to the head of the queue and goes out.
  for (auto m = unsent.rbegin(); m != unsent.rend(); ++m) {
    ASSERT_TRUE(alice.client->discard(m->local_id).ok()) << m->text;
  }

  auto later = alice.client->send("c_general", "after the discards").value();
  EXPECT_TRUE(alice.outbox.wait_until([&](const std::vector<LocalMessage>& changes) {
    return std::any_of(changes.begin(), changes.end(), [&](const LocalMessage& m) {
      return m.local_id == later.local_id && m.state == OutboxState::sent;
    });
  }, std::chrono::seconds(30))) << "the conversation is not held back by the discarded messages";

  auto texts = test::texts_of(test::read_server_log(server.database(), "c_general"));
  ASSERT_FALSE(texts.empty());
  EXPECT_EQ(texts.back(), "after the discards");
  EXPECT_EQ(texts.size(), static_cast<std::size_t>(kSent) - unsent.size() + 1) << "no discarded message committed";
}

TEST_F(OutboxE2e, ADiscardedMessageStaysGoneAfterARestart) {
  test::ServerProcess server(dir_ / "server");
  const auto db = dir_ / "bob.db";
  std::int64_t kept = 0;
  {
    Device bob("bob-phone", db);
    auto gone = bob.client->send("c_general", "never mind").value();
    kept = bob.client->send("c_general", "this one").value().local_id;
    ASSERT_TRUE(bob.client->discard(gone.local_id).ok());
  }
  Device bob("bob-phone", db);
  auto unsent = bob.client->unsent_messages();
  ASSERT_EQ(unsent.size(), 1u);
  EXPECT_EQ(unsent[0].local_id, kept);
  ASSERT_TRUE(bob.client->connect(server.url(), "token-bob").ok());
  ASSERT_TRUE(bob.wait_for_outbox(1));
  EXPECT_EQ(test::read_server_texts(server.database(), "c_general"), std::vector<std::string>{"this one"});
}

TEST_F(OutboxE2e, TheSameDatabaseCannotBeOpenedByTwoClients) {
  Device first("alice-phone", dir_ / "alice.db");
  ClientOptions options;
  options.device_id = "alice-phone";
  options.database_path = dir_ / "alice.db";
  auto second = Client::open(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::storage);
}

TEST_F(OutboxE2e, EditsAndReactionsQueuedBeforeTheMessageIsSentReachOtherDevicesInOrder) {
  test::ServerProcess server(dir_ / "server");
  Device alice("alice-phone", dir_ / "alice.db");
  Device bob("bob-phone");
  auto hello = alice.client->send("c_general", "helo").value();
  auto edit = alice.client->edit(MessageRef::local(hello.local_id), "hello");
  ASSERT_TRUE(edit.ok()) << describe(edit.error());
  EXPECT_EQ(edit->kind, OutboxKind::edit);
  EXPECT_EQ(edit->target_local_id, hello.local_id);
  EXPECT_TRUE(edit->target_message_id.empty()) << "the server has no id for it yet";
  ASSERT_TRUE(alice.client->react(MessageRef::local(hello.local_id), "👋").ok());

  ASSERT_TRUE(bob.client->connect(server.url(), "token-bob").ok());
  ASSERT_TRUE(bob.wait_for_state(ConnectionState::connected));
  ASSERT_TRUE(alice.client->connect(server.url(), "token-alice").ok());
  ASSERT_TRUE(bob.messages.wait_for_count(3));
  auto seen = bob.messages.items();
  EXPECT_EQ(seen[0].kind, EventKind::message_created);
  EXPECT_EQ(seen[1].kind, EventKind::message_edited);
  EXPECT_EQ(seen[1].text, "hello");
  EXPECT_EQ(seen[2].kind, EventKind::reaction_added);
  EXPECT_EQ(seen[2].emoji, "👋");
  for (const auto& m : seen) EXPECT_EQ(m.message_id, seen[0].message_id);

  // A message known by its server id: bob reacts, alice deletes.
  auto ref = MessageRef::server("c_general", seen[0].message_id);
  ASSERT_TRUE(bob.client->react(ref, "🎉").ok());
  ASSERT_TRUE(bob.messages.wait_for_count(4)) << "the reaction lands before the delete is sent";
  ASSERT_TRUE(alice.client->remove(ref).ok());
  ASSERT_TRUE(bob.messages.wait_for_count(5));
  EXPECT_EQ(bob.messages.items()[4].kind, EventKind::message_deleted);
  ASSERT_TRUE(alice.wait_for_outbox(4));
}

TEST_F(OutboxE2e, OnlyTheAuthorMayEditAndTheRefusalFailsOnlyThatChange) {
  test::ServerProcess server(dir_ / "server");
  Device alice("alice-phone");
  Device bob("bob-phone");
  ASSERT_TRUE(alice.client->connect(server.url(), "token-alice").ok());
  ASSERT_TRUE(bob.client->connect(server.url(), "token-bob").ok());
  ASSERT_TRUE(bob.wait_for_state(ConnectionState::connected));  // events reach connected devices only
  ASSERT_TRUE(alice.client->send("c_general", "mine").ok());
  ASSERT_TRUE(bob.messages.wait_for_count(1));
  auto ref = MessageRef::server("c_general", bob.messages.items()[0].message_id);
  auto hijack = bob.client->edit(ref, "yours now").value();
  ASSERT_TRUE(bob.client->send("c_general", "sorry").ok());
  ASSERT_TRUE(bob.wait_for_outbox(1, 1));
  auto failed = bob.client->unsent_messages();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].local_id, hijack.local_id);
  EXPECT_EQ(failed[0].last_error->code, ErrorCode::forbidden);
  EXPECT_EQ(test::read_server_texts(server.database(), "c_general"),
            (std::vector<std::string>{"mine", "sorry"}));
}

TEST_F(OutboxE2e, DeletingAMessageThatNeverLeftTheDeviceSendsNothing) {
  test::ServerProcess server(dir_ / "server");
  Device alice("alice-phone", dir_ / "alice.db");
  auto oops = alice.client->send("c_general", "wrong chat").value();
  ASSERT_TRUE(alice.client->react(MessageRef::local(oops.local_id), "🙈").ok());
  auto removed = alice.client->remove(MessageRef::local(oops.local_id));
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->state, OutboxState::discarded);
  EXPECT_EQ(removed->local_id, oops.local_id);
  EXPECT_TRUE(alice.client->unsent_messages().empty()) << "the reaction waiting for it went too";
  auto kept = alice.client->send("c_general", "right chat").value();
  ASSERT_TRUE(alice.client->connect(server.url(), "token-alice").ok());
  ASSERT_TRUE(alice.wait_for_outbox(1));
  EXPECT_EQ(test::read_server_texts(server.database(), "c_general"), std::vector<std::string>{kept.text});
}

TEST_F(OutboxE2e, ChangesRefuseBadInputAndWriteNothing) {
  Device alice("alice-phone");
  auto hello = alice.client->send("c_general", "hello").value();
  auto local = MessageRef::local(hello.local_id);
  EXPECT_EQ(alice.client->edit(local, "").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(alice.client->react(local, "").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(alice.client->react(local, "bell\a").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(alice.client->react(local, std::string(65, 'x')).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(alice.client->edit(MessageRef::local(999), "x").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(alice.client->edit(MessageRef::server("c_general", ""), "x").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(alice.client->edit(MessageRef::server("bad id", "m"), "x").error().code, ErrorCode::invalid_argument);
  auto reaction = alice.client->react(local, "👍").value();
  EXPECT_EQ(alice.client->edit(MessageRef::local(reaction.local_id), "x").error().code, ErrorCode::invalid_argument)
      << "a change is not a message";
  EXPECT_EQ(alice.client->unsent_messages().size(), 2u);
}

TEST_F(OutboxE2e, OnceTheServerListedTheConversationsSendRefusesAnUnknownOneEvenOffline) {
  test::ServerProcess server(dir_ / "server");
  const auto db = dir_ / "carol.db";
  {
    Device carol("carol-laptop", db);
    EXPECT_TRUE(carol.client->send("c_nowhere", "accepted: nothing is known yet").ok());
    ASSERT_TRUE(carol.client->connect(server.url(), "token-carol").ok());
    ASSERT_TRUE(carol.wait_for_state(ConnectionState::connected));
    auto unknown = carol.client->send("c_nowhere", "hello?");
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, ErrorCode::invalid_argument);
    EXPECT_NE(unknown.error().message.find("c_nowhere"), std::string::npos) << unknown.error().message;
    EXPECT_EQ(carol.client->send("c_release", "not a member either").error().code, ErrorCode::invalid_argument);
    EXPECT_TRUE(carol.client->send("c_general", "fine").ok());
    ASSERT_TRUE(carol.wait_for_outbox(1, 1)) << "the first one was refused by the server";
  }
  Device carol("carol-laptop", db);  // offline: the list from the last connection holds
  EXPECT_EQ(carol.client->send("c_nowhere", "still no").error().code, ErrorCode::invalid_argument);
  EXPECT_TRUE(carol.client->send("c_general", "still fine").ok());
  auto unsent = carol.client->unsent_messages();
  ASSERT_EQ(unsent.size(), 2u) << "the refused message and the new one; nothing for c_nowhere";
  EXPECT_EQ(unsent[0].state, OutboxState::failed);
  EXPECT_EQ(unsent[1].text, "still fine");
}

}  // namespace
}  // namespace confab
