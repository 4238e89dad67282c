// The local store: events materialised into conversations and messages, in any order,
// with the cursor moving in the same transaction; reads, unread counts and search.
#include "store/cache_store.h"

#include <fstream>
#include <map>
#include <set>

#include <SQLiteCpp/SQLiteCpp.h>

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace confab::store {
namespace {

protocol::Event created(Seq seq, std::string id, std::string sender, std::string text, std::string thread = {}) {
  protocol::Event e;
  e.conversation_id = "c1";
  e.conversation_seq = seq;
  e.kind = EventKind::message_created;
  e.message_id = std::move(id);
  e.sender_id = std::move(sender);
  e.client_message_id = "cm-" + e.message_id;
  e.body.text = std::move(text);
  e.created_at_ms = 1000 + seq;
  e.thread_root_id = std::move(thread);
  return e;
}

protocol::Event change(Seq seq, EventKind kind, std::string id, std::string sender, std::string text = {}) {
  protocol::Event e;
  e.conversation_id = "c1";
  e.conversation_seq = seq;
  e.kind = kind;
  e.message_id = std::move(id);
  e.sender_id = std::move(sender);
  if (kind == EventKind::reaction_added || kind == EventKind::reaction_removed) {
    e.emoji = text;
  } else {
    e.body.text = text;
  }
  return e;
}

// Each test runs on a store in memory (reads share the writing connection) and on one in
// a file (reads on connections of their own).
class CacheStoreTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    auto opened = CacheStore::open(GetParam() ? dir.path() / "cache.db" : ":memory:", Synchronous::normal);
    ASSERT_TRUE(opened) << opened.error().message;
    store = std::move(opened->store);
  }

  void apply(std::vector<protocol::Event> events, ApplyMode mode = ApplyMode::forward) {
    auto done = store->apply("c1", events, mode);
    ASSERT_TRUE(done) << done.error().message;
  }

  std::vector<TimelineMessage> newest(int limit = 50) {
    auto page = store->page("c1", 0, limit);
    EXPECT_TRUE(page) << page.error().message;
    return page ? page->messages : std::vector<TimelineMessage>{};
  }

  Seq cursor() {
    auto cursors = store->cursors().value();
    for (const auto& c : cursors) {
      if (c.conversation_id == "c1") return c.cursor;
    }
    return -1;
  }

  confab::test::TempDir dir;
  std::unique_ptr<CacheStore> store;
};

INSTANTIATE_TEST_SUITE_P(InMemoryAndOnFile, CacheStoreTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "File" : "Memory"; });

TEST_P(CacheStoreTest, AppliesEventsAndMovesTheCursorWithThem) {
  apply({created(1, "m1", "bob", "hello"), created(2, "m2", "ann", "hi bob"),
         change(3, EventKind::message_edited, "m1", "bob", "hello there"),
         change(4, EventKind::reaction_added, "m2", "bob", "👍"),
         change(5, EventKind::reaction_added, "m2", "cid", "👍"), change(6, EventKind::message_deleted, "m2", "ann")});
  EXPECT_EQ(cursor(), 6);
  auto messages = newest();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].message_id, "m1");
  EXPECT_EQ(messages[0].text, "hello there");
  EXPECT_TRUE(messages[0].edited);
  EXPECT_EQ(messages[0].client_message_id, "cm-m1");
  EXPECT_TRUE(messages[1].deleted);
  EXPECT_EQ(messages[1].text, "");
  ASSERT_EQ(messages[1].reactions.size(), 1u);
  EXPECT_EQ(messages[1].reactions[0].user_ids, (std::vector<std::string>{"bob", "cid"}));
}

TEST_P(CacheStoreTest, ChangesStoredBeforeTheirMessageComeOutAsIfAppliedInOrder) {
  // The newest page arrives first (a reset), the message it changes later (scrolling back).
  apply({change(10, EventKind::message_edited, "m1", "bob", "second"),
         change(11, EventKind::reaction_added, "m1", "ann", "🎉"),
         change(12, EventKind::reaction_removed, "m1", "ann", "🎉")},
        ApplyMode::reset);
  EXPECT_TRUE(newest().empty()) << "a message whose creation is not stored is not shown";
  apply({created(9, "m1", "bob", "first"), change(8, EventKind::reaction_added, "m1", "ann", "🎉")}, ApplyMode::older);
  auto messages = newest();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].text, "second");
  EXPECT_TRUE(messages[0].reactions.empty()) << "the older reaction must not revive the removed one";
  EXPECT_EQ(cursor(), 12);
}

