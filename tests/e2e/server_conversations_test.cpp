// The reference server's conversations, sync, cursors, typing, presence and rate limit,
// over real sockets: who receives what, and that non-members receive nothing.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "server_process.h"
#include "temp_dir.h"
#include "ws_probe.h"

namespace confab::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class ServerConversations : public testing::Test {
 protected:
  std::unique_ptr<WsProbe> connect(const std::string& token, const std::string& device = "probe") {
    auto probe = std::make_unique<WsProbe>(server().port());
    probe->authenticate(token, device);
    return probe;
  }

  // Proves that nothing is queued for a probe: the next frame answers a ping.
  static void expect_nothing_more(WsProbe& probe) {
    probe.send_text(R"({"type":"ping","id":"quiet"})");
    auto next = probe.read_json();
    EXPECT_EQ(next["type"], "pong") << "unexpected frame: " << next.dump();
  }

  static json request(WsProbe& probe, const json& frame) {
    probe.send_text(frame.dump());
    return probe.read_json();
  }

  ServerProcess& server() {
    if (!server_) server_ = std::make_unique<ServerProcess>(dir_.path(), config_);
    return *server_;
  }

  TempDir dir_;
  std::string config_ = default_server_config();
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServerConversations, APrivateChannelsEventsReachItsMembersAndNoOneElse) {
  auto alice = connect("token-alice");
  auto bob = connect("token-bob");
  auto carol = connect("token-carol");

  auto created = request(*alice, {{"type", "conversation.create"}, {"id", "c1"}, {"kind", "private_channel"},
                                  {"name", "launch"}, {"userIds", {"bob"}}});
  ASSERT_EQ(created["type"], "conversation") << created.dump();
  EXPECT_EQ(created["id"], "c1");
  std::string id = created["conversation"]["conversationId"];
  EXPECT_EQ(created["members"], json({"alice", "bob"}));
  for (auto* probe : {alice.get(), bob.get()}) {
    for (const char* member : {"alice", "bob"}) {
      auto event = probe->read_json();
      EXPECT_EQ(event["kind"], "member.joined") << event.dump();
      EXPECT_EQ(event["member"]["userId"], member);
    }
  }
  expect_nothing_more(*carol);

  alice->send_text(message_send_frame(id, "m1", "countdown", "s1"));
  EXPECT_EQ(alice->read_json()["type"], "message.ack");
  EXPECT_EQ(alice->read_json()["conversationSeq"], 3);
  EXPECT_EQ(bob->read_json()["message"]["body"]["text"], "countdown");
  expect_nothing_more(*carol);

  carol->send_text(message_send_frame(id, "x1", "let me in", "s2"));
  EXPECT_EQ(carol->read_json()["code"], "not_member");
  for (const json& frame : {json{{"type", "history.request"}, {"id", "h"}, {"conversationId", id}, {"afterSeq", 0}},
                            json{{"type", "conversation.join"}, {"id", "h"}, {"conversationId", id}},
                            json{{"type", "typing.start"}, {"id", "h"}, {"conversationId", id}}}) {
    EXPECT_EQ(request(*carol, frame)["code"], "not_member") << frame.dump();
  }
  auto listed = request(*carol, {{"type", "conversations.list"}, {"id", "l"}});
  for (const auto& item : listed["items"]) EXPECT_NE(item["conversationId"], id) << "invisible to non-members";

  auto invited = request(*bob, {{"type", "conversation.invite"}, {"id", "i"}, {"conversationId", id},
                                {"userIds", {"carol"}}});
  ASSERT_EQ(invited["type"], "conversation") << invited.dump();
  for (auto* probe : {alice.get(), bob.get(), carol.get()}) {
    auto joined = probe->read_json();
    EXPECT_EQ(joined["member"]["userId"], "carol");
    EXPECT_EQ(joined["member"]["senderId"], "bob");
    EXPECT_EQ(joined["conversationSeq"], 4);
  }
  auto history = request(*carol, {{"type", "history.request"}, {"id", "h"}, {"conversationId", id}, {"afterSeq", 0}});
  ASSERT_EQ(history["type"], "history") << history.dump();
  ASSERT_EQ(history["events"].size(), 4u);
  EXPECT_EQ(history["events"][2]["message"]["body"]["text"], "countdown");
  EXPECT_EQ(history["headSeq"], 4);

  auto left = request(*bob, {{"type", "conversation.leave"}, {"id", "b"}, {"conversationId", id}});
  ASSERT_EQ(left["type"], "conversation");
  EXPECT_EQ(left["members"], json({"alice", "carol"}));
  for (auto* probe : {alice.get(), bob.get(), carol.get()}) {
    auto event = probe->read_json();
    EXPECT_EQ(event["kind"], "member.left") << "the leaver hears of it too";
  }
  alice->send_text(message_send_frame(id, "m2", "after bob", "s3"));
  alice->read_json();
  alice->read_json();
  EXPECT_EQ(carol->read_json()["message"]["body"]["text"], "after bob");
  expect_nothing_more(*bob);
}

