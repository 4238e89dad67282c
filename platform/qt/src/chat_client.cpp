#include "confab/qt/chat_client.h"

#include <QMetaObject>
#include <QUrl>
#include <QVariantMap>

#include <algorithm>
#include <filesystem>

#include <mutex>

namespace confab::qt {

QString toQString(std::string_view text) { return QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size())); }

namespace {

std::string utf8(const QString& text) { return text.toStdString(); }

MessageRef reference(const QString& conversation_id, const QString& message_id, qint64 local_id) {
  if (!message_id.isEmpty()) return MessageRef::server(utf8(conversation_id), utf8(message_id));
  return MessageRef::local(local_id);
}

QString reason(const Error& e) { return toQString(confab::describe(e)); }

std::vector<std::string> ids(const QStringList& list) {
  std::vector<std::string> out;
  for (const auto& id : list) out.push_back(id.toStdString());
  return out;
}

}  // namespace

// What the SDK's callbacks post through. The destructor clears `target` under the mutex,
// so that a callback either posts while the object is alive (and Qt drops the posted
// call if the object is deleted before it runs) or sees nullptr and does nothing.
struct ChatClient::Relay {
  std::mutex mutex;
  QObject* target = nullptr;

  void post(std::function<void()> work) {
    std::lock_guard lock(mutex);
    if (target == nullptr) return;
    QMetaObject::invokeMethod(target, std::move(work), Qt::QueuedConnection);
  }
};

ChatClient::ChatClient(std::unique_ptr<confab::Client> client, QObject* parent)
    : QObject(parent), client_(std::move(client)), relay_(std::make_shared<Relay>()) {
  Q_ASSERT(client_);
  relay_->target = this;
  connection_ = client_->connection();
  recountUnsent();
  auto relay = relay_;
  subscriptions_.push_back(client_->on_connection([relay, this](const ConnectionChange& change) {
    relay->post([this, change] {
      bool user_known = !userId().isEmpty();
      connection_ = change;
      emit connectionChanged();
      if (!user_known && !userId().isEmpty()) emit userChanged();
    });
  }));
  subscriptions_.push_back(client_->on_outbox([relay, this](const LocalMessage& m) {
    relay->post([this, m] {
      recountUnsent();
      emit localMessageChanged(m);
    });
  }));
  subscriptions_.push_back(client_->on_conversation([relay, this](const ConversationChange& change) {
    relay->post([this, change] { emit conversationChanged(change); });
  }));
  subscriptions_.push_back(client_->on_sync([relay, this](const SyncProgress& progress) {
    relay->post([this, progress] {
      sync_ = progress;
      emit syncChanged();
    });
  }));
  subscriptions_.push_back(client_->on_typing([relay, this](const TypingChange& change) {
    QStringList users;
    for (const auto& id : change.user_ids) users.push_back(toQString(id));
    auto conversation = toQString(change.conversation_id);
    relay->post([this, conversation, users] { emit typingChanged(conversation, users); });
  }));
  subscriptions_.push_back(client_->on_presence([relay, this](const PresenceChange& change) {
    auto user = toQString(change.user_id);
    auto status = toQString(to_string(change.status));
    relay->post([this, user, status] { emit presenceChanged(user, status); });
  }));
  subscriptions_.push_back(client_->on_receipts([relay, this](const ReceiptChange& change) {
    relay->post([this, change] {
      emit receiptsChanged(toQString(change.conversation_id), toQString(change.receipt.user_id),
                           change.receipt.read_seq, change.receipt.delivered_seq);
    });
  }));
  subscriptions_.push_back(client_->on_upload([relay, this](const UploadProgress& p) {
    auto state = toQString(to_string(p.state));
    relay->post([this, p, state] {
      emit uploadProgress(p.local_id, static_cast<int>(p.index), p.sent_bytes, p.total_bytes, state);
      if (p.state == TransferState::failed || p.state == TransferState::done) recountUnsent();
    });
  }));
  subscriptions_.push_back(client_->on_download([relay, this](const DownloadProgress& p) {
    auto id = toQString(p.attachment_id);
    auto state = toQString(to_string(p.state));
    relay->post([this, id, p, state] { emit downloadProgress(id, p.received_bytes, p.total_bytes, state); });
  }));
  subscriptions_.push_back(client_->on_directory([relay, this] {
    relay->post([this] {
      emit directoryChanged();
      emit userChanged();
    });
  }));
}

