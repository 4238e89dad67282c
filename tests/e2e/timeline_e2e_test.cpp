// Replies, threads and the row-level change notifications, against the real server over
// sockets: a reply waits for its queued root and fails with it; threads count their
// replies on every device; and a list model that applies every ConversationChange, as
// conversation.h tells it to, ends with exactly the rows the client reads, through real
// traffic (two users, sends, edits, deletes, reactions, acks lost and resent, a discard, a
// refused message, thread replies, a reset and scrolling back).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "http_client.h"
#include "list_model.h"
#include "printers.h"
#include "sdk_device.h"
#include "server_process.h"
#include "temp_dir.h"

namespace confab::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kGeneral = "c_general";

void quick(ClientOptions& options) {
  options.outbox.ack_timeout = 500ms;
  options.outbox.retry_base = 20ms;
  options.outbox.retry_cap = 200ms;
  options.connection.retry_base = 50ms;
  options.connection.retry_cap = 300ms;
}

class TimelineE2e : public testing::Test {
 protected:
  ServerProcess& server() {
    if (!server_) server_ = std::make_unique<ServerProcess>(dir_.path() / "server", config_);
    return *server_;
  }

  // A device, not connected yet.
  std::unique_ptr<Device> offline_device(const std::string& id) {
    return std::make_unique<Device>(id, dir_.path() / (id + ".db"), quick);
  }
  void connect(Device& d, const std::string& token) {
    ASSERT_TRUE(d.client->connect(server().url(), token).ok());
    ASSERT_TRUE(d.wait_for_state(ConnectionState::connected));
  }
  std::unique_ptr<Device> device(const std::string& id, const std::string& token) {
    auto d = offline_device(id);
    connect(*d, token);
    return d;
  }

  void faults(const json& request) {
    auto res = HttpClient(server().http_port()).post("/v1/admin/faults", request.dump(), "application/json");
    ASSERT_TRUE(res) << "fault injection unreachable";
    ASSERT_EQ(res->status, 200) << res->body;
  }

  static Seq synced(Device& d) {
    auto info = d.client->conversation(kGeneral);
    return info.ok() ? info->synced_seq : -1;
  }

  // The stored message whose clientMessageId is `client_id` (on the main timeline or in a thread).
  static std::optional<Message> received(Device& d, const std::string& client_id) {
    for (const auto& m : d.messages.items()) {
      if (m.kind == EventKind::message_created && m.client_message_id == client_id) return m;
    }
    return std::nullopt;
  }

  TempDir dir_;
  std::string config_ = default_server_config();
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(TimelineE2e, AReplyToAQueuedRootWaitsForItAndCarriesItsServerId) {
  auto bob = device("bob-phone", "token-bob");
  auto alice = offline_device("alice-phone");
  auto root = alice->client->send(kGeneral, "the root");
  ASSERT_TRUE(root.ok()) << describe(root.error());
  auto quote = alice->client->send(kGeneral, "quoting it", SendOptions{.reply_to = MessageRef::local(root->local_id)});
  ASSERT_TRUE(quote.ok()) << describe(quote.error());
  auto in_thread =
      alice->client->send(kGeneral, "in its thread", SendOptions{.thread_root = MessageRef::local(root->local_id)});
  ASSERT_TRUE(in_thread.ok()) << describe(in_thread.error());
  EXPECT_EQ(quote->reply_to_local_id, root->local_id);
  EXPECT_EQ(quote->reply_to, "") << "the root has no server id yet";
  EXPECT_EQ(in_thread->thread_root_local_id, root->local_id);

  connect(*alice, "token-alice");
  ASSERT_TRUE(alice->wait_for_outbox(3));
  ASSERT_TRUE(bob->messages.wait_until([](const auto& seen) { return seen.size() >= 3; }));
  auto seen = bob->messages.items();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].client_message_id, root->client_message_id) << "the root first, then what waited for it";
  EXPECT_EQ(seen[1].client_message_id, quote->client_message_id);
  EXPECT_EQ(seen[1].reply_to, seen[0].message_id);
  EXPECT_EQ(seen[1].thread_root_id, "");
  EXPECT_EQ(seen[2].client_message_id, in_thread->client_message_id);
  EXPECT_EQ(seen[2].thread_root_id, seen[0].message_id);
  EXPECT_EQ(seen[2].reply_to, "");

  // The sender's outbox rows learned the root's server id too.
  for (const auto& m : alice->outbox.items()) {
    if (m.local_id == quote->local_id && m.state == OutboxState::sent) {
      EXPECT_EQ(m.reply_to, seen[0].message_id);
    }
    if (m.local_id == in_thread->local_id && m.state == OutboxState::sent) {
      EXPECT_EQ(m.thread_root_id, seen[0].message_id);
    }
  }
}