TEST_F(ServerConversations, SyncGivesHeadsAndHistoryFillsTheGap) {
  auto bob = connect("token-bob");
  for (int i = 1; i <= 5; ++i) {
    bob->send_text(message_send_frame("c_general", "g" + std::to_string(i), "n" + std::to_string(i)));
    bob->read_json();
    bob->read_json();
  }
  auto alice = connect("token-alice");
  auto all = request(*alice, {{"type", "sync.request"}, {"id", "s"}});
  ASSERT_EQ(all["type"], "sync.state") << all.dump();
  ASSERT_EQ(all["items"].size(), 2u);
  EXPECT_EQ(all["items"][0]["conversationId"], "c_general");
  EXPECT_EQ(all["items"][0]["headSeq"], 5);
  auto behind = request(*alice, {{"type", "sync.request"}, {"id", "s"},
                                 {"cursors", {{{"conversationId", "c_general"}, {"seq", 2}},
                                              {{"conversationId", "c_release"}, {"seq", 0}}}}});
  ASSERT_EQ(behind["items"].size(), 1u) << "c_release is caught up";
  EXPECT_EQ(behind["items"][0]["headSeq"], 5);
  auto gap = request(*alice, {{"type", "history.request"}, {"id", "h"}, {"conversationId", "c_general"},
                              {"afterSeq", 2}, {"limit", 2}});
  ASSERT_EQ(gap["events"].size(), 2u);
  EXPECT_EQ(gap["events"][0]["conversationSeq"], 3);
  EXPECT_EQ(gap["more"], true);
  auto rest = request(*alice, {{"type", "history.request"}, {"id", "h"}, {"conversationId", "c_general"},
                               {"afterSeq", 4}});
  ASSERT_EQ(rest["events"].size(), 1u);
  EXPECT_FALSE(rest.contains("more"));
}

TEST_F(ServerConversations, HistoryTooFarBehindAnswersTooLong) {
  config_ = server_config_with(R"("maxDifference": 3)");
  auto bob = connect("token-bob");
  for (int i = 1; i <= 5; ++i) {
    bob->send_text(message_send_frame("c_general", "g" + std::to_string(i), "n"));
    bob->read_json();
    bob->read_json();
  }
  auto far = request(*bob, {{"type", "history.request"}, {"id", "h"}, {"conversationId", "c_general"}, {"afterSeq", 1}});
  EXPECT_EQ(far["tooLong"], true) << far.dump();
  EXPECT_TRUE(far["events"].empty());
  auto newest = request(*bob, {{"type", "history.request"}, {"id", "h"}, {"conversationId", "c_general"},
                               {"beforeSeq", 6}, {"limit", 2}});
  ASSERT_EQ(newest["events"].size(), 2u);
  EXPECT_EQ(newest["events"][1]["conversationSeq"], 5);
}

TEST_F(ServerConversations, CursorsReachTheOtherMembersAndTheUsersOtherDevices) {
  auto phone = connect("token-bob", "bob-phone");
  auto laptop = connect("token-bob", "bob-laptop");
  auto alice = connect("token-alice");
  alice->send_text(message_send_frame("c_release", "r1", "read me", "s"));
  for (auto* probe : {alice.get(), alice.get(), phone.get(), laptop.get()}) probe->read_json();

  auto moved = request(*phone, {{"type", "cursor.update"}, {"id", "k"}, {"conversationId", "c_release"}, {"readSeq", 1}});
  ASSERT_EQ(moved["type"], "cursor") << moved.dump();
  EXPECT_EQ(moved["readSeq"], 1);
  EXPECT_EQ(moved["deviceId"], "bob-phone");
  for (auto* probe : {laptop.get(), alice.get()}) {
    auto seen = probe->read_json();
    EXPECT_EQ(seen["type"], "cursor");
    EXPECT_EQ(seen["userId"], "bob");
    EXPECT_EQ(seen["readSeq"], 1);
  }
  expect_nothing_more(*phone);
  auto past = request(*phone, {{"type", "cursor.update"}, {"id", "k"}, {"conversationId", "c_release"}, {"readSeq", 2}});
  EXPECT_EQ(past["code"], "invalid_field");
  auto listed = request(*laptop, {{"type", "conversations.list"}, {"id", "l"}});
  EXPECT_EQ(listed["items"][1]["readSeq"], 1) << "the read cursor is the user's, on every device";
}

