// The outbox's rules, driven with a fake clock: order, window, retries, timeouts, age.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/outbox.h"
#include "fake_clocks.h"
#include "printers.h"

namespace confab::core {
namespace {

class OutboxTest : public testing::Test {
 protected:
  OutboxTest() { reset(OutboxPolicy{}); }

  void reset(OutboxPolicy policy, std::uint64_t seed = 1) {
    policy_ = policy;
    outbox_ = std::make_unique<Outbox>(policy, seed);
  }

  // Queues a message as send() would; returns its clientMessageId ("c<local_id>").
  std::string add(const std::string& conversation = "c_general") {
    OutboxRow row;
    auto& m = row.message;
    m.local_id = ++last_local_id_;
    m.client_message_id = "c" + std::to_string(m.local_id);
    m.conversation_id = conversation;
    m.text = "text " + std::to_string(m.local_id);
    m.created_at_ms = clock_.wall_ms;
    row.age_from_ms = clock_.wall_ms;
    outbox_->add(row);
    return m.client_message_id;
  }

  // Queues a change to the message with local id `target` (still in the outbox).
  std::string add_change(std::int64_t target, OutboxKind kind = OutboxKind::edit,
                         const std::string& conversation = "c_general") {
    OutboxRow row;
    auto& m = row.message;
    m.local_id = ++last_local_id_;
    m.client_message_id = "c" + std::to_string(m.local_id);
    m.conversation_id = conversation;
    m.kind = kind;
    m.text = "edited";
    m.target_local_id = target;
    row.age_from_ms = clock_.wall_ms;
    outbox_->add(row);
    return m.client_message_id;
  }

  // Queues a message that quotes `reply_to` and replies in the thread of `thread_root`
  // (local ids of messages still in the outbox; 0 for none).
  std::string add_reply(std::int64_t reply_to, std::int64_t thread_root, const std::string& conversation = "c_general") {
    OutboxRow row;
    auto& m = row.message;
    m.local_id = ++last_local_id_;
    m.client_message_id = "c" + std::to_string(m.local_id);
    m.conversation_id = conversation;
    m.text = "reply " + std::to_string(m.local_id);
    m.reply_to_local_id = reply_to;
    m.thread_root_local_id = thread_root;
    row.age_from_ms = clock_.wall_ms;
    outbox_->add(row);
    return m.client_message_id;
  }

  // Queues a message with `files` attachments still to upload.
  std::string add_with_files(std::size_t files, const std::string& conversation = "c_general") {
    OutboxRow row;
    auto& m = row.message;
    m.local_id = ++last_local_id_;
    m.client_message_id = "c" + std::to_string(m.local_id);
    m.conversation_id = conversation;
    m.attachments.resize(files, Attachment{.name = "f", .size = 10});
    row.age_from_ms = clock_.wall_ms;
    outbox_->add(row);
    return m.client_message_id;
  }

  // The clientMessageIds that went on the wire since the last call.
  std::vector<std::string> sent() {
    std::vector<std::string> ids;
    for (const auto& row : outbox_->take_transmit()) ids.push_back(row.message.client_message_id);
    return ids;
  }

  std::vector<OutboxRow> changed() { return outbox_->take_changed(); }

  void flush(bool connected = true) { outbox_->flush(clock_.now(), connected); }

  // Moves the clock to the next wakeup and flushes.
  void advance_to_wakeup(bool connected = true) {
    auto next = outbox_->next_wakeup(clock_.now(), connected);
    ASSERT_TRUE(next.has_value());
    clock_.advance_to(*next);
    flush(connected);
  }

  bool refuse(const std::string& id, ErrorCode code, std::int64_t retry_after_ms = 0) {
    Error e = Error::make(code, "refused");
    e.retry_after_ms = retry_after_ms;
    return outbox_->on_refused(id, e, clock_.now());
  }

  bool ack(const std::string& id, Seq seq = 1) { return outbox_->on_ack(id, "m-" + id, seq); }

  OutboxState state_of(const std::string& id) {
    for (const auto& m : outbox_->unsent()) {
      if (m.client_message_id == id) return m.state;
    }
    return OutboxState::sent;  // not unsent any more
  }

