// The Qt bridge against the real server: ChatClient delivers on its thread, the models
// change incrementally (rowsInserted, dataChanged, an echo merged in place) and pass Qt's
// QAbstractItemModelTester through real traffic, fetchMore() pages older history in.
#include <QAbstractItemModelTester>
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QSignalSpy>
#include <QThread>

#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "confab/qt/chat_client.h"
#include "confab/qt/conversation_list_model.h"
#include "confab/qt/message_list_model.h"
#include "qt_fixture.h"

namespace confab::test {
namespace {

using namespace std::chrono_literals;
using qt::ChatClient;
using qt::ConversationListModel;
using qt::MessageListModel;

// A row, in the fields it shows.
std::string keyOf(const TimelineMessage& m) {
  std::string key = m.client_message_id + "|" + m.text + "|" + std::to_string(m.seq) + "|" + (m.edited ? "e" : "") +
                    (m.deleted ? "d" : "") + (m.local ? std::string(to_string(m.local->state)) : "");
  for (const auto& r : m.reactions) key += "|" + r.emoji + std::to_string(r.user_ids.size());
  return key;
}
std::vector<std::string> keysOf(Client& client) {
  std::vector<std::string> out;
  auto page = client.messages(kGeneral, 0, 500);
  if (!page.ok()) return out;
  for (const auto& m : page->messages) out.push_back(keyOf(m));
  return out;
}
std::vector<std::string> keysOf(const MessageListModel& model) {
  std::vector<std::string> out;
  for (int i = 0; i < model.count(); ++i) out.push_back(keyOf(model.message(i)));
  return out;
}

class QtBridge : public QtFixture {};

TEST_F(QtBridge, SignalsComeOnTheObjectsThreadAndFollowTheConnection) {
  auto alice = chat("alice-laptop");
  ASSERT_TRUE(alice);
  QSignalSpy changed(alice.get(), &ChatClient::connectionChanged);
  QThread* seen_on = nullptr;
  QObject::connect(alice.get(), &ChatClient::connectionChanged, alice.get(), [&] { seen_on = QThread::currentThread(); });
  EXPECT_EQ(alice->connectionState(), "initialized");
  ASSERT_TRUE(connect(*alice, "token-alice"));
  EXPECT_EQ(seen_on, QThread::currentThread()) << "delivered on the GUI thread, not the SDK's";
  EXPECT_GE(changed.count(), 2) << "connecting, then connected";
  EXPECT_EQ(alice->userId(), "alice");

  // Offline: the state says so, and what is queued is counted.
  alice->disconnectFromServer();
  ASSERT_TRUE(processUntil([&] { return alice->connectionState() == "closed"; }));
  QSignalSpy outbox(alice.get(), &ChatClient::outboxChanged);
  EXPECT_GE(alice->send(kGeneral, "one"), 1);
  EXPECT_GE(alice->send(kGeneral, "two"), 1);
  ASSERT_TRUE(processUntil([&] { return alice->unsentCount() == 2; }));
  ASSERT_TRUE(connect(*alice, "token-alice"));
  ASSERT_TRUE(processUntil([&] { return alice->unsentCount() == 0; })) << "sent once connected";
  EXPECT_GE(outbox.count(), 2);

  // Bad arguments are refused with a reason, at once.
  QSignalSpy failed(alice.get(), &ChatClient::requestFailed);
  EXPECT_EQ(alice->send(kGeneral, ""), -1);
  ASSERT_EQ(failed.count(), 1);
  EXPECT_EQ(failed.at(0).at(0).toString(), "send");
  EXPECT_TRUE(failed.at(0).at(1).toString().startsWith("invalid_argument")) << failed.at(0).at(1).toString().toStdString();
}

TEST_F(QtBridge, ALocalEchoBecomesItsStoredMessageInTheSameRow) {
  auto alice = chat("alice-laptop");
  ASSERT_TRUE(connect(*alice, "token-alice"));  // the user's id becomes known
  // Offline while it is sent: the echo comes in before the server can have it, however
  // slowly this thread runs.
  alice->disconnectFromServer();
  ASSERT_TRUE(processUntil([&] { return alice->connectionState() == "closed"; }));
  MessageListModel model(alice.get(), kGeneral);
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
  QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
  QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
  QSignalSpy data(&model, &QAbstractItemModel::dataChanged);

  // What the row showed when it came in.
  qint64 inserted_local_id = -1;
  QString inserted_state;
  QObject::connect(&model, &QAbstractItemModel::rowsInserted, [&](const QModelIndex&, int first, int) {
    inserted_local_id = model.data(model.index(first), MessageListModel::LocalIdRole).toLongLong();
    inserted_state = model.data(model.index(first), MessageListModel::DeliveryStateRole).toString();
  });
  auto local_id = alice->send(kGeneral, "hello");
  ASSERT_GT(local_id, 0);
  ASSERT_TRUE(processUntil([&] { return model.count() == 1; })) << "the echo shows at once";
  auto key = model.data(model.index(0), MessageListModel::ClientMessageIdRole).toString();
  EXPECT_EQ(inserted_local_id, local_id) << "it came in as the echo";
  EXPECT_EQ(inserted_state, "pending");
  EXPECT_TRUE(model.data(model.index(0), MessageListModel::IsOwnRole).toBool());
  ASSERT_TRUE(connect(*alice, "token-alice"));
  ASSERT_TRUE(stored(*alice, 1));
  ASSERT_TRUE(processUntil([&] { return model.data(model.index(0), MessageListModel::LocalIdRole).toLongLong() == 0; }))
      << "the stored copy replaced the echo";
  EXPECT_EQ(model.count(), 1);
  EXPECT_EQ(inserted.count(), 1) << "inserted once, as the echo";
  EXPECT_EQ(removed.count(), 0) << "never removed and inserted again";
  EXPECT_EQ(model.data(model.index(0), MessageListModel::ClientMessageIdRole).toString(), key);
  EXPECT_EQ(model.data(model.index(0), MessageListModel::DeliveryStateRole).toString(), "sent");
  EXPECT_EQ(model.data(model.index(0), MessageListModel::SeqRole).toLongLong(), 1);
  ASSERT_TRUE(processUntil([&] { return model.data(model.index(0), MessageListModel::SenderNameRole) == "Alice"; }))
      << "the directory's name, once it is listed";
  bool local_id_role_changed = false;
  for (const auto& signal : data) {
    auto roles = signal.at(2).value<QList<int>>();
    local_id_role_changed |= roles.contains(MessageListModel::LocalIdRole);
    EXPECT_FALSE(roles.contains(MessageListModel::TextRole)) << "the text did not change";
  }
  EXPECT_TRUE(local_id_role_changed) << "dataChanged names the roles that changed";
}

TEST_F(QtBridge, AFailedMessageShowsItsReasonAndRetrySendsIt) {
  auto alice = chat("alice-laptop", [](ClientOptions& o) { o.outbox.max_age = 300ms; });
  MessageListModel model(alice.get(), kGeneral);
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
  auto local_id = alice->send(kGeneral, "written offline");
  ASSERT_GT(local_id, 0);
  ASSERT_TRUE(processUntil([&] {
    return model.count() == 1 && model.data(model.index(0), MessageListModel::DeliveryStateRole).toString() == "failed";
  })) << "not delivered within max_age";
  EXPECT_FALSE(model.data(model.index(0), MessageListModel::ErrorRole).toString().isEmpty());

  ASSERT_TRUE(connect(*alice, "token-alice"));
  QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
  ASSERT_TRUE(alice->retry(local_id));
  ASSERT_TRUE(stored(*alice, 1));
  ASSERT_TRUE(processUntil([&] {
    return model.count() == 1 && model.data(model.index(0), MessageListModel::DeliveryStateRole).toString() == "sent" &&
           model.data(model.index(0), MessageListModel::LocalIdRole).toLongLong() == 0;
  }));
  EXPECT_TRUE(model.data(model.index(0), MessageListModel::ErrorRole).toString().isEmpty());
  EXPECT_EQ(removed.count(), 0);
}

TEST_F(QtBridge, ModelsPassQtsTesterThroughRealTrafficAndEndEqualToTheClient) {
  auto alice = chat("alice-laptop");
  auto bob = chat("bob-phone");
  ASSERT_TRUE(connect(*alice, "token-alice"));
  ASSERT_TRUE(connect(*bob, "token-bob"));
  MessageListModel model(alice.get(), kGeneral);
  ConversationListModel conversations(alice.get());
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
  QAbstractItemModelTester list_tester(&conversations, QAbstractItemModelTester::FailureReportingMode::Fatal);
  ASSERT_EQ(conversations.count(), 2);

  for (int i = 0; i < 5; ++i) {
    ASSERT_GT(alice->send(kGeneral, QString("alice %1").arg(i)), 0);
    ASSERT_GT(bob->send(kGeneral, QString("bob %1").arg(i)), 0);
  }
  ASSERT_TRUE(stored(*alice, 10));
  ASSERT_TRUE(processUntil([&] { return keysOf(model) == keysOf(alice->client()); }));
  // Edits, a delete and reactions, from both users; an edit of an echo before its ack.
  auto first = model.message(0);
  auto mine = alice->send(kGeneral, "typo");
  ASSERT_TRUE(alice->edit(kGeneral, {}, mine, "fixed"));
  ASSERT_TRUE(bob->react(kGeneral, QString::fromStdString(first.message_id), 0, "👍"));
  ASSERT_TRUE(alice->react(kGeneral, QString::fromStdString(first.message_id), 0, "👍"));
  int bobs = 1;  // a message of bob's (only its author may delete it), not the one reacted to
  while (model.message(bobs).sender_id != "bob") ++bobs;
  ASSERT_TRUE(bob->remove(kGeneral, QString::fromStdString(model.message(bobs).message_id), 0));
  ASSERT_TRUE(stored(*alice, 15));
  ASSERT_TRUE(processUntil([&] { return keysOf(model) == keysOf(alice->client()); }));
  auto reactions = model.data(model.index(0), MessageListModel::ReactionsRole).toList();
  ASSERT_EQ(reactions.size(), 1);
  EXPECT_EQ(reactions[0].toMap()["count"].toInt(), 2);
  EXPECT_TRUE(reactions[0].toMap()["mine"].toBool());
  EXPECT_TRUE(model.data(model.index(bobs), MessageListModel::DeletedRole).toBool());
  EXPECT_EQ(model.data(model.index(model.count() - 1), MessageListModel::TextRole).toString(), "fixed");
  EXPECT_TRUE(model.data(model.index(model.count() - 1), MessageListModel::EditedRole).toBool());
  EXPECT_TRUE(model.data(model.index(0), MessageListModel::StartsNewGroupRole).toBool());
  EXPECT_TRUE(model.data(model.index(0), MessageListModel::StartsNewDayRole).toBool());

  // The conversation list: the active one first, its preview and unread count current.
  ASSERT_TRUE(processUntil([&] {
    return conversations.data(conversations.index(0), ConversationListModel::ConversationIdRole).toString() ==
               kGeneral &&
           conversations.data(conversations.index(0), ConversationListModel::LastMessageTextRole).toString() == "fixed";
  }));
  EXPECT_EQ(conversations.data(conversations.index(0), ConversationListModel::NameRole).toString(), kGeneral);
  EXPECT_GT(conversations.data(conversations.index(0), ConversationListModel::UnreadCountRole).toLongLong(), 0);
  QSignalSpy list_data(&conversations, &QAbstractItemModel::dataChanged);
  auto newest = alice->client().conversation(kGeneral)->synced_seq;
  ASSERT_TRUE(alice->markRead(kGeneral, newest));
  ASSERT_TRUE(processUntil([&] {
    return conversations.data(conversations.index(0), ConversationListModel::UnreadCountRole).toLongLong() == 0;
  }));
  EXPECT_GE(list_data.count(), 1);
}

TEST_F(QtBridge, FetchMorePagesOlderHistoryFromTheStoreThenFromTheServer) {
  config_ = server_config_with(R"("maxDifference": 20)");
  auto bob = chat("bob-phone");
  ASSERT_TRUE(connect(*bob, "token-bob"));
  for (int i = 0; i < 260; ++i) ASSERT_GT(bob->send(kGeneral, QString("n%1").arg(i)), 0);
  ASSERT_TRUE(processUntil([&] { return bob->unsentCount() == 0; }, 60s));

  // A new device: too far behind, it starts from the server's newest page (200 events).
  auto alice = chat("alice-laptop");
  Seq delivered = 0;  // what the facade has told of, not only what the store has
  QObject::connect(alice.get(), &ChatClient::conversationChanged,
                   [&](const ConversationChange& c) { delivered = std::max(delivered, c.synced_seq); });
  ASSERT_TRUE(connect(*alice, "token-alice"));
  ASSERT_TRUE(processUntil([&] { return delivered == 260; }));
  MessageListModel model(alice.get(), kGeneral);
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
  EXPECT_GE(model.count(), 50) << "a page from the store (Qt's tester fetches more at once)";
  ASSERT_TRUE(model.canFetchMore({}));
  QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
  int fetches = 0;
  while (model.canFetchMore({}) && fetches < 40) {
    auto before = model.count();
    model.fetchMore({});
    ++fetches;
    ASSERT_TRUE(processUntil([&] { return model.count() > before || (!model.fetching() && !model.canFetchMore({})); }));
  }
  EXPECT_FALSE(model.canFetchMore({}));
  EXPECT_EQ(model.count(), 260) << "every message, the oldest from the server";
  EXPECT_EQ(model.data(model.index(0), MessageListModel::TextRole).toString(), "n0");
  EXPECT_EQ(model.data(model.index(259), MessageListModel::TextRole).toString(), "n259");
  for (const auto& signal : inserted) EXPECT_EQ(signal.at(1).toInt(), 0) << "older rows come in at the top";
}

TEST_F(QtBridge, TypingPresenceAndReceiptsAreSignalsOnTheObjectsThread) {
  auto alice = chat("alice-laptop");
  auto bob = chat("bob-phone");
  ASSERT_TRUE(connect(*alice, "token-alice"));
  ASSERT_TRUE(connect(*bob, "token-bob"));
  QSignalSpy typing(alice.get(), &ChatClient::typingChanged);
  QSignalSpy presence(alice.get(), &ChatClient::presenceChanged);
  QSignalSpy receipts(alice.get(), &ChatClient::receiptsChanged);

  bob->typing(kGeneral);
  ASSERT_TRUE(processUntil([&] { return alice->typingUsers(kGeneral) == QStringList{"bob"}; }));
  ASSERT_TRUE(processUntil([&] { return !typing.isEmpty(); }));
  EXPECT_EQ(typing.last().at(0).toString(), kGeneral);
  EXPECT_EQ(typing.last().at(1).toStringList(), QStringList{"bob"});
  bob->stopTyping(kGeneral);
  ASSERT_TRUE(processUntil([&] { return !typing.isEmpty() && typing.last().at(1).toStringList().isEmpty(); }))
      << "typing clears";
  EXPECT_TRUE(alice->typingUsers(kGeneral).isEmpty());

  ASSERT_TRUE(processUntil([&] { return alice->presence("bob") == "online"; }));
  bob->setIdle(true);
  ASSERT_TRUE(processUntil([&] {
    return !presence.isEmpty() && presence.last().at(0).toString() == "bob" && presence.last().at(1).toString() == "idle";
  }));
  EXPECT_EQ(alice->presence("bob"), "idle");

  ASSERT_GT(alice->send(kGeneral, "seen?"), 0);
  ASSERT_TRUE(stored(*bob, 1));
  ASSERT_TRUE(bob->markRead(kGeneral, 1));
  ASSERT_TRUE(processUntil([&] {
    return !receipts.isEmpty() && receipts.last().at(1).toString() == "bob" && receipts.last().at(2).toLongLong() == 1;
  })) << "read by bob";
}

TEST_F(QtBridge, DestroyingTheFacadeWhileCallbacksAreInFlightIsSafe) {
  auto bob = chat("bob-phone");
  ASSERT_TRUE(connect(*bob, "token-bob"));
  for (int round = 0; round < 5; ++round) {
    auto alice = chat("alice-" + std::to_string(round));
    ASSERT_TRUE(connect(*alice, "token-alice"));
    MessageListModel model(alice.get(), kGeneral);
    for (int i = 0; i < 20; ++i) ASSERT_GT(bob->send(kGeneral, QString("r%1 %2").arg(round).arg(i)), 0);
    // Gone while the store writes and notifies; the model stops changing.
    alice.reset();
    EXPECT_EQ(model.rowCount(), model.count());
    QCoreApplication::processEvents();
  }
}

}  // namespace
}  // namespace confab::test

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
