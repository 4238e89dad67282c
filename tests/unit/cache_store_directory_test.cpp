// The local store's directory (workspaces, users, their names and roles), the names it
// puts on messages and members, the conversation list's order and preview, a request's
// answer stored, and the schema upgrade that brought them.
#include "store/cache_store.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace confab::store {
namespace {

protocol::Event created(std::string conversation, Seq seq, std::string id, std::string sender, std::int64_t at,
                        std::string thread = {}) {
  protocol::Event e;
  e.conversation_id = std::move(conversation);
  e.conversation_seq = seq;
  e.kind = EventKind::message_created;
  e.message_id = std::move(id);
  e.sender_id = std::move(sender);
  e.client_message_id = "cm-" + e.message_id;
  e.body.text = "text of " + e.message_id;
  e.created_at_ms = at;
  e.thread_root_id = std::move(thread);
  return e;
}

protocol::Event member(std::string conversation, Seq seq, EventKind kind, std::string user, std::int64_t at) {
  protocol::Event e;
  e.conversation_id = std::move(conversation);
  e.conversation_seq = seq;
  e.kind = kind;
  e.member_id = std::move(user);
  e.sender_id = e.member_id;
  e.created_at_ms = at;
  return e;
}

protocol::ConversationSummary summary(std::string id, std::string kind, std::string workspace = "w_acme") {
  protocol::ConversationSummary c;
  c.conversation_id = std::move(id);
  c.kind = std::move(kind);
  c.workspace_id = std::move(workspace);
  c.name = c.conversation_id;
  return c;
}

// alice (owner of w_acme, member of w_ops), bob (member of w_acme), carol (admin of w_ops).
protocol::Directory first_page() {
  return protocol::Directory{"d1",
                             {{"w_acme", "Acme", "owner"}, {"w_ops", "Ops", "member"}},
                             {{"alice", "Alice", {{"w_acme", "owner"}, {"w_ops", "member"}}},
                              {"bob", "Bob", {{"w_acme", "member"}}}},
                             "bob"};
}
protocol::Directory second_page() { return protocol::Directory{"d2", {}, {{"carol", "Carol", {{"w_ops", "admin"}}}}, ""}; }

std::vector<std::string> ids(const std::vector<User>& users) {
  std::vector<std::string> out;
  for (const auto& u : users) out.push_back(u.user_id);
  return out;
}

class CacheStoreDirectory : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    auto opened = CacheStore::open(GetParam() ? dir.path() / "cache.db" : ":memory:", Synchronous::normal);
    ASSERT_TRUE(opened) << opened.error().message;
    store = std::move(opened->store);
  }

  void list(std::vector<protocol::ConversationSummary> items) { ASSERT_TRUE(store->update_conversations(items, true)); }
  void apply(const std::string& conversation, std::vector<protocol::Event> events) {
    ASSERT_TRUE(store->apply(conversation, events, ApplyMode::forward));
  }
  void directory() {
    ASSERT_TRUE(store->store_directory(first_page(), true, false));
    ASSERT_TRUE(store->store_directory(second_page(), false, true));
  }

  confab::test::TempDir dir;
  std::unique_ptr<CacheStore> store;
};

INSTANTIATE_TEST_SUITE_P(InMemoryAndOnFile, CacheStoreDirectory, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "File" : "Memory"; });

