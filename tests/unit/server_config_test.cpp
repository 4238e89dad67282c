// The reference server's configuration file.
#include <gtest/gtest.h>

#include "config.h"
#include "printers.h"

namespace confab::server {
namespace {

TEST(ServerConfig, ParsesUsersConversationsAndSettings) {
  auto config = parse_config(R"({
    "listen": "0.0.0.0", "port": 9000, "database": "/var/lib/confab.db", "durability": "normal",
    "threads": 4, "authTimeoutMs": 2500, "httpHeadTimeoutMs": 1500, "httpBodyMinBytesPerSecond": 1000,
    "httpMaxConnectionsPerAddress": 8,
    "users": [{"id": "alice", "tokens": ["t1", "t2"]}, {"id": "bob", "name": "Bob", "tokens": [], "active": false}],
    "conversations": [{"id": "dm_ab", "kind": "dm", "members": ["alice", "bob"]},
                      {"id": "general", "members": ["alice"]}]
  })");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->listen_address, "0.0.0.0");
  EXPECT_EQ(config->port, 9000);
  EXPECT_EQ(config->durability, Durability::normal);
  EXPECT_EQ(config->threads, 4);
  EXPECT_EQ(config->auth_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(config->http_head_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(config->http_body_timeout, std::chrono::milliseconds(10'000)) << "the default";
  EXPECT_EQ(config->http_body_min_rate, 1000u);
  EXPECT_EQ(config->http_max_connections_per_address, 8u);
  ASSERT_EQ(config->users.size(), 2u);
  EXPECT_EQ(config->users[0].name, "alice") << "the name defaults to the id";
  EXPECT_EQ(config->users[0].tokens.size(), 2u);
  EXPECT_TRUE(config->users[0].active) << "a user is active unless the file says otherwise";
  EXPECT_FALSE(config->users[1].active);
  ASSERT_EQ(config->conversations.size(), 2u);
  EXPECT_EQ(config->conversations[0].kind, ConversationKind::dm);
  EXPECT_EQ(config->conversations[0].name, "") << "DMs have no name";
  EXPECT_EQ(config->conversations[1].name, "general") << "a channel's name defaults to its id";
  EXPECT_EQ(config->conversations[1].kind, ConversationKind::channel) << "the kind defaults to channel";
  EXPECT_EQ(config->presence_fanout_limit, 100u) << "the default";
}

TEST(ServerConfig, ParsesThePresenceFanoutLimit) {
  auto config = parse_config(R"({"presenceFanoutLimit": 2, "users": [{"id": "a", "name": "Änne 🚀", "tokens": []}],
                                 "conversations": []})");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->presence_fanout_limit, 2u);
}

TEST(ServerConfig, RefusesInconsistentDirectories) {
  struct Case {
    const char* why;
    const char* json;
  };
  const Case cases[] = {
      {"not JSON", "{"},
      {"no users", R"({"conversations": []})"},
      {"unknown member", R"({"users": [{"id": "a", "tokens": []}], "conversations": [{"id": "c", "members": ["zed"]}]})"},
      {"token shared", R"({"users": [{"id": "a", "tokens": ["t"]}, {"id": "b", "tokens": ["t"]}], "conversations": []})"},
      {"user twice", R"({"users": [{"id": "a", "tokens": []}, {"id": "a", "tokens": []}], "conversations": []})"},
      {"bad user id", R"({"users": [{"id": "a b", "tokens": []}], "conversations": []})"},
      {"dm of three", R"({"users": [{"id": "a", "tokens": []}, {"id": "b", "tokens": []}, {"id": "c", "tokens": []}],
                          "conversations": [{"id": "d", "kind": "dm", "members": ["a", "b", "c"]}]})"},
      {"bad kind", R"({"users": [], "conversations": [{"id": "c", "kind": "forum", "members": []}]})"},
      {"member twice", R"({"users": [{"id": "a", "tokens": []}], "conversations": [{"id": "c", "members": ["a", "a"]}]})"},
      {"bad durability", R"({"durability": "sometimes", "users": [], "conversations": []})"},
      {"wrong type", R"({"port": "eighty", "users": [], "conversations": []})"},
      {"zero threads", R"({"threads": 0, "users": [], "conversations": []})"},
      {"no HTTP connections", R"({"httpMaxConnections": 0, "users": [], "conversations": []})"},
      {"no minimum body rate", R"({"httpBodyMinBytesPerSecond": 0, "users": [], "conversations": []})"},
      {"active not a flag", R"({"users": [{"id": "a", "tokens": [], "active": "no"}], "conversations": []})"},
      {"session ttl over 366 days", R"({"sessionTtlSeconds": 40000000, "users": [], "conversations": []})"},
      {"user name with a control character", R"({"users": [{"id": "a", "name": "A\u0007", "tokens": []}], "conversations": []})"},
      {"empty user name", R"({"users": [{"id": "a", "name": "", "tokens": []}], "conversations": []})"},
      {"user name too long", R"({"users": [{"id": "a", "name": "0123456789012345678901234567890123456789012345678901234567890123456789012345678901", "tokens": []}], "conversations": []})"},
      {"workspace name with a control character", R"({"users": [{"id": "a", "tokens": []}],
          "workspaces": [{"id": "w", "name": "W\n", "members": [{"userId": "a"}]}], "conversations": []})"},
      {"negative fanout limit", R"({"presenceFanoutLimit": -1, "users": [], "conversations": []})"},
  };
  for (const auto& c : cases) {
    auto config = parse_config(c.json);
    ASSERT_FALSE(config.ok()) << c.why;
    EXPECT_EQ(config.error().code, ErrorCode::invalid_argument) << c.why;
    EXPECT_NE(config.error().message.find("configuration"), std::string::npos) << c.why;
  }
}

// Names reach other users' screens: no C0 or C1 control characters (U+009B starts a
// terminal escape sequence just as ESC [ does), and DMs have none at all.
TEST(ServerConfig, RefusesNamedDmsAndControlCharactersInNames) {
  struct Case {
    const char* why;
    std::string json;
    const char* says;
  };
  const std::string two_users = R"("users": [{"id": "a", "tokens": []}, {"id": "b", "tokens": []}])";
  const Case cases[] = {
      {"named dm", "{" + two_users + R"(, "conversations": [{"id": "d", "kind": "dm", "name": "ours", "members": ["a", "b"]}]})",
       "no name"},
      {"named group dm", "{" + two_users + R"(, "conversations": [{"id": "d", "kind": "group_dm", "name": "g", "members": ["a", "b"]}]})",
       "no name"},
      {"C1 in a channel name", "{" + two_users + R"(, "conversations": [{"id": "c", "name": "a\u009b2Jb", "members": []}]})",
       "control characters"},
      {"C0 in a channel name", "{" + two_users + R"(, "conversations": [{"id": "c", "name": "a\u001bb", "members": []}]})",
       "control characters"},
      {"C0 in a user name", R"({"users": [{"id": "a", "name": "A\u0007", "tokens": []}], "conversations": []})",
       "control characters"},
      {"C1 in a user name", R"({"users": [{"id": "a", "name": "A\u0085", "tokens": []}], "conversations": []})",
       "control characters"},
      {"C1 in a workspace name", R"({"users": [], "conversations": [], "workspaces": [{"id": "w", "name": "W\u009b", "members": []}]})",
       "control characters"},
  };
  for (const auto& c : cases) {
    auto config = parse_config(c.json);
    ASSERT_FALSE(config.ok()) << c.why;
    EXPECT_NE(config.error().message.find(c.says), std::string::npos) << c.why << ": " << config.error().message;
  }
  EXPECT_TRUE(parse_config("{" + two_users + R"(, "conversations": [{"id": "c", "name": "caf\u00e9 \u00a0\u00ff", "members": []}]})").ok())
      << "characters from U+00A0 on are printable";
}

TEST(ServerConfig, ReportsAnUnreadableFile) {
  auto config = load_config("/nonexistent/confab.json");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("/nonexistent/confab.json"), std::string::npos);
}

}  // namespace
}  // namespace confab::server
