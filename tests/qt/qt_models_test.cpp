// The Qt bridge's models of what is around a timeline, against the real server: receipts
// moving an own message from sent to delivered to "read by N", typing, members with
// presence, a DM's peer, search, quotes and the unread marker. Each model runs under Qt's
// QAbstractItemModelTester while real traffic changes it.
#include <QAbstractItemModelTester>
#include <QFileInfo>
#include <QSignalSpy>
#include <QUrl>

#include <gtest/gtest.h>

#include <fstream>

#include "confab/qt/conversation_list_model.h"
#include "confab/qt/member_list_model.h"
#include "confab/qt/message_list_model.h"
#include "confab/qt/search_model.h"
#include "confab/qt/typing_model.h"
#include "qt_fixture.h"

namespace confab::test {
namespace {

using qt::ConversationListModel;
using qt::MemberListModel;
using qt::MessageListModel;
using qt::SearchModel;
using qt::TypingModel;
using Mode = QAbstractItemModelTester::FailureReportingMode;

class QtModels : public QtFixture {
 protected:
  static QVariant role(const QAbstractItemModel& model, int row, int role) { return model.data(model.index(row, 0), role); }
  // The rows of `spy` (a dataChanged spy) that named `role`.
  static int changesOf(const QSignalSpy& spy, int role) {
    int n = 0;
    for (const auto& signal : spy) n += signal.at(2).value<QList<int>>().contains(role) ? 1 : 0;
    return n;
  }
};

TEST_F(QtModels, AnOwnMessageGoesFromSentToDeliveredToReadByEachMember) {
  auto alice = chat("alice-laptop");
  auto bob = chat("bob-phone");
  auto carol = chat("carol-phone");
  ASSERT_TRUE(connect(*alice, "token-alice"));
  MessageListModel model(alice.get(), kGeneral);
  QAbstractItemModelTester tester(&model, Mode::Fatal);
  QSignalSpy data(&model, &QAbstractItemModel::dataChanged);

  ASSERT_GT(alice->send(kGeneral, "ship it?"), 0);
  ASSERT_TRUE(stored(*alice, 1));
  ASSERT_TRUE(processUntil([&] { return role(model, 0, MessageListModel::DeliveryStateRole) == "sent"; }));
  EXPECT_EQ(role(model, 0, MessageListModel::ReadByCountRole).toInt(), 0);

  // Bob's device stores it: delivered, read by nobody.
  ASSERT_TRUE(connect(*bob, "token-bob"));
  ASSERT_TRUE(processUntil([&] { return role(model, 0, MessageListModel::DeliveryStateRole) == "delivered"; }));
  EXPECT_EQ(role(model, 0, MessageListModel::ReadByCountRole).toInt(), 0);

  ASSERT_TRUE(bob->markRead(kGeneral, 1));
  ASSERT_TRUE(processUntil([&] { return role(model, 0, MessageListModel::ReadByCountRole).toInt() == 1; }));
  EXPECT_EQ(role(model, 0, MessageListModel::DeliveryStateRole), "read");
  EXPECT_EQ(role(model, 0, MessageListModel::ReadByRole).toStringList(), QStringList{"Bob"});

  ASSERT_TRUE(connect(*carol, "token-carol"));
  ASSERT_TRUE(stored(*carol, 1));
  ASSERT_TRUE(carol->markRead(kGeneral, 1));
  ASSERT_TRUE(processUntil([&] { return role(model, 0, MessageListModel::ReadByCountRole).toInt() == 2; }));
  EXPECT_EQ(role(model, 0, MessageListModel::ReadByRole).toStringList(), (QStringList{"Bob", "Carol"}));
  EXPECT_GE(changesOf(data, MessageListModel::DeliveryStateRole), 2) << "sent -> delivered -> read, as dataChanged";
  EXPECT_GE(changesOf(data, MessageListModel::ReadByCountRole), 2);
  EXPECT_EQ(changesOf(data, MessageListModel::TextRole), 0) << "only the roles that changed";
  EXPECT_EQ(model.count(), 1);
}

TEST_F(QtModels, TypingComesAndGoesAsRowsAndAsTheConversationsLine) {
  // Typing lasts until it is stopped, however slowly the test runs.
  auto lasting = [](ClientOptions& o) {
    o.live.typing_idle = 60s;
    o.live.typing_ttl = 60s;
  };
  auto alice = chat("alice-laptop", lasting);
  auto bob = chat("bob-phone", lasting);
  auto carol = chat("carol-phone", lasting);
  ASSERT_TRUE(connect(*alice, "token-alice"));
  ASSERT_TRUE(connect(*bob, "token-bob"));
  ASSERT_TRUE(connect(*carol, "token-carol"));
  ASSERT_TRUE(processUntil([&] { return !alice->displayName("bob").startsWith("bob"); })) << "the directory is listed";
  TypingModel typing(alice.get(), kGeneral);
  ConversationListModel conversations(alice.get());
  QAbstractItemModelTester tester(&typing, Mode::Fatal);
  QAbstractItemModelTester list_tester(&conversations, Mode::Fatal);
  QSignalSpy inserted(&typing, &QAbstractItemModel::rowsInserted);
  QSignalSpy removed(&typing, &QAbstractItemModel::rowsRemoved);
  QSignalSpy list_data(&conversations, &QAbstractItemModel::dataChanged);
  auto general = conversations.indexOf(kGeneral);
  ASSERT_GE(general, 0);

  bob->typing(kGeneral);
  ASSERT_TRUE(processUntil([&] { return typing.count() == 1; }));
  EXPECT_EQ(typing.line(), "Bob is typing…");
  EXPECT_EQ(role(typing, 0, TypingModel::NameRole), "Bob");
  EXPECT_EQ(role(conversations, conversations.indexOf(kGeneral), ConversationListModel::TypingRole), "Bob is typing…");
  EXPECT_GE(changesOf(list_data, ConversationListModel::TypingRole), 1);

  carol->typing(kGeneral);
  ASSERT_TRUE(processUntil([&] { return typing.count() == 2; }));
  EXPECT_EQ(typing.line(), "Bob and Carol are typing…");
  bob->stopTyping(kGeneral);
  ASSERT_TRUE(processUntil([&] { return typing.count() == 1; }));
  EXPECT_EQ(role(typing, 0, TypingModel::UserIdRole), "carol");
  carol->stopTyping(kGeneral);
  ASSERT_TRUE(processUntil([&] { return typing.count() == 0; }));
  EXPECT_EQ(typing.line(), "");
  EXPECT_EQ(role(conversations, conversations.indexOf(kGeneral), ConversationListModel::TypingRole), "");
  EXPECT_EQ(inserted.count(), 2);
  EXPECT_EQ(removed.count(), 2);
}

TEST_F(QtModels, MembersCarryPresenceAndADmRowItsPeers) {
  auto alice = chat("alice-laptop");
  auto bob = chat("bob-phone");
  ASSERT_TRUE(connect(*alice, "token-alice"));
  ASSERT_TRUE(processUntil([&] { return alice->displayName("carol") == "Carol"; }));
  // A channel whose members the store knows (from the answers to its requests).
  auto created = alice->client().create_channel({}, "launch").wait_for(20s);
  ASSERT_TRUE(created && created->ok());
  auto channel = (*created)->conversation_id;
  auto invited = alice->client().invite(channel, {"bob", "carol"}).wait_for(20s);
  ASSERT_TRUE(invited && invited->ok());
  MemberListModel members(alice.get(), QString::fromStdString(channel));
  ConversationListModel conversations(alice.get());
  QAbstractItemModelTester tester(&members, Mode::Fatal);
  QAbstractItemModelTester list_tester(&conversations, Mode::Fatal);
  ASSERT_TRUE(processUntil([&] { return members.count() == 3; }));
  auto row_of = [&](const QString& id) {
    for (int i = 0; i < members.count(); ++i) {
      if (role(members, i, MemberListModel::UserIdRole) == id) return i;
    }
    return -1;
  };
  EXPECT_EQ(role(members, row_of("carol"), MemberListModel::NameRole), "Carol");
  EXPECT_TRUE(role(members, row_of("alice"), MemberListModel::IsMeRole).toBool());
  EXPECT_EQ(role(members, row_of("bob"), MemberListModel::PresenceRole), "offline");

  QSignalSpy presence(&members, &QAbstractItemModel::dataChanged);
  ASSERT_TRUE(connect(*bob, "token-bob"));
  ASSERT_TRUE(processUntil([&] { return role(members, row_of("bob"), MemberListModel::PresenceRole) == "online"; }));
  EXPECT_GE(changesOf(presence, MemberListModel::PresenceRole), 1);

  // A DM: its row names the peer and shows their presence, and follows it.
  QSignalSpy ready(alice.get(), &ChatClient::conversationReady);
  alice->openDm("bob");
  ASSERT_TRUE(processUntil([&] { return ready.count() == 1; }));
  auto dm = ready.at(0).at(0).toString();
  ASSERT_TRUE(processUntil([&] { return conversations.indexOf(dm) >= 0; }));
  EXPECT_EQ(role(conversations, conversations.indexOf(dm), ConversationListModel::KindRole), "dm");
  EXPECT_EQ(role(conversations, conversations.indexOf(dm), ConversationListModel::NameRole), "Bob");
  EXPECT_EQ(role(conversations, conversations.indexOf(dm), ConversationListModel::PeerIdRole), "bob");
  EXPECT_EQ(role(conversations, conversations.indexOf(dm), ConversationListModel::PeerPresenceRole), "online");
  bob->setIdle(true);
  ASSERT_TRUE(processUntil(
      [&] { return role(conversations, conversations.indexOf(dm), ConversationListModel::PeerPresenceRole) == "idle"; }));
  EXPECT_EQ(role(conversations, conversations.indexOf(kGeneral), ConversationListModel::PeerPresenceRole), "")
      << "a channel has no peer";
}

TEST_F(QtModels, SearchFindsStoredMessagesAcrossConversations) {
  auto alice = chat("alice-laptop");
  ASSERT_TRUE(connect(*alice, "token-alice"));
  ASSERT_GT(alice->send(kGeneral, "the release train leaves at noon"), 0);
  ASSERT_GT(alice->send("c_release", "release notes are drafted"), 0);
  ASSERT_GT(alice->send(kGeneral, "lunch?"), 0);
  ASSERT_TRUE(processUntil([&] { return alice->unsentCount() == 0; }));
  ASSERT_TRUE(stored(*alice, 2));
  SearchModel search(alice.get());
  QAbstractItemModelTester tester(&search, Mode::Fatal);
  EXPECT_EQ(search.count(), 0) << "no query, no rows";

  search.setQuery("releas");
  ASSERT_TRUE(processUntil([&] {
    search.setQuery("");
    search.setQuery("releas");
    return search.count() == 2;
  })) << "both conversations, by prefix";
  QStringList where{role(search, 0, SearchModel::ConversationNameRole).toString(),
                    role(search, 1, SearchModel::ConversationNameRole).toString()};
  where.sort();
  EXPECT_EQ(where, (QStringList{"c_general", "c_release"}));
  search.setConversationId("c_release");
  EXPECT_EQ(search.count(), 1);
  EXPECT_EQ(role(search, 0, SearchModel::TextRole), "release notes are drafted");
  EXPECT_EQ(role(search, 0, SearchModel::SenderNameRole), "Alice");
  search.setQuery("?!");
  EXPECT_EQ(search.count(), 0) << "a query of no words finds nothing, and fails nothing";
}

TEST_F(QtModels, AQuoteShowsWhatItQuotesAndTheUnreadMarkerWhereReadingStopped) {
  auto alice = chat("alice-laptop");
  auto bob = chat("bob-phone");
  ASSERT_TRUE(connect(*alice, "token-alice"));
  ASSERT_TRUE(connect(*bob, "token-bob"));
  ASSERT_GT(bob->send(kGeneral, "first"), 0);
  ASSERT_TRUE(stored(*alice, 1));
  ASSERT_TRUE(alice->markRead(kGeneral, 1));
  ASSERT_GT(bob->send(kGeneral, "second"), 0);
  ASSERT_GT(bob->send(kGeneral, "third"), 0);
  ASSERT_TRUE(stored(*alice, 3));

  MessageListModel model(alice.get(), kGeneral);
  QAbstractItemModelTester tester(&model, Mode::Fatal);
  ASSERT_EQ(model.count(), 3);
  EXPECT_EQ(model.readSeqAtOpen(), 1);
  EXPECT_FALSE(role(model, 0, MessageListModel::FirstUnreadRole).toBool());
  EXPECT_TRUE(role(model, 1, MessageListModel::FirstUnreadRole).toBool()) << "the first message not read";
  EXPECT_FALSE(role(model, 2, MessageListModel::FirstUnreadRole).toBool());

  auto quoted = role(model, 1, MessageListModel::MessageIdRole).toString();
  ASSERT_GT(alice->reply(kGeneral, "agreed", quoted), 0);
  ASSERT_TRUE(stored(*alice, 4));
  ASSERT_TRUE(processUntil([&] { return model.count() == 4 && role(model, 3, MessageListModel::SeqRole) == 4; }));
  EXPECT_EQ(role(model, 3, MessageListModel::ReplyToRole), quoted);
  EXPECT_EQ(role(model, 3, MessageListModel::ReplyToSenderRole), "Bob");
  EXPECT_EQ(role(model, 3, MessageListModel::ReplyToTextRole), "second");
  EXPECT_EQ(model.newestSeq(), 4);
  EXPECT_EQ(model.rowOf(quoted), 1);
  EXPECT_EQ(model.get(1).value("text").toString(), "second");
  EXPECT_TRUE(model.get(99).isEmpty());
  EXPECT_EQ(alice->reply(kGeneral, "", quoted), -1) << "an empty text is refused";

  // The quote follows what it quotes.
  QSignalSpy data(&model, &QAbstractItemModel::dataChanged);
  ASSERT_TRUE(bob->edit(kGeneral, quoted, 0, "second, edited"));
  ASSERT_TRUE(processUntil([&] { return role(model, 3, MessageListModel::ReplyToTextRole) == "second, edited"; }));
  EXPECT_GE(changesOf(data, MessageListModel::ReplyToTextRole), 1) << "the quoting row was told";

  // Coming back after reading: the unread line moves to where reading stopped.
  ASSERT_TRUE(alice->markRead(kGeneral, 4));
  QSignalSpy moved(&model, &MessageListModel::unreadLineChanged);
  model.resetUnreadLine();
  EXPECT_EQ(moved.count(), 1);
  EXPECT_EQ(model.readSeqAtOpen(), 4);
  for (int row = 0; row < model.count(); ++row) EXPECT_FALSE(role(model, row, MessageListModel::FirstUnreadRole).toBool());
}

TEST_F(QtModels, OlderOnDemandKeepsViewsFromPagingTheWholeHistoryIn) {
  auto bob = chat("bob-phone");
  ASSERT_TRUE(connect(*bob, "token-bob"));
  for (int i = 0; i < 120; ++i) ASSERT_GT(bob->send(kGeneral, QString("m%1").arg(i)), 0);
  ASSERT_TRUE(processUntil([&] { return bob->unsentCount() == 0; }, 60s));
  ASSERT_TRUE(stored(*bob, 120));
  MessageListModel model(bob.get(), kGeneral);
  model.setOlderOnDemand(true);
  QAbstractItemModelTester tester(&model, Mode::Fatal);
  EXPECT_EQ(model.count(), 50) << "the newest page";
  EXPECT_TRUE(model.hasOlder());
  EXPECT_FALSE(model.canFetchMore({})) << "views are told no";
  QSignalSpy has_older(&model, &MessageListModel::hasOlderChanged);
  model.loadOlder();
  EXPECT_EQ(model.count(), 100) << "the app asks for the next page";
  model.loadOlder();
  EXPECT_EQ(model.count(), 120);
  EXPECT_FALSE(model.hasOlder());
  EXPECT_EQ(has_older.count(), 1) << "a view's \"start of the conversation\" follows it";
  EXPECT_EQ(role(model, 0, MessageListModel::TextRole), "m0");
}

TEST_F(QtModels, AFileUploadsInItsRowAndIsDownloadedWhereTheOthersSeeIt) {
  auto http = [this](ClientOptions& o) { o.files.http_url = "http://127.0.0.1:" + std::to_string(server().http_port()); };
  auto alice = chat("alice-laptop", http);
  auto bob = chat("bob-phone", http);
  ASSERT_TRUE(connect(*alice, "token-alice"));
  ASSERT_TRUE(connect(*bob, "token-bob"));
  MessageListModel mine(alice.get(), kGeneral);
  MessageListModel theirs(bob.get(), kGeneral);
  QAbstractItemModelTester tester(&mine, Mode::Fatal);
  QSignalSpy inserted(&mine, &QAbstractItemModel::rowsInserted);
  QSignalSpy removed(&mine, &QAbstractItemModel::rowsRemoved);
  QSignalSpy data(&mine, &QAbstractItemModel::dataChanged);

  const auto file = dir_.path() / "notes.txt";
  {
    std::ofstream out(file);
    out << std::string(300 * 1024, 'n');
  }
  ASSERT_GT(alice->sendFiles(kGeneral, "the notes", QStringList{QUrl::fromLocalFile(QString::fromStdString(file.string())).toString()}), 0);
  ASSERT_TRUE(processUntil([&] { return role(mine, 0, MessageListModel::DeliveryStateRole) == "sent"; }));
  auto files = role(mine, 0, MessageListModel::AttachmentsRole).toList();
  ASSERT_EQ(files.size(), 1);
  EXPECT_EQ(files[0].toMap().value("name").toString(), "notes.txt");
  EXPECT_EQ(files[0].toMap().value("size").toLongLong(), 300 * 1024);
  EXPECT_GE(changesOf(data, MessageListModel::AttachmentsRole), 1) << "the upload's progress, as dataChanged";
  EXPECT_EQ(inserted.count(), 1) << "the echo became the stored message in place";
  EXPECT_EQ(removed.count(), 0);

  ASSERT_TRUE(processUntil([&] { return theirs.count() == 1; }));
  auto seen = role(theirs, 0, MessageListModel::AttachmentsRole).toList();
  ASSERT_EQ(seen.size(), 1);
  EXPECT_TRUE(seen[0].toMap().value("fileUrl").toString().isEmpty());
  QSignalSpy finished(bob.get(), &ChatClient::downloadFinished);
  bob->download(seen[0].toMap());
  ASSERT_TRUE(processUntil([&] {
    auto now = role(theirs, 0, MessageListModel::AttachmentsRole).toList();
    return !now.isEmpty() && !now[0].toMap().value("fileUrl").toString().isEmpty();
  }));
  EXPECT_TRUE(processUntil([&] { return finished.count() == 1; }));
  auto url = role(theirs, 0, MessageListModel::AttachmentsRole).toList()[0].toMap().value("fileUrl").toString();
  EXPECT_EQ(QFileInfo(QUrl(url).toLocalFile()).size(), 300 * 1024);
}

}  // namespace
}  // namespace confab::test