ChatClient::~ChatClient() {
  {
    std::lock_guard lock(relay_->mutex);
    relay_->target = nullptr;
  }
  subscriptions_.clear();  // waits for a callback in progress; none relays anything now
  client_.reset();
}

void ChatClient::post(std::function<void()> work) { relay_->post(std::move(work)); }

void ChatClient::recountUnsent() {
  auto messages = client_->unsent_messages();
  auto unsent = static_cast<int>(messages.size());
  auto pending = static_cast<int>(std::count_if(messages.begin(), messages.end(), [](const LocalMessage& m) {
    return m.state == OutboxState::pending || m.state == OutboxState::sending;
  }));
  if (unsent == unsent_count_ && pending == pending_count_) return;
  unsent_count_ = unsent;
  pending_count_ = pending;
  emit outboxChanged();
}

QString ChatClient::connectionState() const { return toQString(to_string(connection_.state)); }

bool ChatClient::connected() const { return connection_.state == ConnectionState::connected; }

int ChatClient::retryInSeconds() const {
  if (!connection_.retry_in) return -1;
  return static_cast<int>((connection_.retry_in->count() + 999) / 1000);
}

QString ChatClient::connectionError() const {
  return connection_.error ? toQString(connection_.error->message) : QString();
}

QString ChatClient::userId() const { return toQString(client_->user_id()); }

QString ChatClient::userName() const {
  auto id = client_->user_id();
  if (id.empty()) return {};
  auto user = client_->user(id);
  return user ? toQString(user->display_name) : toQString(id);
}

bool ChatClient::check(const QString& operation, const Result<void>& result) {
  if (result.ok()) return true;
  emit requestFailed(operation, reason(result.error()));
  return false;
}

bool ChatClient::connectToServer(const QString& url, const QString& token) {
  return check("connect", client_->connect(utf8(url), utf8(token)));
}

bool ChatClient::signIn(const QString& bootstrapUrl, const QString& credential) {
  auto secret = utf8(credential);
  return check("signIn", client_->connect_with_credential(
                             utf8(bootstrapUrl), [secret]() -> Result<std::string> { return secret; }));
}

void ChatClient::disconnectFromServer() { client_->disconnect(); }

void ChatClient::setNetworkAvailable(bool available) { client_->set_network_available(available); }

void ChatClient::setInBackground(bool background) {
  if (background) {
    client_->app_moved_to_background();
  } else {
    client_->app_moved_to_foreground();
  }
}

qint64 ChatClient::send(const QString& conversationId, const QString& text, const QString& threadRootId) {
  SendOptions options;
  if (!threadRootId.isEmpty()) options.thread_root = MessageRef::server(utf8(conversationId), utf8(threadRootId));
  return sendWith("send", conversationId, text, options);
}

qint64 ChatClient::reply(const QString& conversationId, const QString& text, const QString& replyToId) {
  SendOptions options;
  options.reply_to = MessageRef::server(utf8(conversationId), utf8(replyToId));
  return sendWith("reply", conversationId, text, options);
}

qint64 ChatClient::sendWith(const QString& operation, const QString& conversationId, const QString& text,
                            const SendOptions& options) {
  auto sent = client_->send(utf8(conversationId), utf8(text), options);
  if (!sent.ok()) {
    emit requestFailed(operation, reason(sent.error()));
    return -1;
  }
  recountUnsent();
  return sent->local_id;
}

qint64 ChatClient::sendFiles(const QString& conversationId, const QString& text, const QStringList& files,
                             const QString& threadRootId) {
  SendOptions options;
  if (!threadRootId.isEmpty()) options.thread_root = MessageRef::server(utf8(conversationId), utf8(threadRootId));
  for (const auto& file : files) {
    QUrl url(file);
    QString path = url.isLocalFile() ? url.toLocalFile() : file;
    options.attachments.push_back(FileToSend{std::filesystem::path(path.toStdString()), {}, {}, {}});
  }
  return sendWith("sendFiles", conversationId, text, options);
}

bool ChatClient::cancelUpload(qint64 localId) {
  auto cancelled = client_->cancel_upload(localId);
  if (cancelled.ok()) recountUnsent();
  return check("cancelUpload", cancelled);
}

