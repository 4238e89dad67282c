// The sample app's state behind its QML: the signed-in client (confab::qt::ChatClient), the
// models the views show, the remembered sign-in, and the theme. One per window, on the GUI
// thread.
#pragma once

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QString>

#include <memory>

#include "confab/qt/chat_client.h"
#include "confab/qt/conversation_list_model.h"
#include "confab/qt/member_list_model.h"
#include "confab/qt/message_list_model.h"
#include "confab/qt/search_model.h"
#include "confab/qt/typing_model.h"

namespace confab::chat {

class AppController : public QObject {
  Q_OBJECT
  Q_PROPERTY(bool signedIn READ signedIn NOTIFY signedInChanged)
  Q_PROPERTY(QObject* chat READ chat NOTIFY signedInChanged)
  Q_PROPERTY(QObject* conversations READ conversations NOTIFY signedInChanged)
  Q_PROPERTY(QObject* search READ search NOTIFY signedInChanged)
  // The sign-in last used (remembered across runs).
  Q_PROPERTY(QString serverUrl READ serverUrl NOTIFY settingsChanged)
  Q_PROPERTY(QString credential READ credential NOTIFY settingsChanged)
  Q_PROPERTY(bool dark READ dark WRITE setDark NOTIFY settingsChanged)
  // Why the last sign-in could not start (the data directory, a malformed URL...).
  Q_PROPERTY(QString signInError READ signInError NOTIFY signInErrorChanged)

 public:
  struct Options {
    QString data_dir;        // where each account's databases live
    QString settings_file;   // the remembered sign-in and theme (INI)
    QString device_id;       // empty: "qt-" and the host name
    bool fast_retries = false;  // short outbox and connection timers (tests)
  };
  explicit AppController(Options options, QObject* parent = nullptr);
  ~AppController() override;

  bool signedIn() const { return chat_ != nullptr; }
  QObject* chat() const { return chat_.get(); }
  confab::qt::ChatClient* chatClient() const { return chat_.get(); }
  QObject* conversations() const { return conversations_; }
  QObject* search() const { return search_; }
  QString serverUrl() const { return server_url_; }
  QString credential() const { return credential_; }
  bool dark() const { return dark_; }
  void setDark(bool dark);
  QString signInError() const { return sign_in_error_; }

  // Opens the account's databases (one per server and credential) and bootstraps at
  // `serverUrl` (http(s)://host:port, the server's HTTP side) with `credential`. Remembers
  // both. False, with signInError, when it cannot start.
  Q_INVOKABLE bool signIn(const QString& serverUrl, const QString& credential);
  Q_INVOKABLE void signOut();

  // The models of one conversation, made once and kept while signed in (owned here).
  Q_INVOKABLE QObject* timeline(const QString& conversationId);
  Q_INVOKABLE QObject* thread(const QString& conversationId, const QString& rootMessageId);
  Q_INVOKABLE QObject* members(const QString& conversationId);
  Q_INVOKABLE QObject* typing(const QString& conversationId);
  // "Today", "Yesterday", or the date, for a day separator.
  Q_INVOKABLE QString dayLabel(const QDateTime& time) const;

 signals:
  void signedInChanged();
  void settingsChanged();
  void signInErrorChanged();

 private:
  void setSignInError(const QString& error);
  // The model kept under `key`, made by `make` the first time.
  template <typename Make>
  QObject* model(const QString& key, Make make);
  void saveSettings();

  Options options_;
  QString server_url_;
  QString credential_;
  bool dark_ = false;
  QString sign_in_error_;
  std::unique_ptr<confab::qt::ChatClient> chat_;
  QPointer<confab::qt::ConversationListModel> conversations_;
  QPointer<confab::qt::SearchModel> search_;
  QHash<QString, QObject*> models_;  // children of this object, by kind and id
};

}  // namespace confab::chat
