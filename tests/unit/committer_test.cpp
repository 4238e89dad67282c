// Group commit: acknowledgements only after the commit, in commit order.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>

#include "committer.h"
#include "printers.h"
#include "temp_dir.h"

namespace confab::server {
namespace {

class CommitterTest : public testing::Test {
 protected:
  void SetUp() override {
    auto store = MessageStore::open(dir_ / "server.db", Durability::normal);
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    ServerConfig config;
    config.users = {{"alice", "Alice", {"ta"}}, {"bob", "Bob", {"tb"}}};
    config.conversations = {{"general", ConversationKind::channel, "general", {"alice", "bob"}},
                            {"random", ConversationKind::channel, "random", {"alice", "bob"}}};
    ASSERT_TRUE(store_->apply_directory(config).ok());
  }

  // Counts completions and lets the test wait for them with a deadline.
  struct Completions {
    std::mutex mutex;
    std::condition_variable done;
    std::vector<AppendResult> results;

    Committer::Completion record() {
      return [this](AppendResult&& r) {
        std::lock_guard lock(mutex);
        results.push_back(std::move(r));
        done.notify_all();
      };
    }
    bool wait_for(std::size_t n) {
      std::unique_lock lock(mutex);
      return done.wait_for(lock, std::chrono::seconds(20), [&] { return results.size() >= n; });
    }
  };

  // A trigger that makes the commit of any message with the text "poison" fail, as a
  // full disk would; the returned connection drops it with "DROP TRIGGER poison".
  std::unique_ptr<SQLite::Database> poison_trigger() {
    auto db = std::make_unique<SQLite::Database>((dir_ / "server.db").string(), SQLite::OPEN_READWRITE);
    db->exec(
        "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.body_text = 'poison' "
        "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    return db;
  }

  test::TempDir dir_;
  std::unique_ptr<MessageStore> store_;
};

TEST_F(CommitterTest, AcknowledgesOnlyWhatAnotherConnectionCanAlreadyRead) {
  Committer committer(*store_, 64, [] { return std::int64_t{1}; });
  SQLite::Database reader((dir_ / "server.db").string(), SQLite::OPEN_READONLY);
  SQLite::Statement count(reader, "SELECT COUNT(*) FROM events WHERE client_message_id = ?1");
  std::mutex mutex;
  std::condition_variable done;
  int checked = 0;
  int visible = 0;
  for (int i = 0; i < 50; ++i) {
    std::string id = "cm-" + std::to_string(i);
    committer.submit({"alice", "general", id, "x"}, [&, id](AppendResult&& r) {
      ASSERT_TRUE(r.ok());
      count.bind(1, id);
      count.executeStep();
      int rows = count.getColumn(0).getInt();
      count.reset();
      std::lock_guard lock(mutex);
      visible += rows;
      ++checked;
      done.notify_all();
    });
  }
  std::unique_lock lock(mutex);
  ASSERT_TRUE(done.wait_for(lock, std::chrono::seconds(20), [&] { return checked == 50; }));
  EXPECT_EQ(visible, 50) << "every acknowledged message was already committed";
}

TEST_F(CommitterTest, CompletesInCommitOrderWithGapFreeSequences) {
  Completions completions;
  Committer committer(*store_, 16, [] { return std::int64_t{1}; });
  constexpr int kThreads = 4, kPerThread = 250;
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        committer.submit({t % 2 ? "alice" : "bob", "general", "t" + std::to_string(t) + "-" + std::to_string(i), "x"},
                         completions.record());
      }
    });
  }
  for (auto& s : senders) s.join();
  ASSERT_TRUE(completions.wait_for(kThreads * kPerThread));

  std::map<std::string, int> last_index;  // per sending thread, to check its order is kept
  Seq expected = 0;
  for (const auto& r : completions.results) {
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->ack.conversation_seq, ++expected) << "completions run in seq order";
    auto dash = r->ack.client_message_id.find('-');
    std::string thread = r->ack.client_message_id.substr(0, dash);
    int index = std::stoi(r->ack.client_message_id.substr(dash + 1));
    auto [it, first] = last_index.emplace(thread, index);
    if (!first) {
      EXPECT_GT(index, it->second) << "each sender's messages keep their order";
      it->second = index;
    }
  }
}