void ChatClient::download(const QVariantMap& attachment, const QString& destination) {
  auto file = attachmentOf(attachment);
  auto id = toQString(file.attachment_id);
  auto pending = client_->download(file, destination.isEmpty() ? std::filesystem::path()
                                                               : std::filesystem::path(destination.toStdString()));
  auto relay = relay_;
  pending.then([relay, this, id](const Result<std::filesystem::path>& result) {
    if (result.ok()) {
      auto url = QUrl::fromLocalFile(QString::fromStdString(result->string())).toString();
      relay->post([this, id, url] { emit downloadFinished(id, url); });
    } else {
      auto why = reason(result.error());
      relay->post([this, why] { emit requestFailed("download", why); });
    }
  });
}

bool ChatClient::cancelDownload(const QString& attachmentId) {
  return check("cancelDownload", client_->cancel_download(utf8(attachmentId)));
}

QString ChatClient::cachedFile(const QVariantMap& attachment) const {
  auto path = client_->cached_file(attachmentOf(attachment));
  return path ? QUrl::fromLocalFile(QString::fromStdString(path->string())).toString() : QString();
}

QVariantList ChatClient::uploads(qint64 localId) const {
  QVariantList out;
  for (const auto& p : client_->uploads(localId)) {
    out.push_back(QVariantMap{{"index", static_cast<int>(p.index)},
                              {"name", toQString(p.name)},
                              {"sentBytes", static_cast<qint64>(p.sent_bytes)},
                              {"totalBytes", static_cast<qint64>(p.total_bytes)},
                              {"state", toQString(to_string(p.state))}});
  }
  return out;
}

bool ChatClient::edit(const QString& conversationId, const QString& messageId, qint64 localId, const QString& text) {
  auto changed = client_->edit(reference(conversationId, messageId, localId), utf8(text));
  if (changed.ok()) {
    recountUnsent();
    return true;
  }
  emit requestFailed("edit", reason(changed.error()));
  return false;
}

bool ChatClient::remove(const QString& conversationId, const QString& messageId, qint64 localId) {
  auto changed = client_->remove(reference(conversationId, messageId, localId));
  if (changed.ok()) {
    recountUnsent();
    return true;
  }
  emit requestFailed("remove", reason(changed.error()));
  return false;
}

bool ChatClient::react(const QString& conversationId, const QString& messageId, qint64 localId,
                       const QString& emoji) {
  auto changed = client_->react(reference(conversationId, messageId, localId), utf8(emoji));
  if (changed.ok()) {
    recountUnsent();
    return true;
  }
  emit requestFailed("react", reason(changed.error()));
  return false;
}

bool ChatClient::unreact(const QString& conversationId, const QString& messageId, qint64 localId,
                         const QString& emoji) {
  auto changed = client_->unreact(reference(conversationId, messageId, localId), utf8(emoji));
  if (changed.ok()) {
    recountUnsent();
    return true;
  }
  emit requestFailed("unreact", reason(changed.error()));
  return false;
}

bool ChatClient::retry(qint64 localId) {
  bool done = check("retry", client_->retry(localId));
  recountUnsent();
  return done;
}

bool ChatClient::discard(qint64 localId) {
  bool done = check("discard", client_->discard(localId));
  recountUnsent();
  return done;
}

bool ChatClient::markRead(const QString& conversationId, qint64 seq) {
  return check("markRead", client_->mark_read(utf8(conversationId), seq));
}

void ChatClient::typing(const QString& conversationId) {
  static_cast<void>(client_->typing(utf8(conversationId)));  // `offline`: nothing to show anyone
}

void ChatClient::stopTyping(const QString& conversationId) {
  static_cast<void>(client_->stop_typing(utf8(conversationId)));
}

QStringList ChatClient::typingUsers(const QString& conversationId) const {
  QStringList users;
  for (const auto& id : client_->typing_users(utf8(conversationId))) users.push_back(toQString(id));
  return users;
}

void ChatClient::setIdle(bool idle) { client_->set_idle(idle); }

QString ChatClient::presence(const QString& userId) const {
  return toQString(to_string(client_->presence(utf8(userId))));
}

