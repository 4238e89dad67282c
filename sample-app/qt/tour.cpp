// confab-chat-tour: takes the screenshots of docs/screenshots. It runs the app's window
// offscreen, signed in as alice, against a running reference server started with fault
// injection (scripts/screenshots starts one), while bob and carol talk to her from SDK
// clients of their own; at each step it waits for the window to show what the step is
// about, then saves the window as a PNG.
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QEventLoop>
#include <QGuiApplication>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QQmlApplicationEngine>
#include <QQuickWindow>
#include <QTemporaryDir>
#include <QThread>

#include <CLI/CLI.hpp>

#include <QFile>
#include <QImage>
#include <QPainter>
#include <QPainterPath>
#include <QUrl>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

#include "app_controller.h"
#include "confab/client.h"
#include "ui.h"

namespace {

using namespace std::chrono_literals;

// A small line chart, as a user would share one.
QImage draw_chart() {
  QImage image(640, 360, QImage::Format_RGB32);
  image.fill(QColor("#ffffff"));
  QPainter p(&image);
  p.setRenderHint(QPainter::Antialiasing);
  p.setPen(QPen(QColor("#e6e8ec"), 1));
  for (int y = 60; y <= 300; y += 60) p.drawLine(40, y, 610, y);
  p.setPen(QColor("#1b1e25"));
  p.setFont(QFont("Inter", 18, QFont::DemiBold));
  p.drawText(40, 38, "iOS crash-free sessions");
  const double points[] = {96.1, 95.8, 96.0, 95.2, 97.9, 99.1, 99.4, 99.6, 99.7};
  QPainterPath line;
  for (int i = 0; i < 9; ++i) {
    QPointF at(40 + i * 70, 300 - (points[i] - 95.0) * 50);
    if (i == 0) line.moveTo(at); else line.lineTo(at);
  }
  p.setPen(QPen(QColor("#3565e0"), 4));
  p.drawPath(line);
  p.setPen(QPen(QColor("#2fb36d"), 2, Qt::DashLine));
  p.drawLine(320, 60, 320, 300);
  return image;
}
using confab::qt::MessageListModel;

constexpr const char* kGeneral = "c_general";

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "confab-chat-tour: %s\n", what.c_str());
  std::exit(1);
}

// Runs the event loop until `condition` holds; fails the tour, naming `what`, after `timeout`.
void wait_for(const std::string& what, const std::function<bool()>& condition, std::chrono::milliseconds timeout = 20s) {
  QDeadlineTimer deadline(timeout);
  while (!condition()) {
    if (deadline.hasExpired()) fail("timed out waiting for " + what);
    QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    QThread::msleep(2);
  }
}

// Lets the window lay out what changed (views position themselves in queued calls).
void settle() {
  QDeadlineTimer deadline(600);
  while (!deadline.hasExpired()) QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
}

struct Peer {
  std::unique_ptr<confab::Client> client;
};

Peer open_peer(const QString& dir, const std::string& name, const QString& http_url) {
  confab::ClientOptions options;
  options.files.http_url = http_url.toStdString();
  options.device_id = "tour-" + name;
  options.database_path = QDir(dir).filePath(QString::fromStdString(name + ".db")).toStdString();
  options.allow_insecure_transport = true;
  auto opened = confab::Client::open(options);
  if (!opened.ok()) fail(confab::describe(opened.error()));
  return Peer{std::move(opened).value()};
}

class Tour {
 public:
  Tour(std::string ws_url, QString http_url, QString out) : ws_url_(std::move(ws_url)), http_url_(std::move(http_url)), out_(std::move(out)) {}

  int run();

