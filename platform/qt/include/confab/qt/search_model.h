// Results of a search of the stored messages (Client::search()) as a QAbstractListModel,
// newest first. Setting `query` runs the search again: a new result set is a reset (its
// rows are not the old ones changed). An empty query, or one with no words, has no rows.
// Used on the ChatClient's thread.
#pragma once

#include <QAbstractListModel>
#include <QPointer>
#include <QString>

#include <vector>

#include "confab/conversation.h"

namespace confab::qt {

class ChatClient;

class SearchModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(QString query READ query WRITE setQuery NOTIFY queryChanged)
  // Empty: every conversation.
  Q_PROPERTY(QString conversationId READ conversationId WRITE setConversationId NOTIFY queryChanged)
  Q_PROPERTY(int count READ count NOTIFY countChanged)

 public:
  enum Role {
    ConversationIdRole = Qt::UserRole + 1,
    ConversationNameRole,
    MessageIdRole,
    SeqRole,
    SenderNameRole,
    TextRole,
    CreatedAtRole,  // QDateTime
    ThreadRootIdRole,
  };
  Q_ENUM(Role)

  explicit SearchModel(ChatClient* chat, QObject* parent = nullptr);

  QString query() const { return query_; }
  void setQuery(const QString& query);
  QString conversationId() const { return conversation_id_; }
  void setConversationId(const QString& conversationId);
  int count() const { return static_cast<int>(rows_.size()); }

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

 signals:
  void queryChanged();
  void countChanged();

 private:
  void run();

  QPointer<ChatClient> chat_;
  QString query_;
  QString conversation_id_;
  std::vector<TimelineMessage> rows_;
};

}  // namespace confab::qt
