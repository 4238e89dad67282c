#include "confab/qt/member_list_model.h"

#include <algorithm>

#include "confab/qt/chat_client.h"

namespace confab::qt {

MemberListModel::MemberListModel(ChatClient* chat, const QString& conversationId, QObject* parent)
    : QAbstractListModel(parent), chat_(chat), conversation_id_(conversationId) {
  Q_ASSERT(chat);
  connect(chat, &ChatClient::conversationChanged, this, [this](const ConversationChange& c) {
    if (c.thread_root_id.empty() && (c.conversation_id.empty() || c.conversation_id == conversation_id_.toStdString()))
      refresh();
  });
  connect(chat, &ChatClient::directoryChanged, this, [this] {
    refresh();
    if (!rows_.empty()) emit dataChanged(index(0), index(count() - 1), {NameRole, RoleRole});
  });
  connect(chat, &ChatClient::presenceChanged, this, [this](const QString& user) {
    if (!chat_) return;
    auto id = user.toStdString();
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      if (rows_[i].user_id != id) continue;
      auto now = chat_->client().presence(id);
      if (rows_[i].presence == now) continue;
      rows_[i].presence = now;
      auto row = index(static_cast<int>(i));
      emit dataChanged(row, row, {PresenceRole});
    }
  });
  auto members = chat->client().members(conversationId.toStdString());
  if (members.ok()) rows_ = std::move(*members);
}

int MemberListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

QHash<int, QByteArray> MemberListModel::roleNames() const {
  return {{UserIdRole, "userId"}, {NameRole, "name"}, {RoleRole, "role"}, {PresenceRole, "presence"}, {IsMeRole, "isMe"}};
}

QVariant MemberListModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
  const auto& m = rows_[static_cast<std::size_t>(index.row())];
  switch (role) {
    case UserIdRole:
      return toQString(m.user_id);
    case Qt::DisplayRole:
    case NameRole:
      return toQString(m.display_name.empty() ? m.user_id : m.display_name);
    case RoleRole:
      return toQString(to_string(m.role));
    case PresenceRole:
      return toQString(to_string(m.presence));
    case IsMeRole:
      return chat_ && m.user_id == chat_->client().user_id();
    default:
      return {};
  }
}

// Members come in user id order: those gone are removed, the new ones inserted at their place.
void MemberListModel::refresh() {
  if (!chat_) return;
  auto members = chat_->client().members(conversation_id_.toStdString());
  if (!members.ok()) return;
  auto before = rows_.size();
  auto& target = *members;
  for (auto i = rows_.size(); i-- > 0;) {
    bool kept = std::any_of(target.begin(), target.end(), [&](const Member& m) { return m.user_id == rows_[i].user_id; });
    if (kept) continue;
    beginRemoveRows({}, static_cast<int>(i), static_cast<int>(i));
    rows_.erase(rows_.begin() + static_cast<std::ptrdiff_t>(i));
    endRemoveRows();
  }
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (i < rows_.size() && rows_[i].user_id == target[i].user_id) {
      QList<int> roles;
      if (rows_[i].display_name != target[i].display_name) roles.push_back(NameRole);
      if (rows_[i].role != target[i].role) roles.push_back(RoleRole);
      if (rows_[i].presence != target[i].presence) roles.push_back(PresenceRole);
      rows_[i] = target[i];
      if (!roles.isEmpty()) emit dataChanged(index(static_cast<int>(i)), index(static_cast<int>(i)), roles);
      continue;
    }
    beginInsertRows({}, static_cast<int>(i), static_cast<int>(i));
    rows_.insert(rows_.begin() + static_cast<std::ptrdiff_t>(i), target[i]);
    endInsertRows();
  }
  if (rows_.size() != before) emit countChanged();
}

}  // namespace confab::qt