TEST_P(CacheStoreTest, AResetStartsTheWindowAtTheNewestPageAndOlderHistoryExtendsIt) {
  apply({created(1, "m1", "bob", "one")});
  apply({created(500, "m500", "bob", "five hundred")}, ApplyMode::reset);
  EXPECT_EQ(cursor(), 500);
  EXPECT_EQ(store->low_seq("c1").value(), 500);
  auto page = store->page("c1", 0, 10).value();
  EXPECT_TRUE(page.more_on_server);
  apply({created(498, "m498", "bob", "x"), created(499, "m499", "bob", "y")}, ApplyMode::older);
  EXPECT_EQ(store->low_seq("c1").value(), 498);
  EXPECT_EQ(cursor(), 500);
  page = store->page("c1", 498, 10).value();
  ASSERT_EQ(page.messages.size(), 1u) << "the message from before the reset stays";
  EXPECT_EQ(page.messages[0].message_id, "m1");
  EXPECT_TRUE(page.more_on_server);
}

TEST_P(CacheStoreTest, PagesGoBackwardsOldestFirstAndKnowWhenTheStartIsReached) {
  std::vector<protocol::Event> events;
  for (int i = 1; i <= 25; ++i) events.push_back(created(i, "m" + std::to_string(i), "bob", "n"));
  apply(events);
  auto first = store->page("c1", 0, 10).value();
  ASSERT_EQ(first.messages.size(), 10u);
  EXPECT_EQ(first.messages.front().seq, 16);
  EXPECT_EQ(first.messages.back().seq, 25);
  auto last = store->page("c1", 6, 10).value();
  ASSERT_EQ(last.messages.size(), 5u);
  EXPECT_EQ(last.messages.front().seq, 1);
  EXPECT_FALSE(last.more_on_server);
}

TEST_P(CacheStoreTest, UnreadCountsFollowTheReadCursorWhichOnlyMovesForward) {
  protocol::ConversationSummary summary;
  summary.conversation_id = "c1";
  summary.name = "general";
  summary.read_seq = 1;
  ASSERT_TRUE(store->update_conversations(std::span(&summary, 1), true));
  apply({created(1, "m1", "bob", "a"), created(2, "m2", "bob", "b"), created(3, "m3", "me", "mine"),
         created(4, "m4", "bob", "c"), change(5, EventKind::message_deleted, "m4", "bob")});
  auto info = store->conversation("c1", "me").value();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->unread_count, 1) << "m2 only: m1 is read, m3 is mine, m4 is deleted";
  EXPECT_TRUE(store->advance_read("c1", 3).value());
  EXPECT_FALSE(store->advance_read("c1", 2).value());
  info = store->conversation("c1", "me").value();
  EXPECT_EQ(info->read_seq, 3);
  EXPECT_EQ(info->unread_count, 0);
  summary.read_seq = 2;  // another device's older value
  ASSERT_TRUE(store->update_conversations(std::span(&summary, 1), true));
  EXPECT_EQ(store->conversation("c1", "me").value()->read_seq, 3);
}

TEST_P(CacheStoreTest, ThreadRepliesLiveInTheirThreadAndAreCountedOnTheRoot) {
  apply({created(1, "root", "bob", "question"), created(2, "r1", "ann", "answer", "root"),
         created(3, "r2", "bob", "thanks", "root"), created(4, "m4", "ann", "elsewhere")});
  auto main = newest();
  ASSERT_EQ(main.size(), 2u);
  EXPECT_EQ(main[0].reply_count, 2);
  auto replies = store->thread("root", 50).value();
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].message_id, "r1");
}

