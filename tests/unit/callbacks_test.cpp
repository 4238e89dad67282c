// The callback thread and its queue (client/notifier.h): order, no callback after
// unsubscribing, and a bounded backlog behind a slow callback.
#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "client/callback_thread.h"
#include "client/notifier.h"
#include "recorder.h"

namespace confab::client {
namespace {

using namespace std::chrono_literals;

ConnectionChange numbered(int i) {
  ConnectionChange c;
  c.retry_in = std::chrono::milliseconds(i);
  return c;
}

int number(const ConnectionChange& c) { return static_cast<int>(c.retry_in->count()); }

Message event(const std::string& conversation_id, Seq seq) {
  Message m;
  m.conversation_id = conversation_id;
  m.conversation_seq = seq;
  return m;
}

// Holds the callback thread inside a callback until released, so that a test can see what
// queues up behind a slow callback.
class Blocker {
 public:
  explicit Blocker(Notifier& notifier)
      : released_(release_.get_future().share()),
        subscription_(notifier.on_connection([this](const ConnectionChange& c) {
          if (!c.error || c.error->message != "block") return;
          entered_.set_value();
          EXPECT_EQ(released_.wait_for(20s), std::future_status::ready) << "never released";
        })) {
    ConnectionChange block;
    block.error = Error::make(ErrorCode::transport, "block");
    notifier.connection(block);
    EXPECT_EQ(entered_.get_future().wait_for(20s), std::future_status::ready);
  }
  void release() { release_.set_value(); }

 private:
  std::promise<void> entered_;
  std::promise<void> release_;
  std::shared_future<void> released_;
  Subscription subscription_;
};

TEST(Callbacks, RunInTheOrderPublished) {
  Notifier notifier;
  test::Recorder<int> seen;
  auto subscription = notifier.on_connection([&](const ConnectionChange& c) { seen.add(number(c)); });
  for (int i = 0; i < 1000; ++i) notifier.connection(numbered(i));
  ASSERT_TRUE(seen.wait_for_count(1000));
  auto items = seen.items();
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(items[static_cast<std::size_t>(i)], i);
}

TEST(Callbacks, ResetWaitsForARunningCallbackAndNoneRunsAfter) {
  Notifier notifier;
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<bool> running{false};
  std::atomic<int> calls_after_reset{0};
  std::atomic<bool> reset_done{false};
  auto subscription = notifier.on_connection([&](const ConnectionChange& c) {
    if (reset_done.load()) ++calls_after_reset;
    if (number(c) == 0) {
      running = true;
      entered.set_value();
      EXPECT_EQ(released.wait_for(20s), std::future_status::ready);
      running = false;
    }
  });
  notifier.connection(numbered(0));
  notifier.connection(numbered(1));
  ASSERT_EQ(entered.get_future().wait_for(20s), std::future_status::ready);

  // reset() on this thread must not return while the callback still runs.
  auto resetter = std::async(std::launch::async, [&] {
    subscription.reset();
    reset_done = true;
    return running.load();
  });
  EXPECT_EQ(resetter.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  release.set_value();
  ASSERT_EQ(resetter.wait_for(20s), std::future_status::ready) << "reset() did not return";
  EXPECT_FALSE(resetter.get()) << "reset() returned while the callback was running";

  // A marker published after the reset is the last thing the thread runs; by then the
  // second change (queued before the reset) has been skipped.
  test::Recorder<int> marker;
  auto other = notifier.on_connection([&](const ConnectionChange& c) { marker.add(number(c)); });
  notifier.connection(numbered(2));
  ASSERT_TRUE(marker.wait_until([](const std::vector<int>& items) { return !items.empty() && items.back() == 2; }));
  EXPECT_EQ(calls_after_reset.load(), 0);
}

TEST(Callbacks, AListenerMayUnsubscribeItselfAndOthers) {
  Notifier notifier;
  Subscription second;
  test::Recorder<std::string> seen;
  Subscription first = notifier.on_connection([&](const ConnectionChange&) {
    seen.add("first");
    first.reset();   // from inside its own callback: does not wait for itself
    second.reset();  // the other listener in this round is skipped
  });
  second = notifier.on_connection([&](const ConnectionChange&) { seen.add("second"); });
  auto marker = notifier.on_connection([&](const ConnectionChange& c) { seen.add("marker " + std::to_string(number(c))); });
  notifier.connection(numbered(1));
  notifier.connection(numbered(2));
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
    EXPECT_EQ(release.get_future().wait_for(20s), std::future_status::ready);
    ++ran;
  });
  for (int i = 0; i < 10; ++i) thread->post([&] { ++ran; });
  ASSERT_EQ(entered.get_future().wait_for(20s), std::future_status::ready);
  thread->close();  // the ten queued tasks are dropped while the first still runs
  release.set_value();
  thread->stop();
  EXPECT_EQ(ran.load(), 1);
  thread->post([&] { ++ran; });
  EXPECT_EQ(ran.load(), 1);
}

TEST(Callbacks, SubscriptionMayOutliveItsNotifier) {
  Subscription subscription;
  {
    Notifier notifier;
    subscription = notifier.on_message([](const Message&) {});
  }
  subscription.reset();  // nothing to do, and nothing breaks
  EXPECT_FALSE(subscription.active());
}

// ---- the bounded queue -------------------------------------------------------------

TEST(CallbackQueue, NothingIsQueuedForAKindNobodyListensTo) {
  Notifier notifier;
  auto only_connection = notifier.on_connection([](const ConnectionChange&) {});
  Blocker blocker(notifier);
  int built = 0;
  for (Seq seq = 1; seq <= 1000; ++seq) {
    notifier.message_stored("c1", [&] {
      ++built;
      return event("c1", seq);
    });
    LocalMessage m;
    m.local_id = seq;
    notifier.outbox(m);
    notifier.conversation(ConversationChange{.conversation_id = "c1", .events_applied = 1, .synced_seq = seq});
    notifier.sync(SyncProgress{1, 0, false});
  }
  EXPECT_EQ(notifier.queued(), 0u);
  EXPECT_EQ(built, 0) << "no message is even built for a queue nobody reads";
  blocker.release();
}

TEST(CallbackQueue, AMessagesNewestStateReplacesItsQueuedOneAndComesLast) {
  Notifier notifier;
  test::Recorder<LocalMessage> seen;
  auto outbox = notifier.on_outbox([&](const LocalMessage& m) { seen.add(m); });
  Blocker blocker(notifier);
  auto state = [](std::int64_t id, OutboxState s) {
    LocalMessage m;
    m.local_id = id;
    m.state = s;
    return m;
  };
  for (std::int64_t id = 1; id <= 500; ++id) notifier.outbox(state(id, OutboxState::sending));
  notifier.outbox(state(1, OutboxState::sent));
  for (std::int64_t id = 2; id <= 500; ++id) notifier.outbox(state(id, OutboxState::sent));
  EXPECT_EQ(notifier.queued(), 500u) << "one entry per message, whatever it went through";
  blocker.release();
  ASSERT_TRUE(seen.wait_for_count(500));
  auto items = seen.items();
  ASSERT_EQ(items.size(), 500u);
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i].local_id, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(items[i].state, OutboxState::sent) << "the newest state of each";
  }
}