QString ChatClient::typingLine(const QString& conversationId) const {
  QStringList names;
  for (const auto& id : client_->typing_users(utf8(conversationId))) names.push_back(displayName(toQString(id)));
  switch (names.size()) {
    case 0:
      return {};
    case 1:
      return tr("%1 is typing…").arg(names[0]);
    case 2:
      return tr("%1 and %2 are typing…").arg(names[0], names[1]);
    default:
      return tr("%1 and %2 others are typing…").arg(names[0]).arg(names.size() - 1);
  }
}

QString ChatClient::displayName(const QString& userId) const {
  auto user = client_->user(utf8(userId));
  return user && !user->display_name.empty() ? toQString(user->display_name) : userId;
}

QVariantList ChatClient::directory() const {
  QVariantList out;
  auto users = client_->users();
  if (!users.ok()) return out;
  auto me = client_->user_id();
  std::vector<const User*> sorted;
  for (const auto& u : *users) {
    if (u.user_id != me) sorted.push_back(&u);
  }
  std::sort(sorted.begin(), sorted.end(), [](const User* a, const User* b) { return a->display_name < b->display_name; });
  for (const auto* u : sorted) {
    out.push_back(QVariantMap{{"userId", toQString(u->user_id)},
                              {"name", toQString(u->display_name.empty() ? u->user_id : u->display_name)}});
  }
  return out;
}

QVariantList ChatClient::workspaces() const {
  QVariantList out;
  auto listed = client_->workspaces();
  if (!listed.ok()) return out;
  for (const auto& w : *listed) {
    out.push_back(QVariantMap{{"workspaceId", toQString(w.workspace_id)}, {"name", toQString(w.name)}});
  }
  return out;
}

void ChatClient::conversationRequest(const QString& operation, Pending<ConversationInfo> pending) {
  auto relay = relay_;
  pending.then([relay, this, operation](const Result<ConversationInfo>& result) {
    if (result.ok()) {
      auto id = toQString(result->conversation_id);
      relay->post([this, id] { emit conversationReady(id); });
    } else {
      auto why = reason(result.error());
      relay->post([this, operation, why] { emit requestFailed(operation, why); });
    }
  });
}

void ChatClient::createChannel(const QString& workspaceId, const QString& name, bool isPrivate) {
  conversationRequest("createChannel", client_->create_channel(utf8(workspaceId), utf8(name), {}, isPrivate));
}

void ChatClient::openDm(const QString& userId) { conversationRequest("openDm", client_->open_dm(utf8(userId))); }

void ChatClient::join(const QString& conversationId) {
  conversationRequest("join", client_->join(utf8(conversationId)));
}

void ChatClient::leave(const QString& conversationId) {
  conversationRequest("leave", client_->leave(utf8(conversationId)));
}

void ChatClient::createGroupDm(const QStringList& userIds) {
  conversationRequest("createGroupDm", client_->create_group_dm(ids(userIds)));
}

void ChatClient::invite(const QString& conversationId, const QStringList& userIds) {
  conversationRequest("invite", client_->invite(utf8(conversationId), ids(userIds)));
}

void ChatClient::rename(const QString& conversationId, const QString& name) {
  conversationRequest("rename", client_->rename(utf8(conversationId), utf8(name)));
}

void ChatClient::setTopic(const QString& conversationId, const QString& topic) {
  conversationRequest("setTopic", client_->set_topic(utf8(conversationId), utf8(topic)));
}

QVariantMap attachmentMap(const Attachment& a) {
  return QVariantMap{{"attachmentId", toQString(a.attachment_id)},
                     {"name", toQString(a.name)},
                     {"contentType", toQString(a.content_type)},
                     {"size", static_cast<qint64>(a.size)},
                     {"sha256", toQString(a.sha256)},
                     {"width", a.width},
                     {"height", a.height},
                     {"preview", a.preview.empty() ? QString() : "data:image/jpeg;base64," + toQString(a.preview)}};
}

Attachment attachmentOf(const QVariantMap& map) {
  Attachment a;
  a.attachment_id = map.value("attachmentId").toString().toStdString();
  a.name = map.value("name").toString().toStdString();
  a.content_type = map.value("contentType").toString().toStdString();
  a.size = map.value("size").toLongLong();
  a.sha256 = map.value("sha256").toString().toStdString();
  a.width = map.value("width").toInt();
  a.height = map.value("height").toInt();
  return a;
}

}  // namespace confab::qt
