// Conversations in the server's store: creating them, who may join, leave, invite and
// rename, the events each change appends, history pages and cursors.
#include <gtest/gtest.h>

#include "message_store.h"
#include "temp_dir.h"

namespace confab::server {
namespace {

using protocol::ConversationOp;
using protocol::ConversationRequest;

ServerConfig directory() {
  ServerConfig config;
  config.users = {{"alice", "Alice", {"ta"}}, {"bob", "Bob", {"tb"}}, {"carol", "Carol", {"tc"}},
                  {"dave", "Dave", {"td"}},   {"erin", "Erin", {"te"}}};
  config.workspaces = {{"w_acme", "Acme", {{"alice", Role::owner}, {"bob", Role::member}, {"carol", Role::admin},
                                           {"dave", Role::member}}},
                       {"w_other", "Other", {{"erin", Role::owner}}}};
  config.conversations = {{"general", ConversationKind::channel, "general", {"alice", "bob", "carol"}, "w_acme"},
                          {"secret", ConversationKind::private_channel, "secret", {"alice"}, "w_acme"}};
  return config;
}

ConversationRequest request(ConversationOp op, std::string conversation_id = {}) {
  ConversationRequest r;
  r.op = op;
  r.conversation_id = std::move(conversation_id);
  return r;
}

ConversationRequest create(std::string kind, std::vector<std::string> users, std::string name = {}) {
  ConversationRequest r = request(ConversationOp::create);
  r.kind = std::move(kind);
  r.user_ids = std::move(users);
  if (!name.empty()) r.name = std::move(name);
  return r;
}

class ConversationsTest : public testing::Test {
 protected:
  void SetUp() override {
    auto store = MessageStore::open(dir_ / "server.db", Durability::normal);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    ASSERT_TRUE(store_->apply_directory(directory()).ok());
  }

  AppendResult send(const std::string& user, const std::string& conversation, const std::string& client_id,
                    EventKind kind = EventKind::message_created, const std::string& target = {}) {
    SendRequest r{user, conversation, client_id, "text of " + client_id};
    r.kind = kind;
    r.target_message_id = target;
    return store_->append_batch(std::span(&r, 1), 1000).front();
  }

  test::TempDir dir_;
  std::unique_ptr<MessageStore> store_;
};

TEST_F(ConversationsTest, CreatingAChannelAddsTheCreatorAndInviteesAsLoggedEvents) {
  auto made = store_->change_conversation("alice", create("channel", {"bob", "bob", "alice"}, "launch"), 10);
  ASSERT_TRUE(made.ok()) << made.error().message;
  const auto& c = made->info.conversation;
  EXPECT_EQ(c.kind, "channel");
  EXPECT_EQ(c.name, "launch");
  EXPECT_EQ(c.workspace_id, "w_acme");
  EXPECT_EQ(made->info.members, (std::vector<std::string>{"alice", "bob"}));
  ASSERT_EQ(made->events.size(), 2u);
  EXPECT_EQ(made->events[0].kind, EventKind::member_joined);
  EXPECT_EQ(made->events[0].member_id, "alice");
  EXPECT_EQ(made->events[1].member_id, "bob");
  EXPECT_EQ(made->events[1].conversation_seq, 2);
  EXPECT_EQ(made->audience, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(store_->events_after(c.conversation_id, 0, 10), made->events) << "what was returned is what is stored";

  auto taken = store_->change_conversation("bob", create("channel", {}, "launch"), 10);
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, ErrorCode::invalid_field) << "public channel names are unique in a workspace";
  auto nameless = store_->change_conversation("bob", create("channel", {}), 10);
  EXPECT_EQ(nameless.error().code, ErrorCode::invalid_field);
  auto stranger = store_->change_conversation("alice", create("channel", {"erin"}, "x"), 10);
  EXPECT_EQ(stranger.error().code, ErrorCode::not_found) << "erin is not in alice's workspace";
}

// "Already exists" must not tell anyone that a private channel they cannot see exists.
TEST_F(ConversationsTest, APrivateChannelsNameCannotBeProbed) {
  // dave is in the workspace but not in the private channel "secret".
  auto public_one = store_->change_conversation("dave", create("channel", {}, "secret"), 10);
  ASSERT_TRUE(public_one.ok()) << "the private channel's name blocks nothing: " << public_one.error().message;
  auto private_one = store_->change_conversation("dave", create("private_channel", {}, "secret"), 10);
  ASSERT_TRUE(private_one.ok()) << "private channels' names need not be unique";
  auto rename = request(ConversationOp::update, private_one->info.conversation.conversation_id);
  rename.name = "general";
  EXPECT_TRUE(store_->change_conversation("dave", rename, 10).ok()) << "nor is a private one checked against public ones";

  auto twice = store_->change_conversation("dave", create("channel", {}, "general"), 10);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, ErrorCode::invalid_field) << "public channels, which everyone can see, stay unique";
  auto to_taken = request(ConversationOp::update, public_one->info.conversation.conversation_id);
  to_taken.name = "general";
  EXPECT_EQ(store_->change_conversation("dave", to_taken, 10).error().code, ErrorCode::invalid_field);
}

TEST_F(ConversationsTest, ThereIsExactlyOneDmPerPair) {
  auto first = store_->change_conversation("alice", create("dm", {"bob"}), 10);
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto again = store_->change_conversation("bob", create("dm", {"alice"}), 20);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->info.conversation.conversation_id, first->info.conversation.conversation_id);
  EXPECT_TRUE(again->events.empty()) << "the existing DM is returned; nothing is appended";
  auto crowd = store_->change_conversation("alice", create("dm", {"bob", "carol"}), 10);
  EXPECT_EQ(crowd.error().code, ErrorCode::invalid_field);
  auto self = store_->change_conversation("alice", create("dm", {"alice"}), 10);
  EXPECT_EQ(self.error().code, ErrorCode::invalid_field);
  auto leave = store_->change_conversation("alice", request(ConversationOp::leave, first->info.conversation.conversation_id), 10);
  EXPECT_EQ(leave.error().code, ErrorCode::forbidden);
  auto group = store_->change_conversation("alice", create("group_dm", {"bob", "carol"}), 10);
  ASSERT_TRUE(group.ok());
  EXPECT_EQ(group->info.members.size(), 3u);
  auto small = store_->change_conversation("alice", create("group_dm", {"bob"}), 10);
  EXPECT_EQ(small.error().code, ErrorCode::invalid_field);
  auto invite = request(ConversationOp::invite, group->info.conversation.conversation_id);
  invite.user_ids = {"dave"};
  EXPECT_EQ(store_->change_conversation("alice", invite, 10).error().code, ErrorCode::forbidden);
}

