// What leaves the server after a commit, without sockets: the answer to the requester, the
// frames for every connected device, push wake-ups, and the faults that bend them.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fanout.h"

namespace confab::server {
namespace {

using nlohmann::json;

// Everything that left, in order, as "who: frame".
struct Log {
  std::mutex mutex;
  std::vector<std::pair<std::string, std::shared_ptr<const std::string>>> entries;
  void add(std::string who, std::shared_ptr<const std::string> frame) {
    std::lock_guard lock(mutex);
    entries.emplace_back(std::move(who), std::move(frame));
  }
  std::vector<std::string> who() {
    std::lock_guard lock(mutex);
    std::vector<std::string> out;
    for (const auto& [name, frame] : entries) out.push_back(name);
    return out;
  }
};

class Device final : public FrameSink, public Requester {
 public:
  Device(std::string name, Log& log) : name_(std::move(name)), log_(log) {}
  void deliver(std::shared_ptr<const std::string> frame) override { log_.add(name_, std::move(frame)); }
  void go_away() override {}
  void drop() override {}
  void answered(std::vector<std::string> replies) override {
    for (auto& reply : replies) log_.add(name_ + " reply", std::make_shared<const std::string>(std::move(reply)));
  }

 private:
  std::string name_;
  Log& log_;
};

class FanoutTest : public testing::Test {
 protected:
  std::shared_ptr<Device> connect(const std::string& name, const std::string& user) {
    auto device = std::make_shared<Device>(name, log_);
    hub_.join(device);
    hub_.identify(device.get(), user);
    return device;
  }

  static AppendResult committed_message() {
    Appended a;
    a.ack = protocol::MessageAck{{}, "c_general", "cm-1", "msg-1", 7};
    protocol::Event e;
    e.conversation_id = "c_general";
    e.conversation_seq = 7;
    e.message_id = "msg-1";
    e.sender_id = "alice";
    e.client_message_id = "cm-1";
    e.body.text = "ship it";
    e.created_at_ms = 1000;
    a.event = e;
    a.members = {"alice", "bob", "carol"};
    return a;
  }

  Log log_;
  Hub hub_;
  Faults faults_;
  std::vector<PushNotification> pushed_;
  Fanout fanout_{hub_, faults_, [this](std::vector<PushNotification> p) {
                   pushed_.insert(pushed_.end(), p.begin(), p.end());
                 }};
};

TEST_F(FanoutTest, ACommittedMessageAnswersItsSenderFirstThenReachesEveryDeviceAndWakesTheOffline) {
  auto laptop = connect("alice-laptop", "alice");
  auto phone = connect("alice-phone", "alice");
  auto bobs = connect("bob-phone", "bob");
  fanout_.publish(fanout_.sent("r1", committed_message()), laptop, laptop.get());

  auto who = log_.who();
  ASSERT_EQ(who.size(), 4u);
  EXPECT_EQ(who[0], "alice-laptop reply") << "the ack before the event";
  auto ack = json::parse(*log_.entries[0].second);
  EXPECT_EQ(ack["type"], "message.ack");
  EXPECT_EQ(ack["id"], "r1");
  std::sort(who.begin() + 1, who.end());
  EXPECT_EQ(std::vector<std::string>(who.begin() + 1, who.end()),
            (std::vector<std::string>{"alice-laptop", "alice-phone", "bob-phone"}))
      << "every connected device of every member, the sender's included";
  EXPECT_EQ(log_.entries[1].second, log_.entries[2].second) << "encoded once, shared by every device";
  EXPECT_EQ(json::parse(*log_.entries[1].second)["type"], "event");
  ASSERT_EQ(pushed_.size(), 1u) << "carol has no connected device; alice sent it";
  EXPECT_EQ(pushed_[0].user_id, "carol");
  EXPECT_EQ(pushed_[0].conversation_seq, 7);
}

TEST_F(FanoutTest, FaultsDropTheAckButNotTheEventAndDuplicateEvents) {
  auto laptop = connect("alice-laptop", "alice");
  faults_.drop_acks = 1;
  faults_.duplicate_events = true;
  fanout_.publish(fanout_.sent("r1", committed_message()), laptop, laptop.get());
  EXPECT_EQ(log_.who(), (std::vector<std::string>{"alice-laptop", "alice-laptop"}));
  EXPECT_EQ(faults_.drop_acks.load(), 0);
}

TEST_F(FanoutTest, ARefusedSendIsOnlyAnswered) {
  auto laptop = connect("alice-laptop", "alice");
  auto bobs = connect("bob-phone", "bob");
  fanout_.publish(fanout_.sent("r1", AppendResult(Error::make(ErrorCode::not_member, "no"))), laptop, laptop.get());
  ASSERT_EQ(log_.who(), (std::vector<std::string>{"alice-laptop reply"}));
  EXPECT_EQ(json::parse(*log_.entries[0].second)["code"], "not_member");
  EXPECT_TRUE(pushed_.empty());
}

TEST_F(FanoutTest, AQueryReachesOthersEvenWhenItsRequesterIsGoneAndSkipsItWhenAsked) {
  auto laptop = connect("alice-laptop", "alice");
  auto phone = connect("alice-phone", "alice");
  auto bobs = connect("bob-phone", "bob");
  Outcome cursor;
  cursor.replies = {"{\"type\":\"cursor\",\"id\":\"k\"}"};
  cursor.deliveries.push_back({{"alice", "bob"}, "{\"type\":\"cursor\"}", {}, true});
  cursor.deliveries.push_back({{"alice", "bob"}, "{\"type\":\"typing\"}", "bob", false});
  std::weak_ptr<Requester> gone;
  fanout_.publish(cursor, gone, laptop.get());
  auto who = log_.who();
  std::sort(who.begin(), who.end());
  EXPECT_EQ(who, (std::vector<std::string>{"alice-laptop", "alice-phone", "alice-phone", "bob-phone"}))
      << "the cursor skips the requesting connection, the typing frame skips bob's devices";
}

}  // namespace
}  // namespace confab::server
