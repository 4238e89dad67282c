// The reference server's directory, presence query, presence contacts and receipts: what
// the store answers, and how the frame handler pages and guards it.
#include <gtest/gtest.h>

#include <set>
#include <span>

#include <nlohmann/json.hpp>

#include "ephemeral.h"
#include "frame_handler.h"
#include "message_store.h"
#include "printers.h"
#include "temp_dir.h"

namespace confab::server {
namespace {

using nlohmann::json;

// alice, bob and carol in w_acme; alice, carol and dave in w_ops; erin and frank in
// w_other. c_big: a channel of alice, carol and dave; c_group: a group DM of alice, bob and
// carol; c_pair: a DM of carol and dave; c_erin: erin and frank's channel.
ServerConfig directory_config() {
  ServerConfig c;
  c.users = {{"alice", "Alice", {"token-alice"}}, {"bob", "Bob", {"token-bob"}},
             {"carol", "Carol", {"token-carol"}}, {"dave", "Dave", {"token-dave"}},
             {"erin", "Erin", {"token-erin"}},    {"frank", "Frank", {"token-frank"}}};
  c.workspaces = {{"w_acme", "Acme", {{"alice", Role::owner}, {"bob", Role::member}, {"carol", Role::member}}},
                  {"w_ops", "Ops", {{"alice", Role::member}, {"carol", Role::admin}, {"dave", Role::member}}},
                  {"w_other", "Other", {{"erin", Role::member}, {"frank", Role::member}}}};
  c.conversations = {
      {"c_big", ConversationKind::channel, "big", {"alice", "carol", "dave"}, "w_ops"},
      {"c_group", ConversationKind::group_dm, "", {"alice", "bob", "carol"}, "w_acme"},
      {"c_pair", ConversationKind::dm, "", {"carol", "dave"}, "w_ops"},
      {"c_erin", ConversationKind::channel, "erin", {"erin", "frank"}, "w_other"},
  };
  return c;
}

class ServerQueries : public testing::Test {
 protected:
  void SetUp() override { open(directory_config()); }

  void open(const ServerConfig& config) {
    ASSERT_TRUE(validate(config).ok()) << validate(config).error().message;
    store_.reset();
    auto store = MessageStore::open(dir_ / "server.db", Durability::normal);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    ASSERT_TRUE(store_->apply_directory(config).ok());
  }

  static std::vector<std::string> ids(const std::vector<protocol::UserEntry>& users) {
    std::vector<std::string> out;
    for (const auto& u : users) out.push_back(u.user_id);
    return out;
  }

  Peer authenticated(const FrameHandler& handler, const std::string& user) {
    Peer peer;
    handler.on_text(peer, json{{"type", "auth"}, {"id", "a"}, {"token", "token-" + user}, {"protocolVersion", 1},
                               {"deviceId", user + "-phone"}}.dump(),
                    1);
    EXPECT_TRUE(peer.authenticated());
    return peer;
  }

  // Runs the query a request produced, as the committer would; returns its one reply.
  json run(const Reaction& r) {
    EXPECT_TRUE(r.replies.empty()) << (r.replies.empty() ? "" : r.replies.front());
    if (!r.query) return json();
    Outcome out = r.query(store_.get(), 1);
    EXPECT_EQ(out.replies.size(), 1u);
    EXPECT_TRUE(out.deliveries.empty());
    if (out.replies.empty()) return json();
    EXPECT_TRUE(protocol::decode_server_frame(out.replies.front()).ok()) << out.replies.front();
    return json::parse(out.replies.front());
  }

  void move_cursor(const std::string& user, const std::string& device, const std::string& conversation, Seq read,
                   Seq delivered) {
    ASSERT_TRUE(store_->update_cursor(user, device, {"", conversation, read, delivered}).ok());
  }

  void post(const std::string& user, const std::string& conversation, int count) {
    for (int i = 0; i < count; ++i) {
      SendRequest r{user, conversation, user + "-" + std::to_string(++posted_), "hi"};
      ASSERT_TRUE(store_->append_batch(std::span(&r, 1), 1000).front().ok());
    }
  }

