// The user's conversations as a QAbstractListModel, in the SDK's order (the newest
// activity first). It follows the local store: each change of a conversation (a message,
// a read, a rename, a join or a leave) reads the list again and applies the difference as
// row operations (rowsInserted, rowsRemoved, rowsMoved, dataChanged with the roles that
// changed), never a reset. Typing and a DM peer's presence change their rows' roles in
// place. Used on the ChatClient's thread.
#pragma once

#include <QAbstractListModel>
#include <QPointer>
#include <QVariantMap>

#include <functional>
#include <vector>

#include "confab/conversation.h"

namespace confab::qt {

class ChatClient;

class ConversationListModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(int count READ count NOTIFY countChanged)

 public:
  enum Role {
    ConversationIdRole = Qt::UserRole + 1,
    NameRole,               // a channel's name; a DM's: the other members' names
    KindRole,               // "channel", "private_channel", "dm" or "group_dm"
    TopicRole,
    WorkspaceIdRole,
    UnreadCountRole,
    LastMessageTextRole,    // the newest message's text, for a preview
    LastMessageSenderRole,  // its sender's name
    LastActivityRole,       // QDateTime of the newest event; invalid when none
    MemberCountRole,
    TypingRole,             // who is typing there, as a line ("Bob is typing…"); empty for nobody
    PeerIdRole,             // a DM's other member; empty for other kinds
    PeerPresenceRole,       // that member's presence: "online", "idle" or "offline"
  };
  Q_ENUM(Role)

  explicit ConversationListModel(ChatClient* chat, QObject* parent = nullptr);

  int count() const { return static_cast<int>(rows_.size()); }
  // The row of a conversation, or -1.
  Q_INVOKABLE int indexOf(const QString& conversationId) const;
  // A row's roles by name (as QML's ListModel.get()); empty for a row out of range.
  Q_INVOKABLE QVariantMap get(int row) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

 signals:
  void countChanged();

 private:
  // Reads the list again and applies the difference.
  void refresh();
  // dataChanged for `roles` of the rows that `affected` picks.
  void changed(const std::function<bool(const ConversationInfo&)>& affected, const QList<int>& roles);
  QVariant value(const ConversationInfo& c, int role) const;

  QPointer<ChatClient> chat_;
  std::vector<ConversationInfo> rows_;
};

}  // namespace confab::qt
