// A sent message is shown exactly once, from send() to the server's copy: whether the ack
// or the event comes first, and across a restart between them. Driven without sockets:
// the session core, the two real databases and the view the app reads, with a test clock.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "client/local_view.h"
#include "store/cache_store.h"
#include "client/stores.h"
#include "protocol/protocol.h"
#include "core/session.h"
#include "temp_dir.h"

namespace confab {
namespace {

using nlohmann::json;

constexpr const char* kConversation = "c_general";
std::int64_t fake_now = 1'763'800'000'000;

std::string server_frame(protocol::ServerFrame frame) { return protocol::encode(frame); }

protocol::Event created(Seq seq, const std::string& client_id, const std::string& sender, const std::string& text) {
  protocol::Event e;
  e.conversation_id = kConversation;
  e.conversation_seq = seq;
  e.message_id = "m" + std::to_string(seq);
  e.sender_id = sender;
  e.client_message_id = client_id;
  e.body.text = text;
  e.created_at_ms = fake_now;
  return e;
}

// One device as the client assembles it: stores opened as at startup, the session, the
// view; actions carried out the way the client carries them out.
class Device {
 public:
  explicit Device(const std::filesystem::path& dir) {
    options_.device_id = "phone";
    options_.database_path = dir / "outbox.db";
    auto opened = client::open_stores(options_);
    EXPECT_TRUE(opened) << opened.error().message;
    stores_ = std::move(opened).value();
    view_ = std::make_unique<client::LocalView>(*stores_.cache);
    view_->set_user_id(stores_.user_id);
    view_->restore(stores_.unsent, stores_.recent_sent, stores_.cursors);
    core::SessionOptions options;
    options.device_id = "phone";
    session_ = std::make_unique<core::Session>(options, [] { return fake_now; });
    for (const auto& c : stores_.cursors) session_->restore_cursor(c.conversation_id, c.cursor);
    session_->restore(std::move(stores_.unsent));
    run();
  }

  // Connects: auth, the conversation list, and a sync.state with the server's head.
  void connect(Seq head) {
    session_->connect_requested("token");
    session_->transport_opened();
    receive(protocol::AuthOk{"auth", "alice", "phone", 1, 1, 65536, 16384});
    protocol::Conversations list{"conversations", {}, {}};
    list.items.push_back({kConversation, "channel"});
    list.items.back().head_seq = head;
    receive(list);
    auto sync = take_frame("sync.request");
    protocol::SyncState state{sync["id"], {}, {}};
    state.items.push_back(list.items.back());
    receive(state);
  }

  LocalMessage send(const std::string& text) {
    core::OutboxRow row;
    row.message.client_message_id = "cm-" + text;
    row.message.conversation_id = kConversation;
    row.message.text = text;
    row.message.created_at_ms = fake_now;
    row.age_from_ms = fake_now;
    auto stored = stores_.outbox->insert(std::move(row));
    EXPECT_TRUE(stored);
    view_->outbox_changed(stored->message);
    session_->enqueue(*stored);
    run();
    return stored->message;
  }

  // A reaction to one of this device's messages, queued as Client::react() queues it.
  LocalMessage react(const LocalMessage& target, const std::string& emoji) {
    core::OutboxRow row;
    row.message.client_message_id = "cm-react-" + std::to_string(target.local_id);
    row.message.conversation_id = kConversation;
    row.message.kind = OutboxKind::react;
    row.message.emoji = emoji;
    row.message.target_local_id = target.local_id;
    row.message.created_at_ms = fake_now;
    row.age_from_ms = fake_now;
    auto stored = stores_.outbox->insert(std::move(row));
    EXPECT_TRUE(stored);
    view_->outbox_changed(stored->message);
    session_->enqueue(*stored);
    run();
    return stored->message;
  }

  void retry(std::int64_t local_id) {
    EXPECT_TRUE(session_->retry(local_id));
    run();
  }

  // The unsent rows as the view keeps them for the app, and as the session has them.
  std::vector<LocalMessage> unsent_in_view() const { return view_->unsent(); }
  std::vector<LocalMessage> unsent_in_session() const { return session_->unsent(); }

  void receive(protocol::ServerFrame frame) {
    session_->frame_received(server_frame(std::move(frame)));
    run();
  }