TEST_F(TimelineE2e, ARootThatFailsFailsTheRepliesWaitingForIt) {
  auto bob = device("bob-phone", "token-bob");
  auto alice = offline_device("alice-phone");
  // The server refuses this root for good: it quotes a message that does not exist.
  auto root = alice->client->send(kGeneral, "quoting nothing",
                                  SendOptions{.reply_to = MessageRef::server(kGeneral, "m_missing")});
  ASSERT_TRUE(root.ok()) << describe(root.error());
  auto reply = alice->client->send(kGeneral, "a reply", SendOptions{.thread_root = MessageRef::local(root->local_id)});
  ASSERT_TRUE(reply.ok()) << describe(reply.error());
  auto quote = alice->client->send(kGeneral, "a quote", SendOptions{.reply_to = MessageRef::local(root->local_id)});
  ASSERT_TRUE(quote.ok()) << describe(quote.error());
  auto after = alice->client->send(kGeneral, "unrelated");
  ASSERT_TRUE(after.ok());

  connect(*alice, "token-alice");
  ASSERT_TRUE(alice->wait_for_outbox(1, 3));
  std::map<std::int64_t, LocalMessage> last;
  for (const auto& m : alice->outbox.items()) last[m.local_id] = m;
  ASSERT_TRUE(last[root->local_id].last_error.has_value());
  EXPECT_EQ(last[root->local_id].last_error->code, ErrorCode::not_found);
  for (auto id : {reply->local_id, quote->local_id}) {
    EXPECT_EQ(last[id].state, OutboxState::failed);
    ASSERT_TRUE(last[id].last_error.has_value());
    EXPECT_EQ(last[id].last_error->code, ErrorCode::not_found) << "it fails with its root's error";
    EXPECT_EQ(last[id].attempts, 0) << "it never went on the wire";
  }
  EXPECT_EQ(last[after->local_id].state, OutboxState::sent) << "the failed ones block nothing";
  ASSERT_TRUE(bob->messages.wait_for_count(1));
  EXPECT_EQ(bob->messages.items().size(), 1u);
  EXPECT_EQ(bob->messages.items()[0].client_message_id, after->client_message_id);
}

TEST_F(TimelineE2e, BadReferencesAreRefusedAndNothingIsQueued) {
  auto alice = device("alice-phone", "token-alice");
  auto edit_target = alice->client->send(kGeneral, "hello");
  ASSERT_TRUE(edit_target.ok());
  auto edit = alice->client->edit(MessageRef::local(edit_target->local_id), "hello!");
  ASSERT_TRUE(edit.ok());
  auto code = [&](const SendOptions& options) {
    auto sent = alice->client->send(kGeneral, "x", options);
    return sent.ok() ? ErrorCode::internal : sent.error().code;
  };
  EXPECT_EQ(code({.reply_to = MessageRef::local(999)}), ErrorCode::invalid_argument) << "no such local id";
  EXPECT_EQ(code({.thread_root = MessageRef::local(edit->local_id)}), ErrorCode::invalid_argument) << "a change";
  EXPECT_EQ(code({.reply_to = MessageRef::server("c_random", "m_1")}), ErrorCode::invalid_argument)
      << "another conversation";
  EXPECT_EQ(code({.thread_root = MessageRef::server(kGeneral, "")}), ErrorCode::invalid_argument);
  EXPECT_EQ(code({.thread_root = MessageRef::local(-1)}), ErrorCode::invalid_argument);
  ASSERT_TRUE(alice->wait_for_outbox(2));
  EXPECT_TRUE(alice->client->unsent_messages().empty());
}

