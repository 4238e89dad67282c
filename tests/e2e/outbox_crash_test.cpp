// The outbox's promise under SIGKILL: a child process queues and flushes messages and is
// killed at random points, many times over, then restarted on the same database. In the
// end the server must hold every message whose send() returned exactly once, in send()
// order per conversation, and nothing that was never sent.
//
// CONFAB_CRASH_SEED and CONFAB_CRASH_ROUNDS replay or lengthen a run; the seed is printed.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <map>
#include <random>
#include <set>

#include "child_process.h"
#include "server_log.h"
#include "server_process.h"
#include "temp_dir.h"

namespace confab {
namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::stoull(value) : fallback;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "r12-34" -> (12, 34): the order in which the child sent it.
std::pair<int, int> position(const std::string& text) {
  auto dash = text.find('-');
  return {std::stoi(text.substr(1, dash - 1)), std::stoi(text.substr(dash + 1))};
}

TEST(OutboxCrash, EveryReturnedSendReachesTheServerExactlyOnceInOrderAcrossKills) {
  const std::uint64_t seed = env_or("CONFAB_CRASH_SEED", std::random_device{}());
  const int rounds = static_cast<int>(env_or("CONFAB_CRASH_ROUNDS", 40));
  constexpr int kPerRound = 120;
  std::cout << "outbox crash test: seed " << seed << ", " << rounds << " kills of " << kPerRound
            << " sends each (replay with CONFAB_CRASH_SEED=" << seed << ")" << std::endl;
  std::mt19937_64 random(seed);

  test::TempDir dir;
  test::ServerProcess server(dir / "server");
  const auto database = dir / "client.db";
  auto child = [&](int run, int count) {
    return std::make_unique<test::ChildProcess>(
        std::vector<std::string>{CONFAB_OUTBOX_CHILD_BINARY, server.url(), "token-alice", database.string(),
                                 std::to_string(run), std::to_string(count)},
        dir / "child.log");
  };

  std::set<std::string> returned;  // send() returned: must be on the server exactly once
  std::set<std::string> maybe;     // send() may have committed when the kill came
  int killed_mid_send = 0, killed_while_draining = 0;  // the rest finished before the kill
  for (int run = 0; run < rounds; ++run) {
    // Kill after a random number of returned sends; past kPerRound, during the drain.
    const int kill_after = std::uniform_int_distribution<int>(0, kPerRound + 5)(random);
    auto process = child(run, kPerRound);
    int lines = 0;
    bool drained = false;
    while (lines < kill_after && !drained) {
      auto line = process->read_line(std::chrono::seconds(30));
      ASSERT_TRUE(line.has_value()) << "round " << run << ": the child stopped answering; its log:\n"
                                    << read_file(dir / "child.log");
      if (*line == "drained") {
        drained = true;
        break;
      }
      ASSERT_EQ(line->rfind("sent ", 0), 0u) << *line;
      returned.insert(line->substr(5));
      ++lines;
    }
    process->kill_and_wait(SIGKILL);
    // What the child printed before it died counts too, read or not.
    while (auto line = process->read_line(std::chrono::seconds(5))) {
      if (*line == "drained") {
        drained = true;
      } else {
        returned.insert(line->substr(5));
        ++lines;
      }
    }
    if (lines < kPerRound) {
      maybe.insert("r" + std::to_string(run) + "-" + std::to_string(lines));
      ++killed_mid_send;
    } else if (!drained) {
      ++killed_while_draining;
    }
  }

  auto drain = child(rounds, 0);
  auto last = drain->read_line(std::chrono::seconds(60));
  ASSERT_EQ(last.value_or("(nothing)"), "drained") << "the last run must empty the outbox; child log:\n"
                                                    << read_file(dir / "child.log");
  ASSERT_EQ(drain->wait(std::chrono::seconds(10)), 0);
  std::cout << "killed " << killed_mid_send << " times while sending, " << killed_while_draining
            << " while draining; " << returned.size() << " sends returned" << std::endl;

  std::set<std::string> on_server;
  for (const char* conversation : {"c_general", "c_release"}) {
    auto log = test::read_server_log(server.database(), conversation);
    std::pair<int, int> previous{-1, -1};
    for (const auto& m : log) {
      EXPECT_TRUE(on_server.insert(m.text).second) << "duplicated: " << m.text;
      EXPECT_TRUE(returned.contains(m.text) || maybe.contains(m.text)) << "never sent: " << m.text;
      auto at = position(m.text);
      EXPECT_LT(previous, at) << conversation << ": " << m.text << " is out of send() order";
      previous = at;
    }
  }
  for (const auto& text : returned) EXPECT_TRUE(on_server.contains(text)) << "lost: " << text;
}

}  // namespace
}  // namespace confab
