// The outbox database: what send() commits survives, upgrades keep every row, and a file
// that cannot be used is refused with a clear error.
#include <gtest/gtest.h>

#include <fstream>

#include <SQLiteCpp/SQLiteCpp.h>

#include "printers.h"
#include "store/outbox_store.h"
#include "temp_dir.h"

namespace confab::store {
namespace {

core::OutboxRow row(std::string client_id, std::string text = "hello") {
  core::OutboxRow r;
  r.message.client_message_id = std::move(client_id);
  r.message.conversation_id = "c_general";
  r.message.text = std::move(text);
  r.message.created_at_ms = 1000;
  r.age_from_ms = 1000;
  return r;
}

std::unique_ptr<OutboxStore> open_store(const std::filesystem::path& path) {
  auto store = OutboxStore::open(path, Synchronous::normal);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : describe(store.error()));
  return store.ok() ? std::move(store).value() : nullptr;
}

TEST(OutboxStore, QueuedRowsSurviveReopeningInOrder) {
  test::TempDir dir;
  {
    auto store = open_store(dir / "outbox.db");
    ASSERT_TRUE(store);
    auto first = store->insert(row("a", "first"));
    auto second = store->insert(row("b", "second ✓"));
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(first->message.local_id + 1, second->message.local_id);
  }
  auto store = open_store(dir / "outbox.db");
  ASSERT_TRUE(store);
  auto rows = store->load_unsent();
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].message.client_message_id, "a");
  EXPECT_EQ((*rows)[1].message.text, "second ✓");
  EXPECT_EQ((*rows)[1].message.state, OutboxState::pending);
}

TEST(OutboxStore, WriteRecordsEveryFieldAndDeletesDiscardedRows) {
  auto store = open_store(":memory:");
  auto a = store->insert(row("a")).value();
  auto b = store->insert(row("b")).value();
  auto c = store->insert(row("c")).value();

  a.message.state = OutboxState::sent;
  a.message.attempts = 2;
  a.message.message_id = "m-1";
  a.message.conversation_seq = 9;
  b.message.state = OutboxState::failed;
  b.message.attempts = 1;
  Error refused = Error::make(ErrorCode::rate_limited, "slow down");
  refused.retry_after_ms = 1500;
  b.message.last_error = refused;
  c.message.state = OutboxState::discarded;
  std::vector<core::OutboxRow> changes{a, b, c};
  ASSERT_TRUE(store->write(changes).ok());

  auto sent = store->get(a.message.local_id);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->message.state, OutboxState::sent);
  EXPECT_EQ(sent->message.message_id, "m-1");
  EXPECT_EQ(sent->message.conversation_seq, 9);
  EXPECT_EQ(sent->message.attempts, 2);

  auto unsent = store->load_unsent().value();
  ASSERT_EQ(unsent.size(), 1u) << "sent rows are kept but not unsent; discarded rows are gone";
  EXPECT_EQ(unsent[0].message.client_message_id, "b");
  EXPECT_EQ(unsent[0].message.state, OutboxState::failed);
  ASSERT_TRUE(unsent[0].message.last_error.has_value());
  EXPECT_EQ(*unsent[0].message.last_error, refused);
  EXPECT_EQ(store->get(c.message.local_id).error().code, ErrorCode::invalid_argument);
}

// Builds a database at an earlier schema version, as that version of the SDK left it.
void create_at_version(const std::filesystem::path& path, int version) {
  SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  auto steps = OutboxStore::migrations();
  for (int v = 1; v <= version; ++v) db.exec(steps[static_cast<std::size_t>(v - 1)]);
  db.exec("PRAGMA user_version = " + std::to_string(version));
}