TEST_P(CacheStoreTest, TheRowsOfRepliesComeWithTheRowOfTheirRoot) {
  apply({created(1, "root", "bob", "question"), created(2, "r1", "ann", "answer", "root"),
         created(3, "m3", "ann", "elsewhere")});
  std::vector<std::string> ids{"r1", "m3", "never-stored"};
  auto rows = store->stored_rows(ids).value();
  std::map<std::string, store::CacheStore::StoredRow> by_id;
  for (const auto& r : rows) by_id[r.message_id] = r;
  ASSERT_EQ(rows.size(), 3u) << "r1, m3, and r1's root; a message not stored is left out";
  EXPECT_EQ(by_id.at("r1").thread_root_id, "root");
  EXPECT_EQ(by_id.at("r1").seq, 2);
  ASSERT_TRUE(by_id.contains("root")) << "a reply's delete changes its root's count: its row comes too";
  EXPECT_EQ(by_id.at("root").seq, 1);
  EXPECT_EQ(by_id.at("root").thread_root_id, "");
  std::vector<std::string> both{"root", "r1"};
  EXPECT_EQ(store->stored_rows(both).value().size(), 2u) << "a root asked for is listed once";
}

TEST_P(CacheStoreTest, MembersAndNamesFollowTheLogInSeqOrder) {
  protocol::Event joined;
  joined.conversation_id = "c1";
  joined.kind = EventKind::member_joined;
  joined.member_id = "dan";
  joined.conversation_seq = 1;
  protocol::Event left = joined;
  left.kind = EventKind::member_left;
  left.conversation_seq = 5;
  protocol::Event renamed = joined;
  renamed.kind = EventKind::conversation_updated;
  renamed.name = "new-name";
  renamed.topic = "t";
  renamed.conversation_seq = 6;
  protocol::Event old_name = renamed;
  old_name.name = "old-name";
  old_name.conversation_seq = 2;
  apply({left, renamed}, ApplyMode::reset);
  apply({joined, old_name}, ApplyMode::older);
  auto info = store->conversation("c1", "me").value();
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->members.empty());
  EXPECT_EQ(info->name, "new-name");
}

TEST_P(CacheStoreTest, SearchFindsWordsAndPrefixesButNotDeletedOrReplacedText) {
  apply({created(1, "m1", "bob", "the quarterly report is ready"), created(2, "m2", "ann", "lunch at noon?"),
         created(3, "m3", "bob", "report draft"), change(4, EventKind::message_deleted, "m3", "bob"),
         change(5, EventKind::message_edited, "m2", "ann", "dinner at eight")});
  auto hits = store->search("Quarterly rep", "", 10).value();
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].message_id, "m1");
  EXPECT_TRUE(store->search("lunch", "", 10).value().empty());
  EXPECT_EQ(store->search("dinner", "c1", 10).value().size(), 1u);
  EXPECT_TRUE(store->search("dinner", "other", 10).value().empty());
  // FTS syntax in what the user typed is searched for, not interpreted.
  EXPECT_TRUE(store->search("\"report AND (", "", 10));
  EXPECT_TRUE(store->search("NEAR(report", "", 10));
  auto empty = store->search("   ", "", 10);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::invalid_argument);
}

// The ids of what a search finds, in conversation c1.
std::set<std::string> found(CacheStore& store, const std::string& query) {
  std::set<std::string> ids;
  auto hits = store.search(query, "c1", CacheStore::kMaxPage);
  EXPECT_TRUE(hits) << hits.error().message;
  if (hits) {
    for (const auto& m : *hits) ids.insert(m.message_id);
  }
  return ids;
}

std::vector<protocol::Event> numbered_page(Seq from, Seq count) {
  std::vector<protocol::Event> events;
  for (Seq seq = from; seq < from + count; ++seq) {
    events.push_back(created(seq, "m" + std::to_string(seq), "bob", "original line number" + std::to_string(seq)));
  }
  return events;
}

TEST_P(CacheStoreTest, APageWaitsForTheSearchIndexYetEverySearchCoversIt) {
  ASSERT_TRUE(store->index_for_search(10).ok());  // whatever open() left unknown
  apply(numbered_page(1, 200));
  EXPECT_TRUE(store->search_backlog()) << "a page is indexed later, not row by row";
  auto more = store->index_for_search(50);
  ASSERT_TRUE(more);
  EXPECT_TRUE(*more);
  EXPECT_EQ(found(*store, "number150"), std::set<std::string>{"m150"}) << "past the indexed part";
  EXPECT_EQ(found(*store, "number42"), std::set<std::string>{"m42"}) << "within the indexed part";
  EXPECT_FALSE(store->search_backlog()) << "the search indexed the rest";
  EXPECT_EQ(found(*store, "original").size(), 200u) << "each row once";
  // With nothing waiting, a few live events are indexed as they are stored.
  apply({created(201, "m201", "ann", "fresh words")});
  EXPECT_FALSE(store->search_backlog());
  EXPECT_EQ(found(*store, "fresh"), std::set<std::string>{"m201"});
}