  // The newest frame of this type sent, taken out of the record.
  json take_frame(const std::string& type) {
    for (auto it = sent_.rbegin(); it != sent_.rend(); ++it) {
      if ((*it)["type"] == type) {
        json frame = *it;
        sent_.erase(std::next(it).base());
        return frame;
      }
    }
    ADD_FAILURE() << "no " << type << " frame sent";
    return json::object();
  }

  std::vector<TimelineMessage> timeline() {
    auto page = view_->messages(kConversation, 0, 50);
    EXPECT_TRUE(page) << page.error().message;
    return page ? page->messages : std::vector<TimelineMessage>{};
  }

 private:
  void run() {
    for (auto& action : session_->take_actions()) {
      if (auto* f = std::get_if<core::SendFrame>(&action)) sent_.push_back(json::parse(f->text));
      if (auto* o = std::get_if<core::NotifyOutbox>(&action)) view_->outbox_changed(o->message);
      if (auto* p = std::get_if<core::PersistOutbox>(&action)) {
        EXPECT_TRUE(stores_.outbox->write(std::span(&p->row, 1)));
      }
      if (auto* a = std::get_if<core::ApplyEvents>(&action)) {
        EXPECT_TRUE(stores_.cache->apply(a->conversation_id, a->events,
                                         a->reset ? store::ApplyMode::reset : store::ApplyMode::forward));
        view_->events_stored(a->events);
      }
      if (auto* k = std::get_if<core::KnownConversations>(&action)) {
        EXPECT_TRUE(stores_.cache->update_conversations(k->items, true));
        EXPECT_TRUE(stores_.cache->set_user_id(session_->user_id()));
        view_->set_user_id(session_->user_id());
      }
    }
  }

