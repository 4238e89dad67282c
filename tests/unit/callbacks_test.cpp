// The callback thread and subscriptions: order, and no callback after unsubscribing.
#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "client/callback_thread.h"
#include "client/listener_table.h"
#include "recorder.h"

namespace confab::client {
namespace {

TEST(Callbacks, RunInTheOrderPublished) {
  auto thread = std::make_shared<CallbackThread>();
  auto table = std::make_shared<ListenerTable<int>>(thread);
  test::Recorder<int> seen;
  auto subscription = table->add([&](const int& v) { seen.add(v); });
  for (int i = 0; i < 1000; ++i) table->publish(i);
  ASSERT_TRUE(seen.wait_for_count(1000));
  auto items = seen.items();
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(items[static_cast<std::size_t>(i)], i);
}

TEST(Callbacks, ResetWaitsForARunningCallbackAndNoneRunsAfter) {
  auto thread = std::make_shared<CallbackThread>();
  auto table = std::make_shared<ListenerTable<int>>(thread);
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<bool> running{false};
  std::atomic<int> calls_after_reset{0};
  std::atomic<bool> reset_done{false};
  auto subscription = table->add([&](const int& v) {
    if (reset_done.load()) ++calls_after_reset;
    if (v == 0) {
      running = true;
      entered.set_value();
      released.wait();
      running = false;
    }
  });
  table->publish(0);
  table->publish(1);
  entered.get_future().wait();

  // reset() on this thread must not return while the callback still runs.
  auto resetter = std::async(std::launch::async, [&] {
    subscription.reset();
    reset_done = true;
    return running.load();
  });
  EXPECT_EQ(resetter.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  release.set_value();
  EXPECT_FALSE(resetter.get()) << "reset() returned while the callback was running";

  // A marker published after the reset is the last thing the thread runs; by then the
  // second publish (queued before the reset) has been skipped.
  test::Recorder<int> marker;
  auto other = table->add([&](const int& v) { marker.add(v); });
  table->publish(2);
  ASSERT_TRUE(marker.wait_until([](const std::vector<int>& items) { return !items.empty() && items.back() == 2; }));
  EXPECT_EQ(calls_after_reset.load(), 0);
}

TEST(Callbacks, AListenerMayUnsubscribeItselfAndOthers) {
  auto thread = std::make_shared<CallbackThread>();
  auto table = std::make_shared<ListenerTable<int>>(thread);
  Subscription second;
  test::Recorder<std::string> seen;
  Subscription first = table->add([&](const int&) {
    seen.add("first");
    first.reset();   // from inside its own callback: does not wait for itself
    second.reset();  // the other listener in this round is skipped
  });
  second = table->add([&](const int&) { seen.add("second"); });
  auto marker = table->add([&](const int& v) { seen.add("marker " + std::to_string(v)); });
  table->publish(1);
  table->publish(2);
  ASSERT_TRUE(seen.wait_for_count(3));
  EXPECT_EQ(seen.items(), (std::vector<std::string>{"first", "marker 1", "marker 2"}));
}

TEST(Callbacks, StopDropsWhatHasNotRunAndLaterPostsAreIgnored) {
  auto thread = std::make_shared<CallbackThread>();
  std::promise<void> entered;
  std::promise<void> release;
  std::atomic<int> ran{0};
  thread->post([&] {
    entered.set_value();
    release.get_future().wait();
    ++ran;
  });
  for (int i = 0; i < 10; ++i) thread->post([&] { ++ran; });
  entered.get_future().wait();
  thread->close();  // the ten queued tasks are dropped while the first still runs
  release.set_value();
  thread->stop();
  EXPECT_EQ(ran.load(), 1);
  thread->post([&] { ++ran; });
  EXPECT_EQ(ran.load(), 1);
}

TEST(Callbacks, SubscriptionMayOutliveItsTable) {
  Subscription subscription;
  {
    auto thread = std::make_shared<CallbackThread>();
    auto table = std::make_shared<ListenerTable<int>>(thread);
    subscription = table->add([](const int&) {});
  }
  subscription.reset();  // nothing to do, and nothing breaks
  EXPECT_FALSE(subscription.active());
}

}  // namespace
}  // namespace confab::client