TEST_P(CacheStoreTest, EditsAndDeletesLeaveNoStaleTextWhetherOrNotTheRowWasIndexedYet) {
  ASSERT_TRUE(store->index_for_search(10).ok());
  apply(numbered_page(1, 100));
  ASSERT_TRUE(store->index_for_search(50).value()) << "m1..m50 indexed, m51..m100 waiting";
  apply({change(101, EventKind::message_edited, "m10", "bob", "replaced indexed"),
         change(102, EventKind::message_edited, "m80", "bob", "replaced waiting"),
         change(103, EventKind::message_deleted, "m20", "bob"), change(104, EventKind::message_deleted, "m90", "bob")});
  EXPECT_TRUE(store->search_backlog());
  EXPECT_EQ(found(*store, "replaced"), (std::set<std::string>{"m10", "m80"}));
  auto originals = found(*store, "original");
  EXPECT_EQ(originals.size(), 96u);
  for (const char* gone : {"m10", "m80", "m20", "m90"}) EXPECT_FALSE(originals.contains(gone)) << gone;
  // Edited again once everything is indexed: the index follows.
  apply({change(105, EventKind::message_edited, "m80", "bob", "final wording")});
  EXPECT_EQ(found(*store, "replaced"), std::set<std::string>{"m10"});
  EXPECT_EQ(found(*store, "final"), std::set<std::string>{"m80"});
  // The index agrees with the table it mirrors.
  ASSERT_TRUE(store->index_for_search(1000).ok());
}

TEST(CacheStoreFile, ACacheFromTheFirstSchemaKeepsItsSearchIndex) {
  confab::test::TempDir dir;
  auto path = dir.path() / "cache.db";
  {
    SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(CacheStore::migrations()[0]);
    db.exec("PRAGMA user_version = 1");
    db.exec("INSERT INTO conversations (id) VALUES ('c1')");
    db.exec("INSERT INTO messages (message_id, conversation_id, seq, sender_id, text, text_seq) VALUES "
            "('m1', 'c1', 1, 'bob', 'legacy greeting', 1), ('m2', 'c1', 2, 'bob', 'legacy farewell', 2)");
  }
  auto opened = CacheStore::open(path, Synchronous::normal).value();
  ASSERT_FALSE(opened.rebuilt_because) << *opened.rebuilt_because;
  auto& store = *opened.store;
  EXPECT_EQ(found(store, "legacy"), (std::set<std::string>{"m1", "m2"}));
  std::vector<protocol::Event> edit{change(3, EventKind::message_edited, "m1", "bob", "modern greeting")};
  ASSERT_TRUE(store.apply("c1", edit, ApplyMode::forward));
  EXPECT_EQ(found(store, "legacy"), std::set<std::string>{"m2"});
  EXPECT_EQ(found(store, "modern"), std::set<std::string>{"m1"});
  auto page = numbered_page(4, 100);
  ASSERT_TRUE(store.apply("c1", page, ApplyMode::forward));
  std::vector<protocol::Event> later{change(104, EventKind::message_edited, "m50", "bob", "edited while waiting"),
                                     change(105, EventKind::message_deleted, "m60", "bob")};
  ASSERT_TRUE(store.apply("c1", later, ApplyMode::forward));
  EXPECT_EQ(found(store, "original").size(), 98u);
  EXPECT_EQ(found(store, "waiting"), std::set<std::string>{"m50"});
  SQLite::Database check(path.string(), SQLite::OPEN_READWRITE);
  EXPECT_EQ(check.execAndGet("PRAGMA user_version").getInt(), CacheStore::kSchemaVersion);
  // FTS5 compares its index with the rows it mirrors.
  EXPECT_NO_THROW(check.exec("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')"));
}

