// The server killed with SIGKILL under load: every acknowledged message is still there
// after the restart, with the seq its ack gave, and each conversation's log stays 1, 2,
// 3, ... without gaps.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>

#include "server_process.h"
#include "temp_dir.h"
#include "ws_probe.h"

namespace confab::test {
namespace {

using namespace std::chrono_literals;

TEST(ServerDurability, NoAcknowledgedMessageIsLostWhenTheServerIsKilledUnderLoad) {
  TempDir dir;
  auto server = std::make_unique<ServerProcess>(dir.path());
  const std::vector<std::pair<std::string, std::string>> senders{
      {"token-alice", "c_general"}, {"token-bob", "c_general"}, {"token-alice", "c_release"}, {"token-bob", "c_release"}};
  std::mutex mutex;
  std::map<std::string, std::pair<std::string, std::int64_t>> acked;  // clientMessageId -> (conversation, seq)
  std::atomic<int> total{0};
  std::condition_variable progress;
  std::vector<std::thread> threads;
  for (std::size_t s = 0; s < senders.size(); ++s) {
    threads.emplace_back([&, s] {
      const auto& [token, conversation] = senders[s];
      WsProbe probe(server->port());
      probe.authenticate(token, "load-" + std::to_string(s));
      for (int round = 0;; ++round) {
        constexpr int kPipelined = 16;
        for (int i = 0; i < kPipelined; ++i) {
          std::string id = "s" + std::to_string(s) + "-" + std::to_string(round * kPipelined + i);
          if (!probe.try_send_text(message_send_frame(conversation, id, "load " + id))) return;
        }
        for (int answered = 0; answered < kPipelined;) {
          auto frame = probe.read(20s);
          if (frame.kind != Received::Kind::text) return;  // the server is gone
          auto json = frame.json();
          if (json["type"] != "message.ack") continue;  // events of the other senders
          ++answered;
          std::lock_guard lock(mutex);
          acked[json["clientMessageId"]] = {json["conversationId"], json["conversationSeq"].get<std::int64_t>()};
          ++total;
          progress.notify_one();
        }
      }
    });
  }
  {
    std::unique_lock lock(mutex);
    progress.wait_for(lock, 60s, [&] { return total.load() >= 2000; });
  }
  server->kill();  // mid-stream: every sender has sends in flight
  for (auto& t : threads) t.join();
  ASSERT_GE(total.load(), 2000) << "the load did not get going";

  server = std::make_unique<ServerProcess>(dir.path());  // restarts on the same database
  SQLite::Database db(server->database().string(), SQLite::OPEN_READONLY);
  for (const char* conversation : {"c_general", "c_release"}) {
    SQLite::Statement q(db, "SELECT seq FROM events WHERE conversation_id = ?1 ORDER BY seq");
    q.bind(1, conversation);
    std::int64_t expected = 1;
    while (q.executeStep()) {
      ASSERT_EQ(q.getColumn(0).getInt64(), expected) << conversation << " has a gap";
      ++expected;
    }
  }
  SQLite::Statement find(db, "SELECT conversation_id, seq FROM events WHERE client_message_id = ?1");
  std::size_t lost = 0;
  for (const auto& [id, where] : acked) {
    find.bind(1, id);
    if (!find.executeStep() || find.getColumn(0).getString() != where.first || find.getColumn(1).getInt64() != where.second) {
      ++lost;
    }
    find.reset();
  }
  EXPECT_EQ(lost, 0u) << "of " << acked.size() << " acknowledged messages";
  // And the restarted server carries on from the head.
  WsProbe probe(server->port());
  probe.authenticate("token-carol");
  probe.send_text(message_send_frame("c_general", "after-restart", "still counting", "r"));
  auto ack = probe.read_json();
  EXPECT_EQ(ack["type"], "message.ack");
}

}  // namespace
}  // namespace confab::test
