// The SDK's identity, conversation requests and bootstrap end to end: real clients of
// different users, the real server binary, loopback sockets.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "confab/client.h"
#include "fault_proxy.h"
#include "http_client.h"
#include "printers.h"
#include "sdk_device.h"
#include "server_process.h"
#include "temp_dir.h"

namespace confab {
namespace {

using namespace std::chrono_literals;
using test::Device;

constexpr auto kAnswer = 20s;  // a request's answer, with room for a loaded machine

// The request's result, failing the test when it does not come.
Result<ConversationInfo> answer(const Pending<ConversationInfo>& pending) {
  auto result = pending.wait_for(kAnswer);
  EXPECT_TRUE(result.has_value()) << "no answer within " << kAnswer.count() << " s";
  if (!result) return Error::make(ErrorCode::unknown, "no answer");
  return std::move(result).value();
}

ErrorCode refusal(const Pending<ConversationInfo>& pending) {
  auto result = answer(pending);
  EXPECT_FALSE(result.ok()) << "expected a refusal";
  return result.ok() ? ErrorCode::unknown : result.error().code;
}

std::optional<ConversationInfo> listed(Client& client, const std::string& id) {
  auto list = client.conversations();
  if (!list) return std::nullopt;
  for (auto& c : *list) {
    if (c.conversation_id == id) return c;
  }
  return std::nullopt;
}

std::vector<std::string> sorted(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

class ConversationsE2e : public testing::Test {
 protected:
  void connect(Device& device, const std::string& token) {
    ASSERT_TRUE(device.client->connect(server_.url(), token).ok());
    ASSERT_TRUE(device.wait_for_state(ConnectionState::connected));
  }

  test::TempDir dir_;
  test::ServerProcess server_{dir_.path()};
};

TEST_F(ConversationsE2e, ADmOpenedOnOneDeviceAppearsOnTheOtherUsersDeviceWithNames) {
  Device alice("alice-laptop");
  Device bob("bob-phone");
  test::Recorder<int> directory;
  auto listening = bob.client->on_directory([&directory] { directory.add(1); });
  connect(alice, "token-alice");
  connect(bob, "token-bob");
  EXPECT_EQ(alice.client->user_id(), "alice");

  auto dm = answer(alice.client->open_dm("bob"));
  ASSERT_TRUE(dm.ok()) << describe(dm.error());
  EXPECT_EQ(dm->kind, ConversationKind::dm);
  EXPECT_EQ(sorted(dm->members), (std::vector<std::string>{"alice", "bob"}));
  ASSERT_TRUE(listed(*alice.client, dm->conversation_id)) << "stored before the Pending completed";

  // Bob's device learns of it without asking: the membership, then the list's details.
  ASSERT_TRUE(bob.wait_for_store([&] {
    auto c = listed(*bob.client, dm->conversation_id);
    return c && c->kind == ConversationKind::dm;
  })) << "the DM never reached bob's list";

  // One DM per pair: opening it again, from either side, gives the same one.
  auto again = answer(bob.client->open_dm("alice"));
  ASSERT_TRUE(again.ok()) << describe(again.error());
  EXPECT_EQ(again->conversation_id, dm->conversation_id);

  // Names come from the directory in the store, listed after connecting.
  ASSERT_TRUE(directory.wait_until([&](const auto&) { return bob.client->user("alice").has_value(); }));
  EXPECT_EQ(bob.client->user("alice")->display_name, "Alice");
  ASSERT_TRUE(alice.client->send(dm->conversation_id, "hello bob").ok());
  ASSERT_TRUE(bob.wait_for_store([&] {
    auto c = listed(*bob.client, dm->conversation_id);
    return c && c->last_message && c->last_message->text == "hello bob";
  }));
  auto preview = listed(*bob.client, dm->conversation_id)->last_message;
  EXPECT_EQ(preview->sender_id, "alice");
  EXPECT_EQ(preview->sender_name, "Alice");
  EXPECT_EQ(bob.client->conversations()->front().conversation_id, dm->conversation_id)
      << "the newest activity comes first";
  auto members = bob.client->members(dm->conversation_id);
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 2u);
  EXPECT_EQ((*members)[0].user_id, "alice");
  EXPECT_EQ((*members)[0].display_name, "Alice");
  EXPECT_EQ((*members)[1].display_name, "Bob");
}

TEST(ConversationListE2e, ADmIsNamedByItsMembersFromTheListAloneBeforeAnyOfItsEvents) {
  test::TempDir dir;
  test::ServerProcess server(dir.path(), R"({
    "users": [{"id": "alice", "name": "Alice", "tokens": ["token-alice"]},
              {"id": "bob", "name": "Bob", "tokens": ["token-bob"]}],
    "conversations": [{"id": "c_general", "kind": "channel", "members": ["alice", "bob"]},
                      {"id": "dm_alice_bob", "kind": "dm", "members": ["alice", "bob"]}]
  })");
  Device alice("alice-laptop");
  ASSERT_TRUE(alice.client->connect(server.url(), "token-alice").ok());
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::connected));
  auto dm = listed(*alice.client, "dm_alice_bob");
  ASSERT_TRUE(dm);
  EXPECT_EQ(dm->head_seq, 0) << "the seeded DM has no event to learn its members from";
  EXPECT_EQ(sorted(dm->members), (std::vector<std::string>{"alice", "bob"}));
  auto members = alice.client->members("dm_alice_bob");
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(members->size(), 2u);
}