TEST(OutboxStore, UpgradesFromEveryEarlierVersionKeepQueuedRows) {
  for (int version = 1; version < OutboxStore::kSchemaVersion; ++version) {
    SCOPED_TRACE("from version " + std::to_string(version));
    test::TempDir dir;
    create_at_version(dir / "outbox.db", version);
    {
      // The columns every version has; each version's rows in each unsent state.
      SQLite::Database db((dir / "outbox.db").string(), SQLite::OPEN_READWRITE);
      db.exec(
          "INSERT INTO outbox (client_message_id, conversation_id, text, state, attempts, age_from_ms, "
          "created_at_ms) VALUES ('a', 'c_general', 'pending one', 'pending', 0, 10, 10), "
          "('b', 'c_general', 'in flight', 'sending', 1, 11, 11), "
          "('c', 'c_release', 'refused', 'failed', 1, 12, 12)");
    }
    auto store = open_store(dir / "outbox.db");
    ASSERT_TRUE(store);
    EXPECT_EQ(store->schema_version(), OutboxStore::kSchemaVersion);
    auto rows = store->load_unsent().value();
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].message.text, "pending one");
    EXPECT_EQ(rows[1].message.state, OutboxState::sending);
    EXPECT_EQ(rows[1].message.attempts, 1);
    EXPECT_EQ(rows[2].message.state, OutboxState::failed);
    for (const auto& r : rows) EXPECT_EQ(r.message.kind, OutboxKind::message);
  }
}

TEST(OutboxStore, ChangesKeepTheirTargetAndKind) {
  auto store = open_store(":memory:");
  auto target = store->insert(row("t")).value();
  core::OutboxRow change = row("e", "new text");
  change.message.kind = OutboxKind::react;
  change.message.emoji = "👍";
  change.message.target_local_id = target.message.local_id;
  auto stored = store->insert(change).value();
  stored.message.target_message_id = "m-77";
  std::vector<core::OutboxRow> changes{stored};
  ASSERT_TRUE(store->write(changes).ok());
  auto back = store->get(stored.message.local_id).value();
  EXPECT_EQ(back.message.kind, OutboxKind::react);
  EXPECT_EQ(back.message.emoji, "👍");
  EXPECT_EQ(back.message.target_local_id, target.message.local_id);
  EXPECT_EQ(back.message.target_message_id, "m-77");
}

TEST(OutboxStore, RepliesKeepTheMessagesTheyNameAndLearnTheirServerIds) {
  auto store = open_store(":memory:");
  auto root = store->insert(row("r")).value();
  core::OutboxRow reply = row("q", "a reply");
  reply.message.reply_to = "m-quoted";
  reply.message.thread_root_local_id = root.message.local_id;
  auto stored = store->insert(reply).value();
  auto back = store->get(stored.message.local_id).value();
  EXPECT_EQ(back.message.reply_to, "m-quoted");
  EXPECT_EQ(back.message.reply_to_local_id, 0);
  EXPECT_EQ(back.message.thread_root_id, "");
  EXPECT_EQ(back.message.thread_root_local_id, root.message.local_id);
  stored.message.thread_root_id = "m-root";  // the root was acknowledged
  std::vector<core::OutboxRow> changes{stored};
  ASSERT_TRUE(store->write(changes).ok());
  back = store->get(stored.message.local_id).value();
  EXPECT_EQ(back.message.thread_root_id, "m-root");
  EXPECT_EQ(back.message.thread_root_local_id, root.message.local_id);
}

TEST(OutboxStore, ASecondClientCannotOpenTheSameDatabase) {
  test::TempDir dir;
  auto first = open_store(dir / "outbox.db");
  ASSERT_TRUE(first);
  auto second = OutboxStore::open(dir / "outbox.db", Synchronous::normal);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::storage);
  first.reset();
  EXPECT_TRUE(open_store(dir / "outbox.db")) << "free again once the first one closed";
}

TEST(OutboxStore, ADatabaseFromANewerVersionIsRefusedAndLeftAlone) {
  test::TempDir dir;
  {
    auto store = open_store(dir / "outbox.db");
    ASSERT_TRUE(store->insert(row("a")).ok());
  }
  {
    SQLite::Database db((dir / "outbox.db").string(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = " + std::to_string(OutboxStore::kSchemaVersion + 1));
  }
  auto refused = OutboxStore::open(dir / "outbox.db", Synchronous::normal);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::storage);
  EXPECT_NE(refused.error().message.find("newer"), std::string::npos) << refused.error().message;
  SQLite::Database db((dir / "outbox.db").string(), SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("SELECT COUNT(*) FROM outbox").getInt(), 1);
}

TEST(OutboxStore, AFileThatIsNotADatabaseIsRefused) {
  test::TempDir dir;
  std::ofstream(dir / "outbox.db") << "this is not an SQLite database, just some text that is long enough";
  auto refused = OutboxStore::open(dir / "outbox.db", Synchronous::normal);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::storage);
}

