#include "confab/qt/conversation_list_model.h"

#include <QDateTime>

#include <algorithm>

#include "confab/qt/chat_client.h"
#include "row_roles.h"

namespace confab::qt {

namespace {

constexpr int kRoles[] = {
    ConversationListModel::ConversationIdRole,    ConversationListModel::NameRole,
    ConversationListModel::KindRole,              ConversationListModel::TopicRole,
    ConversationListModel::WorkspaceIdRole,       ConversationListModel::UnreadCountRole,
    ConversationListModel::LastMessageTextRole,   ConversationListModel::LastMessageSenderRole,
    ConversationListModel::LastActivityRole,      ConversationListModel::MemberCountRole,
    ConversationListModel::PeerIdRole,            ConversationListModel::PeerPresenceRole,
};

}  // namespace

ConversationListModel::ConversationListModel(ChatClient* chat, QObject* parent)
    : QAbstractListModel(parent), chat_(chat) {
  Q_ASSERT(chat);
  connect(chat, &ChatClient::conversationChanged, this, [this](const ConversationChange& c) {
    if (c.thread_root_id.empty()) refresh();  // a thread's own records change no list row
  });
  // Names of DMs come from the directory.
  connect(chat, &ChatClient::directoryChanged, this, [this] {
    refresh();
    if (!rows_.empty()) emit dataChanged(index(0), index(count() - 1), {NameRole, LastMessageSenderRole});
  });
  connect(chat, &ChatClient::typingChanged, this, [this](const QString& conversation) {
    auto id = conversation.toStdString();
    changed([&](const ConversationInfo& c) { return c.conversation_id == id; }, {TypingRole});
  });
  connect(chat, &ChatClient::presenceChanged, this, [this](const QString& user) {
    changed([&](const ConversationInfo& c) { return value(c, PeerIdRole).toString() == user; }, {PeerPresenceRole});
  });
  auto listed = chat->client().conversations();
  if (listed.ok()) rows_ = std::move(*listed);
}

void ConversationListModel::changed(const std::function<bool(const ConversationInfo&)>& affected,
                                    const QList<int>& roles) {
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (!affected(rows_[i])) continue;
    auto row = createIndex(static_cast<int>(i), 0);
    emit dataChanged(row, row, roles);
  }
}

int ConversationListModel::indexOf(const QString& conversationId) const {
  auto id = conversationId.toStdString();
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (rows_[i].conversation_id == id) return static_cast<int>(i);
  }
  return -1;
}

QVariantMap ConversationListModel::get(int row) const { return rowRoles(*this, row); }

int ConversationListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

QHash<int, QByteArray> ConversationListModel::roleNames() const {
  return {
      {ConversationIdRole, "conversationId"},
      {NameRole, "name"},
      {KindRole, "kind"},
      {TopicRole, "topic"},
      {WorkspaceIdRole, "workspaceId"},
      {UnreadCountRole, "unreadCount"},
      {LastMessageTextRole, "lastMessageText"},
      {LastMessageSenderRole, "lastMessageSender"},
      {LastActivityRole, "lastActivity"},
      {MemberCountRole, "memberCount"},
      {TypingRole, "typing"},
      {PeerIdRole, "peerId"},
      {PeerPresenceRole, "peerPresence"},
  };
}

QVariant ConversationListModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
  if (role == Qt::DisplayRole) role = NameRole;
  return value(rows_[static_cast<std::size_t>(index.row())], role);
}

QVariant ConversationListModel::value(const ConversationInfo& c, int role) const {
  switch (role) {
    case ConversationIdRole:
      return toQString(c.conversation_id);
    case NameRole: {
      if (!c.name.empty() || !chat_) return toQString(c.name);
      // A DM or group DM has no name: its other members'.
      auto& client = chat_->client();
      auto me = client.user_id();
      QStringList names;
      for (const auto& id : c.members) {
        if (id == me) continue;
        auto user = client.user(id);
        names.push_back(toQString(user ? user->display_name : id));
      }
      return names.join(QStringLiteral(", "));
    }
    case KindRole:
      return toQString(to_string(c.kind));
    case TopicRole:
      return toQString(c.topic);
    case WorkspaceIdRole:
      return toQString(c.workspace_id);
    case UnreadCountRole:
      return QVariant::fromValue<qint64>(c.unread_count);
    case LastMessageTextRole:
      return c.last_message ? toQString(c.last_message->text) : QString();
    case LastMessageSenderRole:
      if (!c.last_message) return QString();
      return toQString(c.last_message->sender_name.empty() ? c.last_message->sender_id
                                                           : c.last_message->sender_name);
    case LastActivityRole:
      return c.last_activity_ms == 0 ? QDateTime() : QDateTime::fromMSecsSinceEpoch(c.last_activity_ms);
    case MemberCountRole:
      return c.member_count;
    case TypingRole:
      return chat_ ? chat_->typingLine(toQString(c.conversation_id)) : QString();
    case PeerIdRole: {
      if (c.kind != ConversationKind::dm || !chat_) return QString();
      auto me = chat_->client().user_id();
      for (const auto& id : c.members) {
        if (id != me) return toQString(id);
      }
      return QString();
    }
    case PeerPresenceRole: {
      auto peer = value(c, PeerIdRole).toString();
      return peer.isEmpty() || !chat_ ? QString() : chat_->presence(peer);
    }
    default:
      return {};
  }
}

void ConversationListModel::refresh() {
  if (!chat_) return;
  auto listed = chat_->client().conversations();
  if (!listed.ok()) return;  // the store could not be read: keep what is shown
  const auto& target = *listed;
  auto count_before = rows_.size();
  // Gone: removed, from the bottom up.
  for (auto i = rows_.size(); i-- > 0;) {
    bool kept = std::any_of(target.begin(), target.end(), [&](const ConversationInfo& c) {
      return c.conversation_id == rows_[i].conversation_id;
    });
    if (kept) continue;
    beginRemoveRows({}, static_cast<int>(i), static_cast<int>(i));
    rows_.erase(rows_.begin() + static_cast<std::ptrdiff_t>(i));
    endRemoveRows();
  }
  // Then each place in the new order: the row already there, one moved up, or a new one.
  for (std::size_t i = 0; i < target.size(); ++i) {
    const auto& want = target[i];
    auto found = std::find_if(rows_.begin() + static_cast<std::ptrdiff_t>(i), rows_.end(),
                              [&](const ConversationInfo& c) { return c.conversation_id == want.conversation_id; });
    if (found == rows_.end()) {
      beginInsertRows({}, static_cast<int>(i), static_cast<int>(i));
      rows_.insert(rows_.begin() + static_cast<std::ptrdiff_t>(i), want);
      endInsertRows();
      continue;
    }
    auto from = static_cast<std::size_t>(found - rows_.begin());
    if (from != i) {
      beginMoveRows({}, static_cast<int>(from), static_cast<int>(from), {}, static_cast<int>(i));
      auto row = std::move(rows_[from]);
      rows_.erase(rows_.begin() + static_cast<std::ptrdiff_t>(from));
      rows_.insert(rows_.begin() + static_cast<std::ptrdiff_t>(i), std::move(row));
      endMoveRows();
    }
    QList<int> roles;
    for (int role : kRoles) {
      if (value(rows_[i], role) != value(want, role)) roles.push_back(role);
    }
    rows_[i] = want;
    if (!roles.isEmpty()) {
      auto changed = createIndex(static_cast<int>(i), 0);
      emit dataChanged(changed, changed, roles);
    }
  }
  if (rows_.size() != count_before) emit countChanged();
}

}  // namespace confab::qt
