// The reference server's directory, presence queries, presence fan-out limit and receipts,
// over real sockets with a raw WebSocket.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server_process.h"
#include "temp_dir.h"
#include "ws_probe.h"

namespace confab::test {
namespace {

using nlohmann::json;

class ServerDirectory : public testing::Test {
 protected:
  std::unique_ptr<WsProbe> connect(const std::string& token, const std::string& device = "probe") {
    auto probe = std::make_unique<WsProbe>(server().port());
    probe->authenticate(token, device);
    return probe;
  }

  static json request(WsProbe& probe, const json& frame) {
    probe.send_text(frame.dump());
    return probe.read_json();
  }

  // Proves that nothing is queued for a probe: the next frame answers a ping.
  static void expect_nothing_more(WsProbe& probe) {
    probe.send_text(R"({"type":"ping","id":"quiet"})");
    auto next = probe.read_json();
    EXPECT_EQ(next["type"], "pong") << "unexpected frame: " << next.dump();
  }

  ServerProcess& server() {
    if (!server_) server_ = std::make_unique<ServerProcess>(dir_.path(), config_);
    return *server_;
  }

  TempDir dir_;
  std::string config_ = default_server_config();
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServerDirectory, ListsTheUsersWorkspacesAndTheUsersWhoShareOnePageByPage) {
  config_ = R"({
    "users": [{"id": "alice", "name": "Alice A.", "tokens": ["token-alice"]},
              {"id": "bob", "name": "Bob", "tokens": ["token-bob"]},
              {"id": "carol", "name": "Carol", "tokens": ["token-carol"]},
              {"id": "dave", "name": "Dave", "tokens": ["token-dave"]}],
    "workspaces": [{"id": "w_acme", "name": "Acme", "members": [{"userId": "alice", "role": "owner"},
                                                               {"userId": "bob"}, {"userId": "carol"}]},
                   {"id": "w_else", "name": "Elsewhere", "members": [{"userId": "dave"}]}],
    "conversations": [{"id": "c_general", "members": ["alice", "bob", "carol"]}]
  })";
  auto alice = connect("token-alice");
  auto first = request(*alice, {{"type", "directory.list"}, {"id", "d1"}, {"limit", 2}});
  EXPECT_EQ(first["type"], "directory") << first.dump();
  EXPECT_EQ(first["id"], "d1");
  EXPECT_EQ(first["workspaces"], json::array({{{"workspaceId", "w_acme"}, {"name", "Acme"}, {"role", "owner"}}}));
  auto in_acme = [](const std::string& role) {
    return json::array({{{"workspaceId", "w_acme"}, {"role", role}}});
  };
  EXPECT_EQ(first["users"],
            json::array({{{"userId", "alice"}, {"displayName", "Alice A."}, {"workspaces", in_acme("owner")}},
                         {{"userId", "bob"}, {"displayName", "Bob"}, {"workspaces", in_acme("member")}}}));
  EXPECT_EQ(first["next"], "bob");
  auto second = request(*alice, {{"type", "directory.list"}, {"id", "d2"}, {"after", "bob"}, {"limit", 2}});
  EXPECT_EQ(second["users"],
            json::array({{{"userId", "carol"}, {"displayName", "Carol"}, {"workspaces", in_acme("member")}}}))
      << "dave shares no workspace with alice";
  EXPECT_TRUE(second["workspaces"].empty());
  EXPECT_FALSE(second.contains("next"));
  auto bad = request(*alice, {{"type", "directory.list"}, {"id", "d3"}, {"limit", 501}});
  EXPECT_EQ(bad["code"], "invalid_field");
  EXPECT_EQ(bad["field"], "limit");
}

