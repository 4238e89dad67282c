#include "app_controller.h"

#include <QCryptographicHash>
#include <QDate>
#include <QDateTime>
#include <QDir>
#include <QHostInfo>
#include <QQmlEngine>
#include <QSettings>

#include <chrono>

namespace confab::chat {

namespace {

using namespace std::chrono_literals;

// SDK device ids: [A-Za-z0-9._:-].
QString device_id_from(QString text) {
  for (auto& c : text) {
    if (!(c.isLetterOrNumber() && c.unicode() < 128) && c != '.' && c != '_' && c != ':' && c != '-') c = '-';
  }
  return text.left(100);
}

template <typename T>
T* owned(T* object) {
  QQmlEngine::setObjectOwnership(object, QQmlEngine::CppOwnership);
  return object;
}

}  // namespace

AppController::AppController(Options options, QObject* parent) : QObject(parent), options_(std::move(options)) {
  QSettings settings(options_.settings_file, QSettings::IniFormat);
  server_url_ = settings.value("signIn/serverUrl").toString();
  credential_ = settings.value("signIn/credential").toString();
  dark_ = settings.value("look/dark", false).toBool();
}

AppController::~AppController() { signOut(); }

void AppController::saveSettings() {
  QSettings settings(options_.settings_file, QSettings::IniFormat);
  settings.setValue("signIn/serverUrl", server_url_);
  settings.setValue("signIn/credential", credential_);
  settings.setValue("look/dark", dark_);
}

void AppController::setDark(bool dark) {
  if (dark == dark_) return;
  dark_ = dark;
  saveSettings();
  emit settingsChanged();
}

void AppController::setSignInError(const QString& error) {
  sign_in_error_ = error;
  emit signInErrorChanged();
}

bool AppController::signIn(const QString& serverUrl, const QString& credential) {
  signOut();
  auto url = serverUrl.trimmed();
  if (url.isEmpty() || credential.isEmpty()) {
    setSignInError(tr("Enter the server address and your credential."));
    return false;
  }
  // One account per server and credential: its outbox and store stay across runs.
  auto account = QCryptographicHash::hash((url + '\n' + credential).toUtf8(), QCryptographicHash::Sha256).toHex().left(16);
  QDir dir(options_.data_dir);
  if (!dir.mkpath(account)) {
    setSignInError(tr("Cannot create the data directory %1.").arg(dir.filePath(account)));
    return false;
  }
  confab::ClientOptions options;
  options.device_id = (options_.device_id.isEmpty() ? device_id_from("qt-" + QHostInfo::localHostName())
                                                    : options_.device_id)
                          .toStdString();
  options.database_path = QDir(dir.filePath(account)).filePath("outbox.db").toStdString();
  options.allow_insecure_transport = url.startsWith("http://");
  if (options_.fast_retries) {
    options.outbox.ack_timeout = 1s;
    options.outbox.retry_base = 50ms;
    options.outbox.retry_cap = 500ms;
    options.connection.retry_base = 100ms;
    options.connection.retry_cap = 1s;
  }
  auto opened = confab::Client::open(options);
  if (!opened.ok()) {
    setSignInError(confab::qt::toQString(confab::describe(opened.error())));
    return false;
  }
  chat_ = std::make_unique<confab::qt::ChatClient>(std::move(opened).value());
  QQmlEngine::setObjectOwnership(chat_.get(), QQmlEngine::CppOwnership);
  if (!chat_->signIn(url, credential)) {
    chat_.reset();
    setSignInError(tr("The server address is not valid: use http://host:port or https://host."));
    return false;
  }
  conversations_ = owned(new confab::qt::ConversationListModel(chat_.get(), this));
  search_ = owned(new confab::qt::SearchModel(chat_.get(), this));
  server_url_ = url;
  credential_ = credential;
  saveSettings();
  setSignInError({});
  emit settingsChanged();
  emit signedInChanged();
  return true;
}

void AppController::signOut() {
  if (!chat_) return;
  for (auto* model : models_) delete model;
  models_.clear();
  delete conversations_;
  delete search_;
  chat_.reset();
  emit signedInChanged();
}

template <typename Make>
QObject* AppController::model(const QString& key, Make make) {
  auto& model = models_[key];
  if (!model) model = owned(make());
  return model;
}

QObject* AppController::timeline(const QString& conversationId) {
  if (!chat_ || conversationId.isEmpty()) return nullptr;
  return model("timeline/" + conversationId,
               [&] { return new confab::qt::MessageListModel(chat_.get(), conversationId, {}, this); });
}

QObject* AppController::thread(const QString& conversationId, const QString& rootMessageId) {
  if (!chat_ || conversationId.isEmpty() || rootMessageId.isEmpty()) return nullptr;
  return model("thread/" + rootMessageId, [&] {
    return new confab::qt::MessageListModel(chat_.get(), conversationId, rootMessageId, this);
  });
}

QObject* AppController::members(const QString& conversationId) {
  if (!chat_ || conversationId.isEmpty()) return nullptr;
  return model("members/" + conversationId,
               [&] { return new confab::qt::MemberListModel(chat_.get(), conversationId, this); });
}

QObject* AppController::typing(const QString& conversationId) {
  if (!chat_ || conversationId.isEmpty()) return nullptr;
  return model("typing/" + conversationId, [&] { return new confab::qt::TypingModel(chat_.get(), conversationId, this); });
}

QString AppController::dayLabel(const QDateTime& time) const {
  auto day = time.date();
  auto today = QDate::currentDate();
  if (day == today) return tr("Today");
  if (day == today.addDays(-1)) return tr("Yesterday");
  return day.toString(day.year() == today.year() ? QStringLiteral("dddd, MMMM d") : QStringLiteral("MMMM d, yyyy"));
}

}  // namespace confab::chat