TEST_P(CacheStoreDirectory, KeepsTheWorkspacesAndTheUsersWithTheirRoles) {
  EXPECT_TRUE(store->workspaces().value().empty());
  EXPECT_TRUE(store->users("").value().empty());
  directory();
  auto workspaces = store->workspaces().value();
  ASSERT_EQ(workspaces.size(), 2u);
  EXPECT_EQ(workspaces[0], (Workspace{"w_acme", "Acme", Role::owner}));
  EXPECT_EQ(workspaces[1], (Workspace{"w_ops", "Ops", Role::member}));
  EXPECT_EQ(ids(store->users("").value()), (std::vector<std::string>{"alice", "bob", "carol"}));
  EXPECT_EQ(ids(store->users("w_acme").value()), (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(ids(store->users("w_ops").value()), (std::vector<std::string>{"alice", "carol"}));
  EXPECT_TRUE(store->users("w_nowhere").value().empty());
  auto carol = store->user("carol").value();
  ASSERT_TRUE(carol.has_value());
  EXPECT_EQ(*carol, (User{"carol", "Carol", {{"w_ops", Role::admin}}, PresenceStatus::offline}));
  EXPECT_FALSE(store->user("zoe").value().has_value());
}

TEST_P(CacheStoreDirectory, AUserLeftOutOfACompleteListingIsNoLongerListedButKeepsTheirName) {
  directory();
  // A new listing in progress: its first page does not name carol yet.
  protocol::Directory renamed{"d3", {{"w_acme", "Acme Corp", "owner"}}, {{"alice", "Alice L.", {{"w_acme", "owner"}}}}, "alice"};
  ASSERT_TRUE(store->store_directory(renamed, true, false));
  EXPECT_EQ(ids(store->users("").value()), (std::vector<std::string>{"alice", "bob", "carol"}))
      << "a listing in progress hides nobody";
  EXPECT_EQ(store->workspaces().value(), (std::vector<Workspace>{{"w_acme", "Acme Corp", Role::owner}}))
      << "the workspaces come whole with the first page";
  EXPECT_EQ(store->user("alice").value()->display_name, "Alice L.");
  // It ends without carol and bob.
  ASSERT_TRUE(store->store_directory(protocol::Directory{"d4", {}, {}, ""}, false, true));
  EXPECT_EQ(ids(store->users("").value()), (std::vector<std::string>{"alice"}));
  auto carol = store->user("carol").value();
  ASSERT_TRUE(carol.has_value()) << "her old messages keep her name";
  EXPECT_EQ(carol->display_name, "Carol");
}

TEST_P(CacheStoreDirectory, MessagesAndMembersCarryTheDirectorysNames) {
  list({summary("c1", "channel")});
  apply("c1", {member("c1", 1, EventKind::member_joined, "alice", 100), member("c1", 2, EventKind::member_joined, "bob", 101),
               member("c1", 3, EventKind::member_joined, "zoe", 102), created("c1", 4, "m1", "bob", 200),
               created("c1", 5, "m2", "zoe", 201), created("c1", 6, "r1", "bob", 202, "m1")});
  auto before = store->page("c1", 0, 10).value().messages;
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(before[0].sender_name, "") << "unknown until the directory is listed";

  directory();
  auto page = store->page("c1", 0, 10).value().messages;
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].sender_name, "Bob");
  EXPECT_EQ(page[1].sender_name, "") << "zoe is not in the directory";
  auto thread = store->thread("m1", 10).value();
  ASSERT_EQ(thread.size(), 1u);
  EXPECT_EQ(thread[0].sender_name, "Bob");
  auto found = store->search("text", "", 10).value();
  ASSERT_FALSE(found.empty());
  for (const auto& m : found) EXPECT_EQ(m.sender_name, m.sender_id == "bob" ? "Bob" : "") << m.message_id;

  auto members = store->members("c1").value();
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].user_id, "alice");
  EXPECT_EQ(members[0].display_name, "Alice");
  EXPECT_EQ(members[0].role, Role::owner) << "her role in the conversation's workspace";
  EXPECT_EQ(members[1].display_name, "Bob");
  EXPECT_EQ(members[1].role, Role::member);
  EXPECT_EQ(members[2].display_name, "");
  EXPECT_EQ(members[2].presence, PresenceStatus::offline);

  auto info = store->conversation("c1", "alice").value();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->role, Role::owner);
  EXPECT_EQ(info->kind, ConversationKind::channel);
}

TEST_P(CacheStoreDirectory, TheListIsSortedByLastActivityAndEachCarriesItsLastMessage) {
  list({summary("a", "channel"), summary("b", "dm"), summary("c", "group_dm"), summary("d", "private_channel")});
  apply("a", {created("a", 1, "a1", "bob", 1000)});
  apply("b", {created("b", 1, "b1", "bob", 3000), created("b", 2, "b2", "alice", 3100)});
  apply("c", {member("c", 1, EventKind::member_joined, "alice", 2000)});
  // In c, a thread reply and a deleted message are not the preview.
  apply("c", {created("c", 2, "c1", "bob", 2100), created("c", 3, "c2", "bob", 2200, "c1"),
              created("c", 4, "c3", "alice", 2300)});
  protocol::Event deleted;
  deleted.conversation_id = "c";
  deleted.conversation_seq = 5;
  deleted.kind = EventKind::message_deleted;
  deleted.message_id = "c3";
  deleted.created_at_ms = 2400;
  apply("c", {deleted});

  auto listed = store->conversations("alice").value();
  ASSERT_EQ(listed.size(), 4u);
  std::vector<std::string> order;
  for (const auto& c : listed) order.push_back(c.conversation_id);
  EXPECT_EQ(order, (std::vector<std::string>{"b", "c", "a", "d"})) << "newest activity first; none last";
  EXPECT_EQ(listed[0].kind, ConversationKind::dm);
  EXPECT_EQ(listed[0].last_activity_ms, 3100);
  ASSERT_TRUE(listed[0].last_message.has_value());
  EXPECT_EQ(listed[0].last_message->message_id, "b2");
  EXPECT_EQ(listed[1].kind, ConversationKind::group_dm);
  EXPECT_EQ(listed[1].last_activity_ms, 2400) << "the delete is the newest event";
  ASSERT_TRUE(listed[1].last_message.has_value());
  EXPECT_EQ(listed[1].last_message->message_id, "c1") << "not the reply in a thread, nor the deleted one";
  EXPECT_EQ(listed[3].kind, ConversationKind::private_channel);
  EXPECT_EQ(listed[3].last_activity_ms, 0);
  EXPECT_FALSE(listed[3].last_message.has_value());

  directory();
  EXPECT_EQ(store->conversations("alice").value()[0].last_message->sender_name, "Alice");
}