TEST_F(CommitterTest, StopCommitsEverythingSubmittedThenRefusesWithUnavailable) {
  Completions completions;
  auto committer = std::make_unique<Committer>(*store_, 8, [] { return std::int64_t{1}; });
  for (int i = 0; i < 100; ++i) committer->submit({"alice", "general", "cm-" + std::to_string(i), "x"}, completions.record());
  committer->stop();
  {
    std::lock_guard lock(completions.mutex);
    ASSERT_EQ(completions.results.size(), 100u) << "stop() returns after the last completion";
    for (const auto& r : completions.results) EXPECT_TRUE(r.ok());
  }
  committer->submit({"alice", "general", "late", "x"}, completions.record());
  std::lock_guard lock(completions.mutex);
  ASSERT_EQ(completions.results.size(), 101u);
  ASSERT_FALSE(completions.results.back().ok());
  EXPECT_EQ(completions.results.back().error().code, ErrorCode::unavailable);
  EXPECT_TRUE(completions.results.back().error().retryable);
  EXPECT_EQ(store_->head_seq("general"), 100);
}

TEST_F(CommitterTest, AfterARetryableRefusalLaterSendsOfThatConnectionAndConversationWaitForIt) {
  auto saboteur = poison_trigger();
  Completions c;
  Committer committer(*store_, 1, [] { return std::int64_t{1}; });
  committer.submit({"alice", "general", "m1", "poison", 7}, c.record());
  committer.submit({"alice", "general", "m2", "after m1", 7}, c.record());
  committer.submit({"bob", "general", "b1", "another connection", 8}, c.record());
  committer.submit({"alice", "random", "r1", "another conversation", 7}, c.record());
  ASSERT_TRUE(c.wait_for(4));
  {
    std::lock_guard lock(c.mutex);
    ASSERT_FALSE(c.results[0].ok());
    EXPECT_EQ(c.results[0].error().code, ErrorCode::internal);
    ASSERT_FALSE(c.results[1].ok()) << "m2 must not overtake m1";
    EXPECT_EQ(c.results[1].error().code, ErrorCode::unavailable);
    EXPECT_TRUE(c.results[1].error().retryable);
    EXPECT_TRUE(c.results[2].ok()) << "other connections are not held back";
    EXPECT_TRUE(c.results[3].ok()) << "other conversations are not held back";
  }
  saboteur->exec("DROP TRIGGER poison");
  committer.submit({"alice", "general", "m2", "after m1", 7}, c.record());
  committer.submit({"alice", "general", "m1", "poison", 7}, c.record());
  committer.submit({"alice", "general", "m2", "after m1", 7}, c.record());
  ASSERT_TRUE(c.wait_for(7));
  std::lock_guard lock(c.mutex);
  EXPECT_FALSE(c.results[4].ok()) << "still held until m1 comes again";
  ASSERT_TRUE(c.results[5].ok());
  ASSERT_TRUE(c.results[6].ok());
  EXPECT_EQ(c.results[5]->ack.conversation_seq + 1, c.results[6]->ack.conversation_seq) << "m1, then m2";
}