 private:
  void shoot(const QString& name) {
    settle();
    auto image = window_->grabWindow();
    auto path = QDir(out_).filePath(name + ".png");
    if (image.isNull() || !image.save(path)) fail("could not save " + path.toStdString());
    std::printf("confab-chat-tour: wrote %s\n", qPrintable(path));
  }
  confab::qt::ChatClient& chat() { return *app_->chatClient(); }
  MessageListModel* general() { return qobject_cast<MessageListModel*>(app_->timeline(kGeneral)); }
  // The row of alice's message `text` in #general's model, or -1.
  int row_of(const QString& text) {
    auto* model = general();
    for (int row = 0; row < model->count(); ++row) {
      if (model->get(row).value("text").toString() == text) return row;
    }
    return -1;
  }
  QString state_of(const QString& text) {
    int row = row_of(text);
    return row < 0 ? QString() : general()->get(row).value("deliveryState").toString();
  }
  confab::Seq seq_of(const QString& text) {
    int row = row_of(text);
    return row < 0 ? 0 : general()->get(row).value("seq").toLongLong();
  }
  void alice_says(const QString& text) {
    if (chat().send(kGeneral, text) < 0) fail("alice could not send");
  }
  std::string peer_says(Peer& peer, const std::string& conversation, const std::string& text, confab::SendOptions options = {}) {
    auto sent = peer.client->send(conversation, text, options);
    if (!sent.ok()) fail(confab::describe(sent.error()));
    auto local_id = sent->local_id;
    std::string id;
    wait_for("a peer's message to be acknowledged", [&] {
      for (const auto& m : peer.client->unsent_messages()) {
        if (m.local_id == local_id) return false;
      }
      return true;
    });
    wait_for("a peer's message to be stored", [&] {
      // A thread's replies are not in the main timeline.
      std::vector<confab::TimelineMessage> rows;
      if (options.thread_root) {
        auto replies = peer.client->thread(options.thread_root->message_id);
        if (replies.ok()) rows = std::move(*replies);
      } else {
        auto page = peer.client->messages(conversation, 0, 200);
        if (page.ok()) rows = std::move(page->messages);
      }
      for (const auto& m : rows) {
        if (m.text == text && !m.local) id = m.message_id;
      }
      return !id.empty();
    });
    return id;
  }
  void faults(const QByteArray& json) {
    QNetworkRequest request(QUrl(http_url_ + "/v1/admin/faults"));
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    auto* reply = network_.post(request, json);
    wait_for("the fault injection endpoint", [&] { return reply->isFinished(); }, 10s);
    if (reply->error() != QNetworkReply::NoError) {
      fail("POST /v1/admin/faults: " + reply->errorString().toStdString() +
           " (is the server started with --enable-fault-injection?)");
    }
    reply->deleteLater();
  }

  std::string ws_url_;
  QString http_url_;
  QString out_;
  QTemporaryDir dir_;
  QNetworkAccessManager network_;
  std::unique_ptr<confab::chat::AppController> app_;
  QQmlApplicationEngine engine_;
  QQuickWindow* window_ = nullptr;
};