  ClientOptions options_;
  client::Opened stores_;
  std::unique_ptr<client::LocalView> view_;
  std::unique_ptr<core::Session> session_;
  std::vector<json> sent_;
};

void expect_one_bubble(const std::vector<TimelineMessage>& timeline, const std::string& client_id, bool local,
                       const std::string& where) {
  ASSERT_EQ(timeline.size(), 1u) << where;
  EXPECT_EQ(timeline[0].client_message_id, client_id) << where;
  EXPECT_EQ(timeline[0].local.has_value(), local) << where;
  EXPECT_EQ(timeline[0].text, "hello") << where;
}

protocol::MessageAck ack_for(const LocalMessage& m, Seq seq) {
  return protocol::MessageAck{m.client_message_id, kConversation, m.client_message_id, "m" + std::to_string(seq), seq};
}

TEST(LocalEcho, AckBeforeEventShowsOneBubbleThroughout) {
  confab::test::TempDir dir;
  Device device(dir.path());
  device.connect(0);
  auto sent = device.send("hello");
  expect_one_bubble(device.timeline(), sent.client_message_id, true, "after send()");
  device.take_frame("message.send");

  device.receive(ack_for(sent, 1));
  auto timeline = device.timeline();
  expect_one_bubble(timeline, sent.client_message_id, true, "acked, event not stored yet");
  EXPECT_EQ(timeline[0].seq, 1);
  EXPECT_EQ(timeline[0].local->state, OutboxState::sent);

  device.receive(created(1, sent.client_message_id, "alice", "hello"));
  timeline = device.timeline();
  expect_one_bubble(timeline, sent.client_message_id, false, "event stored");
  EXPECT_EQ(timeline[0].message_id, "m1");
}

TEST(LocalEcho, EventBeforeAckShowsOneBubbleThroughout) {
  confab::test::TempDir dir;
  Device device(dir.path());
  device.connect(0);
  auto sent = device.send("hello");
  device.take_frame("message.send");

  device.receive(created(1, sent.client_message_id, "alice", "hello"));
  expect_one_bubble(device.timeline(), sent.client_message_id, false, "event first");
  device.receive(ack_for(sent, 1));
  expect_one_bubble(device.timeline(), sent.client_message_id, false, "then the ack");
}

TEST(LocalEcho, ARestartBetweenAckAndEventKeepsTheBubbleUntilTheCatchUpStoresIt) {
  confab::test::TempDir dir;
  LocalMessage sent;
  {
    Device device(dir.path());
    device.connect(0);
    sent = device.send("hello");
    device.take_frame("message.send");
    device.receive(ack_for(sent, 1));
  }  // gone before the event came

  Device device(dir.path());
  expect_one_bubble(device.timeline(), sent.client_message_id, true, "after the restart, offline");
  device.connect(1);
  auto history = device.take_frame("history.request");
  EXPECT_EQ(history["afterSeq"], 0);
  protocol::History page{history["id"], kConversation, 1, {created(1, sent.client_message_id, "alice", "hello")}};
  device.receive(page);
  expect_one_bubble(device.timeline(), sent.client_message_id, false, "caught up");
}

TEST(LocalEcho, OthersMessagesAndDuplicatesDoNotDisturbTheOrder) {
  confab::test::TempDir dir;
  Device device(dir.path());
  device.connect(0);
  auto sent = device.send("hello");
  device.take_frame("message.send");
  device.receive(created(1, "cm-bob", "bob", "first"));
  device.receive(ack_for(sent, 2));
  device.receive(created(1, "cm-bob", "bob", "first"));  // delivered twice
  auto timeline = device.timeline();
  ASSERT_EQ(timeline.size(), 2u);
  EXPECT_EQ(timeline[0].client_message_id, "cm-bob");
  EXPECT_EQ(timeline[1].client_message_id, sent.client_message_id);
  device.receive(created(2, sent.client_message_id, "alice", "hello"));
  timeline = device.timeline();
  ASSERT_EQ(timeline.size(), 2u);
  EXPECT_FALSE(timeline[1].local);
}

TEST(LocalEcho, ABubbleStoredWhileThePageIsReadIsShownOnce) {
  confab::test::TempDir dir;
  Device device(dir.path());
  device.connect(0);
  auto sent = device.send("hello");
  device.take_frame("message.send");
  device.receive(ack_for(sent, 1));
  // Once the page's snapshot is taken, the event is stored and its echo given up: the page
  // has no stored copy, so the echo must have been taken before.
  bool armed = true;
  store::CacheStore::set_test_hooks({.in_write = {}, .in_read = [&](const std::filesystem::path&) {
                                       if (std::exchange(armed, false)) {
                                         device.receive(created(1, sent.client_message_id, "alice", "hello"));
                                       }
                                     }});
  auto timeline = device.timeline();
  store::CacheStore::set_test_hooks({});
  EXPECT_FALSE(armed);
  expect_one_bubble(timeline, sent.client_message_id, true, "stored while the page was read");
  expect_one_bubble(device.timeline(), sent.client_message_id, false, "read after");
}

// What unsent_messages() returns: the view's copy, which must not drift from the session's.
void expect_same_unsent(const Device& device, const std::string& where) {
  auto view = device.unsent_in_view();
  auto session = device.unsent_in_session();
  ASSERT_EQ(view.size(), session.size()) << where;
  for (std::size_t i = 0; i < view.size(); ++i) {
    EXPECT_EQ(view[i].local_id, session[i].local_id) << where;
    EXPECT_EQ(view[i].kind, session[i].kind) << where;
    EXPECT_EQ(view[i].state, session[i].state) << where << ", local id " << view[i].local_id;
    EXPECT_EQ(view[i].attempts, session[i].attempts) << where;
    EXPECT_EQ(view[i].target_message_id, session[i].target_message_id) << where;
    EXPECT_EQ(view[i].last_error.has_value(), session[i].last_error.has_value()) << where;
  }
}

TEST(LocalEcho, TheViewKeepsTheUnsentRowsAsTheSessionHasThem) {
  confab::test::TempDir dir;
  {
    Device device(dir.path());
    auto one = device.send("one");
    auto two = device.send("two");
    device.send("three");
    device.react(one, "👍");
    expect_same_unsent(device, "queued offline");
    ASSERT_EQ(device.unsent_in_view().size(), 4u);

    device.connect(0);
    expect_same_unsent(device, "on the wire");
    device.receive(ack_for(one, 1));
    expect_same_unsent(device, "the first acknowledged, its reaction sent");
    device.receive(protocol::ErrorFrame{two.client_message_id, Error::make(ErrorCode::forbidden, "no"), "", ""});
    expect_same_unsent(device, "the second refused for good");
    device.retry(two.local_id);
    expect_same_unsent(device, "the second retried");
  }  // gone with rows on the wire

  Device device(dir.path());
  expect_same_unsent(device, "after a restart");
  ASSERT_EQ(device.unsent_in_view().size(), 3u);
  for (const auto& m : device.unsent_in_view()) EXPECT_EQ(m.state, OutboxState::pending);
}

}  // namespace
}  // namespace confab