  OutboxPolicy policy_;
  std::unique_ptr<Outbox> outbox_;
  test::FakeClocks clock_;
  std::int64_t last_local_id_ = 0;
};

using Ids = std::vector<std::string>;

TEST_F(OutboxTest, AMessageWaitsForItsUploadsAndHoldsOnlyItsOwnConversation) {
  add_with_files(2);         // c1
  add();                     // c2, behind it
  add("c_release");          // c3, elsewhere
  flush();
  EXPECT_EQ(sent(), (Ids{"c3"})) << "the other conversation goes; c2 keeps its place behind c1";
  ASSERT_TRUE(outbox_->attachment_uploaded(1, 0, "a_1").ok());
  flush();
  EXPECT_TRUE(sent().empty()) << "one of two files is up";
  auto rows = changed();
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.back().message.attachments[0].attachment_id, "a_1") << "reported, to be stored";
  ASSERT_TRUE(outbox_->attachment_uploaded(1, 1, "a_2").ok());
  flush();
  EXPECT_EQ(sent(), (Ids{"c1", "c2"}));
  EXPECT_FALSE(outbox_->attachment_uploaded(9, 0, "a_9").ok()) << "no such message";
  EXPECT_FALSE(outbox_->attachment_uploaded(1, 5, "a_9").ok()) << "no such attachment";
}

TEST_F(OutboxTest, AnUploadRefusedForGoodFailsItsMessageAndTheNextOneGoes) {
  add_with_files(1);  // c1
  add();              // c2
  flush();
  EXPECT_TRUE(sent().empty());
  ASSERT_TRUE(outbox_->upload_failed(1, Error::make(ErrorCode::frame_too_large, "too large")).ok());
  EXPECT_EQ(state_of("c1"), OutboxState::failed);
  flush();
  EXPECT_EQ(sent(), (Ids{"c2"}));
  // retry() queues it again, still waiting for its file.
  ASSERT_TRUE(outbox_->retry(1, clock_.now()).ok());
  flush();
  EXPECT_TRUE(sent().empty());
  ASSERT_TRUE(outbox_->attachment_uploaded(1, 0, "a_1").ok());
  flush();
  EXPECT_EQ(sent(), (Ids{"c1"}));
}

TEST_F(OutboxTest, NothingGoesOutWhileDisconnected) {
  add();
  flush(false);
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(state_of("c1"), OutboxState::pending);
}

TEST_F(OutboxTest, EachConversationFlushesInOrderWithinItsWindow) {
  reset(OutboxPolicy{.window = 2});
  for (int i = 0; i < 5; ++i) add();
  flush();
  EXPECT_EQ(sent(), (Ids{"c1", "c2"}));
  flush();
  EXPECT_TRUE(sent().empty()) << "the window is full";

  ASSERT_TRUE(ack("c1"));
  flush();
  EXPECT_EQ(sent(), (Ids{"c3"}));
  ASSERT_TRUE(ack("c2"));
  ASSERT_TRUE(ack("c3"));
  flush();
  EXPECT_EQ(sent(), (Ids{"c4", "c5"}));
}

TEST_F(OutboxTest, ConversationsHaveSeparateWindows) {
  reset(OutboxPolicy{.window = 1});
  add("a");
  add("a");
  add("b");
  flush();
  EXPECT_EQ(sent(), (Ids{"c1", "c3"}));
}

TEST_F(OutboxTest, AckSettlesTheMessageOnceAndARepeatedAckChangesNothing) {
  add();
  flush();
  sent();
  changed();
  ASSERT_TRUE(ack("c1", 42));
  auto rows = changed();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].message.state, OutboxState::sent);
  EXPECT_EQ(rows[0].message.conversation_seq, 42);
  EXPECT_EQ(rows[0].message.message_id, "m-c1");
  EXPECT_FALSE(ack("c1", 42));
  EXPECT_TRUE(changed().empty());
  EXPECT_EQ(outbox_->size(), 0u);
}