TEST_P(CacheStoreTest, AConversationNoLongerListedIsLeftOut) {
  protocol::ConversationSummary a, b;
  a.conversation_id = "a";
  b.conversation_id = "b";
  std::vector<protocol::ConversationSummary> both{a, b};
  ASSERT_TRUE(store->update_conversations(both, true));
  EXPECT_EQ(store->conversations("me").value().size(), 2u);
  ASSERT_TRUE(store->update_conversations(std::span(&a, 1), true));
  auto listed = store->conversations("me").value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].conversation_id, "a");
}

TEST_P(CacheStoreTest, TheListedIdsFollowTheListAndTheMembershipsSinceIt) {
  protocol::ConversationSummary a, b;
  a.conversation_id = "a";
  a.name = "Alpha";
  b.conversation_id = "b";
  std::vector<protocol::ConversationSummary> both{a, b};
  ASSERT_TRUE(store->update_conversations(both, true));
  ASSERT_TRUE(store->set_listed("c", true));   // joined while connected
  ASSERT_TRUE(store->set_listed("b", false));  // left
  EXPECT_EQ(store->listed_conversations().value(), (std::vector<std::string>{"a", "c"}));
  ASSERT_TRUE(store->set_listed("a", true));
  auto alpha = store->conversation("a", "me").value();
  ASSERT_TRUE(alpha.has_value());
  EXPECT_EQ(alpha->name, "Alpha") << "joining again keeps what the list said of it";
}

TEST(CacheStoreFile, KeepsEverythingAcrossAReopen) {
  confab::test::TempDir dir;
  auto path = dir.path() / "cache.db";
  {
    auto opened = CacheStore::open(path, Synchronous::normal).value();
    std::vector<protocol::Event> events{created(1, "m1", "bob", "kept")};
    ASSERT_TRUE(opened.store->apply("c1", events, ApplyMode::forward));
  }
  auto opened = CacheStore::open(path, Synchronous::normal).value();
  EXPECT_FALSE(opened.rebuilt_because);
  EXPECT_EQ(opened.store->page("c1", 0, 10).value().messages.at(0).text, "kept");
}

TEST_P(CacheStoreTest, ReceiptsOnlyMoveForwardAndReadingImpliesDelivery) {
  std::vector<Receipt> first{{"bob", 3, 5}, {"carol", 0, 2}};
  ASSERT_TRUE(store->store_receipts("c1", first));
  std::vector<Receipt> later{{"bob", 2, 4}, {"carol", 6, 0}, {"dave", 1, 1}};  // a late push, a read
  ASSERT_TRUE(store->store_receipts("c1", later));
  EXPECT_EQ(store->receipts("c1").value(),
            (std::vector<Receipt>{{"bob", 3, 5}, {"carol", 6, 6}, {"dave", 1, 1}}))
      << "never lowered; delivery raised to reading; in user id order";
  EXPECT_TRUE(store->receipts("c2").value().empty());
  ASSERT_TRUE(store->forget_receipts("c1"));
  EXPECT_TRUE(store->receipts("c1").value().empty()) << "a conversation left keeps none";
}

TEST(CacheStoreFile, ReceiptsAreKeptAcrossAReopen) {
  confab::test::TempDir dir;
  auto path = dir.path() / "cache.db";
  {
    auto opened = CacheStore::open(path, Synchronous::normal).value();
    std::vector<Receipt> receipts{{"bob", 4, 7}};
    ASSERT_TRUE(opened.store->store_receipts("c1", receipts));
  }
  auto opened = CacheStore::open(path, Synchronous::normal).value();
  EXPECT_EQ(opened.store->receipts("c1").value(), (std::vector<Receipt>{{"bob", 4, 7}}));
}

TEST(CacheStoreFile, AnUnreadableFileIsSetAsideAndReplacedByAnEmptyCache) {
  confab::test::TempDir dir;
  auto path = dir.path() / "cache.db";
  {
    std::ofstream junk(path, std::ios::binary);
    for (int i = 0; i < 4096; ++i) junk << "not a database ";
  }
  auto opened = CacheStore::open(path, Synchronous::normal);
  ASSERT_TRUE(opened) << opened.error().message;
  ASSERT_TRUE(opened->rebuilt_because);
  EXPECT_NE(opened->rebuilt_because->find("damaged"), std::string::npos) << *opened->rebuilt_because;
  EXPECT_TRUE(opened->store->cursors().value().empty());
  std::vector<protocol::Event> events{created(1, "m1", "bob", "again")};
  EXPECT_TRUE(opened->store->apply("c1", events, ApplyMode::forward));
  int damaged = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().filename().string().starts_with("cache.db.damaged-")) ++damaged;
  }
  EXPECT_EQ(damaged, 1) << "the damaged file is kept for inspection";
}

