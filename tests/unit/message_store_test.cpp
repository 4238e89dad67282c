// The server's SQLite system of record.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include <SQLiteCpp/SQLiteCpp.h>

#include "message_store.h"
#include "printers.h"
#include "temp_dir.h"

namespace confab::server {
namespace {

ServerConfig directory() {
  ServerConfig config;
  config.users = {{"alice", "Alice", {"ta"}}, {"bob", "Bob", {"tb"}}, {"carol", "Carol", {"tc"}}};
  config.conversations = {{"general", ConversationKind::channel, "general", {"alice", "bob", "carol"}},
                          {"release", ConversationKind::private_channel, "release", {"alice", "bob"}}};
  return config;
}

SendRequest change(std::string user, std::string client_id, EventKind kind, std::string target,
                   std::string text = {}, std::string emoji = {});

class MessageStoreTest : public testing::Test {
 protected:
  std::unique_ptr<MessageStore> open() {
    auto store = MessageStore::open(dir_ / "server.db", Durability::normal);
    EXPECT_TRUE(store.ok()) << store.error().message;
    auto applied = (*store)->apply_directory(directory());
    EXPECT_TRUE(applied.ok());
    return std::move(store).value();
  }

  static AppendResult append(MessageStore& store, SendRequest request) {
    return store.append_batch(std::span(&request, 1), 1000).front();
  }

  test::TempDir dir_;
};

TEST_F(MessageStoreTest, NumbersEachConversationsLogWithoutGaps) {
  auto store = open();
  std::vector<SendRequest> batch;
  for (int i = 0; i < 10; ++i) {
    batch.push_back({"alice", i % 2 ? "general" : "release", "cm-" + std::to_string(i), "m" + std::to_string(i)});
  }
  auto results = store->append_batch(batch, 1000);
  ASSERT_EQ(results.size(), 10u);
  Seq general = 0, release = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].error().message;
    Seq expected = i % 2 ? ++general : ++release;
    EXPECT_EQ(results[i]->ack.conversation_seq, expected);
    ASSERT_TRUE(results[i]->event.has_value());
    EXPECT_EQ(results[i]->event->conversation_seq, expected);
    EXPECT_EQ(results[i]->event->body.text, "m" + std::to_string(i));
  }
  EXPECT_EQ(store->head_seq("general"), 5);
  EXPECT_EQ(store->head_seq("release"), 5);
  EXPECT_EQ(store->head_seq("nobody"), 0);
}

TEST_F(MessageStoreTest, TheWalIsCheckpointedOffTheCommittingThread) {
  auto store = open();
  auto wal = dir_ / "server.db-wal";
  auto main_file_before = std::filesystem::file_size(dir_ / "server.db");
  // Commits until the WAL passes the checkpoint threshold (1000 pages) a few times over;
  // SQLite's own checkpoint is off, so only the background one can copy pages back.
  std::string text(3000, 'x');
  for (int i = 0; i < 2000 && store->background_checkpoints() == 0; ++i) {
    ASSERT_TRUE(append(*store, {"alice", "general", "cm-" + std::to_string(i), text}).ok());
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (store->background_checkpoints() == 0 && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(append(*store, {"alice", "general", "late-" + std::to_string(store->head_seq("general")), "x"}).ok());
  }
  EXPECT_GT(store->background_checkpoints(), 0);
  // The pages went over into the main file (which nothing else writes while the store is
  // open: SQLite's own checkpoint is off).
  EXPECT_GT(std::filesystem::file_size(dir_ / "server.db"), main_file_before + 100u * 3000u)
      << "WAL " << std::filesystem::file_size(wal) << " bytes";
}

TEST_F(MessageStoreTest, RepeatedClientMessageIdGetsTheOriginalAckAndNoSecondMessage) {
  auto store = open();
  auto first = append(*store, {"alice", "general", "cm-1", "hello"});
  ASSERT_TRUE(first.ok());
  // Again in a later batch, and twice within one batch.
  auto again = append(*store, {"alice", "general", "cm-1", "hello"});
  std::vector<SendRequest> twice = {{"bob", "general", "cm-2", "x"}, {"bob", "general", "cm-2", "x"}};
  auto pair = store->append_batch(twice, 2000);

  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ack, first->ack);
  EXPECT_FALSE(again->event.has_value()) << "a duplicate creates no event";
  ASSERT_TRUE(pair[0].ok() && pair[1].ok());
  EXPECT_EQ(pair[0]->ack, pair[1]->ack);
  EXPECT_TRUE(pair[0]->event.has_value());
  EXPECT_FALSE(pair[1]->event.has_value());
  EXPECT_EQ(store->head_seq("general"), 2);
}

