#include "confab/qt/typing_model.h"

#include "confab/qt/chat_client.h"

namespace confab::qt {

TypingModel::TypingModel(ChatClient* chat, const QString& conversationId, QObject* parent)
    : QAbstractListModel(parent), chat_(chat), conversation_id_(conversationId) {
  Q_ASSERT(chat);
  connect(chat, &ChatClient::typingChanged, this, [this](const QString& conversation, const QStringList& users) {
    if (conversation == conversation_id_) apply(users);
  });
  users_ = chat->typingUsers(conversationId);
}

QString TypingModel::line() const { return chat_ ? chat_->typingLine(conversation_id_) : QString(); }

void TypingModel::apply(const QStringList& users) {
  if (users == users_) return;
  for (auto i = users_.size(); i-- > 0;) {
    if (users.contains(users_[i])) continue;
    beginRemoveRows({}, static_cast<int>(i), static_cast<int>(i));
    users_.removeAt(i);
    endRemoveRows();
  }
  // Those still typing keep their order; the new ones started later and come after them.
  for (const auto& user : users) {
    if (users_.contains(user)) continue;
    beginInsertRows({}, count(), count());
    users_.push_back(user);
    endInsertRows();
  }
  emit changed();
}

int TypingModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : count(); }

QHash<int, QByteArray> TypingModel::roleNames() const { return {{UserIdRole, "userId"}, {NameRole, "name"}}; }

QVariant TypingModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
  const auto& user = users_[index.row()];
  switch (role) {
    case UserIdRole:
      return user;
    case Qt::DisplayRole:
    case NameRole:
      return chat_ ? chat_->displayName(user) : user;
    default:
      return {};
  }
}

}  // namespace confab::qt
