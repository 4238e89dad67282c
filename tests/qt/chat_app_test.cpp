// The Qt sample app's window, offscreen, against the real server: keys typed into its
// composer reach another device; its offline banner follows the connection; a bad sign-in
// says why.
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickWindow>
#include <QTemporaryDir>
#include <QTest>

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "app_controller.h"
#include "confab/qt/message_list_model.h"
#include "qt_fixture.h"
#include "ui.h"

namespace confab::test {
namespace {

using chat::AppController;

// Keys for each character, as a user types them (QTest::keyClicks takes widgets only).
void typeInto(QWindow* window, const char* text) {
  for (const char* c = text; *c != '\0'; ++c) QTest::keyClick(window, *c);
}

class ChatApp : public QtFixture {
 protected:
  void SetUp() override {
    ASSERT_TRUE(data_.isValid());
    app_ = std::make_unique<AppController>(AppController::Options{
        .data_dir = data_.filePath("app"), .settings_file = data_.filePath("app.ini"), .device_id = "qt-app",
        .fast_retries = true});
    window_ = chat::load_window(engine_, *app_);
    ASSERT_NE(window_, nullptr);
    window_->resize(1100, 700);
  }
  QString bootstrapUrl() { return QString("http://127.0.0.1:%1").arg(server().http_port()); }
  // An object of the window by its objectName, once it exists.
  template <typename T = QQuickItem>
  T* find(const char* name) {
    T* found = nullptr;
    processUntil([&] { return (found = window_->findChild<T*>(name)) != nullptr; });
    return found;
  }

