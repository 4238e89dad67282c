// Typing indicators with a test clock: when this user's typing.start and typing.stop go
// out, and who else is listed as typing, for how long.
#include <gtest/gtest.h>

#include "core/typing.h"
#include "printers.h"

namespace confab::core {
namespace {

class TypingTest : public testing::Test {
 protected:
  void SetUp() override {
    typing_.set_user("alice");
    typing_.connected();
  }

  // The frames sent since the last call, as "start c" / "stop c".
  std::vector<std::string> sent() {
    collect();
    return std::exchange(sent_, {});
  }
  std::vector<TypingChange> changes() {
    collect();
    return std::exchange(changes_, {});
  }

  void collect() {
    for (auto& action : typing_.take_actions()) {
      if (auto* send = std::get_if<TypingSend>(&action)) {
        EXPECT_TRUE(send->frame.id.empty());
        sent_.push_back((send->frame.typing ? "start " : "stop ") + send->frame.conversation_id);
      } else {
        changes_.push_back(std::get<NotifyTyping>(action).change);
      }
    }
  }

  void remote(const std::string& conversation, const std::string& user, bool on, std::int64_t now) {
    typing_.remote(protocol::Typing{conversation, user, on}, now);
  }

  TypingState typing_;
  std::vector<std::string> sent_;
  std::vector<TypingChange> changes_;
};

using Strings = std::vector<std::string>;

TEST_F(TypingTest, TheFirstKeystrokeStartsTypingAndSteadyTypingRenewsItEveryThreeSeconds) {
  for (std::int64_t t = 0; t <= 7'000; t += 500) {
    typing_.tick(t);
    typing_.keystroke("c_general", t);
  }
  EXPECT_EQ(sent(), (Strings{"start c_general", "start c_general", "start c_general"}))
      << "at 0, 3000 and 6000 ms: often enough for the server's 6 s, no more";
}

TEST_F(TypingTest, TypingStopsThreeSecondsAfterTheLastKeystroke) {
  typing_.keystroke("c_general", 0);
  typing_.keystroke("c_general", 1'000);
  EXPECT_EQ(sent(), (Strings{"start c_general"}));
  EXPECT_EQ(typing_.next_wakeup(), 4'000);
  typing_.tick(3'999);
  EXPECT_TRUE(sent().empty());
  typing_.tick(4'000);
  EXPECT_EQ(sent(), (Strings{"stop c_general"}));
  EXPECT_EQ(typing_.next_wakeup(), std::nullopt);
  typing_.tick(10'000);
  EXPECT_TRUE(sent().empty()) << "one stop";
  typing_.keystroke("c_general", 10'500);
  EXPECT_EQ(sent(), (Strings{"start c_general"})) << "typing again starts again, whenever the last start was";
}

TEST_F(TypingTest, SendingStoppingAndTheBackgroundStopAtOnceOnlyWhereTypingStarted) {
  typing_.keystroke("c_a", 0);
  typing_.keystroke("c_b", 0);
  typing_.keystroke("c_c", 0);
  EXPECT_EQ(sent(), (Strings{"start c_a", "start c_b", "start c_c"}));
  typing_.sent("c_a");
  typing_.stop("c_b");
  typing_.stop("c_elsewhere");
  EXPECT_EQ(sent(), (Strings{"stop c_a", "stop c_b"}));
  typing_.sent("c_a");
  EXPECT_TRUE(sent().empty()) << "already stopped";
  typing_.background();
  EXPECT_EQ(sent(), (Strings{"stop c_c"}));
  typing_.tick(60'000);
  EXPECT_TRUE(sent().empty());
}

TEST_F(TypingTest, NothingGoesOutWhileDisconnectedAndADisconnectForgetsThisUsersTyping) {
  typing_.keystroke("c_a", 0);
  EXPECT_EQ(sent(), (Strings{"start c_a"}));
  typing_.disconnected();
  typing_.keystroke("c_a", 500);
  typing_.tick(10'000);
  typing_.background();
  EXPECT_TRUE(sent().empty()) << "the server ends it by itself";
  typing_.connected();
  typing_.keystroke("c_a", 11'000);
  EXPECT_EQ(sent(), (Strings{"start c_a"})) << "a new connection starts afresh";
}

TEST_F(TypingTest, OthersAreListedInTheOrderTheyStartedAndEachStopIsReported) {
  remote("c_a", "bob", true, 0);
  remote("c_a", "carol", true, 100);
  remote("c_a", "bob", true, 200);  // a renewal: no change
  EXPECT_EQ(typing_.typers("c_a"), (Strings{"bob", "carol"}));
  EXPECT_EQ(changes(), (std::vector<TypingChange>{{"c_a", {"bob"}}, {"c_a", {"bob", "carol"}}}));
  remote("c_a", "bob", false, 300);
  remote("c_a", "dave", false, 300);  // never started: nothing to report
  EXPECT_EQ(changes(), (std::vector<TypingChange>{{"c_a", {"carol"}}}));
  EXPECT_EQ(typing_.typers("c_a"), (Strings{"carol"}));
  EXPECT_TRUE(typing_.typers("c_b").empty());
}

TEST_F(TypingTest, AnotherUsersTypingEndsSixSecondsAfterTheLastStartEvenIfTheStopIsLost) {
  remote("c_a", "bob", true, 0);
  remote("c_a", "bob", true, 4'000);
  remote("c_b", "carol", true, 1'000);
  changes();
  EXPECT_EQ(typing_.next_wakeup(), 7'000);
  typing_.tick(7'000);
  EXPECT_EQ(changes(), (std::vector<TypingChange>{{"c_b", {}}}));
  EXPECT_EQ(typing_.typers("c_a"), (Strings{"bob"})) << "renewed at 4 s: until 10 s";
  typing_.tick(9'999);
  EXPECT_TRUE(changes().empty());
  typing_.tick(10'000);
  EXPECT_EQ(changes(), (std::vector<TypingChange>{{"c_a", {}}}));
  EXPECT_TRUE(typing_.typers("c_a").empty());
  EXPECT_EQ(typing_.next_wakeup(), std::nullopt);
}

TEST_F(TypingTest, ThisUserIsNeverListedEvenTypingOnAnotherDevice) {
  remote("c_a", "alice", true, 0);
  EXPECT_TRUE(typing_.typers("c_a").empty());
  EXPECT_TRUE(changes().empty());
}

TEST_F(TypingTest, ADisconnectEndsEveryoneElsesTyping) {
  remote("c_a", "bob", true, 0);
  remote("c_b", "carol", true, 0);
  changes();
  typing_.disconnected();
  EXPECT_EQ(changes(), (std::vector<TypingChange>{{"c_a", {}}, {"c_b", {}}}));
  EXPECT_TRUE(typing_.typers("c_a").empty());
  EXPECT_EQ(typing_.next_wakeup(), std::nullopt);
}

}  // namespace
}  // namespace confab::core