TEST_F(TimelineE2e, AThreadShowsItsRepliesAndItsRootCountsThemOnEveryDevice) {
  auto alice = device("alice-phone", "token-alice");
  auto bob = device("bob-phone", "token-bob");
  auto root = alice->client->send(kGeneral, "what shall we eat?");
  ASSERT_TRUE(root.ok());
  ASSERT_TRUE(bob->messages.wait_for_count(1));
  auto root_id = bob->messages.items()[0].message_id;

  ASSERT_TRUE(bob->client->send(kGeneral, "pizza", {.thread_root = MessageRef::server(kGeneral, root_id)}).ok());
  // Two devices sending at once are ordered by the server as it pleases: the second
  // reply goes once the first is in the log.
  ASSERT_TRUE(alice->wait_for_store([&] { return synced(*alice) == 2; }));
  ASSERT_TRUE(alice->client->send(kGeneral, "soup", {.thread_root = MessageRef::local(root->local_id)}).ok());
  ASSERT_TRUE(bob->client->send(kGeneral, "after the thread").ok());
  for (auto* d : {alice.get(), bob.get()}) {
    ASSERT_TRUE(d->wait_for_store([&] { return synced(*d) == 4; }));
  }
  for (auto* d : {alice.get(), bob.get()}) {
    auto replies = d->client->thread(root_id);
    ASSERT_TRUE(replies.ok());
    ASSERT_EQ(replies->size(), 2u);
    EXPECT_EQ((*replies)[0].text, "pizza");
    EXPECT_EQ((*replies)[1].text, "soup");
    for (const auto& r : *replies) EXPECT_EQ(r.thread_root_id, root_id);
    auto main = d->client->messages(kGeneral)->messages;
    ASSERT_EQ(main.size(), 2u) << "replies stay out of the main timeline";
    EXPECT_EQ(main[0].message_id, root_id);
    EXPECT_EQ(main[0].reply_count, 2);
    EXPECT_EQ(main[0].last_reply_at_ms, (*replies)[1].created_at_ms);
    EXPECT_GT(main[0].last_reply_at_ms, 0);
    EXPECT_EQ(main[1].text, "after the thread");
  }

  // A reply sent offline shows in the thread at once, as its echo, and counts once stored.
  alice->client->disconnect();
  ASSERT_TRUE(alice->wait_for_state(ConnectionState::closed));
  auto pending = alice->client->send(kGeneral, "or salad", {.thread_root = MessageRef::server(kGeneral, root_id)});
  ASSERT_TRUE(pending.ok());
  auto replies = alice->client->thread(root_id);
  ASSERT_EQ(replies->size(), 3u);
  ASSERT_TRUE(replies->back().local.has_value());
  EXPECT_EQ(replies->back().local->local_id, pending->local_id);
  EXPECT_EQ(alice->client->messages(kGeneral)->messages.size(), 2u) << "nor does its echo";
  EXPECT_EQ(alice->client->messages(kGeneral)->messages[0].reply_count, 2) << "counted once stored";
  connect(*alice, "token-alice");
  for (auto* d : {alice.get(), bob.get()}) {
    ASSERT_TRUE(d->wait_for_store([&] { return synced(*d) == 5; }));
    auto root_row = d->client->messages(kGeneral)->messages[0];
    EXPECT_EQ(root_row.reply_count, 3);
    auto now = d->client->thread(root_id);
    ASSERT_EQ(now->size(), 3u);
    EXPECT_FALSE(now->back().local.has_value());
    EXPECT_EQ(root_row.last_reply_at_ms, now->back().created_at_ms);
  }
  // on_message comes on the callback thread, after the store has the message.
  ASSERT_TRUE(bob->messages.wait_until([&](const std::vector<Message>& seen) {
    return std::any_of(seen.begin(), seen.end(), [&](const Message& m) {
      return m.kind == EventKind::message_created && m.client_message_id == pending->client_message_id;
    });
  }));
  auto stored_reply = received(*bob, pending->client_message_id);
  ASSERT_TRUE(stored_reply.has_value());
  EXPECT_EQ(stored_reply->thread_root_id, root_id);
}