  QTemporaryDir data_;
  std::unique_ptr<AppController> app_;
  QQmlApplicationEngine engine_;
  QQuickWindow* window_ = nullptr;
};

TEST_F(ChatApp, EnterInTheComposerSendsToAnotherDeviceAndShiftEnterStartsANewLine) {
  auto bob = openClient(dir_.path() / "bob.db", "bob-phone");
  std::mutex mutex;
  std::vector<std::string> received;
  auto subscription = bob->on_message([&](const Message& m) {
    std::lock_guard lock(mutex);
    if (m.sender_id == "alice") received.push_back(m.text);
  });
  ASSERT_TRUE(bob->connect(server().url(), "token-bob").ok());
  ASSERT_TRUE(app_->signIn(bootstrapUrl(), "token-alice")) << app_->signInError().toStdString();
  ASSERT_TRUE(processUntil([&] { return app_->chatClient()->connected(); }));
  auto* input = find("composerInput");
  ASSERT_NE(input, nullptr);
  ASSERT_TRUE(processUntil([&] { return input->property("placeholderText").toString() == "Message c_general"; }))
      << "the first conversation is open";

  input->forceActiveFocus();
  ASSERT_TRUE(processUntil([&] { return input->hasActiveFocus(); }));
  typeInto(window_, "hello from the window");
  QTest::keyClick(window_, Qt::Key_Return);
  typeInto(window_, "line one");
  QTest::keyClick(window_, Qt::Key_Return, Qt::ShiftModifier);
  typeInto(window_, "line two");
  QTest::keyClick(window_, Qt::Key_Return);
  ASSERT_TRUE(processUntil([&] {
    std::lock_guard lock(mutex);
    return received.size() == 2;
  })) << "bob's device receives both";
  std::lock_guard lock(mutex);
  EXPECT_EQ(received[0], "hello from the window");
  EXPECT_EQ(received[1], "line one\nline two");
  EXPECT_EQ(input->property("text").toString(), "") << "the composer is cleared";
}

TEST_F(ChatApp, TheOfflineBannerFollowsTheConnectionAndCountsWhatWaits) {
  ASSERT_TRUE(app_->signIn(bootstrapUrl(), "token-alice"));
  auto& chat = *app_->chatClient();
  ASSERT_TRUE(processUntil([&] { return chat.connected(); }));
  auto* banner = find("offlineBanner");
  auto* text = find("offlineBannerText");
  ASSERT_NE(banner, nullptr);
  ASSERT_NE(text, nullptr);
  ASSERT_TRUE(processUntil([&] { return !banner->isVisible(); })) << "nothing to say while connected";

  // The server goes away: connections are cut and refused.
  ASSERT_TRUE(faults(R"({"dropConnections": true, "refuseConnectionsMs": 600000})"));
  ASSERT_TRUE(processUntil([&] { return banner->isVisible(); }));
  // Between attempts it says "Offline"; during one, "Connecting…".
  ASSERT_TRUE(processUntil([&] { return text->property("text").toString().startsWith("Offline"); }))
      << text->property("text").toString().toStdString();
  ASSERT_GT(chat.send("c_general", "written on the train"), 0);
  ASSERT_GT(chat.send("c_general", "and another"), 0);
  ASSERT_TRUE(processUntil([&] {
    return text->property("text").toString() == "Offline — 2 messages will be sent when you reconnect";
  })) << text->property("text").toString().toStdString();
  ASSERT_TRUE(processUntil([&] { return banner->property("retryText").toString().startsWith("Reconnecting in"); }))
      << "the next attempt is counted down";

  // Back: "Retry now" tries at once.
  ASSERT_TRUE(faults(R"({"clear": true})"));
  chat.setNetworkAvailable(true);
  ASSERT_TRUE(processUntil([&] { return chat.connected() && chat.pendingCount() == 0; }));
  ASSERT_TRUE(processUntil([&] { return !banner->isVisible(); })) << "gone once connected and caught up";
}

TEST_F(ChatApp, ASearchResultOlderThanTheLoadedRowsIsPagedInAndShown) {
  auto bob = openClient(dir_.path() / "bob.db", "bob-phone");
  ASSERT_TRUE(bob->connect(server().url(), "token-bob").ok());
  for (int i = 0; i < 130; ++i) ASSERT_TRUE(bob->send("c_general", "note " + std::to_string(i)).ok());
  ASSERT_TRUE(processUntil([&] { return bob->unsent_messages().empty(); }, 60s));
  ASSERT_TRUE(app_->signIn(bootstrapUrl(), "token-alice"));
  auto* timeline = find("timeline");
  auto* list = find("timelineList");
  ASSERT_NE(timeline, nullptr);
  ASSERT_NE(list, nullptr);
  // The window shows #general once the client has told it of the conversations (the
  // store may be ahead of what the window was told).
  ASSERT_TRUE(processUntil([&] {
    auto info = app_->chatClient()->client().conversation("c_general");
    return info.ok() && info->synced_seq == 130 && timeline->property("conversationId").toString() == "c_general";
  }));
  auto* model = qobject_cast<qt::MessageListModel*>(app_->timeline("c_general"));
  ASSERT_TRUE(processUntil([&] { return model->newestSeq() == 130; }));
  auto found = app_->chatClient()->client().search("note 7", "c_general");
  ASSERT_TRUE(found.ok());
  ASSERT_FALSE(found->empty());
  ASSERT_EQ(found->back().text, "note 7");
  auto id = QString::fromStdString(found->back().message_id);
  ASSERT_LT(model->rowOf(id), 0) << "older than the newest page";

  QVariant shown;
  ASSERT_TRUE(QMetaObject::invokeMethod(timeline, "jumpTo", Q_RETURN_ARG(QVariant, shown), Q_ARG(QVariant, id)));
  EXPECT_TRUE(shown.toBool());
  EXPECT_GE(model->rowOf(id), 0) << "paged in from the store";
  EXPECT_EQ(list->property("highlighted").toString(), id) << "and outlined";
}

TEST_F(ChatApp, ASignInThatCannotStartSaysWhyAndTheLastOneIsRemembered) {
  EXPECT_FALSE(app_->signIn("ftp://127.0.0.1:1", "token-alice"));
  EXPECT_FALSE(app_->signInError().isEmpty());
  EXPECT_FALSE(app_->signedIn());
  EXPECT_FALSE(app_->signIn(bootstrapUrl(), ""));
  EXPECT_FALSE(app_->signInError().isEmpty());
  ASSERT_TRUE(app_->signIn(bootstrapUrl(), "token-alice"));
  EXPECT_TRUE(app_->signInError().isEmpty());
  ASSERT_NE(find("chatPage"), nullptr) << "the window shows the conversations";

  AppController again({.data_dir = data_.filePath("app"), .settings_file = data_.filePath("app.ini")});
  EXPECT_EQ(again.serverUrl(), bootstrapUrl());
  EXPECT_EQ(again.credential(), "token-alice");
}

}  // namespace
}  // namespace confab::test

int main(int argc, char** argv) {
  qputenv("QT_QPA_PLATFORM", "offscreen");
  qputenv("QT_QUICK_BACKEND", "software");
  confab::chat::prepare_style();
  QGuiApplication app(argc, argv);
  confab::chat::prepare_font();
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