TEST_F(CommitterTest, ASendRefusedForItsRateHoldsBackTheLaterSendsOfItsConnectionAndConversation) {
  Completions c;
  Committer committer(*store_, 1, [] { return std::int64_t{1}; });
  SendRequest limited{"alice", "general", "m1", "over the rate", 7};
  limited.refused = Error::make(ErrorCode::rate_limited, "too many requests on this connection");
  limited.refused->retryable = true;
  committer.submit(limited, c.record());
  committer.submit({"alice", "general", "m2", "already on the wire", 7}, c.record());
  committer.submit({"alice", "random", "r1", "another conversation", 7}, c.record());
  committer.submit({"alice", "general", "m1", "over the rate", 7}, c.record());
  committer.submit({"alice", "general", "m2", "already on the wire", 7}, c.record());
  ASSERT_TRUE(c.wait_for(5));
  std::lock_guard lock(c.mutex);
  ASSERT_FALSE(c.results[0].ok());
  EXPECT_EQ(c.results[0].error().code, ErrorCode::rate_limited);
  ASSERT_FALSE(c.results[1].ok()) << "m2 must not overtake m1";
  EXPECT_TRUE(c.results[1].error().retryable);
  EXPECT_TRUE(c.results[2].ok()) << "other conversations are not held back";
  ASSERT_TRUE(c.results[3].ok());
  ASSERT_TRUE(c.results[4].ok());
  EXPECT_EQ(c.results[3]->ack.conversation_seq + 1, c.results[4]->ack.conversation_seq) << "m1, then m2";
}

// The refused message will never come again (the app discarded it, or it failed on the
// client): its withdrawal ends the hold, in order with the sends around it.
TEST_F(CommitterTest, AWithdrawnRefusedMessageNoLongerHoldsBackItsConversation) {
  Completions c;
  std::atomic<int> withdrawn{0};
  Committer committer(*store_, 64, [] { return std::int64_t{1}; });
  SendRequest limited{"alice", "general", "m1", "over the rate", 7};
  limited.refused = Error::make(ErrorCode::rate_limited, "too many requests on this connection");
  committer.submit(limited, c.record());
  committer.submit({"alice", "general", "m2", "held back", 7}, c.record());
  committer.withdraw(7, "general", "m2", [&] { ++withdrawn; });  // not what holds it: changes nothing
  committer.submit({"alice", "general", "m3", "still held back", 7}, c.record());
  committer.withdraw(8, "general", "m1", [&] { ++withdrawn; });  // another connection's: changes nothing
  committer.submit({"alice", "general", "m3", "still held back", 7}, c.record());
  committer.withdraw(7, "general", "m1", [&] { ++withdrawn; });
  committer.submit({"alice", "general", "m3", "after the withdrawal", 7}, c.record());
  ASSERT_TRUE(c.wait_for(5));
  std::lock_guard lock(c.mutex);
  EXPECT_EQ(c.results[0].error().code, ErrorCode::rate_limited);
  EXPECT_EQ(c.results[1].error().code, ErrorCode::unavailable);
  EXPECT_EQ(c.results[2].error().code, ErrorCode::unavailable);
  EXPECT_EQ(c.results[3].error().code, ErrorCode::unavailable);
  ASSERT_TRUE(c.results[4].ok()) << "the withdrawal ended the hold";
  EXPECT_EQ(c.results[4]->ack.conversation_seq, 1);
  EXPECT_EQ(withdrawn.load(), 3) << "every withdrawal is answered, so the session can count it";
}

TEST_F(CommitterTest, AWithdrawalAfterStopIsAnsweredAtOnce) {
  Committer committer(*store_, 1, [] { return std::int64_t{1}; });
  committer.stop();
  bool done = false;
  committer.withdraw(7, "general", "m1", [&] { done = true; });
  EXPECT_TRUE(done);
}

TEST_F(CommitterTest, AForgottenConnectionHoldsNothingBack) {
  auto saboteur = poison_trigger();
  Completions c;
  Committer committer(*store_, 1, [] { return std::int64_t{1}; });
  committer.submit({"alice", "general", "m1", "poison", 7}, c.record());
  ASSERT_TRUE(c.wait_for(1));
  committer.forget(7);
  committer.submit({"alice", "general", "m2", "fine", 7}, c.record());
  ASSERT_TRUE(c.wait_for(2));
  std::lock_guard lock(c.mutex);
  EXPECT_TRUE(c.results[1].ok());
}

}  // namespace
}  // namespace confab::server