TEST(CallbackQueue, TypingListsAndPresenceKeepTheNewestPerConversationAndPerUser) {
  Notifier notifier;
  test::Recorder<TypingChange> typing;
  test::Recorder<PresenceChange> presence;
  auto on_typing = notifier.on_typing([&](const TypingChange& t) { typing.add(t); });
  auto on_presence = notifier.on_presence([&](const PresenceChange& p) { presence.add(p); });
  Blocker blocker(notifier);
  notifier.typing({"c_general", {"bob"}});
  notifier.typing({"c_release", {"carol"}});
  notifier.typing({"c_general", {"bob", "carol"}});
  notifier.typing({"c_general", {"carol"}});
  for (int i = 0; i < 100; ++i) {
    notifier.presence({"bob", i % 2 == 0 ? PresenceStatus::online : PresenceStatus::idle});
  }
  notifier.presence({"carol", PresenceStatus::online});
  EXPECT_EQ(notifier.queued(), 4u) << "one list per conversation, one status per user";
  blocker.release();
  ASSERT_TRUE(typing.wait_for_count(2));
  ASSERT_TRUE(presence.wait_for_count(2));
  EXPECT_EQ(typing.items(), (std::vector<TypingChange>{{"c_release", {"carol"}}, {"c_general", {"carol"}}}))
      << "the newest list of each, in the order of their newest part";
  EXPECT_EQ(presence.items(),
            (std::vector<PresenceChange>{{"bob", PresenceStatus::idle}, {"carol", PresenceStatus::online}}));
}

TEST(CallbackQueue, ReceiptsKeepTheNewestPerMemberAndConversation) {
  Notifier notifier;
  test::Recorder<ReceiptChange> receipts;
  auto on_receipts = notifier.on_receipts([&](const ReceiptChange& r) { receipts.add(r); });
  Blocker blocker(notifier);
  for (Seq seq = 1; seq <= 100; ++seq) notifier.receipt({"c_general", {"bob", seq, seq}});
  notifier.receipt({"c_general", {"carol", 0, 4}});
  notifier.receipt({"c_release", {"bob", 2, 2}});
  EXPECT_EQ(notifier.queued(), 3u) << "one entry per member and conversation";
  blocker.release();
  ASSERT_TRUE(receipts.wait_for_count(3));
  EXPECT_EQ(receipts.items(), (std::vector<ReceiptChange>{{"c_general", {"bob", 100, 100}},
                                                          {"c_general", {"carol", 0, 4}},
                                                          {"c_release", {"bob", 2, 2}}}));
}