// The heart of the row-level notifications: a model that only applies them stays equal to
// the client's own reads, row by row, through every kind of change.
TEST_F(TimelineE2e, AListModelThatAppliesEveryChangeEqualsTheTimelineThroughRealTraffic) {
  config_ = server_config_with(R"("maxDifference": 20)");
  auto alice = device("alice-phone", "token-alice");
  auto bob = device("bob-phone", "token-bob");
  ListModel model(*alice->client, kGeneral);
  std::string why;
  auto matches = [&](const char* step) {
    bool same = model.wait_until_matches(why);
    EXPECT_TRUE(same) << step << ": " << why;
    EXPECT_TRUE(model.problems().empty()) << step << ": " << model.problems().front();
    return same;
  };

  // Own sends: echo rows at the bottom, merged in place.
  std::vector<LocalMessage> mine;
  for (int i = 0; i < 3; ++i) mine.push_back(*alice->client->send(kGeneral, "alice " + std::to_string(i)));
  ASSERT_TRUE(alice->wait_for_outbox(3));
  ASSERT_TRUE(matches("own sends"));
  // The other user's, interleaved with own ones.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(bob->client->send(kGeneral, "bob " + std::to_string(i)).ok());
    mine.push_back(*alice->client->send(kGeneral, "alice again " + std::to_string(i)));
  }
  ASSERT_TRUE(bob->wait_for_outbox(3));
  ASSERT_TRUE(alice->wait_for_store([&] { return synced(*alice) == 9; }));
  ASSERT_TRUE(matches("interleaved sends"));

  // Edits, deletes, reactions, from both users.
  ASSERT_TRUE(alice->client->edit(MessageRef::local(mine[0].local_id), "alice 0, edited").ok());
  ASSERT_TRUE(alice->client->react(MessageRef::local(mine[1].local_id), "👍").ok());
  ASSERT_TRUE(bob->wait_for_store([&] { return synced(*bob) == 11; }));
  auto bobs = bob->stored(kGeneral);
  std::string bob_first;
  for (const auto& m : bobs) {
    if (m.text == "bob 0") bob_first = m.message_id;
  }
  ASSERT_FALSE(bob_first.empty());
  ASSERT_TRUE(bob->client->remove(MessageRef::server(kGeneral, bob_first)).ok());
  ASSERT_TRUE(bob->client->react(MessageRef::server(kGeneral, bobs[0].message_id), "🎉").ok());
  ASSERT_TRUE(bob->client->react(MessageRef::server(kGeneral, bobs[1].message_id), "🎉").ok());
  ASSERT_TRUE(bob->client->unreact(MessageRef::server(kGeneral, bobs[1].message_id), "🎉").ok());
  ASSERT_TRUE(alice->wait_for_store([&] { return synced(*alice) == 15; }));
  ASSERT_TRUE(matches("edits, deletes and reactions"));

  // Events before their acks: the server loses acks, so the event stores the message while
  // its row is still `sending`; the resend is answered later.
  faults({{"dropAcks", 2}, {"duplicateEvents", true}});
  for (int i = 0; i < 3; ++i) mine.push_back(*alice->client->send(kGeneral, "lost ack " + std::to_string(i)));
  ASSERT_TRUE(alice->outbox.wait_until([&](const auto&) { return alice->client->unsent_messages().empty(); }));
  faults({{"clear", true}});
  ASSERT_TRUE(matches("events before acks"));

  // Offline: a discard, a delete before sending, a message the server refuses, and one
  // sent after it (which overtakes the failed echo: a move, never a remove and insert).
  alice->client->disconnect();
  ASSERT_TRUE(alice->wait_for_state(ConnectionState::closed));
  auto discarded = *alice->client->send(kGeneral, "never mind");
  auto removed = *alice->client->send(kGeneral, "nor this");
  auto refused = *alice->client->send(kGeneral, "quoting nothing", {.reply_to = MessageRef::server(kGeneral, "m_none")});
  auto kept = *alice->client->send(kGeneral, "kept");
  ASSERT_TRUE(matches("echoes offline"));
  ASSERT_TRUE(alice->client->discard(discarded.local_id).ok());
  ASSERT_TRUE(alice->client->remove(MessageRef::local(removed.local_id)).ok());
  ASSERT_TRUE(matches("discards"));
  connect(*alice, "token-alice");
  ASSERT_TRUE(alice->outbox.wait_until([&](const auto& seen) {
    bool failed = false, sent = false;
    for (const auto& m : seen) {
      failed |= m.local_id == refused.local_id && m.state == OutboxState::failed;
      sent |= m.local_id == kept.local_id && m.state == OutboxState::sent;
    }
    return failed && sent;
  }));
  ASSERT_TRUE(matches("a refused echo overtaken"));
  auto rows = model.rows();
  ASSERT_TRUE(rows.back().local.has_value());
  EXPECT_EQ(rows.back().local->local_id, refused.local_id) << "the failed echo stays at the bottom";
  ASSERT_TRUE(alice->client->discard(refused.local_id).ok());
  ASSERT_TRUE(matches("the failed echo discarded"));

  // Thread replies: the main timeline's root row updates; the thread's model follows.
  auto root_id = model.rows().front().message_id;
  ListModel thread(*alice->client, kGeneral, root_id);
  ASSERT_TRUE(bob->client->send(kGeneral, "a reply", {.thread_root = MessageRef::server(kGeneral, root_id)}).ok());
  auto own_reply = *alice->client->send(kGeneral, "mine", {.thread_root = MessageRef::server(kGeneral, root_id)});
  auto replies_stored = [&](std::size_t n) {
    auto replies = alice->client->thread(root_id);
    return replies.ok() && replies->size() == n && !replies->back().local;
  };
  ASSERT_TRUE(alice->wait_for_store([&] { return replies_stored(2); }));
  ASSERT_TRUE(matches("thread replies"));
  std::string thread_why;
  EXPECT_TRUE(thread.wait_until_matches(thread_why)) << thread_why;
  EXPECT_EQ(thread.rows().size(), 2u);
  EXPECT_EQ(model.rows().front().reply_count, 2);
  ASSERT_TRUE(alice->client->edit(MessageRef::local(own_reply.local_id), "mine, edited").ok());
  ASSERT_TRUE(alice->client->remove(MessageRef::local(own_reply.local_id)).ok());
  ASSERT_TRUE(alice->wait_for_store([&] { return alice->client->messages(kGeneral)->messages.front().reply_count == 1; }));
  ASSERT_TRUE(matches("a thread reply edited and deleted"));
  EXPECT_TRUE(thread.wait_until_matches(thread_why)) << thread_why;
  EXPECT_EQ(model.rows().front().reply_count, 1) << "a deleted reply no longer counts";
  EXPECT_EQ(thread.operations().resets, 0);

  // Too far behind: a reset (the only full reload), then scrolling back. The server says
  // "too long" past maxDifference (20); the client then reads the newest page (200 events),
  // and only when that page does not reach its cursor does the store start again there.
  alice->client->disconnect();
  ASSERT_TRUE(alice->wait_for_state(ConnectionState::closed));
  std::int64_t last_away = 0;
  for (int i = 0; i < 230; ++i) {
    auto sent = bob->client->send(kGeneral, "while away " + std::to_string(i));
    ASSERT_TRUE(sent.ok());
    last_away = sent->local_id;
  }
  // The last one acked is the head: the outbox orders a conversation's sends.
  Seq head = 0;
  ASSERT_TRUE(bob->outbox.wait_until([&](const std::vector<LocalMessage>& seen) {
    for (const auto& m : seen) {
      if (m.local_id == last_away && m.state == OutboxState::sent) head = m.conversation_seq;
    }
    return head > 0;
  }));
  auto resets_before = model.operations().resets;
  connect(*alice, "token-alice");
  ASSERT_TRUE(alice->wait_for_store([&] { return synced(*alice) == head; }));
  ASSERT_TRUE(matches("after a reset"));
  EXPECT_EQ(model.operations().resets, resets_before + 1);
  int pages = 0;
  for (; pages < 20; ++pages) {
    auto older_pages = [&](const std::vector<ConversationChange>& seen) {
      return std::count_if(seen.begin(), seen.end(), [](const ConversationChange& c) { return c.older; });
    };
    auto before = older_pages(alice->changes.items());
    auto asked = alice->client->load_older(kGeneral, 7);
    ASSERT_TRUE(asked.ok());
    if (!*asked) break;
    ASSERT_TRUE(alice->changes.wait_until([&](const auto& seen) { return older_pages(seen) > before; })) << pages;
    ASSERT_TRUE(matches("load_older"));
  }
  EXPECT_GE(pages, 2) << "the reset left history to scroll back to";
  EXPECT_EQ(alice->stored(kGeneral).front().seq, 1);
  ASSERT_TRUE(matches("scrolled back"));

  // What the model did: rows merged and moved in place; removed only for the three echoes
  // that went away; one full reload.
  auto ops = model.operations();
  EXPECT_EQ(ops.removes, 3) << "discarded, removed before sent, and the failed one discarded";
  EXPECT_EQ(ops.resets, 1);
  EXPECT_GE(ops.moves, 1) << "the refused echo was overtaken";
  EXPECT_GT(ops.updates, 0);
  EXPECT_TRUE(model.problems().empty());
}

}  // namespace
}  // namespace confab::test
