// The reference server's configuration file.
#include <gtest/gtest.h>

#include "config.h"
#include "printers.h"

namespace confab::server {
namespace {

TEST(ServerConfig, ParsesUsersConversationsAndSettings) {
  auto config = parse_config(R"({
    "listen": "0.0.0.0", "port": 9000, "database": "/var/lib/confab.db", "durability": "normal",
    "threads": 4, "authTimeoutMs": 2500,
    "users": [{"id": "alice", "tokens": ["t1", "t2"]}, {"id": "bob", "name": "Bob", "tokens": []}],
    "conversations": [{"id": "dm_ab", "kind": "dm", "members": ["alice", "bob"]},
                      {"id": "general", "members": ["alice"]}]
  })");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->listen_address, "0.0.0.0");
  EXPECT_EQ(config->port, 9000);
  EXPECT_EQ(config->durability, Durability::normal);
  EXPECT_EQ(config->threads, 4);
  EXPECT_EQ(config->auth_timeout, std::chrono::milliseconds(2500));
  ASSERT_EQ(config->users.size(), 2u);
  EXPECT_EQ(config->users[0].name, "alice") << "the name defaults to the id";
  EXPECT_EQ(config->users[0].tokens.size(), 2u);
  ASSERT_EQ(config->conversations.size(), 2u);
  EXPECT_EQ(config->conversations[0].kind, ConversationKind::dm);
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

TEST(ServerConfig, ReportsAnUnreadableFile) {
  auto config = load_config("/nonexistent/confab.json");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("/nonexistent/confab.json"), std::string::npos);
}

}  // namespace
}  // namespace confab::server