TEST_F(MessageStoreTest, TheSameClientMessageIdInAnotherConversationIsANewMessage) {
  auto store = open();
  auto a = append(*store, {"alice", "general", "cm-1", "x"});
  auto b = append(*store, {"alice", "release", "cm-1", "x"});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->ack.message_id, b->ack.message_id);
  EXPECT_TRUE(b->event.has_value());
}

TEST_F(MessageStoreTest, AnotherUsersRequestWithTheSameClientMessageIdIsItsOwn) {
  auto store = open();
  auto alices = append(*store, {"alice", "general", "cm-1", "alice's"});
  auto bobs = append(*store, {"bob", "general", "cm-1", "bob's"});
  ASSERT_TRUE(alices.ok() && bobs.ok());
  EXPECT_NE(bobs->ack.message_id, alices->ack.message_id);
  ASSERT_TRUE(bobs->event.has_value()) << "bob's message is not swallowed by alice's id";
  EXPECT_EQ(bobs->event->sender_id, "bob");
  auto carols = append(*store, {"carol", "general", "cm-1", "x"});
  ASSERT_TRUE(carols.ok());
  EXPECT_TRUE(carols->event.has_value());
  EXPECT_EQ(store->head_seq("general"), 3);
}

TEST_F(MessageStoreTest, ARepeatedIdWithAnotherKindOrContentIsRefusedAndOnlyTheSameRequestGetsTheAck) {
  auto store = open();
  auto sent = append(*store, {"alice", "general", "cm-1", "hello"});
  ASSERT_TRUE(sent.ok());
  const std::string id = sent->ack.message_id;
  SendRequest other_text{"alice", "general", "cm-1", "hello?"};
  SendRequest as_reply{"alice", "general", "cm-1", "hello"};
  as_reply.reply_to = id;
  auto edit = change("alice", "cm-1", EventKind::message_edited, id, "hello");
  auto reaction = change("alice", "cm-1", EventKind::reaction_added, id, {}, "👍");
  for (const auto& request : {other_text, as_reply, edit, reaction}) {
    auto r = append(*store, request);
    ASSERT_FALSE(r.ok()) << to_string(request.kind) << " got an ack meant for another request";
    EXPECT_EQ(r.error().code, ErrorCode::invalid_field);
    EXPECT_FALSE(r.error().retryable);
    EXPECT_NE(r.error().message.find("cm-1"), std::string::npos) << r.error().message;
  }

  auto edited = append(*store, change("alice", "cm-2", EventKind::message_edited, id, "hello, all"));
  ASSERT_TRUE(edited.ok());
  auto edit_again = append(*store, change("alice", "cm-2", EventKind::message_edited, id, "hello, all"));
  ASSERT_TRUE(edit_again.ok());
  EXPECT_EQ(edit_again->ack, edited->ack) << "a resent edit gets its original ack";
  EXPECT_FALSE(edit_again->event.has_value());
  EXPECT_EQ(append(*store, change("alice", "cm-2", EventKind::message_edited, id, "hello, everyone")).error().code,
            ErrorCode::invalid_field);
  auto reacted = append(*store, change("alice", "cm-3", EventKind::reaction_added, id, {}, "👍"));
  ASSERT_TRUE(reacted.ok());
  EXPECT_EQ(append(*store, change("alice", "cm-3", EventKind::reaction_added, id, {}, "🎉")).error().code,
            ErrorCode::invalid_field);
  EXPECT_EQ(append(*store, change("alice", "cm-3", EventKind::reaction_removed, id, {}, "👍")).error().code,
            ErrorCode::invalid_field);
  auto resent = append(*store, {"alice", "general", "cm-1", "hello"});
  ASSERT_TRUE(resent.ok());
  EXPECT_EQ(resent->ack, sent->ack);
  EXPECT_EQ(store->head_seq("general"), 3) << "the message, the edit and the reaction; nothing else";
}

