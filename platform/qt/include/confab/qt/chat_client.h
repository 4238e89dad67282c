// The Qt face of confab::Client: a QObject that lives on one thread (the GUI thread, or
// whichever thread owns it) and delivers everything the SDK reports there, as signals.
//
// The SDK calls back on its own callback thread; ChatClient relays each callback to its
// thread by queued invocation and emits from there, so that no model and no slot is ever
// touched from another thread. Destroying a ChatClient (on its thread) while callbacks are
// in flight is safe: a callback that comes after the destructor began relays nothing, and
// what was relayed but not yet delivered is dropped with the object.
//
// It links Qt6::Core alone (QObject, QAbstractListModel, queued invocation), so an app with
// Widgets, Quick or no GUI at all can use it. Every call is made on the object's thread.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <QVariantList>

#include <memory>

#include "confab/client.h"

namespace confab::qt {

class ChatClient : public QObject {
  Q_OBJECT
  // "initialized", "connecting", "connected", "disconnected", "suspended", "closing",
  // "closed" or "failed" (confab::ConnectionState).
  Q_PROPERTY(QString connectionState READ connectionState NOTIFY connectionChanged)
  Q_PROPERTY(bool connected READ connected NOTIFY connectionChanged)
  // Seconds until the client tries again by itself; -1 when it will not (or is connected).
  Q_PROPERTY(int retryInSeconds READ retryInSeconds NOTIFY connectionChanged)
  // Why it is disconnected, suspended or failed; empty otherwise.
  Q_PROPERTY(QString connectionError READ connectionError NOTIFY connectionChanged)
  Q_PROPERTY(QString userId READ userId NOTIFY userChanged)
  Q_PROPERTY(QString userName READ userName NOTIFY userChanged)
  // Messages and changes of this device the server has not acknowledged (failed ones too).
  Q_PROPERTY(int unsentCount READ unsentCount NOTIFY outboxChanged)
  // Those of them still to go (pending or sending): what a reconnection will send; failed
  // ones wait for retry() instead.
  Q_PROPERTY(int pendingCount READ pendingCount NOTIFY outboxChanged)
  // Catching up after a connection: conversations behind, and those caught up so far.
  Q_PROPERTY(bool catchingUp READ catchingUp NOTIFY syncChanged)
  Q_PROPERTY(int conversationsBehind READ conversationsBehind NOTIFY syncChanged)
  Q_PROPERTY(int conversationsCaughtUp READ conversationsCaughtUp NOTIFY syncChanged)

 public:
  // Takes the client (opened with confab::Client::open()). `client` must not be null.
  explicit ChatClient(std::unique_ptr<confab::Client> client, QObject* parent = nullptr);
  // Stops relaying, then destroys the client (which stops its threads).
  ~ChatClient() override;

  // The SDK's client, for calls the facade does not wrap. Its callbacks come on the SDK's
  // callback thread, not this object's.
  confab::Client& client() { return *client_; }
  const confab::Client& client() const { return *client_; }

  QString connectionState() const;
  bool connected() const;
  int retryInSeconds() const;
  QString connectionError() const;
  QString userId() const;
  QString userName() const;
  int unsentCount() const { return unsent_count_; }
  int pendingCount() const { return pending_count_; }
  bool catchingUp() const { return !sync_.finished && sync_.behind > 0; }
  int conversationsBehind() const { return static_cast<int>(sync_.behind); }
  int conversationsCaughtUp() const { return static_cast<int>(sync_.caught_up); }

  // ---- Connection (false, and requestFailed, when the SDK refuses the arguments) ----
  // Connects with a session token.
  Q_INVOKABLE bool connectToServer(const QString& url, const QString& token);
  // Bootstraps at `bootstrapUrl` with a credential (a signed-in user's token), then connects.
  Q_INVOKABLE bool signIn(const QString& bootstrapUrl, const QString& credential);
  Q_INVOKABLE void disconnectFromServer();
  // The app's hints: the network, the app going to the background and back.
  Q_INVOKABLE void setNetworkAvailable(bool available);
  Q_INVOKABLE void setInBackground(bool background);

