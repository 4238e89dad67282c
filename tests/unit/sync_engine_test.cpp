// The sync engine's rules with a test clock: in-order events apply, duplicates drop, gaps
// wait and then fill, a difference too long resets, and catch-up after a reconnect
// fetches every conversation that is behind, a bounded number at a time.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/sync_engine.h"

namespace confab::core {
namespace {

protocol::Event event(const std::string& conversation, Seq seq) {
  protocol::Event e;
  e.conversation_id = conversation;
  e.conversation_seq = seq;
  e.message_id = conversation + "-m" + std::to_string(seq);
  e.sender_id = "alice";
  e.client_message_id = "cm" + std::to_string(seq);
  e.body.text = "message " + std::to_string(seq);
  return e;
}

// Drives an engine and records what it asks for: applied seqs per conversation, frames sent.
class SyncEngineTest : public testing::Test {
 protected:
  void collect() {
    for (auto& action : engine_.take_actions()) {
      if (auto* apply = std::get_if<ApplyEvents>(&action)) {
        auto& log = applied_[apply->conversation_id];
        if (apply->reset) resets_.insert(apply->conversation_id);
        for (const auto& e : apply->events) {
          bool jumps = apply->reset && &e == &apply->events.front();
          if (!jumps && !log.empty()) {
            EXPECT_EQ(e.conversation_seq, log.back() + 1) << "applied out of order";
          }
          log.push_back(e.conversation_seq);
        }
      } else if (auto* send = std::get_if<SyncSend>(&action)) {
        sent_.push_back(send->frame);
      } else if (auto* progress = std::get_if<SyncProgress>(&action)) {
        progress_.push_back(*progress);
      }
    }
  }

  protocol::SyncRequest last_sync() {
    for (auto it = sent_.rbegin(); it != sent_.rend(); ++it) {
      if (auto* s = std::get_if<protocol::SyncRequest>(&*it)) return *s;
    }
    ADD_FAILURE() << "no sync.request sent";
    return {};
  }

  std::vector<protocol::HistoryRequest> history_requests() {
    std::vector<protocol::HistoryRequest> out;
    for (const auto& frame : sent_) {
      if (auto* h = std::get_if<protocol::HistoryRequest>(&frame)) out.push_back(*h);
    }
    return out;
  }

  // Answers one history request as a server holding `heads` events per conversation would.
  protocol::History answer(const protocol::HistoryRequest& r, std::int64_t max_difference = 1'000'000) {
    protocol::History h;
    h.id = r.id;
    h.conversation_id = r.conversation_id;
    h.head_seq = heads_[r.conversation_id];
    if (r.after_seq) {
      if (h.head_seq - *r.after_seq > max_difference) {
        h.too_long = true;
        return h;
      }
      for (Seq s = *r.after_seq + 1; s <= h.head_seq && h.events.size() < static_cast<std::size_t>(r.limit); ++s) {
        h.events.push_back(event(r.conversation_id, s));
      }
      h.more = !h.events.empty() && h.events.back().conversation_seq < h.head_seq;
    } else {
      Seq first = std::max<Seq>(1, *r.before_seq - r.limit);
      for (Seq s = first; s < *r.before_seq; ++s) h.events.push_back(event(r.conversation_id, s));
      h.more = first > 1;
    }
    return h;
  }

