#include "confab/qt/chat_client.h"

#include <QMetaObject>

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
  unsent_count_ = static_cast<int>(client_->unsent_messages().size());
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
  auto unsent = static_cast<int>(client_->unsent_messages().size());
  if (unsent == unsent_count_) return;
  unsent_count_ = unsent;
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
  auto sent = client_->send(utf8(conversationId), utf8(text), options);
  if (!sent.ok()) {
    emit requestFailed("send", reason(sent.error()));
    return -1;
  }
  recountUnsent();
  return sent->local_id;
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

}  // namespace confab::qt