TEST_F(ConversationsTest, PublicChannelsCanBeJoinedPrivateOnesOnlyByInvitation) {
  auto joined = store_->change_conversation("dave", request(ConversationOp::join, "general"), 10);
  ASSERT_TRUE(joined.ok());
  ASSERT_EQ(joined->events.size(), 1u);
  EXPECT_EQ(joined->events[0].member_id, "dave");
  auto twice = store_->change_conversation("dave", request(ConversationOp::join, "general"), 10);
  ASSERT_TRUE(twice.ok());
  EXPECT_TRUE(twice->events.empty()) << "joining again changes nothing";

  auto hidden = store_->change_conversation("dave", request(ConversationOp::join, "secret"), 10);
  EXPECT_EQ(hidden.error().code, ErrorCode::not_member) << "a private channel answers as if it did not exist";
  auto foreign = store_->change_conversation("erin", request(ConversationOp::join, "general"), 10);
  EXPECT_EQ(foreign.error().code, ErrorCode::not_member) << "erin is in another workspace";
  auto outsider_invites = request(ConversationOp::invite, "secret");
  outsider_invites.user_ids = {"dave"};
  EXPECT_EQ(store_->change_conversation("bob", outsider_invites, 10).error().code, ErrorCode::not_member);
  auto invited = store_->change_conversation("alice", outsider_invites, 10);
  ASSERT_TRUE(invited.ok());
  EXPECT_EQ(invited->info.members, (std::vector<std::string>{"alice", "dave"}));
  EXPECT_TRUE(send("dave", "secret", "m1").ok());
}

TEST_F(ConversationsTest, LeavingStopsSendingAndTheLeaverHearsOfIt) {
  auto left = store_->change_conversation("bob", request(ConversationOp::leave, "general"), 10);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->events.size(), 1u);
  EXPECT_EQ(left->events[0].kind, EventKind::member_left);
  EXPECT_NE(std::find(left->audience.begin(), left->audience.end(), "bob"), left->audience.end());
  EXPECT_EQ(send("bob", "general", "m1").error().code, ErrorCode::not_member);
  protocol::HistoryRequest h{"h", "general", 0, std::nullopt, 10};
  EXPECT_EQ(store_->history("bob", h, 1000, 65536).error().code, ErrorCode::not_member);
  EXPECT_EQ(store_->change_conversation("bob", request(ConversationOp::leave, "general"), 10).error().code,
            ErrorCode::not_member);
}

