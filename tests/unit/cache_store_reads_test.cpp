// The local store's reads beside its writes: a read never waits for a write in progress,
// sees everything committed before it began and nothing committed while it runs, and a
// search that must first index what waits holds up no other read.
#include "store/cache_store.h"

#include <atomic>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "held_write.h"
#include "temp_dir.h"

namespace confab::store {
namespace {

using namespace std::chrono_literals;

protocol::Event event(Seq seq, EventKind kind, const std::string& id, const std::string& text = {}) {
  protocol::Event e;
  e.conversation_id = "c1";
  e.conversation_seq = seq;
  e.kind = kind;
  e.message_id = id;
  e.sender_id = "bob";
  e.client_message_id = "cm-" + id;
  e.created_at_ms = 1000 + seq;
  if (kind == EventKind::reaction_added || kind == EventKind::reaction_removed) {
    e.emoji = text;
  } else if (kind == EventKind::member_joined) {
    e.member_id = text;
  } else {
    e.body.text = text;
  }
  return e;
}

protocol::Event created(Seq seq, const std::string& text) {
  return event(seq, EventKind::message_created, "m" + std::to_string(seq), text);
}

std::unique_ptr<CacheStore> open_listed(const std::filesystem::path& path) {
  auto opened = CacheStore::open(path, Synchronous::normal);
  EXPECT_TRUE(opened) << opened.error().message;
  auto store = std::move(opened->store);
  protocol::ConversationSummary c1;
  c1.conversation_id = "c1";
  c1.name = "one";
  EXPECT_TRUE(store->update_conversations(std::span(&c1, 1), true));
  EXPECT_TRUE(store->set_user_id("me"));
  return store;
}

void apply(CacheStore& store, std::vector<protocol::Event> events) {
  auto done = store.apply("c1", events, ApplyMode::forward);
  ASSERT_TRUE(done) << done.error().message;
}

Seq newest_seq(const Result<MessagePage>& page) {
  return page && !page->messages.empty() ? page->messages.back().seq : 0;
}

TEST(CacheStoreReads, ReadsDoNotWaitForAWriteInProgressAndSeeTheLastCommit) {
  test::TempDir dir;
  auto path = dir.path() / "cache.db";
  auto store = open_listed(path);
  for (Seq seq = 1; seq <= 3; ++seq) apply(*store, {created(seq, "committed words " + std::to_string(seq))});
  // Nothing waits for the search index (the store writer sees to that), so a search has
  // nothing to write first.
  ASSERT_FALSE(store->index_for_search(1000).value());

  std::jthread writer;  // joined after the write is released (declared before it)
  test::HeldWrite held(path);
  held.arm();
  writer = std::jthread([&] {
    apply(*store, {created(4, "uncommitted words"), event(5, EventKind::member_joined, "", "zed")});
  });
  ASSERT_TRUE(held.wait_until_held()) << "the write never began";
  {
    test::Beside beside(held);
    auto page = beside.call([&] { return store->page("c1", 0, 50); });
    ASSERT_TRUE(page) << "messages() waited for the write";
    EXPECT_EQ(newest_seq(*page), 3);
    auto list = beside.call([&] { return store->conversations("me"); });
    ASSERT_TRUE(list) << "conversations() waited for the write";
    ASSERT_TRUE(*list);
    ASSERT_EQ((*list)->size(), 1u);
    EXPECT_EQ((*list)->at(0).synced_seq, 3);
    EXPECT_EQ((*list)->at(0).unread_count, 3);
    EXPECT_TRUE((*list)->at(0).members.empty());
    auto one = beside.call([&] { return store->conversation("c1", "me"); });
    ASSERT_TRUE(one) << "conversation() waited for the write";
    EXPECT_EQ((*one)->value().synced_seq, 3);
    auto found = beside.call([&] { return store->search("words", "", 50); });
    ASSERT_TRUE(found) << "search() waited for the write";
    ASSERT_TRUE(*found) << found->error().message;
    EXPECT_EQ((*found)->size(), 3u);
    auto cursors = beside.call([&] { return store->cursors(); });
    ASSERT_TRUE(cursors) << "cursors() waited for the write";
    EXPECT_EQ((*cursors)->at(0).cursor, 3);
    EXPECT_TRUE(beside.call([&] { return store->thread("m1", 10); })) << "thread() waited for the write";
    EXPECT_TRUE(beside.call([&] { return store->low_seq("c1"); })) << "low_seq() waited for the write";
    auto user = beside.call([&] { return store->user_id(); });
    ASSERT_TRUE(user) << "user_id() waited for the write";
    EXPECT_EQ((*user)->c_str(), std::string("me"));
  }
  writer.join();
  EXPECT_EQ(newest_seq(store->page("c1", 0, 50)), 4) << "the write committed once released";
  EXPECT_EQ(store->search("words", "", 50).value().size(), 4u);
}

TEST(CacheStoreReads, ASearchThatIndexesWhatWaitsHoldsUpNoOtherRead) {
  test::TempDir dir;
  auto path = dir.path() / "cache.db";
  auto store = open_listed(path);
  std::vector<protocol::Event> page;
  for (Seq seq = 1; seq <= 300; ++seq) page.push_back(created(seq, "caught up line " + std::to_string(seq)));
  apply(*store, page);
  ASSERT_TRUE(store->search_backlog()) << "a page waits for the search index";

  test::HeldWrite held(path);
  held.arm();  // the search's first step of indexing
  auto searching = std::async(std::launch::async, [&] { return store->search("caught", "", 500); });
  ASSERT_TRUE(held.wait_until_held()) << "the search did not index what waits";
  {
    test::Beside beside(held);
    auto newest = beside.call([&] { return store->page("c1", 0, 50); });
    ASSERT_TRUE(newest) << "messages() waited for the search's indexing";
    EXPECT_EQ(newest_seq(*newest), 300);
    EXPECT_TRUE(beside.call([&] { return store->conversations("me"); }))
        << "conversations() waited for the search's indexing";
  }
  auto found = searching.get();
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->size(), 300u) << "the search covers every message stored before it";
  EXPECT_FALSE(store->search_backlog());
}

TEST(CacheStoreReads, AReadSeesTheStoreAsItWasWhenItBeganInEveryTable) {
  test::TempDir dir;
  auto path = dir.path() / "cache.db";
  auto store = open_listed(path);
  for (Seq seq = 1; seq <= 3; ++seq) apply(*store, {created(seq, "line")});
  apply(*store, {event(4, EventKind::reaction_added, "m3", "👍")});

  // Once a read has taken its snapshot, another thread commits changes to the tables it
  // reads: the read must come out as the store was before them, in every table.
  std::vector<protocol::Event> change;
  CacheStore::set_test_hooks({.in_write = {}, .in_read = [&](const std::filesystem::path&) {
                                if (change.empty()) return;
                                std::thread([&] { apply(*store, std::exchange(change, {})); }).join();
                              }});
  change = {created(5, "later line"), event(6, EventKind::member_joined, "", "zed")};
  auto list = store->conversations("me");
  change = {created(7, "later line"), event(8, EventKind::reaction_removed, "m3", "👍")};
  auto page = store->page("c1", 0, 50);
  CacheStore::set_test_hooks({});

  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->at(0).synced_seq, 4);
  EXPECT_EQ(list->at(0).unread_count, 3);
  EXPECT_TRUE(list->at(0).members.empty()) << "the members as of the read's start";
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->messages.size(), 4u) << "what was committed before the read, and only that";
  EXPECT_EQ(newest_seq(page), 5);
  EXPECT_EQ(page->messages[2].reactions.size(), 1u) << "the reaction as of the read's start";
  // The reads after them see both changes.
  auto after = store->page("c1", 0, 50);
  EXPECT_EQ(newest_seq(after), 7);
  EXPECT_TRUE(after->messages[2].reactions.empty());
  EXPECT_EQ(store->conversations("me").value().at(0).members, std::vector<std::string>{"zed"});
}

