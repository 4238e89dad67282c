// Session tokens: how long they live.
#include <gtest/gtest.h>

#include "printers.h"
#include "tokens.h"

namespace confab::server {
namespace {

constexpr std::int64_t kNow = 1'763'805'600'000;

ServerConfig directory() {
  ServerConfig c;
  c.session_secret = std::string(32, 's');
  c.users = {{"alice", "Alice", {"token-alice"}}, {"bob", "Bob", {"token-bob"}}};
  return c;
}

TEST(Tokens, ASessionTokenLivesForTheConfiguredSeconds) {
  ServerConfig config = directory();  // sessionTtlSeconds: 3600 by default
  TokenAuthority tokens(config);
  EXPECT_EQ(tokens.ttl_ms(), 3'600'000);
  std::string token = tokens.issue("alice", "alice-phone", kNow);
  auto later = tokens.verify(token, kNow + 3'599'000);
  ASSERT_TRUE(later.ok()) << later.error().message;
  EXPECT_EQ(later->expires_at_ms, kNow + 3'600'000);
  auto expired = tokens.verify(token, kNow + 3'600'000);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::token_expired);

  config.session_ttl = std::chrono::seconds(90);
  TokenAuthority short_lived(config);
  EXPECT_TRUE(short_lived.verify(short_lived.issue("alice", "d", kNow), kNow + 89'000).ok());
  EXPECT_FALSE(short_lived.verify(short_lived.issue("alice", "d", kNow), kNow + 90'000).ok());
}

}  // namespace
}  // namespace confab::server