TEST_F(ServerConversations, TypingReachesTheOthersAndEndsByItself) {
  config_ = server_config_with(R"("typingTtlMs": 200)");
  auto alice = connect("token-alice");
  auto bob = connect("token-bob");
  alice->send_text(R"({"type":"typing.start","conversationId":"c_release"})");
  auto typing = bob->read_json();
  EXPECT_EQ(typing["type"], "typing");
  EXPECT_EQ(typing["userId"], "alice");
  EXPECT_EQ(typing["typing"], true);
  auto ended = bob->read_json(5s);  // the server's sweep runs once a second
  EXPECT_EQ(ended["typing"], false) << ended.dump();
  expect_nothing_more(*alice);

  alice->send_text(R"({"type":"typing.start","conversationId":"c_release"})");
  alice->send_text(R"({"type":"typing.stop","conversationId":"c_release"})");
  EXPECT_EQ(bob->read_json()["typing"], true);
  EXPECT_EQ(bob->read_json()["typing"], false);
}

TEST_F(ServerConversations, PresenceChangesReachSubscribedContacts) {
  auto alice = connect("token-alice");
  auto bob = connect("token-bob");
  expect_nothing_more(*bob);  // no presence until the device asks for it
  bob->send_text(R"({"type":"presence.heartbeat","status":"online"})");
  std::set<std::string> online;
  for (int i = 0; i < 1; ++i) {
    auto snapshot = bob->read_json();
    EXPECT_EQ(snapshot["type"], "presence");
    EXPECT_EQ(snapshot["status"], "online");
    online.insert(snapshot["userId"].get<std::string>());
  }
  EXPECT_EQ(online, std::set<std::string>{"alice"}) << "carol is offline, bob is himself";
  alice->send_text(R"({"type":"presence.heartbeat","status":"idle"})");
  auto idle = bob->read_json();
  EXPECT_EQ(idle["userId"], "alice");
  EXPECT_EQ(idle["status"], "idle");
  alice.reset();
  auto gone = bob->read_json();
  EXPECT_EQ(gone["userId"], "alice");
  EXPECT_EQ(gone["status"], "offline");
  auto carol = connect("token-carol");
  auto arrived = bob->read_json();
  EXPECT_EQ(arrived["userId"], "carol");
  EXPECT_EQ(arrived["status"], "online");
}

TEST_F(ServerConversations, AConnectionOverItsRateIsToldWhenToRetryAndKeepsWorking) {
  config_ = server_config_with(R"("rateLimit": {"perSecond": 2, "burst": 2})");
  auto alice = connect("token-alice");
  json limited;
  for (int i = 0; i < 3; ++i) {
    limited = request(*alice, {{"type", "sync.request"}, {"id", "s" + std::to_string(i)}});
  }
  EXPECT_EQ(limited["code"], "rate_limited") << limited.dump();
  EXPECT_EQ(limited["retryable"], true);
  EXPECT_EQ(limited["id"], "s2");
  EXPECT_GT(limited["retryAfterMs"].get<int>(), 0);
  EXPECT_LE(limited["retryAfterMs"].get<int>(), 500);
  expect_nothing_more(*alice);  // pings are never limited
  auto deadline = std::chrono::steady_clock::now() + 10s;
  json later;
  do {
    later = request(*alice, {{"type", "sync.request"}, {"id", "again"}});
  } while (later["type"] == "error" && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(later["type"], "sync.state") << "the budget refills";
}

TEST_F(ServerConversations, AWorkspaceAdminMayDeleteAnyonesMessageAMemberOnlyTheirOwn) {
  config_ = server_config_with(R"("workspaces": [{"id": "w_acme", "name": "Acme", "members": [
      {"userId": "alice", "role": "owner"}, {"userId": "bob", "role": "member"},
      {"userId": "carol", "role": "admin"}]}])");
  auto bob = connect("token-bob");
  bob->send_text(message_send_frame("c_general", "b1", "oops", "s"));
  std::string message_id = bob->read_json()["messageId"];
  bob->read_json();
  auto alice = connect("token-alice");
  json del{{"type", "message.delete"}, {"id", "d"}, {"conversationId", "c_general"}, {"messageId", message_id}};
  json react{{"type", "reaction.add"}, {"id", "x"}, {"conversationId", "c_release"}, {"messageId", message_id},
             {"clientMessageId", "x1"}, {"emoji", "👀"}};
  auto carol = connect("token-carol");
  EXPECT_EQ(request(*carol, react)["code"], "not_member") << "no reacting where one is not a member";

  auto other = connect("token-bob", "bob-2");  // the deletion reaches every device
  del["clientMessageId"] = "d-carol";
  auto deleted = request(*carol, del);
  EXPECT_EQ(deleted["type"], "message.ack") << "carol is an admin: " << deleted.dump();
  for (auto* probe : {bob.get(), alice.get(), other.get()}) EXPECT_EQ(probe->read_json()["kind"], "message.deleted");
  EXPECT_EQ(carol->read_json()["kind"], "message.deleted");

  alice->send_text(message_send_frame("c_general", "a1", "mine", "s"));
  std::string alices = alice->read_json()["messageId"];
  for (auto* probe : {alice.get(), bob.get(), other.get(), carol.get()}) probe->read_json();
  json edit{{"type", "message.edit"}, {"id", "e"}, {"conversationId", "c_general"}, {"messageId", alices},
            {"clientMessageId", "e-bob"}, {"body", {{"kind", "text"}, {"text", "bob was here"}}}};
  EXPECT_EQ(request(*bob, edit)["code"], "forbidden") << "bob is a plain member";
}