// A database of schema 6 (dedup per conversation; seeded DMs named) upgrades in place.
TEST_F(MessageStoreTest, ADatabaseOfTheEarlierSchemaUpgradesToDedupPerSenderAndNamelessDms) {
  ServerConfig with_dm = directory();
  with_dm.conversations.push_back({"dm", ConversationKind::dm, "", {"alice", "bob"}});
  {
    auto store = open();
    ASSERT_TRUE(store->apply_directory(with_dm).ok());
    ASSERT_TRUE(append(*store, {"alice", "general", "cm-1", "before the upgrade"}).ok());
  }
  {
    // Back to schema 6 as it was: the old unique index, and the DM named after its id.
    SQLite::Database db((dir_ / "server.db").string(), SQLite::OPEN_READWRITE);
    db.exec("DROP INDEX events_by_sender_client_message_id");
    db.exec("CREATE UNIQUE INDEX events_by_client_message_id ON events (conversation_id, client_message_id)");
    db.exec("UPDATE conversations SET name = 'dm' WHERE id = 'dm'");
    // And without what schema 8 added (attachments' SHA-256 and metadata).
    db.exec("DROP INDEX attachments_by_age");
    db.exec("ALTER TABLE attachments DROP COLUMN sha256");
    for (const char* column : {"name", "width", "height", "preview"}) {
      db.exec(std::string("ALTER TABLE message_attachments DROP COLUMN ") + column);
    }
    db.exec("PRAGMA user_version = 6");
  }
  auto store = open();
  auto bobs = append(*store, {"bob", "general", "cm-1", "bob's, after"});
  ASSERT_TRUE(bobs.ok()) << bobs.error().message;
  EXPECT_TRUE(bobs->event.has_value());
  auto resent = append(*store, {"alice", "general", "cm-1", "before the upgrade"});
  ASSERT_TRUE(resent.ok());
  EXPECT_FALSE(resent->event.has_value()) << "dedup still holds for rows written before the upgrade";
  auto dms = store->conversations_of("alice", "", 10);
  auto dm = std::find_if(dms.begin(), dms.end(), [](const auto& c) { return c.conversation_id == "dm"; });
  ASSERT_NE(dm, dms.end());
  EXPECT_EQ(dm->name, "");
  SQLite::Database db((dir_ / "server.db").string(), SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), MessageStore::kSchemaVersion);
}

TEST_F(MessageStoreTest, NonMembersAreRefusedWithoutDisturbingTheBatch) {
  auto store = open();
  std::vector<SendRequest> batch = {{"alice", "release", "cm-1", "a"},
                                    {"carol", "release", "cm-2", "intruder"},
                                    {"carol", "no-such-conversation", "cm-3", "probe"},
                                    {"bob", "release", "cm-4", "b"}};
  auto results = store->append_batch(batch, 1000);
  ASSERT_TRUE(results[0].ok());
  ASSERT_FALSE(results[1].ok());
  EXPECT_EQ(results[1].error().code, ErrorCode::not_member);
  EXPECT_FALSE(results[1].error().retryable);
  ASSERT_FALSE(results[2].ok());
  EXPECT_EQ(results[2].error().code, ErrorCode::not_member) << "unknown and foreign conversations look alike";
  ASSERT_TRUE(results[3].ok());
  EXPECT_EQ(results[3]->ack.conversation_seq, 2);
  EXPECT_EQ(results[0]->members, (std::vector<std::string>{"alice", "bob"}));
}

