// Session tokens and development tokens: how long they live, and whose they may be.
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

TEST(Tokens, AWellSignedTokenForAUserNotInTheDirectoryIsRefused) {
  TokenAuthority tokens(directory());
  for (const char* user : {"mallory", ""}) {
    auto claims = tokens.verify(tokens.issue(user, "d", kNow), kNow);
    ASSERT_FALSE(claims.ok()) << "user '" << user << "'";
    EXPECT_EQ(claims.error().code, ErrorCode::unauthorized);
  }
  EXPECT_TRUE(tokens.verify(tokens.issue("bob", "d", kNow), kNow).ok());
}

TEST(Tokens, AUserRemovedFromTheDirectoryLosesTheirSessions) {
  // The same secret across a restart: tokens issued before still verify, unless their
  // user is gone from the configuration, or kept there but deactivated.
  ServerConfig before = directory();
  std::string bob_session = TokenAuthority(before).issue("bob", "bob-phone", kNow);
  std::string alice_session = TokenAuthority(before).issue("alice", "alice-phone", kNow);

  ServerConfig removed = directory();
  removed.users.pop_back();
  TokenAuthority after_removal(removed);
  EXPECT_TRUE(after_removal.verify(alice_session, kNow).ok());
  auto refused = after_removal.verify(bob_session, kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::unauthorized);

  ServerConfig deactivated = directory();
  deactivated.users[1].active = false;
  TokenAuthority after_deactivation(deactivated);
  EXPECT_TRUE(after_deactivation.verify(alice_session, kNow).ok());
  EXPECT_EQ(after_deactivation.verify(bob_session, kNow).error().code, ErrorCode::unauthorized);
  EXPECT_EQ(after_deactivation.verify("token-bob", kNow).error().code, ErrorCode::unauthorized)
      << "a deactivated user's development token no longer authenticates";
  EXPECT_EQ(after_deactivation.verify_development("token-bob").error().code, ErrorCode::unauthorized)
      << "nor bootstraps";
  EXPECT_TRUE(after_deactivation.verify_development("token-alice").ok());
}

}  // namespace
}  // namespace confab::server
