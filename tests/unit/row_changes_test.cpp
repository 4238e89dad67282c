// The row-level detail of ConversationChange: what a batch of stored events reports for
// each timeline (client/row_changes.h), and how queued changes merge without loss
// (client/notifier.h's merge() and its queue, keyed by conversation and thread).
#include <gtest/gtest.h>

#include <future>

#include "client/notifier.h"
#include "client/row_changes.h"
#include "recorder.h"

namespace confab::client {
namespace {

using namespace std::chrono_literals;
using Seqs = std::vector<Seq>;
using Locals = std::vector<std::int64_t>;

protocol::Event event(Seq seq, EventKind kind, std::string message_id, std::string thread_root = {}) {
  protocol::Event e;
  e.conversation_id = "c1";
  e.conversation_seq = seq;
  e.kind = kind;
  e.message_id = std::move(message_id);
  e.client_message_id = "client-" + std::to_string(seq);
  e.thread_root_id = std::move(thread_root);
  return e;
}

MessageUpdate update_of(Seq seq, std::uint32_t flags, std::int64_t local_id = 0) {
  return MessageUpdate{.seq = seq, .local_id = local_id, .flags = flags};
}

TEST(RowChanges, NewMessagesAreAppendedOrOlderAndEchoesMergedAreNotRepeated) {
  std::vector<protocol::Event> events{event(5, EventKind::message_created, "m5"),
                                      event(6, EventKind::message_created, "m6"),
                                      event(7, EventKind::member_joined, "")};
  std::vector<ConversationChange> merged{ConversationChange{.conversation_id = "c1"}};
  merged[0].merged.push_back(EchoMerged{"client-6", 3, 6});
  auto forward = describe_rows("c1", events, store::ApplyMode::forward, merged, {});
  ASSERT_EQ(forward.size(), 1u);
  EXPECT_EQ(forward[0].appended, (Seqs{5})) << "6 is the echo merged in place";
  ASSERT_EQ(forward[0].merged.size(), 1u);
  EXPECT_EQ(forward[0].merged[0].local_id, 3);
  auto older = describe_rows("c1", events, store::ApplyMode::older, {}, {});
  EXPECT_TRUE(older[0].appended.empty());
  EXPECT_EQ(older[0].older_stored, (Seqs{5, 6}));
}

TEST(RowChanges, ChangesUpdateTheRowOfTheirTargetWhereverItIsShown) {
  std::vector<protocol::Event> events{
      event(10, EventKind::message_edited, "m1"),     event(11, EventKind::reaction_added, "m1"),
      event(12, EventKind::message_created, "m12", "m1"),  // a reply in m1's thread
      event(13, EventKind::reaction_added, "m4"),     // m4: a reply in m1's thread
      event(14, EventKind::message_deleted, "m4"),    // ... deleted: m1's count changes
      event(15, EventKind::message_edited, "m_gone"),  // not stored: no row shows it
  };
  std::vector<store::CacheStore::StoredRow> rows{{"m1", 1, "client-1", ""}, {"m4", 4, "client-4", "m1"}};
  ASSERT_EQ(messages_touched(events), (std::vector<std::string>{"m1", "m4", "m_gone"}));
  auto changes = describe_rows("c1", events, store::ApplyMode::forward, {}, rows);
  ASSERT_EQ(changes.size(), 2u);
  const auto& main = changes[0];
  EXPECT_EQ(main.thread_root_id, "");
  EXPECT_TRUE(main.appended.empty()) << "a thread reply is not on the main timeline";
  ASSERT_EQ(main.updated.size(), 1u) << "one entry per row, its flags or'ed";
  EXPECT_EQ(main.updated[0].seq, 1);
  EXPECT_EQ(main.updated[0].client_message_id, "client-1");
  EXPECT_EQ(main.updated[0].flags, MessageUpdate::text | MessageUpdate::reactions | MessageUpdate::replies);
  const auto& thread = changes[1];
  EXPECT_EQ(thread.thread_root_id, "m1");
  EXPECT_EQ(thread.appended, (Seqs{12}));
  ASSERT_EQ(thread.updated.size(), 1u);
  EXPECT_EQ(thread.updated[0].seq, 4);
  EXPECT_EQ(thread.updated[0].flags, MessageUpdate::reactions | MessageUpdate::deleted);
}

TEST(RowChanges, MergedDetailKeepsEveryEntryInOrderAndOrsUpdatesOfARow) {
  ConversationChange into{.conversation_id = "c1"};
  into.echoes_added = {7};
  into.appended = {20, 21};
  into.updated = {update_of(3, MessageUpdate::text), update_of(0, MessageUpdate::local_state, 7)};
  ConversationChange later{.conversation_id = "c1"};
  later.merged = {EchoMerged{"k7", 7, 22}};  // the echo added above, now stored
  later.appended = {23};
  later.updated = {update_of(3, MessageUpdate::reactions), update_of(22, MessageUpdate::local_state, 7),
                   update_of(4, MessageUpdate::receipts)};
  later.echoes_removed = {8};
  merge(into, later);
  EXPECT_EQ(into.echoes_added, (Locals{7})) << "an echo added, then merged: both reported";
  ASSERT_EQ(into.merged.size(), 1u);
  EXPECT_EQ(into.appended, (Seqs{20, 21, 23}));
  EXPECT_EQ(into.echoes_removed, (Locals{8}));
  ASSERT_EQ(into.updated.size(), 3u);
  EXPECT_EQ(into.updated[0].flags, MessageUpdate::text | MessageUpdate::reactions);
  EXPECT_EQ(into.updated[1].local_id, 7);
  EXPECT_EQ(into.updated[1].seq, 22) << "the echo's newest seq (its ack's)";
  EXPECT_EQ(into.updated[2].flags, MessageUpdate::receipts);
}

TEST(RowChanges, AResetDropsTheDetailBeforeItButNotAfter) {
  ConversationChange into{.conversation_id = "c1", .events_applied = 2};
  into.appended = {1, 2};
  into.echoes_added = {4};
  into.updated = {update_of(1, MessageUpdate::text)};
  ConversationChange reset{.conversation_id = "c1", .events_applied = 50, .reset = true};
  reset.window_low = 900;
  reset.appended = {900, 901};
  merge(into, reset);
  ConversationChange after{.conversation_id = "c1"};
  after.appended = {902};
  after.echoes_removed = {4};
  merge(into, after);
  EXPECT_TRUE(into.reset);
  EXPECT_EQ(into.window_low, 900);
  EXPECT_EQ(into.events_applied, 52u);
  EXPECT_EQ(into.appended, (Seqs{900, 901, 902}));
  EXPECT_TRUE(into.echoes_added.empty());
  EXPECT_TRUE(into.updated.empty());
  EXPECT_EQ(into.echoes_removed, (Locals{4})) << "what came after the reset is kept";
}

TEST(RowChanges, AThreadsChangesQueueApartFromItsConversationsMainTimeline) {
  Notifier notifier;
  test::Recorder<ConversationChange> seen;
  std::promise<void> entered, release;
  auto released = release.get_future().share();
  bool blocked = false;
  auto subscription = notifier.on_conversation([&](const ConversationChange& c) {
    if (!std::exchange(blocked, true)) {
      entered.set_value();
      EXPECT_EQ(released.wait_for(20s), std::future_status::ready);
      return;
    }
    seen.add(c);
  });
  notifier.conversation(ConversationChange{.conversation_id = "block"});
  ASSERT_EQ(entered.get_future().wait_for(20s), std::future_status::ready);
  ConversationChange main{.conversation_id = "c1"};
  main.appended = {1};
  ConversationChange thread{.conversation_id = "c1", .thread_root_id = "m1"};
  thread.appended = {2};
  notifier.conversation(main);
  notifier.conversation(thread);
  thread.appended = {3};
  notifier.conversation(thread);
  EXPECT_EQ(notifier.queued(), 2u);
  release.set_value();
  ASSERT_TRUE(seen.wait_for_count(2));
  auto items = seen.items();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].thread_root_id, "");
  EXPECT_EQ(items[0].appended, (Seqs{1}));
  EXPECT_EQ(items[1].thread_root_id, "m1");
  EXPECT_EQ(items[1].appended, (Seqs{2, 3}));
}