  // ---- Messages ----
  // Sends `text`; in a thread when `threadRootId` is set. The local id of its echo (shown at
  // once by the models), or -1 (and requestFailed) when refused.
  Q_INVOKABLE qint64 send(const QString& conversationId, const QString& text, const QString& threadRootId = {});
  // Sends `text` quoting the message `replyToId` (a server id).
  Q_INVOKABLE qint64 reply(const QString& conversationId, const QString& text, const QString& replyToId);
  // A message is named by its server id (`messageId`) or, for this device's own messages
  // before the server has them, by its local id. False (and requestFailed) when refused.
  Q_INVOKABLE bool edit(const QString& conversationId, const QString& messageId, qint64 localId, const QString& text);
  Q_INVOKABLE bool remove(const QString& conversationId, const QString& messageId, qint64 localId);
  Q_INVOKABLE bool react(const QString& conversationId, const QString& messageId, qint64 localId,
                         const QString& emoji);
  Q_INVOKABLE bool unreact(const QString& conversationId, const QString& messageId, qint64 localId,
                           const QString& emoji);
  // A failed message: send it again, or give it up.
  Q_INVOKABLE bool retry(qint64 localId);
  Q_INVOKABLE bool discard(qint64 localId);
  // ---- Files ----
  // Sends `text` (may be empty) with files: local paths or file:// URLs (at most 10, each
  // at most 25 MiB). The files are copied before this returns; they upload in the background
  // (uploadProgress), and the message goes once they are up. The echo's local id, or -1 (and
  // requestFailed) when refused.
  Q_INVOKABLE qint64 sendFiles(const QString& conversationId, const QString& text, const QStringList& files,
                               const QString& threadRootId = {});
  // Stops the uploads of a message not yet sent and discards it.
  Q_INVOKABLE bool cancelUpload(qint64 localId);
  // Downloads an attachment (a map as MessageListModel's attachments role gives it) into
  // the file cache, and copies it to `destination` when given; answered by
  // downloadFinished, or requestFailed("download", why). Progress: downloadProgress.
  Q_INVOKABLE void download(const QVariantMap& attachment, const QString& destination = {});
  Q_INVOKABLE bool cancelDownload(const QString& attachmentId);
  // The cached copy of an attachment as a file:// URL, or empty when not downloaded.
  Q_INVOKABLE QString cachedFile(const QVariantMap& attachment) const;
  // A message's uploads now: a list of {index, name, sentBytes, totalBytes, state}.
  Q_INVOKABLE QVariantList uploads(qint64 localId) const;

  // The user has read the conversation up to `seq`.
  Q_INVOKABLE bool markRead(const QString& conversationId, qint64 seq);

  // ---- Typing, presence, receipts ----
  // A keystroke in the compose box of the conversation (cheap; nothing while offline).
  Q_INVOKABLE void typing(const QString& conversationId);
  // The compose box was cleared.
  Q_INVOKABLE void stopTyping(const QString& conversationId);
  // Who is typing there now (never this user), in the order they started.
  Q_INVOKABLE QStringList typingUsers(const QString& conversationId) const;
  // The app's input-idle hint: others see this user idle.
  Q_INVOKABLE void setIdle(bool idle);
  // "online", "idle" or "offline".
  Q_INVOKABLE QString presence(const QString& userId) const;
  // Who is typing in a conversation, as a line: "Bob is typing…", "Bob and Carol are
  // typing…", "Bob and 2 others are typing…"; empty for nobody.
  Q_INVOKABLE QString typingLine(const QString& conversationId) const;