  test::TempDir dir_;
  std::unique_ptr<MessageStore> store_;
  int posted_ = 0;
};

TEST_F(ServerQueries, TheDirectoryListsTheUsersWorkspacesAndEveryoneWhoSharesOne) {
  auto workspaces = store_->user_workspaces("alice");
  ASSERT_EQ(workspaces.size(), 2u);
  EXPECT_EQ(workspaces[0], (protocol::WorkspaceEntry{"w_acme", "Acme", "owner"}));
  EXPECT_EQ(workspaces[1], (protocol::WorkspaceEntry{"w_ops", "Ops", "member"}));
  EXPECT_EQ(ids(store_->directory_users("alice", "", 100)),
            (std::vector<std::string>{"alice", "bob", "carol", "dave"}))
      << "erin and frank share no workspace with alice";
  EXPECT_EQ(ids(store_->directory_users("bob", "", 100)), (std::vector<std::string>{"alice", "bob", "carol"}));
  EXPECT_EQ(ids(store_->directory_users("alice", "bob", 1)), (std::vector<std::string>{"carol"}));
  EXPECT_EQ(store_->directory_users("alice", "", 1).front().display_name, "Alice");
}

TEST_F(ServerQueries, TheDirectoryGivesEachUsersRoleInTheWorkspacesSharedWithTheCaller) {
  auto users = store_->directory_users("alice", "", 100);
  ASSERT_EQ(users.size(), 4u);
  using Shared = std::vector<protocol::UserWorkspace>;
  EXPECT_EQ(users[0].workspaces, (Shared{{"w_acme", "owner"}, {"w_ops", "member"}}));
  EXPECT_EQ(users[2].workspaces, (Shared{{"w_acme", "member"}, {"w_ops", "admin"}})) << "carol";
  EXPECT_EQ(users[3].workspaces, (Shared{{"w_ops", "member"}})) << "dave";
  // bob shares w_acme only with carol: her role in w_ops is not his to know.
  auto seen_by_bob = store_->directory_users("bob", "bob", 1);
  ASSERT_EQ(seen_by_bob.size(), 1u);
  EXPECT_EQ(seen_by_bob[0].workspaces, (Shared{{"w_acme", "member"}}));
}

TEST_F(ServerQueries, AUserRemovedFromTheConfigurationIsNoLongerListed) {
  auto config = directory_config();
  config.users.erase(config.users.begin() + 3);  // dave
  config.workspaces[1].members.pop_back();
  config.conversations.erase(config.conversations.begin() + 2);  // c_pair names dave
  config.conversations[0].members.pop_back();
  config.conversations.pop_back();  // c_erin, and its workspace: erin and frank are in none now
  config.workspaces.pop_back();
  open(config);
  EXPECT_EQ(ids(store_->directory_users("alice", "", 100)), (std::vector<std::string>{"alice", "bob", "carol"}));
  EXPECT_TRUE(store_->directory_users("dave", "", 100).empty());
  EXPECT_TRUE(store_->user_workspaces("erin").empty()) << "a workspace removed from the configuration";
}

TEST_F(ServerQueries, PresenceContactsLeaveOutChannelsOverTheFanoutLimit) {
  // alice: c_big (3 members) and c_group (a group DM of 3).
  EXPECT_EQ(store_->contacts("alice", 100), (std::vector<std::string>{"alice", "bob", "carol", "dave"}));
  EXPECT_EQ(store_->contacts("alice", 2), (std::vector<std::string>{"alice", "bob", "carol"}))
      << "c_big is over the limit; the group DM counts whatever its size";
  EXPECT_EQ(store_->contacts("dave", 2), (std::vector<std::string>{"carol", "dave"})) << "the DM counts";
  EXPECT_EQ(store_->contacts("dave", 0), (std::vector<std::string>{"carol", "dave"}));
  EXPECT_EQ(store_->contacts("erin", 2), (std::vector<std::string>{"erin", "frank"})) << "at the limit counts";
  EXPECT_TRUE(store_->shares_conversation("alice", "dave")) << "c_big is shared, large or not";
  EXPECT_FALSE(store_->shares_conversation("alice", "erin"));
}

TEST_F(ServerQueries, ReceiptsGiveEveryMembersHighestCursorsToMembersOnly) {
  post("alice", "c_big", 5);
  move_cursor("carol", "carol-phone", "c_big", 2, 4);
  move_cursor("carol", "carol-laptop", "c_big", 3, 0);
  auto all = store_->receipts("alice", {"", "c_big", "", 500}, 500);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(*all, (std::vector<protocol::ReceiptPosition>{{"alice", 0, 0}, {"carol", 3, 4}, {"dave", 0, 0}}));
  auto page = store_->receipts("alice", {"", "c_big", "alice", 1}, 1);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(*page, (std::vector<protocol::ReceiptPosition>{{"carol", 3, 4}}));
  for (const char* stranger : {"bob", "erin"}) {
    auto refused = store_->receipts(stranger, {"", "c_big", "", 500}, 500);
    ASSERT_FALSE(refused.ok()) << stranger;
    EXPECT_EQ(refused.error().code, ErrorCode::not_member);
  }
  auto missing = store_->receipts("alice", {"", "c_nowhere", "", 500}, 500);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::not_member) << "a conversation that does not exist answers alike";
}

TEST_F(ServerQueries, TheHandlerPagesTheDirectoryWithWorkspacesOnTheFirstPage) {
  FrameHandler handler(directory_config());
  Peer alice = authenticated(handler, "alice");
  auto first = run(handler.on_text(alice, R"({"type":"directory.list","id":"d1","limit":3})", 1));
  EXPECT_EQ(first["type"], "directory");
  EXPECT_EQ(first["id"], "d1");
  ASSERT_EQ(first["workspaces"].size(), 2u);
  EXPECT_EQ(first["workspaces"][0], (json{{"workspaceId", "w_acme"}, {"name", "Acme"}, {"role", "owner"}}));
  ASSERT_EQ(first["users"].size(), 3u);
  EXPECT_EQ(first["users"][2], (json{{"userId", "carol"},
                                     {"displayName", "Carol"},
                                     {"workspaces", {{{"workspaceId", "w_acme"}, {"role", "member"}},
                                                     {{"workspaceId", "w_ops"}, {"role", "admin"}}}}}));
  EXPECT_EQ(first["next"], "carol");
  auto second = run(handler.on_text(alice, R"({"type":"directory.list","id":"d2","after":"carol","limit":3})", 1));
  EXPECT_TRUE(second["workspaces"].empty()) << "workspaces come on the first page only";
  ASSERT_EQ(second["users"].size(), 1u);
  EXPECT_EQ(second["users"][0]["userId"], "dave");
  EXPECT_FALSE(second.contains("next"));
  auto exact = run(handler.on_text(alice, R"({"type":"directory.list","id":"d3","limit":4})", 1));
  EXPECT_EQ(exact["users"].size(), 4u);
  EXPECT_FALSE(exact.contains("next")) << "no further page when the last one is exactly full";
}

TEST_F(ServerQueries, ADirectoryPageIsCutToFitInAFrame) {
  ServerConfig config = directory_config();
  for (int i = 0; i < 300; ++i) {
    std::string id = "user-" + std::string(100, 'x') + std::to_string(1000 + i);
    config.users.push_back({id, std::string(80, 'N'), {}});
    config.workspaces[0].members.push_back({id, Role::member});
  }
  open(config);
  FrameHandler handler(config);
  Peer alice = authenticated(handler, "alice");
  std::set<std::string> seen;
  std::string after;
  int pages = 0;
  for (;;) {
    json request{{"type", "directory.list"}, {"id", "d"}};
    if (!after.empty()) request["after"] = after;
    Outcome out = handler.on_text(alice, request.dump(), 1).query(store_.get(), 1);
    ASSERT_EQ(out.replies.size(), 1u);
    EXPECT_LE(out.replies.front().size(), config.max_frame_bytes);
    auto page = json::parse(out.replies.front());
    ++pages;
    for (const auto& u : page["users"]) EXPECT_TRUE(seen.insert(u["userId"].get<std::string>()).second);
    if (!page.contains("next")) break;
    after = page["next"];
    ASSERT_LT(pages, 20);
  }
  EXPECT_EQ(seen.size(), 304u) << "alice, bob, carol, dave and the 300";
  EXPECT_GE(pages, 2) << "300 users of ~230 bytes do not fit in one 64 KiB frame";
}

TEST_F(ServerQueries, APresenceQueryReportsOnlyUsersWhoShareAConversationAndEachOnce) {
  PresenceBoard board(30'000);
  board.heartbeat("dave", 1, "online", 1);
  board.heartbeat("carol", 2, "idle", 1);
  board.heartbeat("erin", 3, "online", 1);
  board.heartbeat("alice", 4, "online", 1);
  FrameHandler handler(directory_config(), nullptr, nullptr, &board);
  Peer alice = authenticated(handler, "alice");
  auto state = run(handler.on_text(
      alice, R"({"type":"presence.query","id":"q","userIds":["dave","erin","carol","nobody","dave","bob","alice"]})",
      1));
  EXPECT_EQ(state["type"], "presence.state");
  EXPECT_EQ(state["id"], "q");
  EXPECT_EQ(state["items"], (json::array({{{"userId", "dave"}, {"status", "online"}},
                                          {{"userId", "erin"}, {"status", "offline"}},
                                          {{"userId", "carol"}, {"status", "idle"}},
                                          {{"userId", "nobody"}, {"status", "offline"}},
                                          {{"userId", "bob"}, {"status", "offline"}},
                                          {{"userId", "alice"}, {"status", "online"}}})))
      << "erin is online but shares nothing with alice; a user who does not exist looks the same";
}

TEST_F(ServerQueries, TheHandlerAnswersReceiptsToMembersAndPagesThem) {
  post("alice", "c_big", 3);
  move_cursor("dave", "dave-phone", "c_big", 3, 3);
  FrameHandler handler(directory_config());
  Peer alice = authenticated(handler, "alice");
  auto first = run(handler.on_text(alice, R"({"type":"receipts.request","id":"r","conversationId":"c_big","limit":2})", 1));
  EXPECT_EQ(first["type"], "receipts");
  EXPECT_EQ(first["conversationId"], "c_big");
  EXPECT_EQ(first["items"], (json::array({{{"userId", "alice"}, {"readSeq", 0}, {"deliveredSeq", 0}},
                                          {{"userId", "carol"}, {"readSeq", 0}, {"deliveredSeq", 0}}})));
  EXPECT_EQ(first["next"], "carol");
  auto second = run(handler.on_text(
      alice, R"({"type":"receipts.request","id":"r","conversationId":"c_big","after":"carol","limit":2})", 1));
  EXPECT_EQ(second["items"], (json::array({{{"userId", "dave"}, {"readSeq", 3}, {"deliveredSeq", 3}}})));
  EXPECT_FALSE(second.contains("next"));
  Peer bob = authenticated(handler, "bob");
  auto refused = run(handler.on_text(bob, R"({"type":"receipts.request","id":"r9","conversationId":"c_big"})", 1));
  EXPECT_EQ(refused["code"], "not_member");
  EXPECT_EQ(refused["id"], "r9");
}

TEST_F(ServerQueries, AReceiptsPageIsCutToFitInAFrame) {
  ServerConfig config = directory_config();
  config.max_frame_bytes = 2048;
  // Seeded afresh (a conversation already in the store keeps its members).
  config.conversations.push_back({"c_wide", ConversationKind::channel, "wide", {"alice"}, "w_ops"});
  for (int i = 0; i < 60; ++i) {
    std::string id = "member-" + std::string(60, 'x') + std::to_string(100 + i);
    config.users.push_back({id, "M", {}});
    config.workspaces[1].members.push_back({id, Role::member});
    config.conversations.back().members.push_back(id);
  }
  open(config);
  FrameHandler handler(config);
  Peer alice = authenticated(handler, "alice");
  std::set<std::string> seen;
  std::string after;
  for (int pages = 1;; ++pages) {
    json request{{"type", "receipts.request"}, {"id", "r"}, {"conversationId", "c_wide"}};
    if (!after.empty()) request["after"] = after;
    Outcome out = handler.on_text(alice, request.dump(), 1).query(store_.get(), 1);
    ASSERT_EQ(out.replies.size(), 1u);
    EXPECT_LE(out.replies.front().size(), config.max_frame_bytes);
    auto page = json::parse(out.replies.front());
    ASSERT_EQ(page["type"], "receipts") << page.dump();
    for (const auto& k : page["items"]) EXPECT_TRUE(seen.insert(k["userId"].get<std::string>()).second);
    if (!page.contains("next")) break;
    after = page["next"];
    ASSERT_LT(pages, 40);
  }
  EXPECT_EQ(seen.size(), 61u) << "alice and the 60";
}

}  // namespace
}  // namespace confab::server