TEST_F(ConversationsE2e, AGroupDmReachesEveryMemberAndTakesThreeToSixteen) {
  Device alice("alice-laptop");
  Device bob("bob-phone");
  Device carol("carol-phone");
  connect(alice, "token-alice");
  connect(bob, "token-bob");
  connect(carol, "token-carol");

  auto group = answer(alice.client->create_group_dm({"bob", "carol"}));
  ASSERT_TRUE(group.ok()) << describe(group.error());
  EXPECT_EQ(group->kind, ConversationKind::group_dm);
  EXPECT_EQ(group->name, "") << "a group DM has no name";
  EXPECT_EQ(sorted(group->members), (std::vector<std::string>{"alice", "bob", "carol"}));
  ASSERT_TRUE(listed(*alice.client, group->conversation_id));
  ASSERT_TRUE(alice.client->send(group->conversation_id, "lunch, the three of us?").ok());
  for (auto* other : {&bob, &carol}) {
    ASSERT_TRUE(other->wait_for_store([&] {
      auto c = listed(*other->client, group->conversation_id);
      return c && c->kind == ConversationKind::group_dm && c->last_message &&
             c->last_message->text == "lunch, the three of us?";
    })) << "the group DM never reached " << other->client->user_id();
    auto members = other->client->members(group->conversation_id);
    ASSERT_TRUE(members.ok());
    EXPECT_EQ(members->size(), 3u);
  }

  // Two people are a DM, not a group: refused at once, nothing sent.
  auto pair = alice.client->create_group_dm({"bob"}).wait_for(kAnswer);
  ASSERT_TRUE(pair.has_value());
  ASSERT_FALSE(pair->ok());
  EXPECT_EQ(pair->error().code, ErrorCode::invalid_argument) << describe(pair->error());
}