Seqs updated_seqs(const ConversationChange& change) {
  Seqs out;
  for (const auto& u : change.updated) {
    EXPECT_EQ(u.flags, MessageUpdate::receipts);
    EXPECT_EQ(u.local_id, 0);
    out.push_back(u.seq);
  }
  return out;
}

TEST(ReceiptRows, AMemberMovingOnUpdatesTheRowsItReadOrHadDelivered) {
  core::ReceiptMoved moved{"c_general", {"bob", 3, 4}, {"bob", 5, 7}};
  auto change = receipt_rows(moved);
  EXPECT_EQ(change.conversation_id, "c_general");
  EXPECT_TRUE(change.thread_root_id.empty()) << "the main timeline";
  EXPECT_EQ(updated_seqs(change), (Seqs{4, 5, 6, 7})) << "read 4-5, delivered 5-7: once each, in seq order";
  EXPECT_EQ(change.events_applied, 0u);
  EXPECT_EQ(change.synced_seq, 0);
}

TEST(ReceiptRows, ALongJumpUpdatesOnlyTheNewestRows) {
  core::ReceiptMoved moved{"c_general", {"bob", 0, 0}, {"bob", 1000, 1000}};
  auto seqs = updated_seqs(receipt_rows(moved));
  ASSERT_EQ(seqs.size(), static_cast<std::size_t>(kMaxReceiptRows));
  EXPECT_EQ(seqs.front(), 1000 - kMaxReceiptRows + 1);
  EXPECT_EQ(seqs.back(), 1000);

  core::ReceiptMoved split{"c_general", {"bob", 0, 500}, {"bob", 300, 900}};
  seqs = updated_seqs(receipt_rows(split));
  ASSERT_EQ(seqs.size(), static_cast<std::size_t>(kMaxReceiptRows));
  EXPECT_EQ(seqs.front(), 801) << "the newest rows of both ranges together";
}

}  // namespace
}  // namespace confab::client