  // ---- The directory (from the local store) ----
  // A user's display name, or the id while the directory does not know the user.
  Q_INVOKABLE QString displayName(const QString& userId) const;
  // The users the user can see (this user left out), by name: a list of {userId, name}.
  Q_INVOKABLE QVariantList directory() const;
  // The user's workspaces: a list of {workspaceId, name}.
  Q_INVOKABLE QVariantList workspaces() const;

  // ---- Conversations (answered later by conversationReady or requestFailed) ----
  Q_INVOKABLE void createChannel(const QString& workspaceId, const QString& name, bool isPrivate = false);
  Q_INVOKABLE void openDm(const QString& userId);
  Q_INVOKABLE void createGroupDm(const QStringList& userIds);
  Q_INVOKABLE void invite(const QString& conversationId, const QStringList& userIds);
  Q_INVOKABLE void rename(const QString& conversationId, const QString& name);
  Q_INVOKABLE void setTopic(const QString& conversationId, const QString& topic);
  Q_INVOKABLE void join(const QString& conversationId);
  Q_INVOKABLE void leave(const QString& conversationId);

 signals:
  void connectionChanged();
  void userChanged();
  void outboxChanged();
  void syncChanged();
  // A conversation's stored state changed (MessageListModel and ConversationListModel
  // apply it). Emitted on this object's thread.
  void conversationChanged(const confab::ConversationChange& change);
  // An outgoing message or change of this device changed state.
  void localMessageChanged(const confab::LocalMessage& message);
  // The directory (users, workspaces) was stored.
  void directoryChanged();
  // The users typing in a conversation changed: the whole list now (empty: nobody).
  void typingChanged(const QString& conversationId, const QStringList& userIds);
  // A user's presence changed: "online", "idle" or "offline".
  void presenceChanged(const QString& userId, const QString& status);
  // A member's read and delivery cursors in a conversation moved forward (stored).
  void receiptsChanged(const QString& conversationId, const QString& userId, qint64 readSeq, qint64 deliveredSeq);
  // An upload of a message's attachment `index` moved: "queued", "running", "done",
  // "failed" or "cancelled".
  void uploadProgress(qint64 localId, int index, qint64 sentBytes, qint64 totalBytes, const QString& state);
  void downloadProgress(const QString& attachmentId, qint64 receivedBytes, qint64 totalBytes, const QString& state);
  // A download is done and checked: where the file is (a file:// URL).
  void downloadFinished(const QString& attachmentId, const QString& fileUrl);
  // A conversation request completed: the conversation, now in conversations().
  void conversationReady(const QString& conversationId);
  // A call was refused, or a request failed: what was asked, and why.
  void requestFailed(const QString& operation, const QString& message);

 private:
  struct Relay;
  // Runs `work` on this object's thread, unless the object is gone by then.
  void post(std::function<void()> work);
  void conversationRequest(const QString& operation, confab::Pending<confab::ConversationInfo> pending);
  // send() and reply(): the local id of the echo, or -1 (and requestFailed naming `operation`).
  qint64 sendWith(const QString& operation, const QString& conversationId, const QString& text,
                  const confab::SendOptions& options);
  bool check(const QString& operation, const confab::Result<void>& result);
  // unsentCount and pendingCount from the client's copy of the outbox (which never waits on
  // the network).
  void recountUnsent();

  std::unique_ptr<confab::Client> client_;
  std::shared_ptr<Relay> relay_;
  confab::ConnectionChange connection_;
  confab::SyncProgress sync_;
  int unsent_count_ = 0;
  int pending_count_ = 0;
  std::vector<confab::Subscription> subscriptions_;
};

// Qt's text for SDK values.
QString toQString(std::string_view text);

// An attachment as QML reads it (a map: attachmentId, name, contentType, size, sha256,
// width, height, preview as a data: URL), and back.
QVariantMap attachmentMap(const confab::Attachment& attachment);
confab::Attachment attachmentOf(const QVariantMap& map);

}  // namespace confab::qt