TEST(OutboxStore, AMissingDirectoryIsRefused) {
  test::TempDir dir;
  auto refused = OutboxStore::open(dir / "no-such-dir" / "outbox.db", Synchronous::full);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::storage);
}

}  // namespace
}  // namespace confab::store

namespace confab::store {
namespace {

// Overwrites one page of a closed database with junk.
void damage_page(const std::filesystem::path& path, std::int64_t page) {
  std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
  file.seekp((page - 1) * 4096);
  std::string junk(4096, '\x6b');
  file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
}

TEST(OutboxSalvage, ADamagedIndexIsRepairedKeepingEveryUnsentRowAndItsOrder) {
  test::TempDir dir;
  auto path = dir / "outbox.db";
  std::int64_t index_page = 0;
  {
    auto store = open_store(path);
    ASSERT_TRUE(store);
    auto first = store->insert(row("a", "first"));
    ASSERT_TRUE(first.ok());
    auto edit = row("b", "first, edited");
    edit.message.kind = OutboxKind::edit;
    edit.message.target_local_id = first->message.local_id;
    ASSERT_TRUE(store->insert(edit).ok());
    auto failed = store->insert(row("c", "refused"));
    ASSERT_TRUE(failed.ok());
    failed->message.state = OutboxState::failed;
    failed->message.last_error = Error::make(ErrorCode::forbidden, "no");
    ASSERT_TRUE(store->write(std::span(&*failed, 1)).ok());
  }
  {
    SQLite::Database db(path.string());
    index_page = db.execAndGet("SELECT rootpage FROM sqlite_master WHERE name = 'outbox_unsent'").getInt64();
  }
  damage_page(path, index_page);
  ASSERT_FALSE(OutboxStore::open(path, Synchronous::normal).ok()) << "plain open() reports the damage";

  auto recovered = OutboxStore::open_recovering(path, Synchronous::normal);
  ASSERT_TRUE(recovered.ok()) << describe(recovered.error());
  EXPECT_TRUE(recovered->rebuilt);
  EXPECT_EQ(recovered->salvaged, 3u) << recovered->detail;
  EXPECT_EQ(recovered->lost, 0u);
  auto unsent = recovered->store->load_unsent();
  ASSERT_TRUE(unsent.ok());
  ASSERT_EQ(unsent->size(), 3u);
  EXPECT_EQ((*unsent)[0].message.client_message_id, "a");
  EXPECT_EQ((*unsent)[1].message.client_message_id, "b");
  EXPECT_EQ((*unsent)[1].message.target_local_id, (*unsent)[0].message.local_id) << "the edit still names its message";
  EXPECT_EQ((*unsent)[2].message.state, OutboxState::failed);
  EXPECT_EQ((*unsent)[2].message.last_error->code, ErrorCode::forbidden);
  bool kept = false;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    kept |= entry.path().filename().string().starts_with("outbox.db.damaged-");
  }
  EXPECT_TRUE(kept) << "the damaged file is kept for inspection";
}

TEST(OutboxSalvage, AFileThatIsNotADatabaseIsSetAsideAndANewOutboxStarts) {
  test::TempDir dir;
  auto path = dir / "outbox.db";
  std::ofstream(path) << std::string(8192, 'x');
  auto recovered = OutboxStore::open_recovering(path, Synchronous::normal);
  ASSERT_TRUE(recovered.ok()) << describe(recovered.error());
  EXPECT_TRUE(recovered->rebuilt);
  EXPECT_EQ(recovered->salvaged, 0u);
  EXPECT_TRUE(recovered->store->insert(row("a")).ok());
}

TEST(OutboxSalvage, ADatabaseInUseIsNotMistakenForADamagedOne) {
  test::TempDir dir;
  auto path = dir / "outbox.db";
  auto first = open_store(path);
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->insert(row("a")).ok());
  auto second = OutboxStore::open_recovering(path, Synchronous::normal);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::storage);
  EXPECT_EQ(first->load_unsent()->size(), 1u) << "the file in use was left alone";
}

}  // namespace
}  // namespace confab::store