TEST_F(ConversationsE2e, AChannelsCreationJoinInvitationNameAndTopicReachTheOtherMembers) {
  Device alice("alice-laptop");
  Device bob("bob-phone");
  Device carol("carol-tablet");
  connect(alice, "token-alice");
  connect(bob, "token-bob");
  connect(carol, "token-carol");

  auto created = answer(alice.client->create_channel("", "launch", "when we ship"));
  ASSERT_TRUE(created.ok()) << describe(created.error());
  EXPECT_EQ(created->kind, ConversationKind::channel);
  EXPECT_EQ(created->name, "launch");
  EXPECT_EQ(created->topic, "when we ship");
  const auto id = created->conversation_id;

  auto joined = answer(bob.client->join(id));
  ASSERT_TRUE(joined.ok()) << describe(joined.error());
  ASSERT_TRUE(listed(*bob.client, id)) << "a joined channel is listed when the answer comes";

  auto invited = answer(alice.client->invite(id, {"carol"}));
  ASSERT_TRUE(invited.ok()) << describe(invited.error());
  EXPECT_EQ(sorted(invited->members), (std::vector<std::string>{"alice", "bob", "carol"}));

  ASSERT_TRUE(answer(alice.client->rename(id, "launch-day")).ok());
  ASSERT_TRUE(answer(bob.client->set_topic(id, "Friday")).ok());

  // Carol, invited, sees it all from her store.
  ASSERT_TRUE(carol.wait_for_store([&] {
    auto c = listed(*carol.client, id);
    return c && c->name == "launch-day" && c->topic == "Friday" && c->members.size() == 3;
  })) << "carol's list: " << (listed(*carol.client, id) ? listed(*carol.client, id)->name : "(none)");
  EXPECT_EQ(sorted(listed(*carol.client, id)->members), (std::vector<std::string>{"alice", "bob", "carol"}));
  ASSERT_TRUE(alice.wait_for_store([&] {
    auto c = listed(*alice.client, id);
    return c && c->topic == "Friday";
  })) << "the creator sees the topic another member set";

  auto left = answer(bob.client->leave(id));
  ASSERT_TRUE(left.ok()) << describe(left.error());
  EXPECT_FALSE(listed(*bob.client, id)) << "left: no longer listed when the answer comes";
  ASSERT_TRUE(carol.wait_for_store([&] {
    auto c = listed(*carol.client, id);
    return c && c->members.size() == 2;
  }));
}

TEST_F(ConversationsE2e, ARefusedRequestCarriesTheServersCode) {
  Device alice("alice-laptop");
  Device carol("carol-tablet");
  connect(alice, "token-alice");
  connect(carol, "token-carol");

  EXPECT_EQ(refusal(carol.client->join("c_release")), ErrorCode::not_member) << "a private channel";
  auto dm = answer(alice.client->open_dm("carol"));
  ASSERT_TRUE(dm.ok()) << describe(dm.error());
  EXPECT_EQ(refusal(alice.client->leave(dm->conversation_id)), ErrorCode::forbidden) << "a DM cannot be left";
  EXPECT_EQ(refusal(alice.client->rename(dm->conversation_id, "ours")), ErrorCode::forbidden);
  ASSERT_TRUE(answer(alice.client->create_channel("", "taken")).ok());
  EXPECT_EQ(refusal(carol.client->create_channel("", "taken")), ErrorCode::invalid_field) << "the name is taken";
  EXPECT_EQ(refusal(alice.client->open_dm("nobody")), ErrorCode::not_found);
  EXPECT_EQ(alice.client->connection_state(), ConnectionState::connected) << "a refusal keeps the connection";
}

TEST_F(ConversationsE2e, ARequestWhileDisconnectedFailsOfflineAtOnce) {
  Device alice("alice-laptop");
  connect(alice, "token-alice");
  alice.client->disconnect();
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::closed));
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(refusal(alice.client->open_dm("bob")), ErrorCode::offline);
  EXPECT_EQ(refusal(alice.client->set_topic("c_general", "x")), ErrorCode::offline);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << "at once, not at the request deadline";
  // Connected again, the same request goes through.
  connect(alice, "token-alice");
  EXPECT_TRUE(answer(alice.client->set_topic("c_general", "x")).ok());
}

// Bootstrap: the credential for a session token, again as each token nears its expiry.
class BootstrapE2e : public testing::Test {
 protected:
  std::string bootstrap_url() const { return "http://127.0.0.1:" + std::to_string(server_.http_port()); }

  test::TempDir dir_;
  // Tokens live 3 s, so the client must bootstrap again within the test.
  test::ServerProcess server_{dir_.path(), test::server_config_with(R"("sessionTtlSeconds": 3)")};
};

