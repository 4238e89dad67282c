// One timeline as a QAbstractListModel: a conversation's main timeline, or one thread's
// replies. It applies the SDK's row-level change notifications (confab::ConversationChange,
// whose contract conversation.h states) as Qt's row operations:
// - new messages: rowsInserted; older history (fetchMore()): rowsInserted at the top;
// - edits, deletes, reactions, replies, an echo's state: dataChanged with the roles that
//   changed;
// - a local echo that becomes the stored message stays the same row (dataChanged, and a
//   move only if its place changed), never a remove and an insert;
// - an echo discarded: rowsRemoved;
// - a full reset only for a real one (the conversation restarted from its newest page).
// It reads each row's data from the client's local store (no network), and is used on the
// ChatClient's thread.
#pragma once

#include <QAbstractListModel>
#include <QPointer>
#include <QString>
#include <QVariantMap>

#include <map>
#include <optional>
#include <vector>

#include "confab/conversation.h"
#include "confab/receipts.h"

namespace confab::qt {

class ChatClient;

class MessageListModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(QString conversationId READ conversationId CONSTANT)
  Q_PROPERTY(QString threadRootId READ threadRootId CONSTANT)
  Q_PROPERTY(int count READ count NOTIFY countChanged)
  // Older history was asked of the server (fetchMore()) and has not come yet.
  Q_PROPERTY(bool fetching READ fetching NOTIFY fetchingChanged)
  // The user's read cursor in the conversation when the model was made, or when
  // resetUnreadLine() was last called (FirstUnreadRole).
  Q_PROPERTY(qint64 readSeqAtOpen READ readSeqAtOpen NOTIFY unreadLineChanged)
  // The seq of the newest stored row (0 when none): what markRead() takes.
  Q_PROPERTY(qint64 newestSeq READ newestSeq NOTIFY countChanged)
  // Older messages exist, in the store or on the server (loadOlder() brings them).
  Q_PROPERTY(bool hasOlder READ hasOlder NOTIFY hasOlderChanged)
  // Qt Quick's views call fetchMore() whenever canFetchMore() holds, until it no longer
  // does: for a timeline that grows at the top, that pages in the whole history. Set, the
  // model says no to views, and older history comes only from loadOlder(), which an app
  // calls when its view is scrolled to the top. Off by default.
  Q_PROPERTY(bool olderOnDemand READ olderOnDemand WRITE setOlderOnDemand NOTIFY olderOnDemandChanged)

 public:
  enum Role {
    ClientMessageIdRole = Qt::UserRole + 1,  // the stable key of a row
    MessageIdRole,        // the server's id; empty for an echo not acknowledged yet
    LocalIdRole,          // this device's local id while the row is an echo, else 0
    SeqRole,
    SenderIdRole,
    SenderNameRole,       // the directory's display name, or the id while unknown
    TextRole,
    CreatedAtRole,        // QDateTime
    EditedRole,
    DeletedRole,
    ReactionsRole,        // a list of {emoji, count, mine}
    ReplyCountRole,       // on a thread's root
    LastReplyAtRole,      // QDateTime, invalid without replies
    ReplyToRole,          // the quoted message's id
    ThreadRootIdRole,
    // "pending", "sending", "failed" for an echo; once the server has it, "sent", then
    // "delivered" (a device of another member stored it), then "read" (a member read it).
    DeliveryStateRole,
    ErrorRole,            // why a failed echo failed
    IsOwnRole,            // sent by this user
    StartsNewDayRole,     // the first row, or a row on another day than the row above
    StartsNewGroupRole,   // another sender than the row above, or a pause of 5 minutes
    ReadByCountRole,      // how many other members have read it (from the stored receipts)
    ReadByRole,           // their names
    ReplyToSenderRole,    // the quoted message's sender name, when the model holds it
    ReplyToTextRole,      // and its text (a preview)
    // Its files: a list of maps (ChatClient's attachmentMap: attachmentId, name, contentType,
    // size, sha256, width, height, preview), each with how its transfer goes: `progress`
    // (0-1) and `transfer` ("queued", "running", "done", "failed", "cancelled"; "" when none
    // ran) of its upload (the user's own message not yet sent) or download, and `fileUrl`
    // once it is on the device.
    AttachmentsRole,
    // The first message from others after the user's read cursor as it was when the model
    // was made: where an "unread" marker goes.
    FirstUnreadRole,
    ErrorCodeRole,        // the failed echo's error code ("not_found", "too_old", ...), for a friendlier text
  };
  Q_ENUM(Role)

  // The newest page of `conversationId` (or of the thread of `threadRootId`), read at once,
  // then kept current. `chat` must outlive the model or be destroyed on the same thread
  // (the model then stops changing).
  MessageListModel(ChatClient* chat, const QString& conversationId, const QString& threadRootId = {},
                   QObject* parent = nullptr);

