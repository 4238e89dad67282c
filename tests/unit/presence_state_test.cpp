// Presence with a test clock: this device's heartbeats (when, and what they say) and the
// statuses of others from the server's frames.
#include <gtest/gtest.h>

#include "core/presence.h"
#include "printers.h"

namespace confab::core {
namespace {

using Changes = std::vector<PresenceChange>;

class PresenceStateTest : public testing::Test {
 protected:
  // The heartbeats sent since the last call, by status.
  std::vector<std::string> beats() {
    collect();
    return std::exchange(beats_, {});
  }
  Changes changes() {
    collect();
    return std::exchange(changes_, {});
  }

  void collect() {
    for (auto& action : presence_.take_actions()) {
      if (auto* send = std::get_if<PresenceSend>(&action)) {
        beats_.push_back(send->frame.status);
        EXPECT_TRUE(protocol::decode_client_frame(protocol::encode(protocol::ClientFrame{send->frame})).ok());
      } else {
        changes_.push_back(std::get<NotifyPresence>(action).change);
      }
    }
  }

  PresenceState presence_;
  std::vector<std::string> beats_;
  Changes changes_;
};

using Strings = std::vector<std::string>;

TEST_F(PresenceStateTest, HeartbeatsAtOnceOnConnectingThenEveryFifteenSeconds) {
  presence_.connected(1'000);
  EXPECT_EQ(beats(), (Strings{"online"})) << "the first one subscribes the device";
  EXPECT_EQ(presence_.next_wakeup(), 16'000);
  presence_.tick(15'999);
  EXPECT_TRUE(beats().empty());
  presence_.tick(16'000);
  EXPECT_EQ(beats(), (Strings{"online"}));
  EXPECT_EQ(presence_.next_wakeup(), 31'000);
  presence_.tick(50'000);  // a late tick (a suspended process): one heartbeat, not three
  EXPECT_EQ(beats(), (Strings{"online"}));
  EXPECT_EQ(presence_.next_wakeup(), 65'000);
}

TEST_F(PresenceStateTest, IdleInputAndTheBackgroundAreSentAtOnceAndOnlyWhenTheStatusChanges) {
  presence_.connected(0);
  beats();
  presence_.set_idle(true, 5'000);
  EXPECT_EQ(beats(), (Strings{"idle"}));
  EXPECT_EQ(presence_.next_wakeup(), 20'000) << "the schedule restarts from the change";
  presence_.set_idle(true, 6'000);
  presence_.set_background(true, 7'000);
  presence_.set_idle(false, 8'000);
  EXPECT_TRUE(beats().empty()) << "idle throughout: in the background since 7 s";
  EXPECT_EQ(presence_.own_status(), PresenceStatus::idle);
  presence_.tick(20'000);
  EXPECT_EQ(beats(), (Strings{"idle"}));
  presence_.set_background(false, 21'000);
  EXPECT_EQ(beats(), (Strings{"online"}));
  EXPECT_EQ(presence_.own_status(), PresenceStatus::online);
}

TEST_F(PresenceStateTest, NothingIsSentWhileDisconnected) {
  presence_.set_idle(true, 0);
  EXPECT_TRUE(beats().empty());
  EXPECT_EQ(presence_.next_wakeup(), std::nullopt);
  presence_.connected(1'000);
  EXPECT_EQ(beats(), (Strings{"idle"})) << "a hint given offline counts from the first heartbeat";
  presence_.disconnected();
  EXPECT_EQ(presence_.next_wakeup(), std::nullopt);
  presence_.tick(100'000);
  presence_.set_idle(false, 100'000);
  EXPECT_TRUE(beats().empty());
}

TEST_F(PresenceStateTest, OthersStatusesComeFromPushesAndQueriesAndEachChangeIsReportedOnce) {
  EXPECT_EQ(presence_.status("bob"), PresenceStatus::offline) << "unknown is offline";
  presence_.on_presence({"bob", "online"});
  presence_.on_presence({"bob", "online"});
  EXPECT_EQ(changes(), (Changes{{"bob", PresenceStatus::online}}));
  presence_.on_presence_state({"q", {{"bob", "idle"}, {"carol", "offline"}, {"dave", "online"}}});
  EXPECT_EQ(changes(), (Changes{{"bob", PresenceStatus::idle}, {"dave", PresenceStatus::online}}))
      << "carol was offline already";
  EXPECT_EQ(presence_.status("bob"), PresenceStatus::idle);
  EXPECT_EQ(presence_.status("dave"), PresenceStatus::online);
  presence_.on_presence({"bob", "offline"});
  EXPECT_EQ(changes(), (Changes{{"bob", PresenceStatus::offline}}));
  EXPECT_EQ(presence_.status("bob"), PresenceStatus::offline);
}

TEST_F(PresenceStateTest, ADisconnectMakesEveryoneOffline) {
  presence_.connected(0);
  presence_.on_presence({"bob", "online"});
  presence_.on_presence({"carol", "idle"});
  changes();
  presence_.disconnected();
  EXPECT_EQ(changes(), (Changes{{"bob", PresenceStatus::offline}, {"carol", PresenceStatus::offline}}));
  EXPECT_EQ(presence_.status("carol"), PresenceStatus::offline);
  presence_.disconnected();
  EXPECT_TRUE(changes().empty());
}

}  // namespace
}  // namespace confab::core