TEST_F(BootstrapE2e, ConnectsWithTheCredentialAndBootstrapsAgainBeforeTheTokenExpires) {
  test::Recorder<int> asked;  // one entry per bootstrap; outlives the client that calls it
  Device alice("alice-laptop");
  auto credential = [&asked] {
    asked.add(1);
    return Result<std::string>(std::string("token-alice"));
  };
  ASSERT_TRUE(alice.client->connect_with_credential(bootstrap_url(), credential).ok());
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::connected));
  EXPECT_EQ(alice.client->user_id(), "alice");
  EXPECT_GE(asked.items().size(), 1u);

  // The token in hand is replaced before it expires, in the background: tokens live 2-3 s
  // (the expiry is whole seconds) and each is replaced 1 s before it expires, so the fourth
  // comes more than 3 s after the first, which has then expired.
  ASSERT_TRUE(asked.wait_for_count(4)) << "bootstrapped " << asked.items().size() << " times";
  EXPECT_EQ(alice.client->connection_state(), ConnectionState::connected) << "the connection in use stays";

  // Cut: the client connects again with the token in hand, which is still valid, and works.
  auto connections = alice.connection.items().size();
  test::HttpClient http(server_.http_port());
  auto cut = http.post("/v1/admin/faults", R"({"dropConnections":true})", "application/json");
  ASSERT_TRUE(cut.has_value());
  ASSERT_EQ(cut->status, 200) << cut->body;
  ASSERT_TRUE(alice.connection.wait_until([&](const std::vector<ConnectionChange>& seen) {
    return seen.size() > connections + 1 && seen.back().state == ConnectionState::connected;
  })) << "no new connection";
  ASSERT_TRUE(alice.client->send("c_general", "after the cut").ok());
  EXPECT_TRUE(alice.wait_for_outbox(1));
  for (const auto& change : alice.connection.items()) {
    if (!change.error) continue;
    EXPECT_NE(change.error->code, ErrorCode::token_expired) << "never offered an expired token";
    EXPECT_NE(change.error->code, ErrorCode::unauthorized);
  }
}

// A restarted server signs with a new secret (none is configured), so it refuses the token
// the client holds: the client bootstraps again, once, and connects. The proxies keep the
// bootstrap URL and the WebSocket URL the same across the restart.
TEST(BootstrapRefusal, ATokenTheServerRefusesIsReplacedByBootstrappingAgain) {
  test::TempDir dir;
  test::FaultProxy ws_proxy(1);    // upstreams set once the server runs
  test::FaultProxy http_proxy(1);
  const auto config = test::server_config_with(R"("publicWebSocketUrl": ")" + ws_proxy.url() + R"(")");
  std::optional<test::ServerProcess> server;
  server.emplace(dir.path(), config);
  ws_proxy.set_upstream(server->port());
  http_proxy.set_upstream(server->http_port());

  test::Recorder<int> asked;
  Device alice("alice-laptop");
  auto credential = [&asked] {
    asked.add(1);
    return Result<std::string>(std::string("token-alice"));
  };
  ASSERT_TRUE(alice.client->connect_with_credential("http://127.0.0.1:" + std::to_string(http_proxy.port()), credential)
                  .ok());
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::connected));
  ASSERT_EQ(asked.items().size(), 1u) << "an hour's token: no renewal yet";

  EXPECT_EQ(server->terminate(), 0);
  server.reset();
  server.emplace(dir.path(), config);
  ws_proxy.set_upstream(server->port());
  http_proxy.set_upstream(server->http_port());

  ASSERT_TRUE(alice.connection.wait_until([](const std::vector<ConnectionChange>& seen) {
    return std::count_if(seen.begin(), seen.end(),
                         [](const auto& c) { return c.state == ConnectionState::connected; }) >= 2;
  })) << "not connected again; last state " << to_string(alice.client->connection_state());
  EXPECT_EQ(asked.items().size(), 2u) << "bootstrapped again once the token was refused";
  for (const auto& change : alice.connection.items()) EXPECT_NE(change.state, ConnectionState::failed);
  ASSERT_TRUE(alice.client->send("c_general", "after the restart").ok());
  EXPECT_TRUE(alice.wait_for_outbox(1));
}

TEST_F(BootstrapE2e, ARefusedCredentialFailsTheClientWithItsError) {
  Device alice("alice-laptop");
  auto credential = [] { return Result<std::string>(std::string("not-a-token")); };
  ASSERT_TRUE(alice.client->connect_with_credential(bootstrap_url(), credential).ok());
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::failed));
  ASSERT_TRUE(alice.connection.items().back().error.has_value());
  EXPECT_EQ(alice.connection.items().back().error->code, ErrorCode::unauthorized);
  EXPECT_EQ(refusal(alice.client->open_dm("bob")), ErrorCode::offline) << "failed: not trying";
}

}  // namespace
}  // namespace confab