TEST_P(CacheStoreDirectory, ARequestsAnswerIsStoredAsOfItsHeadAndTheLogStaysTheJudgeAfterIt) {
  protocol::ConversationInfo answer;
  answer.conversation = summary("c_new", "private_channel");
  answer.conversation.name = "launch";
  answer.conversation.topic = "T-minus";
  answer.conversation.head_seq = 2;
  answer.conversation.member_count = 2;
  answer.members = {"alice", "bob"};
  ASSERT_TRUE(store->store_answer(answer, true));
  auto listed = store->listed_conversations().value();
  EXPECT_EQ(listed, std::vector<std::string>{"c_new"});
  auto info = store->conversation("c_new", "alice").value();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->name, "launch");
  EXPECT_EQ(info->topic, "T-minus");
  EXPECT_EQ(info->kind, ConversationKind::private_channel);
  EXPECT_EQ(info->members, (std::vector<std::string>{"alice", "bob"}));

  // The log's events up to the head change nothing; a later one does.
  apply("c_new", {member("c_new", 1, EventKind::member_joined, "alice", 10), member("c_new", 2, EventKind::member_joined, "bob", 11),
                  member("c_new", 3, EventKind::member_joined, "carol", 12)});
  EXPECT_EQ(store->conversation("c_new", "alice").value()->members, (std::vector<std::string>{"alice", "bob", "carol"}));

  // bob left (seq 4), and the answer to alice's own leave (head 5) lists the rest: she is
  // out of the list, and nobody not listed is a member.
  protocol::ConversationInfo left = answer;
  left.conversation.head_seq = 5;
  left.conversation.member_count = 1;
  left.members = {"carol"};
  ASSERT_TRUE(store->store_answer(left, false));
  EXPECT_TRUE(store->listed_conversations().value().empty());
  EXPECT_EQ(store->conversation("c_new", "alice").value()->members, (std::vector<std::string>{"carol"}));
  apply("c_new", {member("c_new", 4, EventKind::member_left, "bob", 13)});
  EXPECT_EQ(store->conversation("c_new", "alice").value()->members, (std::vector<std::string>{"carol"}));

  // An answer whose member list was cut (more members than listed) removes nobody.
  protocol::ConversationInfo cut = left;
  cut.conversation.head_seq = 6;
  cut.conversation.member_count = 3;
  cut.members = {"dave"};
  ASSERT_TRUE(store->store_answer(cut, true));
  EXPECT_EQ(store->conversation("c_new", "alice").value()->members, (std::vector<std::string>{"carol", "dave"}));
}

TEST(CacheStoreDirectoryFile, ACacheOfTheSecondSchemaIsUpgradedWithItsLastActivity) {
  confab::test::TempDir dir;
  auto path = dir.path() / "cache.db";
  {
    SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (int step = 0; step < 2; ++step) db.exec(CacheStore::migrations()[static_cast<std::size_t>(step)]);
    db.exec("PRAGMA user_version = 2");
    db.exec("INSERT INTO conversations (id, kind, name, cursor) VALUES ('c_old', 'channel', 'old', 2), "
            "('c_new', 'dm', '', 1), ('c_empty', 'group_dm', '', 0)");
    db.exec("INSERT INTO messages (message_id, conversation_id, seq, sender_id, text, text_seq, created_at_ms) VALUES "
            "('m1', 'c_old', 1, 'bob', 'first', 1, 1000), ('m2', 'c_old', 2, 'bob', 'second', 2, 2000), "
            "('m3', 'c_new', 1, 'alice', 'newest', 1, 5000)");
    db.exec("INSERT INTO meta (key, value) VALUES ('user_id', 'alice')");
  }
  auto opened = CacheStore::open(path, Synchronous::normal);
  ASSERT_TRUE(opened) << opened.error().message;
  ASSERT_FALSE(opened->rebuilt_because) << *opened->rebuilt_because;
  auto& store = *opened->store;
  EXPECT_EQ(store.user_id().value(), "alice");
  auto listed = store.conversations("alice").value();
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].conversation_id, "c_new");
  EXPECT_EQ(listed[0].last_activity_ms, 5000);
  EXPECT_EQ(listed[1].conversation_id, "c_old");
  EXPECT_EQ(listed[1].last_activity_ms, 2000);
  EXPECT_EQ(listed[1].last_message->text, "second");
  EXPECT_EQ(listed[2].last_activity_ms, 0);
  EXPECT_TRUE(store.users("").value().empty());
  ASSERT_TRUE(store.store_directory(first_page(), true, true));
  EXPECT_EQ(store.page("c_old", 0, 10).value().messages[0].sender_name, "Bob");
  SQLite::Database check(path.string(), SQLite::OPEN_READONLY);
  EXPECT_EQ(check.execAndGet("PRAGMA user_version").getInt(), CacheStore::kSchemaVersion);
}

}  // namespace
}  // namespace confab::store
