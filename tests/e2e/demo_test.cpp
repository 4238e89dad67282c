// The README's first command runs confab-demo against the reference server; this runs the
// same program the same way, so a change that breaks the demo fails here.
#include <gtest/gtest.h>

#include "child_process.h"
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

}  // namespace
}  // namespace confab