TEST_F(ServerConversations, MembersWithNoConnectedDeviceGetAPushWakeUp) {
  auto push_file = dir_.path() / "pushes.jsonl";
  config_ = server_config_with(R"("pushFile": ")" + push_file.string() + "\"");
  auto alice = connect("token-alice");
  auto carol = connect("token-carol");
  alice->send_text(message_send_frame("c_general", "p1", "wake up bob", "s"));
  EXPECT_EQ(alice->read_json()["type"], "message.ack");
  EXPECT_EQ(alice->read_json()["type"], "event");
  EXPECT_EQ(carol->read_json()["type"], "event");
  auto read_pushes = [&] {
    std::vector<json> lines;
    std::ifstream in(push_file);
    // The last line may still be being written: only whole lines count.
    for (std::string line; std::getline(in, line);) {
      if (in.eof()) break;  // no newline after it yet
      lines.push_back(json::parse(line));
    }
    return lines;
  };
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (read_pushes().empty() && std::chrono::steady_clock::now() < deadline) {
    // The push worker writes within its poll interval; check again on the next round trip.
    expect_nothing_more(*carol);
  }
  auto pushes = read_pushes();
  ASSERT_EQ(pushes.size(), 1u) << "bob only: alice sent it, carol is connected";
  EXPECT_EQ(pushes[0]["userId"], "bob");
  EXPECT_EQ(pushes[0]["conversationId"], "c_general");
  EXPECT_EQ(pushes[0]["conversationSeq"], 1);
  EXPECT_FALSE(pushes[0].contains("text")) << "a wake-up, never the message";
}

TEST_F(ServerConversations, ABurstToAnOfflineMemberQueuesOneWakeUpPerMessage) {
  // The wake-ups of messages committed together share a transaction: none may be lost or
  // doubled on the way.
  auto push_file = dir_.path() / "pushes.jsonl";
  config_ = server_config_with(R"("pushFile": ")" + push_file.string() + "\"");
  auto alice = connect("token-alice");
  auto carol = connect("token-carol");
  constexpr int kBurst = 60;
  for (int i = 0; i < kBurst; ++i) {
    alice->send_text(message_send_frame("c_general", "burst-" + std::to_string(i), "wake up " + std::to_string(i), "s"));
  }
  for (int i = 0; i < kBurst; ++i) EXPECT_EQ(carol->read_json()["type"], "event");
  auto read_pushes = [&] {
    std::vector<json> lines;
    std::ifstream in(push_file);
    // The last line may still be being written: only whole lines count.
    for (std::string line; std::getline(in, line);) {
      if (in.eof()) break;  // no newline after it yet
      lines.push_back(json::parse(line));
    }
    return lines;
  };
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (read_pushes().size() < kBurst && std::chrono::steady_clock::now() < deadline) {
    expect_nothing_more(*carol);  // a round trip's wait, then look again
  }
  std::set<std::int64_t> seqs;
  for (const auto& p : read_pushes()) {
    EXPECT_EQ(p["userId"], "bob");
    EXPECT_TRUE(seqs.insert(p["conversationSeq"].get<std::int64_t>()).second) << "seq " << p["conversationSeq"] << " twice";
  }
  EXPECT_EQ(seqs.size(), static_cast<std::size_t>(kBurst));
  if (!seqs.empty()) {
    EXPECT_EQ(*seqs.begin(), 1);
    EXPECT_EQ(*seqs.rbegin(), kBurst);
  }
}

}  // namespace
}  // namespace confab::test