TEST_F(ConversationsTest, RenamesAndTopicsAreEventsAndDmsHaveNoNames) {
  auto update = request(ConversationOp::update, "general");
  update.topic = "launch day";
  auto topic = store_->change_conversation("bob", update, 10);
  ASSERT_TRUE(topic.ok());
  ASSERT_EQ(topic->events.size(), 1u);
  EXPECT_EQ(topic->events[0].kind, EventKind::conversation_updated);
  EXPECT_EQ(topic->events[0].name, "general");
  EXPECT_EQ(topic->events[0].topic, "launch day");
  EXPECT_EQ(topic->info.conversation.topic, "launch day");
  EXPECT_TRUE(store_->change_conversation("bob", update, 10)->events.empty()) << "no change, no event";
  auto dm = store_->change_conversation("alice", create("dm", {"bob"}), 10);
  auto rename = request(ConversationOp::update, dm->info.conversation.conversation_id);
  rename.name = "ours";
  EXPECT_EQ(store_->change_conversation("alice", rename, 10).error().code, ErrorCode::forbidden);
}

TEST_F(ConversationsTest, AWorkspaceAdminMayEditOrDeleteAnyonesMessageAMemberMayNot) {
  auto message = send("bob", "general", "m1");
  ASSERT_TRUE(message.ok());
  const auto& id = message->ack.message_id;
  EXPECT_EQ(send("alice", "general", "e1", EventKind::message_edited, id).ok(), true) << "alice owns the workspace";
  auto dave_joins = store_->change_conversation("dave", request(ConversationOp::join, "general"), 10);
  ASSERT_TRUE(dave_joins.ok());
  EXPECT_EQ(send("dave", "general", "d1", EventKind::message_deleted, id).error().code, ErrorCode::forbidden);
  EXPECT_TRUE(send("carol", "general", "d2", EventKind::message_deleted, id).ok()) << "carol is an admin";
}

TEST_F(ConversationsTest, HistoryPagesForwardAndBackAndSaysTooLongPastTheLimit) {
  for (int i = 1; i <= 30; ++i) ASSERT_TRUE(send("alice", "general", "m" + std::to_string(i)).ok());
  protocol::HistoryRequest forward{"h", "general", 10, std::nullopt, 5};
  auto page = store_->history("bob", forward, 100, 65536);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->head_seq, 30);
  ASSERT_EQ(page->events.size(), 5u);
  EXPECT_EQ(page->events.front().conversation_seq, 11);
  EXPECT_EQ(page->events.back().conversation_seq, 15);
  EXPECT_TRUE(page->more);
  EXPECT_FALSE(page->too_long);

  protocol::HistoryRequest back{"h", "general", std::nullopt, 31, 4};
  auto newest = store_->history("bob", back, 100, 65536);
  ASSERT_EQ(newest->events.size(), 4u);
  EXPECT_EQ(newest->events.front().conversation_seq, 27) << "the newest page, oldest first";
  EXPECT_EQ(newest->events.back().conversation_seq, 30);
  EXPECT_TRUE(newest->more);
  protocol::HistoryRequest oldest{"h", "general", std::nullopt, 3, 10};
  EXPECT_FALSE(store_->history("bob", oldest, 100, 65536)->more);

  auto gap = store_->history("bob", protocol::HistoryRequest{"h", "general", 0, std::nullopt, 5}, 20, 65536);
  ASSERT_TRUE(gap.ok());
  EXPECT_TRUE(gap->too_long) << "30 missed events with a limit of 20";
  EXPECT_TRUE(gap->events.empty());
  auto caught_up = store_->history("bob", protocol::HistoryRequest{"h", "general", 30, std::nullopt, 5}, 20, 65536);
  EXPECT_TRUE(caught_up->events.empty());
  EXPECT_FALSE(caught_up->more);
}

TEST_F(ConversationsTest, HistoryPagesFitInAFrame) {
  for (int i = 1; i <= 12; ++i) {
    SendRequest r{"alice", "general", "big" + std::to_string(i), std::string(16 * 1024, 'x')};
    ASSERT_TRUE(store_->append_batch(std::span(&r, 1), 1000).front().ok());
  }
  auto page = store_->history("bob", protocol::HistoryRequest{"h", "general", 0, std::nullopt, 100}, 1000, 65536);
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->events.empty());
  EXPECT_LT(page->events.size(), 12u);
  EXPECT_TRUE(page->more);
  page->id = "h";
  EXPECT_LE(protocol::encode(protocol::ServerFrame{*page}).size(), 65536u);
}

