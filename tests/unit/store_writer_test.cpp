// The client's store writer: what it stores, and the search index it fills behind a
// catch-up without being asked.
#include "client/store_writer.h"

#include <gtest/gtest.h>

#include "client/callback_thread.h"

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
  StoreWriter::Listeners listeners{std::make_shared<ListenerTable<Message>>(std::weak_ptr<CallbackThread>{}),
                                   std::make_shared<ListenerTable<ConversationChange>>(std::weak_ptr<CallbackThread>{})};
  StoreWriter writer(io, *cache, view, listeners, [](const std::vector<store::CacheCursor>&) {});
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

}  // namespace
}  // namespace confab::client
