#include "confab/qt/search_model.h"

#include <QDateTime>

#include "confab/qt/chat_client.h"

namespace confab::qt {

namespace {
constexpr int kResults = 50;
}

SearchModel::SearchModel(ChatClient* chat, QObject* parent) : QAbstractListModel(parent), chat_(chat) {
  Q_ASSERT(chat);
}

void SearchModel::setQuery(const QString& query) {
  if (query == query_) return;
  query_ = query;
  emit queryChanged();
  run();
}

void SearchModel::setConversationId(const QString& conversationId) {
  if (conversationId == conversation_id_) return;
  conversation_id_ = conversationId;
  emit queryChanged();
  run();
}

void SearchModel::run() {
  std::vector<TimelineMessage> found;
  if (chat_ && !query_.trimmed().isEmpty()) {
    auto results = chat_->client().search(query_.toStdString(), conversation_id_.toStdString(), kResults);
    if (results.ok()) found = std::move(*results);  // a query of no words (punctuation only): no rows
  }
  auto before = rows_.size();
  beginResetModel();
  rows_ = std::move(found);
  endResetModel();
  if (rows_.size() != before) emit countChanged();
}

int SearchModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

QHash<int, QByteArray> SearchModel::roleNames() const {
  return {{ConversationIdRole, "conversationId"},
          {ConversationNameRole, "conversationName"},
          {MessageIdRole, "messageId"},
          {SeqRole, "seq"},
          {SenderNameRole, "senderName"},
          {TextRole, "text"},
          {CreatedAtRole, "createdAt"},
          {ThreadRootIdRole, "threadRootId"}};
}

QVariant SearchModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
  const auto& m = rows_[static_cast<std::size_t>(index.row())];
  switch (role) {
    case ConversationIdRole:
      return toQString(m.conversation_id);
    case ConversationNameRole: {
      if (!chat_) return QString();
      auto c = chat_->client().conversation(m.conversation_id);
      if (!c.ok()) return toQString(m.conversation_id);
      if (!c->name.empty()) return toQString(c->name);
      QStringList names;
      for (const auto& id : c->members) {
        if (id != chat_->client().user_id()) names.push_back(chat_->displayName(toQString(id)));
      }
      return names.join(QStringLiteral(", "));
    }
    case MessageIdRole:
      return toQString(m.message_id);
    case SeqRole:
      return QVariant::fromValue<qint64>(m.seq);
    case SenderNameRole:
      return toQString(m.sender_name.empty() ? m.sender_id : m.sender_name);
    case Qt::DisplayRole:
    case TextRole:
      return toQString(m.text);
    case CreatedAtRole:
      return QDateTime::fromMSecsSinceEpoch(m.created_at_ms);
    case ThreadRootIdRole:
      return toQString(m.thread_root_id);
    default:
      return {};
  }
}

}  // namespace confab::qt