TEST_F(ConversationsTest, CursorsOnlyMoveForwardAndTheUserSeesTheHighestOfTheirDevices) {
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(send("alice", "general", "m" + std::to_string(i)).ok());
  auto phone = store_->update_cursor("bob", "phone", protocol::CursorUpdate{"c", "general", 7, 0});
  ASSERT_TRUE(phone.ok());
  EXPECT_EQ(phone->read_seq, 7);
  EXPECT_EQ(phone->delivered_seq, 7) << "read implies delivered";
  auto laptop = store_->update_cursor("bob", "laptop", protocol::CursorUpdate{"c", "general", 3, 9});
  EXPECT_EQ(laptop->read_seq, 7) << "the user's read cursor is the highest of the devices'";
  EXPECT_EQ(laptop->delivered_seq, 9);
  auto backward = store_->update_cursor("bob", "phone", protocol::CursorUpdate{"c", "general", 2, 0});
  EXPECT_EQ(backward->read_seq, 7);
  auto past = store_->update_cursor("bob", "phone", protocol::CursorUpdate{"c", "general", 11, 0});
  EXPECT_EQ(past.error().code, ErrorCode::invalid_field);
  auto list = store_->conversations_of("bob", "", 10);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].head_seq, 10);
  EXPECT_EQ(list[0].read_seq, 7);
  EXPECT_EQ(list[0].member_count, 3);
}

TEST_F(ConversationsTest, RepliesAndThreadsNameAMessageOfTheSameConversation) {
  auto root = send("alice", "general", "root");
  ASSERT_TRUE(root.ok());
  const std::string root_id = root->ack.message_id;
  SendRequest reply{"bob", "general", "r1", "+1"};
  reply.thread_root_id = root_id;
  reply.reply_to = root_id;
  auto in_thread = store_->append_batch(std::span(&reply, 1), 1000).front();
  ASSERT_TRUE(in_thread.ok()) << in_thread.error().message;
  EXPECT_EQ(in_thread->event->thread_root_id, root_id);
  auto stored = store_->events_after("general", 1, 10);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].thread_root_id, root_id);
  EXPECT_EQ(stored[0].reply_to, root_id);

  SendRequest nested{"bob", "general", "r2", "deeper"};
  nested.thread_root_id = in_thread->ack.message_id;
  EXPECT_EQ(store_->append_batch(std::span(&nested, 1), 1000).front().error().code, ErrorCode::invalid_field)
      << "threads are one level deep";
  SendRequest elsewhere{"alice", "secret", "r3", "cross"};
  elsewhere.reply_to = root_id;
  EXPECT_EQ(store_->append_batch(std::span(&elsewhere, 1), 1000).front().error().code, ErrorCode::not_found)
      << "a reply names a message of its own conversation";
  ASSERT_TRUE(send("alice", "general", "del", EventKind::message_deleted, root_id).ok());
  SendRequest late{"carol", "general", "r4", "too late"};
  late.reply_to = root_id;
  EXPECT_EQ(store_->append_batch(std::span(&late, 1), 1000).front().error().code, ErrorCode::not_found);
}

TEST_F(ConversationsTest, ThePushOutboxKeepsWakeUpsUntilDeliveredAcrossARestart) {
  ASSERT_TRUE(store_->enqueue_push({{0, "bob", "general", 1, "alice", 100, 0}, {0, "carol", "general", 1, "alice", 100, 0}})
                  .ok());
  auto due = store_->due_pushes(100, 10);
  ASSERT_EQ(due.size(), 2u);
  ASSERT_TRUE(store_->finish_pushes({{due[0].push_id, true, 0}, {due[1].push_id, false, 5000}}).ok());
  store_.reset();
  auto reopened = MessageStore::open(dir_ / "server.db", Durability::normal);
  ASSERT_TRUE(reopened.ok());
  EXPECT_TRUE((*reopened)->due_pushes(4999, 10).empty()) << "the failed one waits for its retry time";
  auto retry = (*reopened)->due_pushes(5000, 10);
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].user_id, "carol");
  EXPECT_EQ(retry[0].attempts, 1);
}

}  // namespace
}  // namespace confab::server