TEST(CacheStoreFile, ADamagedTableIsFoundAtOpen) {
  confab::test::TempDir dir;
  auto path = dir.path() / "cache.db";
  {
    auto opened = CacheStore::open(path, Synchronous::normal).value();
    std::vector<protocol::ConversationSummary> many(400);
    for (std::size_t i = 0; i < many.size(); ++i) {
      many[i].conversation_id = "conversation-" + std::to_string(i);
      many[i].name = std::string(200, 'n');
    }
    ASSERT_TRUE(opened.store->update_conversations(many, true));
  }
  {
    // Overwrite everything after the first two pages (schema and the start of a table).
    std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(0, std::ios::end);
    auto size = static_cast<std::size_t>(file.tellp());
    ASSERT_GT(size, 3 * 4096u);
    file.seekp(2 * 4096);
    std::string garbage(size - 2 * 4096, '\x5a');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  auto opened = CacheStore::open(path, Synchronous::normal);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_TRUE(opened->rebuilt_because);
  EXPECT_TRUE(opened->store->conversations("me").value().empty());
}

TEST(CacheStoreFile, DamageFoundWhileInUseRebuildsTheCacheAtTheNextOpen) {
  confab::test::TempDir dir;
  auto path = dir.path() / "cache.db";
  {
    auto opened = CacheStore::open(path, Synchronous::normal).value();
    std::vector<protocol::Event> events;
    for (int i = 1; i <= 2000; ++i) events.push_back(created(i, "m" + std::to_string(i), "bob", "some text"));
    ASSERT_TRUE(opened.store->apply("c1", events, ApplyMode::forward));
  }
  std::int64_t root = 0;
  {
    SQLite::Database db(path.string());
    root = db.execAndGet("SELECT rootpage FROM sqlite_master WHERE name = 'messages'").getInt64();
  }
  {
    std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp((root - 1) * 4096);
    std::string junk(4096, '\x33');
    file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  {
    auto opened = CacheStore::open(path, Synchronous::normal);
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_FALSE(opened->rebuilt_because) << "the message pages are not read at open";
    auto page = opened->store->page("c1", 0, 50);
    ASSERT_FALSE(page);
    EXPECT_EQ(page.error().code, ErrorCode::storage);
  }
  auto reopened = CacheStore::open(path, Synchronous::normal);
  ASSERT_TRUE(reopened) << reopened.error().message;
  ASSERT_TRUE(reopened->rebuilt_because);
  EXPECT_NE(reopened->rebuilt_because->find("while in use"), std::string::npos) << *reopened->rebuilt_because;
  EXPECT_TRUE(reopened->store->page("c1", 0, 50).value().messages.empty());
}

TEST(FtsQuery, QuotesEveryWordAndMakesTheLastAPrefix) {
  EXPECT_EQ(fts_query("  hello   wor "), "\"hello\" \"wor\"*");
  EXPECT_EQ(fts_query("say \"hi\""), "\"say\" \"\"\"hi\"\"\"*");
  EXPECT_EQ(fts_query(" \t"), "");
}

}  // namespace
}  // namespace confab::store

namespace confab::store {
namespace {

TEST_P(CacheStoreTest, UnreadCountsStopAtTheCap) {
  std::vector<protocol::Event> events;
  for (int i = 1; i <= CacheStore::kUnreadCountCap + 5; ++i) {
    events.push_back(created(i, "m" + std::to_string(i), "bob", "x"));
  }
  apply(events);
  EXPECT_EQ(store->conversation("c1", "me").value()->unread_count, CacheStore::kUnreadCountCap);
  ASSERT_TRUE(store->advance_read("c1", 10));
  EXPECT_EQ(store->conversation("c1", "me").value()->unread_count, CacheStore::kUnreadCountCap - 5);
}

}  // namespace
}  // namespace confab::store
