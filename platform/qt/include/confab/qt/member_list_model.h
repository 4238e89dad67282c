// The present members of one conversation as a QAbstractListModel, with their presence.
// It follows the local store (a join or a leave: rowsInserted, rowsRemoved) and the
// client's presence (dataChanged on PresenceRole), never a reset. Used on the ChatClient's
// thread.
#pragma once

#include <QAbstractListModel>
#include <QPointer>
#include <QString>

#include <vector>

#include "confab/conversation.h"

namespace confab::qt {

class ChatClient;

class MemberListModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(QString conversationId READ conversationId CONSTANT)
  Q_PROPERTY(int count READ count NOTIFY countChanged)

 public:
  enum Role {
    UserIdRole = Qt::UserRole + 1,
    NameRole,      // the directory's display name, or the id while unknown
    RoleRole,      // "owner", "admin" or "member" in the conversation's workspace
    PresenceRole,  // "online", "idle" or "offline"
    IsMeRole,
  };
  Q_ENUM(Role)

  MemberListModel(ChatClient* chat, const QString& conversationId, QObject* parent = nullptr);

  QString conversationId() const { return conversation_id_; }
  int count() const { return static_cast<int>(rows_.size()); }

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

 signals:
  void countChanged();

 private:
  void refresh();

  QPointer<ChatClient> chat_;
  const QString conversation_id_;
  std::vector<Member> rows_;
};

}  // namespace confab::qt