// A writer stores messages one at a time while more readers than the pool has read: each
// read sees at least what was committed before it began, and a whole, gapless page.
class CacheStoreReadsBeside : public ::testing::TestWithParam<bool> {};

INSTANTIATE_TEST_SUITE_P(InMemoryAndOnFile, CacheStoreReadsBeside, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "File" : "Memory"; });

TEST_P(CacheStoreReadsBeside, ReadersBesideAWriterSeeEveryCommitBeforeThem) {
  test::TempDir dir;
  auto store = open_listed(GetParam() ? dir.path() / "cache.db" : ":memory:");
  constexpr Seq kMessages = 300;
  std::atomic<Seq> committed = 0;
  std::atomic<int> failures = 0;
  std::vector<std::jthread> readers;
  for (std::size_t r = 0; r < CacheStore::kMaxReaders + 2; ++r) {
    readers.emplace_back([&, r] {
      while (committed < kMessages) {
        Seq before = committed;
        bool ok = true;
        if (r % 3 == 0) {
          auto page = store->page("c1", 0, 20);
          ok = page && newest_seq(page) >= before;
          for (std::size_t i = 1; ok && i < page->messages.size(); ++i) {
            ok = page->messages[i].seq == page->messages[i - 1].seq + 1;
          }
        } else if (r % 3 == 1) {
          auto list = store->conversations("me");
          ok = list && list->size() == 1 && list->at(0).synced_seq >= before && list->at(0).unread_count >= before;
        } else {
          auto found = store->search("stored", "c1", 500);
          ok = found && static_cast<Seq>(found->size()) >= before;
        }
        if (!ok) ++failures;
      }
    });
  }
  for (Seq seq = 1; seq <= kMessages; ++seq) {
    apply(*store, {created(seq, "stored line")});
    committed = seq;
  }
  readers.clear();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(newest_seq(store->page("c1", 0, 50)), kMessages);
}

}  // namespace
}  // namespace confab::store
