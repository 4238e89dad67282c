// The README's first command runs confab-demo against the reference server; this runs the
// same program the same way, so a change that breaks the demo fails here.
#include <gtest/gtest.h>

#include <csignal>

#include "child_process.h"
#include "recorder.h"
#include "sdk_device.h"
#include "server_process.h"
#include "temp_dir.h"

namespace confab {
namespace {

TEST(Demo, TwoUsersFinishTheirConversationAndAgreeOnTheOrder) {
  test::TempDir dir;
  test::ServerProcess server(dir / "server");
  test::ChildProcess demo({CONFAB_DEMO_BINARY, "--url", server.url(), "--conversation", "c_general", "--user",
                           "alice=token-alice", "bob=token-bob", "--data-dir", dir.path().string(), "--timeout", "20"},
                          dir / "demo.log");
  std::string last;
  int typing = 0, read = 0, online = 0, idle = 0;
  while (auto line = demo.read_line(std::chrono::seconds(30))) {
    if (!line->empty()) last = *line;
    typing += line->find("is typing") != std::string::npos;
    read += line->find("read by") != std::string::npos;
    online += line->find("is online") != std::string::npos;
    idle += line->find("[alice's screen] bob is idle") != std::string::npos;
  }
  EXPECT_EQ(demo.wait(std::chrono::seconds(30)), 0) << "last line: " << last;
  // The screens show the live state too: who types, who has read each message, who is around.
  EXPECT_EQ(typing, 6) << "each line is typed before it is sent";
  EXPECT_EQ(read, 6) << "each line is read by the other user";
  EXPECT_GE(online, 1);
  EXPECT_EQ(idle, 1);
}

TEST(Demo, ARefusedTokenStopsItWithAnError) {
  test::TempDir dir;
  test::ServerProcess server(dir / "server");
  test::ChildProcess demo({CONFAB_DEMO_BINARY, "--url", server.url(), "--conversation", "c_general", "--user",
                           "alice=not-a-token", "bob=token-bob", "--data-dir", dir.path().string()},
                          dir / "demo.log");
  bool said_why = false;
  while (auto line = demo.read_line(std::chrono::seconds(30))) {
    said_why |= line->find("unauthorized") != std::string::npos;
  }
  EXPECT_TRUE(said_why);
  EXPECT_NE(demo.wait(std::chrono::seconds(30)), 0);
}

// scripts/demo --qt puts confab-demo-peer (bob) beside the Qt app: it must greet the user,
// then read, type and answer what they write, where they write it.
TEST(DemoPeer, GreetsThenReadsTypesAndAnswersWhatTheUserWrites) {
  using namespace std::chrono_literals;
  test::TempDir dir;
  test::ServerProcess server(dir / "server");
  test::Device alice("alice-laptop");
  test::Recorder<std::string> said;    // bob's messages, as alice's device receives them
  test::Recorder<int> typing;          // bob typing, on alice's device
  test::Recorder<Seq> read;            // how far bob has read c_general
  auto messages = alice.client->on_message([&](const Message& m) {
    if (m.sender_id == "bob" && m.kind == EventKind::message_created) said.add(m.conversation_id + ": " + m.text);
  });
  auto typers = alice.client->on_typing([&](const TypingChange& c) {
    if (c.user_ids == std::vector<std::string>{"bob"}) typing.add(1);
  });
  auto receipts = alice.client->on_receipts([&](const ReceiptChange& c) {
    if (c.receipt.user_id == "bob" && c.conversation_id == "c_general") read.add(c.receipt.read_seq);
  });
  ASSERT_TRUE(alice.client->connect(server.url(), "token-alice").ok());
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::connected));
  static_cast<void>(alice.client->receipts("c_general"));  // watched: asked for again after each connection

  test::ChildProcess peer({CONFAB_DEMO_PEER_BINARY, "--url", server.url(), "--token", "token-bob", "--partner",
                           "alice", "--data-dir", dir.path().string()},
                          dir / "peer.log");
  ASSERT_TRUE(said.wait_for_count(1, 30s)) << "bob greets";
  EXPECT_EQ(said.items()[0].rfind("c_general: Hi! I'm Bob", 0), 0u) << said.items()[0];
  EXPECT_GE(typing.items().size(), 1u) << "typed before he wrote";

  auto sent = alice.client->send("c_general", "Shall we ship on Friday?");
  ASSERT_TRUE(sent.ok());
  ASSERT_TRUE(said.wait_for_count(2, 30s)) << "bob answers";
  EXPECT_EQ(said.items()[1], "c_general: Good question. I think so, but let me double-check.");
  ASSERT_TRUE(read.wait_until([](const std::vector<Seq>& seqs) { return !seqs.empty() && seqs.back() >= 2; }, 30s))
      << "bob read the question";
  EXPECT_GE(typing.items().size(), 2u) << "typed before he answered";
  EXPECT_EQ(peer.kill_and_wait(SIGTERM), 0) << "stops cleanly";
}

}  // namespace
}  // namespace confab