TEST_F(OutboxTest, PermanentRefusalFailsThatMessageAndTheRestGoesOn) {
  reset(OutboxPolicy{.window = 1});
  add();
  add();
  flush();
  EXPECT_EQ(sent(), (Ids{"c1"}));
  ASSERT_TRUE(refuse("c1", ErrorCode::not_member));
  EXPECT_EQ(state_of("c1"), OutboxState::failed);
  flush();
  EXPECT_EQ(sent(), (Ids{"c2"})) << "a failed message blocks nothing";
  flush();
  EXPECT_TRUE(sent().empty()) << "and is not sent again by itself";
}

TEST_F(OutboxTest, RetryableRefusalBacksOffAndLaterMessagesWaitBehindIt) {
  add();
  add();
  add();
  flush();
  EXPECT_EQ(sent(), (Ids{"c1", "c2", "c3"}));
  // The server refuses c1, then (keeping order) the sends behind it on that connection.
  ASSERT_TRUE(refuse("c1", ErrorCode::internal));
  ASSERT_TRUE(refuse("c2", ErrorCode::unavailable));
  ASSERT_TRUE(refuse("c3", ErrorCode::unavailable));
  flush();
  EXPECT_TRUE(sent().empty()) << "nothing goes before the backoff ends";
  auto wake = outbox_->next_wakeup(clock_.now(), true);
  ASSERT_TRUE(wake.has_value());
  EXPECT_LE(*wake - clock_.monotonic_ms, policy_.retry_base_ms) << "the first backoff is at most the base";

  advance_to_wakeup();
  EXPECT_EQ(sent(), (Ids{"c1", "c2", "c3"})) << "all three again, in order, with the same ids";
}