TEST_F(ServerDirectory, ALargeChannelDoesNotFanPresenceOutAndItsMembersAreAskedFor) {
  // c_general (alice, bob, carol) is over the limit; c_release (alice, bob) is not.
  config_ = server_config_with(R"("presenceFanoutLimit": 2)");
  auto alice = connect("token-alice");
  auto carol = connect("token-carol");
  auto bob = connect("token-bob");
  bob->send_text(R"({"type":"presence.heartbeat","status":"online"})");
  auto snapshot = bob->read_json();
  EXPECT_EQ(snapshot, (json{{"type", "presence"}, {"userId", "alice"}, {"status", "online"}}));
  expect_nothing_more(*bob);  // carol is online, but shares only the large channel with bob
  carol->send_text(R"({"type":"presence.heartbeat","status":"idle"})");
  expect_nothing_more(*carol);  // her heartbeat is taken before alice's (and her own snapshot is empty)
  alice->send_text(R"({"type":"presence.heartbeat","status":"idle"})");
  auto change = bob->read_json();
  EXPECT_EQ(change, (json{{"type", "presence"}, {"userId", "alice"}, {"status", "idle"}}))
      << "alice's change comes; carol's, sent before it, does not";

  auto state = request(*bob, {{"type", "presence.query"}, {"id", "q"}, {"userIds", {"carol", "alice", "mallory"}}});
  EXPECT_EQ(state, (json{{"type", "presence.state"},
                         {"id", "q"},
                         {"items", json::array({{{"userId", "carol"}, {"status", "idle"}},
                                                {{"userId", "alice"}, {"status", "idle"}},
                                                {{"userId", "mallory"}, {"status", "offline"}}})}}));
}

TEST_F(ServerDirectory, AnyConversationSharedMakesPresenceVisibleToAQueryAndNothingElse) {
  config_ = R"({
    "users": [{"id": "alice", "tokens": ["token-alice"]}, {"id": "bob", "tokens": ["token-bob"]},
              {"id": "carol", "tokens": ["token-carol"]}],
    "conversations": [{"id": "c_ab", "kind": "dm", "members": ["alice", "bob"]}]
  })";
  auto carol = connect("token-carol");
  auto alice = connect("token-alice");
  auto state = request(*alice, {{"type", "presence.query"}, {"id", "q"}, {"userIds", {"carol", "bob", "alice"}}});
  EXPECT_EQ(state["items"], json::array({{{"userId", "carol"}, {"status", "offline"}},
                                         {{"userId", "bob"}, {"status", "offline"}},
                                         {{"userId", "alice"}, {"status", "online"}}}))
      << "carol is online but shares no conversation with alice";
  auto empty = request(*alice, {{"type", "presence.query"}, {"id", "q2"}, {"userIds", json::array()}});
  EXPECT_EQ(empty["code"], "invalid_field");
}

TEST_F(ServerDirectory, ReceiptsGiveEveryMembersCursorsToMembersOnly) {
  auto alice = connect("token-alice");
  auto bob = connect("token-bob", "bob-phone");
  for (int i = 1; i <= 2; ++i) {
    alice->send_text(message_send_frame("c_release", "m" + std::to_string(i), "hello", "s" + std::to_string(i)));
    EXPECT_EQ(alice->read_json()["type"], "message.ack");
    EXPECT_EQ(alice->read_json()["type"], "event");
    EXPECT_EQ(bob->read_json()["type"], "event");
  }
  auto moved = request(*bob, {{"type", "cursor.update"}, {"id", "k"}, {"conversationId", "c_release"},
                              {"readSeq", 1}, {"deliveredSeq", 2}});
  EXPECT_EQ(moved["type"], "cursor");
  EXPECT_EQ(alice->read_json()["type"], "cursor");
  auto receipts = request(*alice, {{"type", "receipts.request"}, {"id", "r"}, {"conversationId", "c_release"}});
  EXPECT_EQ(receipts, (json{{"type", "receipts"},
                            {"id", "r"},
                            {"conversationId", "c_release"},
                            {"items", json::array({{{"userId", "alice"}, {"readSeq", 0}, {"deliveredSeq", 0}},
                                                   {{"userId", "bob"}, {"readSeq", 1}, {"deliveredSeq", 2}}})}}));
  auto carol = connect("token-carol");
  auto refused = request(*carol, {{"type", "receipts.request"}, {"id", "r"}, {"conversationId", "c_release"}});
  EXPECT_EQ(refused["code"], "not_member");
  EXPECT_EQ(refused["id"], "r");
}

}  // namespace
}  // namespace confab::test
