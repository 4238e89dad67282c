// The client's store writer: what it stores, and the search index it fills behind a
// catch-up without being asked.
#include "client/store_writer.h"

#include <gtest/gtest.h>

#include <future>

#include "recorder.h"

namespace confab::client {
namespace {

std::vector<protocol::Event> page_of(Seq count) {
  std::vector<protocol::Event> events;
  for (Seq seq = 1; seq <= count; ++seq) {
    protocol::Event e;
    e.conversation_id = "c1";
    e.conversation_seq = seq;
    e.kind = EventKind::message_created;
    e.message_id = "m" + std::to_string(seq);
    e.sender_id = "bob";
    e.body.text = "caught up line " + std::to_string(seq);
    events.push_back(std::move(e));
  }
  return events;
}

TEST(StoreWriter, APageIsIndexedForSearchInStepsOnceTheStoreIsQuiet) {
  boost::asio::io_context io;
  auto cache = store::CacheStore::open(":memory:", store::Synchronous::normal).value().store;
  LocalView view(*cache);
  Notifier notifier;
  StoreWriter writer(io, *cache, view, notifier, [](const std::vector<store::CacheCursor>&) {});
  constexpr Seq kCount = 3 * StoreWriter::kIndexStep + 7;  // four steps
  writer.events(core::ApplyEvents{"c1", page_of(kCount), false});
  // Stored at once; the index follows by itself, with no search to ask for it.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(std::chrono::milliseconds(50));
    auto stored = cache->cursors().value();
    if (!stored.empty() && stored[0].cursor == kCount && !cache->search_backlog()) break;
  }
  EXPECT_EQ(cache->cursors().value().at(0).cursor, kCount);
  EXPECT_FALSE(cache->search_backlog()) << "the steps did not index the page";
  EXPECT_EQ(cache->search("caught", "c1", store::CacheStore::kMaxPage).value().size(),
            static_cast<std::size_t>(store::CacheStore::kMaxPage));
}

TEST(StoreWriter, ACatchUpBehindASlowCallbackQueuesABoundedBacklog) {
  // The app's on_message callback is stuck (a slow UI) while a catch-up of 5000 events is
  // stored. What waits for it must not grow with the catch-up: at most the bound of events,
  // and the rest counted for their conversation, which the app then reads from the store.
  boost::asio::io_context io;
  auto cache = store::CacheStore::open(":memory:", store::Synchronous::normal).value().store;
  LocalView view(*cache);
  Notifier notifier;
  StoreWriter writer(io, *cache, view, notifier, [](const std::vector<store::CacheCursor>&) {});
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  test::Recorder<Seq> delivered;
  test::Recorder<ConversationChange> changes;
  auto on_message = notifier.on_message([&](const Message& m) {
    if (m.conversation_seq == 1) {
      entered.set_value();
      EXPECT_EQ(released.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    }
    delivered.add(m.conversation_seq);
  });
  auto on_change = notifier.on_conversation([&](const ConversationChange& c) { changes.add(c); });

  constexpr Seq kEvents = 5'000;
  auto events = page_of(kEvents);
  writer.events(core::ApplyEvents{"c1", {events.begin(), events.begin() + 1}, false});
  ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(20)), std::future_status::ready);
  for (Seq first = 1; first < kEvents; first += 200) {  // pages, as the catch-up stores them
    auto last = std::min(first + 200, kEvents);
    writer.events(core::ApplyEvents{"c1", {events.begin() + first, events.begin() + last}, false});
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (cache->cursors().value().at(0).cursor < kEvents && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(cache->cursors().value().at(0).cursor, kEvents) << "the writer stored the catch-up";
  EXPECT_LE(notifier.queued(), Notifier::kMaxQueuedMessages + 1) << "the bound, and one record for c1";

  release.set_value();
  ASSERT_TRUE(changes.wait_until([](const std::vector<ConversationChange>& all) {
    return !all.empty() && all.back().synced_seq == kEvents;
  }));
  std::size_t applied = 0, skipped = 0;
  for (const auto& c : changes.items()) {
    applied += c.events_applied;
    skipped += c.messages_skipped;
  }
  EXPECT_EQ(applied, static_cast<std::size_t>(kEvents)) << "every stored event is counted";
  auto seen = delivered.items();
  EXPECT_LE(seen.size(), Notifier::kMaxQueuedMessages + 1);
  EXPECT_EQ(seen.size() + skipped, static_cast<std::size_t>(kEvents)) << "each event passed on or counted";
}

}  // namespace
}  // namespace confab::client