TEST(CallbackQueue, AConversationsChangesMergeWithoutLosingAnything) {
  Notifier notifier;
  test::Recorder<ConversationChange> seen;
  auto changes = notifier.on_conversation([&](const ConversationChange& c) { seen.add(c); });
  Blocker blocker(notifier);
  notifier.conversation(ConversationChange{.conversation_id = "c1", .events_applied = 200, .synced_seq = 200});
  notifier.conversation(ConversationChange{.conversation_id = "c2", .events_applied = 5, .synced_seq = 5});
  notifier.conversation(ConversationChange{.conversation_id = "c1", .events_applied = 10, .older = true});
  notifier.conversation(ConversationChange{.conversation_id = "c1", .read = true});
  notifier.conversation(
      ConversationChange{.conversation_id = "c1", .events_applied = 100, .reset = true, .synced_seq = 900});
  EXPECT_EQ(notifier.queued(), 2u);
  blocker.release();
  ASSERT_TRUE(seen.wait_for_count(2));
  auto items = seen.items();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].conversation_id, "c2") << "c1 changed last, so it comes last";
  const auto& c1 = items[1];
  EXPECT_EQ(c1.conversation_id, "c1");
  EXPECT_EQ(c1.events_applied, 310u);
  EXPECT_TRUE(c1.older);
  EXPECT_TRUE(c1.read);
  EXPECT_TRUE(c1.reset);
  EXPECT_EQ(c1.synced_seq, 900);
}

TEST(CallbackQueue, OnMessageHoldsAtMostTheBoundAndTheConversationCountsTheRest) {
  Notifier notifier;
  test::Recorder<Seq> messages;
  test::Recorder<ConversationChange> changes;
  auto on_message = notifier.on_message([&](const Message& m) { messages.add(m.conversation_seq); });
  auto on_change = notifier.on_conversation([&](const ConversationChange& c) { changes.add(c); });
  Blocker blocker(notifier);
  constexpr Seq kEvents = 3 * static_cast<Seq>(Notifier::kMaxQueuedMessages);
  for (Seq seq = 1; seq <= kEvents; ++seq) {
    notifier.message_stored("c1", [seq] { return event("c1", seq); });
    if (seq % 200 == 0) {
      notifier.conversation(ConversationChange{.conversation_id = "c1", .events_applied = 200, .synced_seq = seq});
    }
  }
  EXPECT_EQ(notifier.queued(), Notifier::kMaxQueuedMessages + 1) << "the bound, and one record for c1";
  blocker.release();
  ASSERT_TRUE(changes.wait_for_count(1));
  auto change = changes.items().front();
  EXPECT_EQ(change.events_applied, static_cast<std::size_t>(kEvents));
  EXPECT_EQ(change.synced_seq, kEvents);
  EXPECT_EQ(change.messages_skipped, static_cast<std::size_t>(kEvents) - Notifier::kMaxQueuedMessages);
  auto delivered = messages.items();
  ASSERT_EQ(delivered.size(), Notifier::kMaxQueuedMessages) << "all came before the change that counts them";
  for (std::size_t i = 0; i < delivered.size(); ++i) EXPECT_EQ(delivered[i], static_cast<Seq>(i + 1));
}

TEST(CallbackQueue, AMergedEntryComesAfterEverythingProducedBeforeItsNewestPart) {
  Notifier notifier;
  test::Recorder<std::string> seen;
  auto on_message = notifier.on_message(
      [&](const Message& m) { seen.add("message " + std::to_string(m.conversation_seq)); });
  auto on_change = notifier.on_conversation(
      [&](const ConversationChange& c) { seen.add("change " + std::to_string(c.synced_seq)); });
  Blocker blocker(notifier);
  notifier.message_stored("c1", [] { return event("c1", 1); });
  notifier.conversation(ConversationChange{.conversation_id = "c1", .events_applied = 1, .synced_seq = 1});
  notifier.message_stored("c1", [] { return event("c1", 2); });
  notifier.conversation(ConversationChange{.conversation_id = "c1", .events_applied = 1, .synced_seq = 2});
  blocker.release();
  ASSERT_TRUE(seen.wait_for_count(3));
  EXPECT_EQ(seen.items(), (std::vector<std::string>{"message 1", "message 2", "change 2"}));
}

}  // namespace
}  // namespace confab::client