TEST_F(MessageStoreTest, AFailedCommitKeepsNothingOfTheBatchAndSaysRetry) {
  auto store = open();
  {
    // Another connection makes one insert fail, to force a rollback mid-batch.
    SQLite::Database side((dir_ / "server.db").string(), SQLite::OPEN_READWRITE);
    side.exec("CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.body_text = 'boom' "
              "BEGIN SELECT RAISE(ABORT, 'refused by test'); END");
  }
  std::vector<SendRequest> batch = {{"alice", "general", "cm-1", "fine"},
                                    {"alice", "general", "cm-2", "boom"},
                                    {"alice", "general", "cm-3", "fine too"}};
  auto results = store->append_batch(batch, 1000);
  for (const auto& r : results) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::internal);
    EXPECT_TRUE(r.error().retryable);
  }
  EXPECT_EQ(store->head_seq("general"), 0) << "the first message was rolled back too";

  {
    SQLite::Database side((dir_ / "server.db").string(), SQLite::OPEN_READWRITE);
    side.exec("DROP TRIGGER refuse");
  }
  auto retried = store->append_batch(batch, 2000);
  for (std::size_t i = 0; i < retried.size(); ++i) {
    ASSERT_TRUE(retried[i].ok());
    EXPECT_EQ(retried[i]->ack.conversation_seq, static_cast<Seq>(i + 1));
  }
}

TEST_F(MessageStoreTest, HistoryAndDeduplicationSurviveAReopen) {
  protocol::MessageAck original;
  {
    auto store = open();
    auto r = append(*store, {"alice", "general", "cm-1", "persisted"});
    ASSERT_TRUE(r.ok());
    original = r->ack;
  }
  auto store = open();
  auto again = append(*store, {"alice", "general", "cm-1", "persisted"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ack, original);
  auto events = store->events_after("general", 0, 100);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].body.text, "persisted");
  EXPECT_EQ(events[0].sender_id, "alice");
}