TEST_F(OutboxTest, ServersRetryAfterSetsTheDelay) {
  add();
  flush();
  sent();
  ASSERT_TRUE(refuse("c1", ErrorCode::rate_limited, 7'000));
  EXPECT_EQ(outbox_->next_wakeup(clock_.now(), true), clock_.monotonic_ms + 7'000);
  clock_.advance(6'999);
  flush();
  EXPECT_TRUE(sent().empty());
  clock_.advance(1);
  flush();
  EXPECT_EQ(sent(), (Ids{"c1"}));
}

TEST_F(OutboxTest, BackoffGrowsWithFullJitterUpToTheCap) {
  reset(OutboxPolicy{.retry_base_ms = 1'000, .retry_cap_ms = 8'000}, 99);
  add();
  std::vector<std::int64_t> delays;
  for (int attempt = 1; attempt <= 8; ++attempt) {
    flush();
    ASSERT_EQ(sent(), (Ids{"c1"})) << "attempt " << attempt;
    ASSERT_TRUE(refuse("c1", ErrorCode::internal));
    auto wake = outbox_->next_wakeup(clock_.now(), true);
    ASSERT_TRUE(wake.has_value());
    std::int64_t delay = *wake - clock_.monotonic_ms;
    std::int64_t ceiling = std::min<std::int64_t>(8'000, 1'000LL << (attempt - 1));
    EXPECT_GE(delay, 0);
    EXPECT_LE(delay, ceiling) << "attempt " << attempt;
    delays.push_back(delay);
    clock_.advance_to(*wake);
  }
  EXPECT_GT(*std::max_element(delays.begin(), delays.end()), 1'000) << "the window grows past the base";
}

TEST_F(OutboxTest, FirstRetriesOfManyClientsSpreadAcrossTheWindow) {
  // A thousand devices refused at the same moment must not come back together.
  std::set<std::int64_t> buckets;  // 100 ms buckets of the 1 s window
  std::int64_t earliest = policy_.retry_base_ms, latest = 0;
  for (std::uint64_t seed = 1; seed <= 1000; ++seed) {
    Outbox outbox(OutboxPolicy{}, seed);
    OutboxRow row;
    row.message.local_id = 1;
    row.message.client_message_id = "c1";
    row.message.conversation_id = "c_general";
    row.age_from_ms = clock_.wall_ms;
    outbox.add(row);
    outbox.flush(clock_.now(), true);
    ASSERT_TRUE(outbox.on_refused("c1", Error::make(ErrorCode::unavailable, "busy"), clock_.now()));
    std::int64_t delay = *outbox.next_wakeup(clock_.now(), true) - clock_.monotonic_ms;
    buckets.insert(delay / 100);
    earliest = std::min(earliest, delay);
    latest = std::max(latest, delay);
  }
  EXPECT_EQ(buckets.size(), 10u) << "every tenth of the window is used";
  EXPECT_LT(earliest, 100);
  EXPECT_GT(latest, 900);
}

TEST_F(OutboxTest, MissingAckIsResentWithTheSameIdAfterTheTimeout) {
  reset(OutboxPolicy{.ack_timeout_ms = 5'000});
  add();
  flush();
  EXPECT_EQ(sent(), (Ids{"c1"}));
  EXPECT_EQ(outbox_->next_wakeup(clock_.now(), true), clock_.monotonic_ms + 5'000);
  clock_.advance(4'999);
  flush();
  EXPECT_TRUE(sent().empty());
  clock_.advance(1);
  flush();
  auto again = outbox_->take_transmit();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].message.client_message_id, "c1");
  EXPECT_EQ(again[0].message.attempts, 2);
  ASSERT_TRUE(ack("c1"));
}

TEST_F(OutboxTest, LostConnectionPutsInFlightMessagesFirstOnTheNextOne) {
  reset(OutboxPolicy{.window = 2});
  add();
  add();
  add();
  flush();
  EXPECT_EQ(sent(), (Ids{"c1", "c2"}));
  ASSERT_TRUE(ack("c1"));
  outbox_->connection_lost(Error::make(ErrorCode::transport, "reset"));
  EXPECT_EQ(state_of("c2"), OutboxState::pending);
  flush();
  EXPECT_EQ(sent(), (Ids{"c2", "c3"}));
}

TEST_F(OutboxTest, MessageNotDeliveredWithinTheMaximumAgeFailsTooOldEvenOffline) {
  reset(OutboxPolicy{.max_age_ms = 60'000});
  add();
  clock_.advance(30'000);
  add();
  flush(false);
  EXPECT_EQ(outbox_->next_wakeup(clock_.now(), false), clock_.monotonic_ms + 30'000) << "c1's age ends first";
  advance_to_wakeup(false);
  EXPECT_EQ(state_of("c1"), OutboxState::failed);
  EXPECT_EQ(state_of("c2"), OutboxState::pending);
  auto failed = outbox_->unsent().front();
  ASSERT_TRUE(failed.last_error.has_value());
  EXPECT_EQ(failed.last_error->code, ErrorCode::too_old);
  advance_to_wakeup(false);
  EXPECT_EQ(state_of("c2"), OutboxState::failed);
}

TEST_F(OutboxTest, RetryQueuesAFailedMessageAgainWithAFreshAge) {
  reset(OutboxPolicy{.max_age_ms = 60'000});
  add();
  flush();
  sent();
  ASSERT_TRUE(refuse("c1", ErrorCode::not_member));
  clock_.advance(120'000);
  ASSERT_TRUE(outbox_->retry(1, clock_.now()).ok());
  EXPECT_EQ(state_of("c1"), OutboxState::pending);
  flush();
  EXPECT_EQ(sent(), (Ids{"c1"})) << "sent again, not expired: the age counts from the retry";
  EXPECT_EQ(outbox_->retry(1, clock_.now()).error().code, ErrorCode::invalid_argument) << "it is on the wire";
  EXPECT_EQ(outbox_->retry(77, clock_.now()).error().code, ErrorCode::invalid_argument);
}

TEST_F(OutboxTest, RetryCutsABackoffShort) {
  add();
  flush();
  sent();
  ASSERT_TRUE(refuse("c1", ErrorCode::rate_limited, 60'000));
  ASSERT_TRUE(outbox_->retry(1, clock_.now()).ok());
  flush();
  EXPECT_EQ(sent(), (Ids{"c1"}));
}

TEST_F(OutboxTest, DiscardRemovesAPendingOrFailedMessageButNotOneOnTheWire) {
  reset(OutboxPolicy{.window = 1});
  add();
  add();
  add("other");
  flush();
  EXPECT_EQ(sent(), (Ids{"c1", "c3"}));
  changed();
  EXPECT_EQ(outbox_->discard(1).error().code, ErrorCode::invalid_argument);
  ASSERT_TRUE(outbox_->discard(2).ok());
  auto rows = changed();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].message.state, OutboxState::discarded);
  ASSERT_TRUE(ack("c1"));
  flush();
  EXPECT_TRUE(sent().empty()) << "the discarded message never goes out";

  ASSERT_TRUE(refuse("c3", ErrorCode::invalid_field));
  ASSERT_TRUE(outbox_->discard(3).ok());
  EXPECT_EQ(outbox_->size(), 0u);
  EXPECT_EQ(outbox_->discard(3).error().code, ErrorCode::invalid_argument);
}

TEST_F(OutboxTest, RestoredSendingRowsGoBackToPendingAndKeepTheirOrder) {
  std::vector<OutboxRow> rows(3);
  for (int i = 0; i < 3; ++i) {
    auto& m = rows[static_cast<std::size_t>(i)].message;
    m.local_id = i + 1;
    m.client_message_id = "c" + std::to_string(i + 1);
    m.conversation_id = "c_general";
    m.state = i == 2 ? OutboxState::pending : OutboxState::sending;
    m.attempts = 1;
    rows[static_cast<std::size_t>(i)].age_from_ms = clock_.wall_ms;
  }
  outbox_->restore(rows);
  auto restored = changed();
  ASSERT_EQ(restored.size(), 2u);
  EXPECT_EQ(restored[0].message.state, OutboxState::pending);
  flush();
  EXPECT_EQ(sent(), (Ids{"c1", "c2", "c3"}));
}

TEST_F(OutboxTest, AChangeToAMessageStillInTheOutboxWaitsForItsAck) {
  add();
  add_change(1, OutboxKind::edit);
  add_change(1, OutboxKind::react);
  flush();
  EXPECT_EQ(sent(), (Ids{"c1"})) << "the edit needs the server's id of c1";
  ASSERT_TRUE(ack("c1"));
  flush();
  auto out = outbox_->take_transmit();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].message.client_message_id, "c2");
  EXPECT_EQ(out[0].message.target_message_id, "m-c1");
  EXPECT_EQ(out[1].message.target_message_id, "m-c1");
}

TEST_F(OutboxTest, ChangesFailWithTheirTargetAndDoNotBlockTheConversation) {
  add();
  add_change(1);
  add();
  flush();
  EXPECT_EQ(sent(), (Ids{"c1"}));
  ASSERT_TRUE(refuse("c1", ErrorCode::invalid_field));
  EXPECT_EQ(state_of("c2"), OutboxState::failed);
  flush();
  EXPECT_EQ(sent(), (Ids{"c3"}));
}

TEST_F(OutboxTest, DiscardingAMessageDiscardsTheChangesWaitingForIt) {
  add();
  add_change(1, OutboxKind::react);
  changed();
  ASSERT_TRUE(outbox_->discard(1).ok());
  auto rows = changed();
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) EXPECT_EQ(row.message.state, OutboxState::discarded);
  EXPECT_EQ(outbox_->size(), 0u);
}

TEST_F(OutboxTest, ARestoredChangeWhoseTargetIsGoneFails) {
  OutboxRow orphan;
  orphan.message.local_id = 5;
  orphan.message.client_message_id = "c5";
  orphan.message.conversation_id = "c_general";
  orphan.message.kind = OutboxKind::edit;
  orphan.message.target_local_id = 4;  // not in the outbox, and no server id recorded
  orphan.age_from_ms = clock_.wall_ms;
  outbox_->restore({orphan});
  EXPECT_EQ(state_of("c5"), OutboxState::failed);
  flush();
  EXPECT_TRUE(sent().empty());
}

TEST_F(OutboxTest, AReplyToAQueuedMessageWaitsForItsAckAndCarriesItsServerId) {
  add();
  add_reply(0, 1);   // c2: in c1's thread
  add_reply(1, 1);   // c3: quotes c1, in its thread
  add();             // c4: must not overtake the replies
  flush();
  EXPECT_EQ(sent(), (Ids{"c1"})) << "the replies need the server's id of c1";
  changed();
  ASSERT_TRUE(ack("c1"));
  auto rows = changed();
  ASSERT_EQ(rows.size(), 3u) << "the ack, and each reply now naming c1 by its server id";
  EXPECT_EQ(rows[1].message.thread_root_id, "m-c1");
  EXPECT_EQ(rows[2].message.reply_to, "m-c1");
  EXPECT_EQ(rows[2].message.thread_root_id, "m-c1");
  flush();
  auto out = outbox_->take_transmit();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].message.client_message_id, "c2");
  EXPECT_EQ(out[0].message.thread_root_id, "m-c1");
  EXPECT_EQ(out[0].message.reply_to, "");
  EXPECT_EQ(out[1].message.client_message_id, "c3");
  EXPECT_EQ(out[1].message.reply_to, "m-c1");
  EXPECT_EQ(out[2].message.client_message_id, "c4");
}

TEST_F(OutboxTest, AReplyWaitsForEachQueuedMessageItNames) {
  add();
  add();
  add_reply(2, 1);  // c3 quotes c2, in c1's thread
  flush();
  EXPECT_EQ(sent(), (Ids{"c1", "c2"}));
  ASSERT_TRUE(ack("c1", 1));
  flush();
  EXPECT_TRUE(sent().empty()) << "c2 is not acknowledged yet";
  ASSERT_TRUE(ack("c2", 2));
  flush();
  EXPECT_EQ(sent(), (Ids{"c3"}));
}

TEST_F(OutboxTest, RepliesFailWithTheMessageTheyNameAndSoDoTheirOwnDependents) {
  add();
  add_reply(1, 0);                    // c2 quotes c1
  add_change(2, OutboxKind::react);   // c3 reacts to c2
  add();                              // c4: unrelated
  flush();
  EXPECT_EQ(sent(), (Ids{"c1"}));
  ASSERT_TRUE(refuse("c1", ErrorCode::not_found));
  EXPECT_EQ(state_of("c2"), OutboxState::failed);
  EXPECT_EQ(state_of("c3"), OutboxState::failed);
  for (const auto& m : outbox_->unsent()) {
    if (m.client_message_id == "c2") {
      ASSERT_TRUE(m.last_error.has_value());
      EXPECT_EQ(m.last_error->code, ErrorCode::not_found);
    }
  }
  flush();
  EXPECT_EQ(sent(), (Ids{"c4"})) << "the failed replies block nothing";
}

TEST_F(OutboxTest, DiscardingAMessageDiscardsTheRepliesWaitingForIt) {
  add();
  add_reply(0, 1);
  add();
  changed();
  ASSERT_TRUE(outbox_->discard(1).ok());
  auto rows = changed();
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) EXPECT_EQ(row.message.state, OutboxState::discarded);
  EXPECT_EQ(outbox_->size(), 1u);
  flush();
  EXPECT_EQ(sent(), (Ids{"c3"}));
}

TEST_F(OutboxTest, ARestoredReplyWhoseRootIsGoneFails) {
  OutboxRow orphan;
  orphan.message.local_id = 5;
  orphan.message.client_message_id = "c5";
  orphan.message.conversation_id = "c_general";
  orphan.message.text = "reply";
  orphan.message.thread_root_local_id = 4;  // not in the outbox, and no server id recorded
  orphan.age_from_ms = clock_.wall_ms;
  outbox_->restore({orphan});
  EXPECT_EQ(state_of("c5"), OutboxState::failed);
}

TEST_F(OutboxTest, AnswersForUnknownMessagesChangeNothing) {
  add();
  EXPECT_FALSE(ack("nope"));
  EXPECT_FALSE(refuse("nope", ErrorCode::internal));
  EXPECT_FALSE(refuse("c1", ErrorCode::internal)) << "c1 is not on the wire yet";
  EXPECT_TRUE(changed().empty());
}

}  // namespace
}  // namespace confab::core
