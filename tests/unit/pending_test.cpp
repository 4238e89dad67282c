// confab::Pending<T>: a request's answer, waited for with a deadline or handed to a
// continuation that runs through the executor, exactly once, whoever comes first.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "confab/request.h"
#include "printers.h"

namespace confab {
namespace {

using namespace std::chrono_literals;

// An executor that queues tasks; the test runs them, so it sees what was posted and when.
class ManualExecutor {
 public:
  TaskExecutor executor() {
    return [this](std::function<void()> task) {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    };
  }
  std::size_t queued() {
    std::lock_guard lock(mutex_);
    return tasks_.size();
  }
  // Runs what is queued; returns how many ran.
  std::size_t run() {
    std::deque<std::function<void()>> tasks;
    {
      std::lock_guard lock(mutex_);
      tasks.swap(tasks_);
    }
    for (auto& task : tasks) task();
    return tasks.size();
  }

 private:
  std::mutex mutex_;
  std::deque<std::function<void()>> tasks_;
};

TEST(Pending, ACompletionBeforeThenIsPostedAtOnceNotRunInline) {
  ManualExecutor callbacks;
  auto [pending, completer] = detail::make_pending<std::string>(callbacks.executor());
  EXPECT_FALSE(pending.ready());
  completer.complete(std::string("c_0190"));
  EXPECT_TRUE(pending.ready());
  std::optional<std::string> seen;
  pending.then([&seen](const Result<std::string>& r) { seen = r.value(); });
  EXPECT_FALSE(seen) << "runs on the executor's thread, never in then()";
  EXPECT_EQ(callbacks.run(), 1u);
  EXPECT_EQ(seen, "c_0190");
}

TEST(Pending, ACompletionAfterThenRunsTheContinuationOnce) {
  ManualExecutor callbacks;
  auto [pending, completer] = detail::make_pending<int>(callbacks.executor());
  int runs = 0;
  pending.then([&runs](const Result<int>& r) {
    ++runs;
    EXPECT_EQ(r.error().code, ErrorCode::not_member);
  });
  EXPECT_EQ(callbacks.queued(), 0u);
  completer.complete(Error::make(ErrorCode::not_member, "not a member"));
  completer.complete(42);  // a second completion changes nothing
  EXPECT_EQ(callbacks.run(), 1u);
  EXPECT_EQ(runs, 1);
  ASSERT_FALSE(pending.wait().ok());
  EXPECT_EQ(pending.wait().error().code, ErrorCode::not_member);
}

TEST(Pending, OnlyTheFirstThenCounts) {
  ManualExecutor callbacks;
  auto [pending, completer] = detail::make_pending<int>(callbacks.executor());
  int first = 0;
  int second = 0;
  pending.then([&first](const Result<int>&) { ++first; });
  pending.then([&second](const Result<int>&) { ++second; });
  completer.complete(1);
  callbacks.run();
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 0);
}

TEST(Pending, WaitForGivesUpAtItsDeadlineAndTheAnswerStillComesLater) {
  ManualExecutor callbacks;
  auto [pending, completer] = detail::make_pending<int>(callbacks.executor());
  auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(pending.wait_for(50ms).has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - started, 50ms);
  std::thread answer([&completer = completer] { completer.complete(7); });
  auto late = pending.wait_for(30s);
  answer.join();
  ASSERT_TRUE(late.has_value()) << "woken by the completion, long before the deadline";
  EXPECT_EQ(late->value(), 7);
  EXPECT_EQ(pending.wait_for(0ms)->value(), 7) << "ready: no wait";
}

TEST(Pending, WaitReturnsWhenAnotherThreadCompletes) {
  ManualExecutor callbacks;
  auto [pending, completer] = detail::make_pending<void>(callbacks.executor());
  std::thread answer([&completer = completer] { completer.complete({}); });
  EXPECT_TRUE(pending.wait().ok());
  answer.join();
}

TEST(Pending, DestroyingThePendingFirstIsSafeAndKeepsItsContinuation) {
  ManualExecutor callbacks;
  auto [dropped, completer_a] = detail::make_pending<int>(callbacks.executor());
  auto [with_then, completer_b] = detail::make_pending<int>(callbacks.executor());
  int seen = 0;
  with_then.then([&seen](const Result<int>& r) { seen = r.value(); });
  { auto gone = std::move(dropped); }
  { auto gone = std::move(with_then); }
  completer_a.complete(1);
  completer_b.complete(2);
  EXPECT_EQ(callbacks.run(), 1u);
  EXPECT_EQ(seen, 2);
}

TEST(Pending, ARequestTheClientNeverAnsweredFailsAsClosed) {
  ManualExecutor callbacks;
  std::optional<Pending<int>> pending;
  {
    auto [p, completer] = detail::make_pending<int>(callbacks.executor());
    pending = std::move(p);
  }  // the completer goes away unanswered, as with a client destroyed first
  ASSERT_TRUE(pending->ready());
  EXPECT_EQ(pending->wait().error().code, ErrorCode::closed);
  Pending<int> empty;
  EXPECT_FALSE(empty.valid());
  EXPECT_FALSE(empty.ready());
  EXPECT_EQ(empty.wait().error().code, ErrorCode::invalid_argument);
  empty.then([](const Result<int>&) { FAIL() << "an empty Pending has no result"; });
  EXPECT_EQ(callbacks.run(), 0u);
}

TEST(Pending, ThenOnOneThreadAndTheCompletionOnAnotherRunTheContinuationExactlyOnce) {
  ManualExecutor callbacks;
  constexpr int kRounds = 2000;
  std::atomic<int> runs{0};
  for (int i = 0; i < kRounds; ++i) {
    auto [pending, completer] = detail::make_pending<int>(callbacks.executor());
    std::thread completing([&completer = completer, i] { completer.complete(i); });
    pending.then([&runs, i](const Result<int>& r) {
      EXPECT_EQ(r.value(), i);
      ++runs;
    });
    completing.join();
  }
  EXPECT_EQ(callbacks.run(), static_cast<std::size_t>(kRounds));
  EXPECT_EQ(runs.load(), kRounds);
}

TEST(Pending, ContinuationsRunOnTheExecutorsThread) {
  // A real callback thread: the continuation runs there, not on the completing thread.
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::function<void()>> tasks;
  bool stop = false;
  std::thread callback_thread([&] {
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait(lock, [&] { return stop || !tasks.empty(); });
      if (tasks.empty()) return;
      auto task = std::move(tasks.front());
      tasks.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  });
  TaskExecutor executor = [&](std::function<void()> task) {
    std::lock_guard lock(mutex);
    tasks.push_back(std::move(task));
    wake.notify_one();
  };
  auto [pending, completer] = detail::make_pending<int>(executor);
  auto [ran_on, ran_on_completer] = detail::make_pending<std::thread::id>(nullptr);
  pending.then([&ran_on_completer = ran_on_completer](const Result<int>&) {
    ran_on_completer.complete(std::this_thread::get_id());
  });
  std::thread completing([&completer = completer] { completer.complete(1); });
  completing.join();
  auto where = ran_on.wait_for(30s);
  ASSERT_TRUE(where.has_value());
  EXPECT_EQ(where->value(), callback_thread.get_id());
  {
    std::lock_guard lock(mutex);
    stop = true;
  }
  wake.notify_one();
  callback_thread.join();
}

}  // namespace
}  // namespace confab