TEST_F(MessageStoreTest, TheConfigurationSeedsConversationsOnceAndLaterChangesAreKept) {
  auto store = open();
  ASSERT_TRUE(append(*store, {"carol", "general", "cm-1", "before"}).ok());
  protocol::ConversationRequest leave;
  leave.op = protocol::ConversationOp::leave;
  leave.conversation_id = "general";
  ASSERT_TRUE(store->change_conversation("carol", leave, 2000).ok());
  ServerConfig again = directory();  // still lists carol in general
  again.conversations.push_back({"new", ConversationKind::channel, "new", {"carol"}});
  ASSERT_TRUE(store->apply_directory(again).ok());
  auto refused = append(*store, {"carol", "general", "cm-2", "after"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::not_member) << "a restart does not undo a leave";
  EXPECT_EQ(store->head_seq("general"), 2) << "the message and the member.left event";
  EXPECT_TRUE(append(*store, {"carol", "new", "cm-3", "seeded"}).ok()) << "a new configured conversation is seeded";
}

TEST_F(MessageStoreTest, RefusesADatabaseFromANewerServer) {
  {
    SQLite::Database db((dir_ / "server.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version = 99");
  }
  auto store = MessageStore::open(dir_ / "server.db", Durability::normal);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("newer"), std::string::npos) << store.error().message;
}

SendRequest change(std::string user, std::string client_id, EventKind kind, std::string target,
                   std::string text, std::string emoji) {
  SendRequest r{std::move(user), "general", std::move(client_id), std::move(text)};
  r.kind = kind;
  r.target_message_id = std::move(target);
  r.emoji = std::move(emoji);
  return r;
}

TEST_F(MessageStoreTest, OnlyTheAuthorEditsOrDeletesAndEachChangeIsAnEvent) {
  auto store = open();
  auto created = append(*store, {"alice", "general", "cm-1", "first"});
  ASSERT_TRUE(created.ok());
  const std::string id = created->ack.message_id;

  auto foreign = append(*store, change("bob", "cm-2", EventKind::message_edited, id, "bob's words"));
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().code, ErrorCode::forbidden);
  EXPECT_EQ(append(*store, change("bob", "cm-3", EventKind::message_deleted, id)).error().code, ErrorCode::forbidden);

  auto edited = append(*store, change("alice", "cm-4", EventKind::message_edited, id, "first, fixed"));
  ASSERT_TRUE(edited.ok());
  EXPECT_EQ(edited->ack.message_id, id) << "the ack names the message changed";
  EXPECT_EQ(edited->ack.conversation_seq, 2);
  ASSERT_TRUE(edited->event.has_value());
  EXPECT_EQ(edited->event->kind, EventKind::message_edited);
  EXPECT_EQ(edited->event->body.text, "first, fixed");

  auto deleted = append(*store, change("alice", "cm-5", EventKind::message_deleted, id));
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->event->kind, EventKind::message_deleted);
  auto again = append(*store, change("alice", "cm-6", EventKind::message_edited, id, "too late"));
  EXPECT_EQ(again.error().code, ErrorCode::not_found) << "a deleted message cannot change";
  auto repeat = append(*store, change("alice", "cm-5", EventKind::message_deleted, id));
  ASSERT_TRUE(repeat.ok()) << "a resent delete gets its original ack";
  EXPECT_EQ(repeat->ack.conversation_seq, 3);
  EXPECT_FALSE(repeat->event.has_value());

  auto events = store->events_after("general", 0, 10);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].kind, EventKind::message_edited);
  EXPECT_EQ(events[1].message_id, id);
  EXPECT_EQ(events[2].kind, EventKind::message_deleted);
}

TEST_F(MessageStoreTest, AChangeToAMessageOfAnotherConversationIsNotFound) {
  auto store = open();
  auto elsewhere = append(*store, {"alice", "release", "cm-1", "private"});
  ASSERT_TRUE(elsewhere.ok());
  auto r = append(*store, change("alice", "cm-2", EventKind::message_edited, elsewhere->ack.message_id, "x"));
  EXPECT_EQ(r.error().code, ErrorCode::not_found);
  EXPECT_EQ(append(*store, change("alice", "cm-3", EventKind::reaction_added, "no-such-id", {}, "👍")).error().code,
            ErrorCode::not_found);
}

TEST_F(MessageStoreTest, ReactionsAreAddedOncePerUserAndRemovedOnlyWhenPresent) {
  auto store = open();
  auto created = append(*store, {"alice", "general", "cm-1", "lunch?"});
  const std::string id = created->ack.message_id;
  auto added = append(*store, change("bob", "cm-2", EventKind::reaction_added, id, {}, "👍"));
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->event->emoji, "👍");
  auto twice = append(*store, change("bob", "cm-3", EventKind::reaction_added, id, {}, "👍"));
  ASSERT_TRUE(twice.ok());
  EXPECT_FALSE(twice->event.has_value()) << "already there: no second event";
  EXPECT_EQ(twice->ack.conversation_seq, added->ack.conversation_seq);
  EXPECT_TRUE(append(*store, change("carol", "cm-4", EventKind::reaction_added, id, {}, "👍"))->event.has_value());

  EXPECT_EQ(append(*store, change("alice", "cm-5", EventKind::reaction_removed, id, {}, "👍")).error().code,
            ErrorCode::not_found) << "alice never reacted";
  auto removed = append(*store, change("bob", "cm-6", EventKind::reaction_removed, id, {}, "👍"));
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->event->kind, EventKind::reaction_removed);
  EXPECT_EQ(store->head_seq("general"), 4);
}

}  // namespace
}  // namespace confab::server