  QString conversationId() const { return conversation_id_; }
  QString threadRootId() const { return thread_root_id_; }
  int count() const { return static_cast<int>(rows_.size()); }
  bool fetching() const { return fetching_; }
  qint64 readSeqAtOpen() const { return read_seq_at_open_; }
  qint64 newestSeq() const;
  bool hasOlder() const { return thread_root_id_.isEmpty() && (more_on_server_ || !store_start_reached_); }
  bool olderOnDemand() const { return older_on_demand_; }
  void setOlderOnDemand(bool on);
  // The next older page, whatever olderOnDemand says (see fetchMore()).
  Q_INVOKABLE void loadOlder();
  // Moves the unread line to the user's read cursor as it is now (an app calls it when the
  // user comes back to the conversation).
  Q_INVOKABLE void resetUnreadLine();
  // The row of a message by its server id, or -1 (a jump to a search result).
  Q_INVOKABLE int rowOf(const QString& messageId) const;
  // A row's roles by name (as QML's ListModel.get()); empty for a row out of range.
  Q_INVOKABLE QVariantMap get(int row) const;
  // The row's message, as the client reads it.
  const TimelineMessage& message(int row) const { return rows_.at(static_cast<std::size_t>(row)); }

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;
  // Older messages exist, in the store or on the server.
  bool canFetchMore(const QModelIndex& parent) const override;
  // Inserts the store's next older page at the top, or asks the server for more
  // (load_older()); what it stores comes in as rows at the top.
  void fetchMore(const QModelIndex& parent) override;

 signals:
  void countChanged();
  void fetchingChanged();
  void olderOnDemandChanged();
  void hasOlderChanged();
  void unreadLineChanged();
  // The model was reset: its rows were read again.
  void reloaded();

 private:
  QVariantList attachmentsOf(const TimelineMessage& m) const;
  // A transfer moved: the rows that show it change (AttachmentsRole).
  void uploadMoved(qint64 localId, int index, qint64 sent, qint64 total, const QString& state);
  void downloadMoved(const QString& attachmentId, qint64 received, qint64 total, const QString& state,
                     const QString& fileUrl);
  struct Transfer {
    double progress = 0;
    QString state;
    QString fileUrl;
  };
  std::map<std::pair<qint64, int>, Transfer> uploads_;  // by local id, index
  std::map<QString, Transfer> downloads_;                // by attachment id

  void apply(const ConversationChange& change);
  void reload();
  std::vector<TimelineMessage> readAll(bool* more_on_server) const;
  std::optional<TimelineMessage> readStored(Seq seq) const;
  std::optional<TimelineMessage> readEcho(std::int64_t local_id) const;
  std::optional<std::size_t> findStored(Seq seq) const;
  std::optional<std::size_t> findEcho(std::int64_t local_id) const;
  bool holdsPlaceOf(Seq seq) const;
  int storedRows() const;
  void setFetching(bool fetching);
  void insert(TimelineMessage row);
  // Stored rows (with a seq), each at its place.
  void insertAll(std::vector<TimelineMessage> rows);
  void update(std::size_t index, TimelineMessage data);
  void removeAt(std::size_t index);
  // Rows whose day or group flag depends on the row above `index` changed.
  void neighbourChanged(std::size_t index);
  QVariant value(std::size_t index, int role) const;
  // The stored receipts of the conversation read again; the rows whose "read by" changed
  // get dataChanged.
  void readReceipts();
  // The directory was stored: senders' names as it now gives them.
  void readNames();
  // The rows that quote `message_id` show its sender and text: dataChanged for them.
  void quotedChanged(const std::string& message_id);
  // hasOlderChanged, if hasOlder() is not what it was last told.
  void tellHasOlder();
  int readByCount(const TimelineMessage& m) const;
  bool deliveredToAnyone(const TimelineMessage& m) const;
  Seq firstUnreadSeq() const;

  QPointer<ChatClient> chat_;
  const QString conversation_id_;
  const QString thread_root_id_;
  std::string user_id_;
  std::vector<TimelineMessage> rows_;
  bool more_on_server_ = false;      // the server has older messages than the store
  bool store_start_reached_ = true;  // the store has no older message than the rows
  bool fetching_ = false;  // load_older() asked, its page not stored yet
  bool in_fetch_more_ = false;
  bool older_on_demand_ = false;
  bool had_older_ = false;  // hasOlder() as last told
  Seq read_seq_at_open_ = 0;
  std::vector<Receipt> receipts_;  // the other members' cursors, as stored
};

}  // namespace confab::qt
