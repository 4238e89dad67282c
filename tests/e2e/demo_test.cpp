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
  while (auto line = demo.read_line(std::chrono::seconds(30))) {
    if (!line->empty()) last = *line;
  }
  EXPECT_EQ(demo.wait(std::chrono::seconds(30)), 0) << "last line: " << last;
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