  SyncEngine engine_{SyncPolicy{500, 4, 50}};
  std::map<std::string, std::vector<Seq>> applied_;
  std::set<std::string> resets_;
  std::vector<protocol::ClientFrame> sent_;
  std::vector<SyncProgress> progress_;
  std::map<std::string, Seq> heads_;
};

TEST_F(SyncEngineTest, AppliesTheNextEventAndDropsDuplicates) {
  engine_.restore("c", 10);
  engine_.on_event(event("c", 11), 0);
  engine_.on_event(event("c", 11), 0);
  engine_.on_event(event("c", 9), 0);
  engine_.on_event(event("c", 12), 0);
  collect();
  EXPECT_EQ(applied_["c"], (std::vector<Seq>{11, 12}));
  EXPECT_EQ(engine_.duplicates_dropped(), 2u);
  EXPECT_EQ(engine_.cursor("c"), 12);
  EXPECT_FALSE(engine_.next_wakeup());
}

TEST_F(SyncEngineTest, AGapThatClosesByItselfInTimeNeedsNoFetch) {
  engine_.on_event(event("c", 1), 0);
  engine_.on_event(event("c", 3), 100);
  engine_.on_event(event("c", 4), 120);
  collect();
  EXPECT_EQ(applied_["c"], (std::vector<Seq>{1}));
  EXPECT_EQ(engine_.next_wakeup(), 600) << "held for gap_hold_ms from the first out-of-order event";
  engine_.tick(599);
  engine_.on_event(event("c", 2), 599);
  collect();
  EXPECT_EQ(applied_["c"], (std::vector<Seq>{1, 2, 3, 4}));
  EXPECT_FALSE(engine_.next_wakeup());
  engine_.tick(10'000);
  collect();
  EXPECT_TRUE(sent_.empty());
}

TEST_F(SyncEngineTest, AGapStillOpenAfterTheHoldIsFilledFromTheServer) {
  engine_.connected(0);
  collect();
  sent_.clear();
  engine_.restore("c", 5);
  heads_["c"] = 9;
  engine_.on_event(event("c", 9), 1000);
  engine_.tick(1499);
  collect();
  EXPECT_TRUE(history_requests().empty());
  engine_.tick(1500);
  collect();
  auto requests = history_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].after_seq, 5);
  engine_.on_event(event("c", 7), 1600);  // arrives while the fetch is out: held, not applied twice
  engine_.on_history(answer(requests[0]), 1700);
  collect();
  EXPECT_EQ(applied_["c"], (std::vector<Seq>{6, 7, 8, 9}));
  EXPECT_EQ(engine_.cursor("c"), 9);
}

TEST_F(SyncEngineTest, ADifferenceTooLongResetsToTheNewestPage) {
  engine_.restore("c", 3);
  engine_.connected(0);
  collect();
  auto sync = std::get<protocol::SyncRequest>(sent_.at(0));
  heads_["c"] = 5000;
  engine_.on_sync_state(protocol::SyncState{sync.id, {{"c", "channel", "", "", "", 5000, 0, 2}}, ""}, 0);
  collect();
  auto first = history_requests().at(0);
  EXPECT_EQ(first.after_seq, 3);
  engine_.on_history(answer(first, 1000), 10);
  collect();
  auto reset = history_requests().at(1);
  EXPECT_FALSE(reset.after_seq);
  EXPECT_EQ(reset.before_seq, 5001);
  engine_.on_history(answer(reset), 20);
  collect();
  EXPECT_TRUE(resets_.contains("c"));
  EXPECT_EQ(applied_["c"].front(), 4951);
  EXPECT_EQ(applied_["c"].back(), 5000);
  EXPECT_EQ(engine_.cursor("c"), 5000);
  ASSERT_FALSE(progress_.empty());
  EXPECT_TRUE(progress_.back().finished);
}

TEST_F(SyncEngineTest, CatchUpFetchesEveryConversationBehindAFewAtATimeInPages) {
  protocol::SyncState page1{"", {}, "c09"};
  protocol::SyncState page2{"", {}, ""};
  for (int i = 0; i < 20; ++i) {
    std::string id = (i < 10 ? "c0" : "c1") + std::to_string(i % 10);
    engine_.restore(id, 10);
    heads_[id] = i % 3 == 0 ? 10 : 10 + 30 * i;  // every third one is caught up already
    (i < 10 ? page1 : page2).items.push_back({id, "channel", "", "", "", heads_[id], 0, 2});
  }
  engine_.connected(0);
  collect();
  page1.id = last_sync().id;
  engine_.on_sync_state(page1, 0);
  collect();
  page2.id = last_sync().id;
  EXPECT_EQ(last_sync().after, "c09");
  engine_.on_sync_state(page2, 0);
  collect();
  // Answer requests one at a time, oldest first, checking the bound on requests in flight.
  std::set<std::string> answered;
  std::size_t max_in_flight = 0;
  for (int guard = 0; guard < 1000; ++guard) {
    std::vector<protocol::HistoryRequest> open;
    for (const auto& r : history_requests()) {
      if (!answered.contains(r.id)) open.push_back(r);
    }
    if (open.empty()) break;
    max_in_flight = std::max(max_in_flight, open.size());
    answered.insert(open.front().id);
    engine_.on_history(answer(open.front()), guard);
    collect();
  }
  EXPECT_LE(max_in_flight, 4u);
  for (const auto& [id, head] : heads_) {
    EXPECT_EQ(engine_.cursor(id), head) << id << " left behind";
    if (head == 10) {
      EXPECT_TRUE(applied_[id].empty()) << id << " was at its head";
    }
  }
  ASSERT_FALSE(progress_.empty());
  EXPECT_EQ(progress_.back().behind, 13u);
  EXPECT_EQ(progress_.back().caught_up, 13u);
  EXPECT_TRUE(progress_.back().finished);
  EXPECT_GT(progress_.size(), 2u) << "progress is reported while the catch-up runs";
}

TEST_F(SyncEngineTest, ADisconnectMidCatchUpResumesFromTheCursorOnTheNextConnection) {
  engine_.restore("c", 0);
  heads_["c"] = 120;
  engine_.connected(0);
  collect();
  engine_.on_sync_state(protocol::SyncState{last_sync().id,
                                            {{"c", "channel", "", "", "", 120, 0, 2}}, ""},
                        0);
  collect();
  engine_.on_history(answer(history_requests().back()), 1);  // the first 50
  collect();
  auto lost = history_requests().back();
  engine_.disconnected();
  engine_.on_history(answer(lost), 2);  // a late answer from the old connection is ignored
  collect();
  EXPECT_EQ(engine_.cursor("c"), 50);
  sent_.clear();
  engine_.connected(10);
  collect();
  engine_.on_sync_state(protocol::SyncState{last_sync().id,
                                            {{"c", "channel", "", "", "", 120, 0, 2}}, ""},
                        10);
  collect();
  // 120 events in pages of 50 take 3 requests; the bound stops an engine that keeps asking.
  for (int requests = 0; requests < 100 && !history_requests().empty(); ++requests) {
    auto r = history_requests().back();
    sent_.clear();
    engine_.on_history(answer(r), 11);
    collect();
  }
  EXPECT_TRUE(history_requests().empty()) << "the engine kept asking";
  EXPECT_EQ(engine_.cursor("c"), 120);
  EXPECT_EQ(applied_["c"].size(), 120u) << "each event applied once";
}

TEST_F(SyncEngineTest, ARefusedFetchDoesNotHoldUpTheRest) {
  engine_.restore("gone", 1);
  engine_.restore("here", 1);
  heads_ = {{"gone", 5}, {"here", 5}};
  engine_.connected(0);
  collect();
  engine_.on_sync_state(protocol::SyncState{last_sync().id,
                                            {{"gone", "channel", "", "", "", 5, 0, 1}, {"here", "channel", "", "", "", 5, 0, 2}},
                                            ""},
                        0);
  collect();
  auto requests = history_requests();
  ASSERT_EQ(requests.size(), 2u);
  engine_.on_refused(requests[0].conversation_id == "gone" ? requests[0].id : requests[1].id);
  engine_.on_history(answer(requests[0].conversation_id == "here" ? requests[0] : requests[1]), 1);
  collect();
  EXPECT_EQ(engine_.cursor("here"), 5);
  EXPECT_TRUE(progress_.back().finished);
  EXPECT_TRUE(SyncEngine::owns(requests[0].id));
  EXPECT_FALSE(SyncEngine::owns("conversations"));
}

}  // namespace
}  // namespace confab::core
