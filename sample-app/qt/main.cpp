// confab-chat: the Qt sample chat app. Signs in through the server's bootstrap with a
// credential (remembered), then shows the user's conversations.
#include <QCommandLineParser>
#include <QDir>
#include <QGuiApplication>
#include <QStandardPaths>

#include <cstdio>

#include "app_controller.h"
#include "ui.h"

int main(int argc, char** argv) {
  confab::chat::prepare_style();
  QGuiApplication application(argc, argv);
  QGuiApplication::setApplicationName(QStringLiteral("confab-chat"));
  QGuiApplication::setOrganizationName(QStringLiteral("Confab"));
  QGuiApplication::setApplicationDisplayName(QStringLiteral("Confab"));
  confab::chat::prepare_font();

  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("The Confab sample chat app"));
  parser.addHelpOption();
  QCommandLineOption server(QStringLiteral("server"),
                            QStringLiteral("The server's HTTP address, e.g. http://127.0.0.1:8701: signs in at once."),
                            QStringLiteral("url"));
  QCommandLineOption credential(QStringLiteral("credential"), QStringLiteral("The credential to sign in with."),
                                QStringLiteral("token"));
  QCommandLineOption data_dir(QStringLiteral("data-dir"),
                              QStringLiteral("Where the app keeps its settings and each account's databases."),
                              QStringLiteral("dir"));
  QCommandLineOption device(QStringLiteral("device-id"), QStringLiteral("This device's id (default: qt-HOSTNAME)."),
                            QStringLiteral("id"));
  QCommandLineOption dark(QStringLiteral("dark"), QStringLiteral("Start with the dark theme."));
  parser.addOptions({server, credential, data_dir, device, dark});
  parser.process(application);

  auto dir = parser.isSet(data_dir) ? parser.value(data_dir)
                                    : QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
  if (!QDir().mkpath(dir)) {
    std::fprintf(stderr, "confab-chat: cannot create %s\n", qPrintable(dir));
    return 1;
  }
  confab::chat::AppController app({.data_dir = dir,
                                   .settings_file = QDir(dir).filePath(QStringLiteral("confab-chat.ini")),
                                   .device_id = parser.value(device)});
  if (parser.isSet(dark)) app.setDark(true);

  QQmlApplicationEngine engine;
  if (confab::chat::load_window(engine, app) == nullptr) {
    std::fprintf(stderr, "confab-chat: the window could not be loaded\n");
    return 1;
  }
  if (parser.isSet(server) || parser.isSet(credential)) {
    auto url = parser.isSet(server) ? parser.value(server) : app.serverUrl();
    auto secret = parser.isSet(credential) ? parser.value(credential) : app.credential();
    if (!app.signIn(url, secret)) {
      std::fprintf(stderr, "confab-chat: %s\n", qPrintable(app.signInError()));
      return 1;
    }
  }
  return QGuiApplication::exec();
}