int Tour::run() {
  if (!dir_.isValid()) fail("no temporary directory");
  if (!QDir().mkpath(out_)) fail("cannot create " + out_.toStdString());
  app_ = std::make_unique<confab::chat::AppController>(confab::chat::AppController::Options{
      .data_dir = dir_.filePath("alice"), .settings_file = dir_.filePath("alice.ini"), .device_id = "tour-alice"});
  window_ = confab::chat::load_window(engine_, *app_);
  if (window_ == nullptr) fail("the window could not be loaded");
  window_->resize(1280, 800);
  shoot("sign-in");

  if (!app_->signIn(http_url_, "dev-alice")) fail(app_->signInError().toStdString());
  auto bob = open_peer(dir_.path(), "bob", http_url_);
  auto carol = open_peer(dir_.path(), "carol", http_url_);
  if (!bob.client->connect(ws_url_, "dev-bob").ok() || !carol.client->connect(ws_url_, "dev-carol").ok()) fail("peers");
  wait_for("everyone to connect", [&] {
    return chat().connected() && bob.client->connection_state() == confab::ConnectionState::connected &&
           carol.client->connection_state() == confab::ConnectionState::connected;
  });
  wait_for("alice's directory", [&] { return chat().userName() == "Alice" && general() != nullptr; });

  // A morning in #general.
  auto first = peer_says(bob, kGeneral, "Morning! The 2.4 release branch is cut.");
  peer_says(carol, kGeneral, "Nice. Android and desktop builds are green on CI.");
  alice_says("Great, I'll tag it right after standup.");
  wait_for("alice's first message to be stored", [&] { return seq_of("Great, I'll tag it right after standup.") > 0; });
  auto read_all = seq_of("Great, I'll tag it right after standup.");
  static_cast<void>(bob.client->mark_read(kGeneral, read_all));
  static_cast<void>(carol.client->mark_read(kGeneral, read_all));
  static_cast<void>(carol.client->react(confab::MessageRef::server(kGeneral, first), "🎉"));
  static_cast<void>(bob.client->edit(confab::MessageRef::server(kGeneral, first),
                                     "Morning! The 2.4 release branch is cut, and the changelog is in."));
  auto root = peer_says(bob, kGeneral, "Can someone look at the iOS crash report from last night?");
  confab::SendOptions in_thread;
  in_thread.thread_root = confab::MessageRef::server(kGeneral, root);
  peer_says(carol, kGeneral, "It's the token refresh racing the app going to the background.", in_thread);
  peer_says(bob, kGeneral, "That matches the stack. Only on iOS 17?", in_thread);
  if (chat().send(kGeneral, "I can reproduce it on 17 and 18. Fix is small.", QString::fromStdString(root)) < 0)
    fail("thread reply");
  alice_says("Looking at the crash now.");
  wait_for("a second message", [&] { return seq_of("Looking at the crash now.") > 0; });
  static_cast<void>(bob.client->mark_read(kGeneral, seq_of("Looking at the crash now.")));
  alice_says("Found it: the refresh timer outlives the session.");
  // Something to quote, deleted before alice's reply reaches the server.
  auto doomed = peer_says(bob, kGeneral, "Is it the keychain again?");
  wait_for("bob's question", [&] { return row_of("Is it the keychain again?") >= 0; });
  peer_says(bob, "c_release", "Release notes draft is up for review.");
  peer_says(bob, "dm_alice_bob", "Lunch after the release?");
  peer_says(carol, kGeneral, "I'll take the review when it's up.");

  wait_for("read by two", [&] { return state_of("Great, I'll tag it right after standup.") == "read" &&
                                       general()->get(row_of("Great, I'll tag it right after standup.")).value("readByCount").toInt() == 2; });
  wait_for("read by one", [&] { return state_of("Looking at the crash now.") == "read"; });
  wait_for("delivered", [&] { return state_of("Found it: the refresh timer outlives the session.") == "delivered"; });

  // Bob takes his question back; alice's reply to it will be refused.
  static_cast<void>(bob.client->remove(confab::MessageRef::server(kGeneral, doomed)));
  wait_for("the deletion", [&] {
    for (int row = 0; row < general()->count(); ++row) {
      if (general()->get(row).value("messageId").toString().toStdString() == doomed)
        return general()->get(row).value("deleted").toBool();
    }
    return false;
  });
  // Bob and carol go offline: the next message reaches the server and nobody else yet.
  bob.client->disconnect();
  carol.client->disconnect();
  wait_for("alice to see them offline", [&] { return chat().presence("bob") == "offline"; });
  alice_says("Pushing the fix for review.");
  wait_for("sent", [&] { return state_of("Pushing the fix for review.") == "sent"; });
  if (chat().reply(kGeneral, "Not the keychain, the timer.", QString::fromStdString(doomed)) < 0) fail("reply");
  wait_for("failed", [&] { return state_of("Not the keychain, the timer.") == "failed"; });
  // The server holds its frames: the next message stays on the wire, unacknowledged.
  faults(R"({"delayMs": 6000})");
  alice_says("Tagging v2.4.0 now.");
  wait_for("sending", [&] { return state_of("Tagging v2.4.0 now.") == "sending"; });
  shoot("conversation");
  faults(R"({"clear": true})");
  wait_for("the tag message to be sent", [&] { return state_of("Tagging v2.4.0 now.") != "sending"; }, 30s);

  // Typing.
  static_cast<void>(bob.client->connect(ws_url_, "dev-bob"));
  static_cast<void>(carol.client->connect(ws_url_, "dev-carol"));
  wait_for("peers back", [&] {
    return bob.client->connection_state() == confab::ConnectionState::connected &&
           carol.client->connection_state() == confab::ConnectionState::connected;
  });
  wait_for("typing shown", [&] {
    static_cast<void>(bob.client->typing(kGeneral));
    static_cast<void>(carol.client->typing(kGeneral));
    return chat().typingUsers(kGeneral).size() == 2;
  });
  shoot("typing");
  static_cast<void>(bob.client->stop_typing(kGeneral));
  static_cast<void>(carol.client->stop_typing(kGeneral));
  wait_for("typing cleared", [&] { return chat().typingUsers(kGeneral).isEmpty(); });

  // A thread.
  auto* page = window_->findChild<QObject*>("chatPage");
  if (page == nullptr) fail("no chat page");
  QMetaObject::invokeMethod(page, "openThread", Q_ARG(QVariant, QString::fromStdString(root)), Q_ARG(QVariant, "bob"),
                            Q_ARG(QVariant, "Bob"),
                            Q_ARG(QVariant, "Can someone look at the iOS crash report from last night?"));
  auto* thread = qobject_cast<MessageListModel*>(app_->thread(kGeneral, QString::fromStdString(root)));
  wait_for("the thread's replies", [&] { return thread != nullptr && thread->count() == 3; });
  shoot("thread");
  QMetaObject::invokeMethod(page, "closeThread");

  // Files: bob's chart (shown from its preview at once, then itself once downloaded) and a
  // document.
  auto chart = dir_.filePath("crash-rate.png");
  if (!draw_chart().save(chart)) fail("cannot write the chart");
  confab::SendOptions with_files;
  with_files.attachments = {confab::FileToSend{chart.toStdString(), {}, {}, {}}};
  peer_says(bob, kGeneral, "Crash rate since the fix went to beta:", with_files);
  confab::SendOptions with_doc;
  with_doc.attachments = {confab::FileToSend{{}, std::string(184 * 1024, 'x'), "release-checklist-2.4.pdf", "application/pdf"}};
  peer_says(carol, kGeneral, "", with_doc);
  wait_for("the chart on alice's screen", [&] {
    int row = row_of("Crash rate since the fix went to beta:");
    if (row < 0) return false;
    auto files = general()->get(row).value("attachments").toList();
    return !files.isEmpty() && !files.front().toMap().value("fileUrl").toString().isEmpty();
  });
  shoot("files");

  // Offline (the server cuts and refuses connections): two messages wait, with the banner.
  faults(R"({"dropConnections": true, "refuseConnectionsMs": 600000})");
  wait_for("offline", [&] { return !chat().connected(); });
  alice_says("On the train, will merge once I'm back online.");
  alice_says("The fix is in review #412.");
  auto trace = dir_.filePath("crash-trace.log");
  {
    QFile file(trace);
    if (!file.open(QIODevice::WriteOnly) || file.write(QByteArray(2 * 1024 * 1024 + 311 * 1024, 'x')) < 0) fail("trace");
  }
  if (chat().sendFiles(kGeneral, "", QStringList{QUrl::fromLocalFile(trace).toString()}) < 0) fail("alice's file");
  wait_for("the banner", [&] { return chat().pendingCount() == 3 && chat().retryInSeconds() > 0; });
  shoot("offline");

  // Back online ("Retry now"), dark.
  faults(R"({"clear": true})");
  chat().setNetworkAvailable(true);
  wait_for("reconnected and delivered", [&] { return chat().connected() && chat().pendingCount() == 0; }, 30s);
  app_->setDark(true);
  shoot("dark");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Offscreen, rendered in software, unless told otherwise.
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  if (qEnvironmentVariableIsEmpty("QT_QUICK_BACKEND")) qputenv("QT_QUICK_BACKEND", "software");
  confab::chat::prepare_style();
  QGuiApplication application(argc, argv);
  confab::chat::prepare_font();

  CLI::App cli{"confab-chat-tour: screenshots of the Qt sample app against a running server", "confab-chat-tour"};
  std::string ws_url;
  std::string http_url;
  std::string out = "docs/screenshots";
  cli.add_option("--url", ws_url, "The server's WebSocket URL (ws://127.0.0.1:PORT/)")->required();
  cli.add_option("--http-url", http_url, "The server's HTTP URL (http://127.0.0.1:PORT)")->required();
  cli.add_option("--out", out, "Where the PNGs go");
  CLI11_PARSE(cli, argc, argv);

  Tour tour(ws_url, QString::fromStdString(http_url), QString::fromStdString(out));
  return tour.run();
}
