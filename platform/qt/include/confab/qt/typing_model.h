// The users typing in one conversation as a QAbstractListModel, in the order they started,
// with `line` for a one-line summary ("Bob is typing…"). It follows ChatClient's
// typingChanged: rowsRemoved for those who stopped, rowsInserted for those who started.
// Used on the ChatClient's thread.
#pragma once

#include <QAbstractListModel>
#include <QPointer>
#include <QString>
#include <QStringList>

namespace confab::qt {

class ChatClient;

class TypingModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(QString conversationId READ conversationId CONSTANT)
  Q_PROPERTY(int count READ count NOTIFY changed)
  Q_PROPERTY(QString line READ line NOTIFY changed)

 public:
  enum Role { UserIdRole = Qt::UserRole + 1, NameRole };
  Q_ENUM(Role)

  TypingModel(ChatClient* chat, const QString& conversationId, QObject* parent = nullptr);

  QString conversationId() const { return conversation_id_; }
  int count() const { return static_cast<int>(users_.size()); }
  QString line() const;

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

 signals:
  void changed();

 private:
  void apply(const QStringList& users);

  QPointer<ChatClient> chat_;
  const QString conversation_id_;
  QStringList users_;
};

}  // namespace confab::qt
