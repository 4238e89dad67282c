// Presence and typing on the server: pure state driven by a test clock.
#include <gtest/gtest.h>

#include "ephemeral.h"

namespace confab::server {
namespace {

using Change = PresenceBoard::Change;

TEST(PresenceBoard, AUserIsOnlineWhileAnyDeviceIsAndChangesAreReportedOnce) {
  PresenceBoard board(30'000);
  EXPECT_EQ(board.heartbeat("bob", 1, "online", 0), (Change{"bob", "online"}));
  EXPECT_EQ(board.heartbeat("bob", 2, "idle", 10), std::nullopt) << "still online through device 1";
  EXPECT_EQ(board.heartbeat("bob", 1, "online", 20), std::nullopt) << "a heartbeat that changes nothing";
  EXPECT_EQ(board.disconnected("bob", 1), (Change{"bob", "idle"})) << "device 2 is idle";
  EXPECT_EQ(board.status_of("bob"), "idle");
  EXPECT_EQ(board.disconnected("bob", 2), (Change{"bob", "offline"}));
  EXPECT_EQ(board.status_of("bob"), "offline");
  EXPECT_EQ(board.status_of("nobody"), "offline");
}

TEST(PresenceBoard, ADeviceThatStopsHeartbeatingGoesOfflineAfterTheTtl) {
  PresenceBoard board(30'000);
  board.heartbeat("bob", 1, "online", 0);
  board.heartbeat("carol", 2, "online", 0);
  board.heartbeat("carol", 2, "online", 25'000);
  EXPECT_TRUE(board.expire(29'999).empty());
  EXPECT_EQ(board.expire(30'000), (std::vector<Change>{{"bob", "offline"}}));
  EXPECT_TRUE(board.expire(30'000).empty()) << "reported once";
  EXPECT_EQ(board.status_of("carol"), "online");
  EXPECT_EQ(board.heartbeat("bob", 1, "online", 31'000), (Change{"bob", "online"})) << "back with a heartbeat";
}

TEST(TypingBoard, TypingEndsByItselfUnlessRenewed) {
  TypingBoard board(6'000);
  board.start("c", "bob", 0);
  board.start("c", "carol", 0);
  board.start("c", "carol", 5'000);
  EXPECT_TRUE(board.expire(5'999).empty());
  EXPECT_EQ(board.expire(6'000), (std::vector<TypingBoard::Key>{{"c", "bob"}}));
  EXPECT_TRUE(board.stop("c", "carol"));
  EXPECT_FALSE(board.stop("c", "carol"));
  EXPECT_TRUE(board.expire(100'000).empty());
}

}  // namespace
}  // namespace confab::server
