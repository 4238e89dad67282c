#include "confab/qt/message_list_model.h"

#include <QDateTime>
#include <QScopedValueRollback>
#include <QVariantList>
#include <QVariantMap>

#include <algorithm>

#include "confab/qt/chat_client.h"
#include "row_roles.h"

namespace confab::qt {

namespace {

constexpr int kPage = 50;                                // rows read at a time from the store
constexpr int kServerPage = 100;                         // older events asked of the server at a time
constexpr std::int64_t kGroupPauseMs = 5 * 60 * 1000;    // a pause this long starts a new group

// Rows with a seq by seq, then the echoes waiting for their ack by local id
// (conversation.h's order).
bool before(const TimelineMessage& a, const TimelineMessage& b) {
  bool a_waits = a.seq == 0, b_waits = b.seq == 0;
  if (a_waits != b_waits) return !a_waits;
  if (!a_waits) return a.seq < b.seq;
  return a.local->local_id < b.local->local_id;
}

QDateTime time_of(std::int64_t ms) { return ms == 0 ? QDateTime() : QDateTime::fromMSecsSinceEpoch(ms); }

// An echo not yet acknowledged: its outbox state; with a seq, what the server has of it.
bool acknowledged(const TimelineMessage& m) { return m.seq != 0 && (!m.local || m.local->state == OutboxState::sent); }

// The roles that a row's own data gives (not those that depend on the row above).
constexpr int kDataRoles[] = {
    MessageListModel::ClientMessageIdRole, MessageListModel::MessageIdRole,   MessageListModel::LocalIdRole,
    MessageListModel::SeqRole,             MessageListModel::SenderIdRole,    MessageListModel::SenderNameRole,
    MessageListModel::TextRole,            MessageListModel::CreatedAtRole,   MessageListModel::EditedRole,
    MessageListModel::DeletedRole,         MessageListModel::ReactionsRole,   MessageListModel::ReplyCountRole,
    MessageListModel::LastReplyAtRole,     MessageListModel::ReplyToRole,     MessageListModel::ThreadRootIdRole,
    MessageListModel::DeliveryStateRole,   MessageListModel::ErrorRole,       MessageListModel::IsOwnRole,
    MessageListModel::ReadByCountRole,     MessageListModel::ReadByRole,      MessageListModel::ReplyToSenderRole,
    MessageListModel::ReplyToTextRole,     MessageListModel::AttachmentsRole, MessageListModel::ErrorCodeRole,
};

}  // namespace

MessageListModel::MessageListModel(ChatClient* chat, const QString& conversationId, const QString& threadRootId,
                                   QObject* parent)
    : QAbstractListModel(parent), chat_(chat), conversation_id_(conversationId), thread_root_id_(threadRootId) {
  Q_ASSERT(chat);
  // Changes come queued on this thread; one posted before this read and delivered after it
  // is applied again, which changes nothing (each entry is idempotent).
  connect(chat, &ChatClient::conversationChanged, this, &MessageListModel::apply);
  connect(chat, &ChatClient::directoryChanged, this, &MessageListModel::readNames);
  connect(chat, &ChatClient::uploadProgress, this, &MessageListModel::uploadMoved);
  connect(chat, &ChatClient::downloadProgress, this,
          [this](const QString& id, qint64 received, qint64 total, const QString& state) {
            downloadMoved(id, received, total, state, {});
          });
  connect(chat, &ChatClient::downloadFinished, this,
          [this](const QString& id, const QString& url) { downloadMoved(id, 1, 1, "done", url); });
  connect(chat, &ChatClient::receiptsChanged, this, [this](const QString& conversation) {
    if (conversation == conversation_id_) readReceipts();
  });
  user_id_ = chat->client().user_id();
  auto info = chat->client().conversation(conversationId.toStdString());
  if (info.ok()) read_seq_at_open_ = info->read_seq;
  // Asking also watches the conversation: its receipts are asked for after each connection.
  auto receipts = chat->client().receipts(conversationId.toStdString());
  if (receipts.ok()) receipts_ = std::move(*receipts);
  rows_ = readAll(&more_on_server_);
  store_start_reached_ = storedRows() < kPage;
  had_older_ = hasOlder();
}

QVariantList MessageListModel::attachmentsOf(const TimelineMessage& m) const {
  QVariantList out;
  const bool uploading = m.local && m.local->state != OutboxState::sent;
  for (std::size_t i = 0; i < m.attachments.size(); ++i) {
    const auto& a = m.attachments[i];
    auto file = attachmentMap(a);
    Transfer transfer;
    if (uploading) {
      if (auto it = uploads_.find({m.local->local_id, static_cast<int>(i)}); it != uploads_.end()) transfer = it->second;
    } else if (auto it = downloads_.find(toQString(a.attachment_id)); it != downloads_.end()) {
      transfer = it->second;
    }
    if (transfer.fileUrl.isEmpty() && !a.attachment_id.empty() && chat_) transfer.fileUrl = chat_->cachedFile(file);
    file["progress"] = transfer.progress;
    file["transfer"] = transfer.state;
    file["fileUrl"] = transfer.fileUrl;
    out.push_back(file);
  }
  return out;
}

void MessageListModel::uploadMoved(qint64 localId, int index, qint64 sent, qint64 total, const QString& state) {
  auto& t = uploads_[{localId, index}];
  t.progress = total > 0 ? static_cast<double>(sent) / static_cast<double>(total) : 0;
  t.state = state;
  if (state == "cancelled") uploads_.erase({localId, index});
  if (auto row = findEcho(localId)) {
    auto changed = createIndex(static_cast<int>(*row), 0);
    emit dataChanged(changed, changed, {AttachmentsRole});
  }
}

void MessageListModel::downloadMoved(const QString& attachmentId, qint64 received, qint64 total, const QString& state,
                                     const QString& fileUrl) {
  auto& t = downloads_[attachmentId];
  t.progress = total > 0 ? static_cast<double>(received) / static_cast<double>(total) : 0;
  t.state = state;
  if (!fileUrl.isEmpty()) t.fileUrl = fileUrl;
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    const auto& files = rows_[i].attachments;
    bool shows = std::any_of(files.begin(), files.end(), [&](const Attachment& a) { return toQString(a.attachment_id) == attachmentId; });
    if (!shows) continue;
    auto changed = createIndex(static_cast<int>(i), 0);
    emit dataChanged(changed, changed, {AttachmentsRole});
  }
}

void MessageListModel::tellHasOlder() {
  if (hasOlder() == had_older_) return;
  had_older_ = hasOlder();
  emit hasOlderChanged();
}

void MessageListModel::resetUnreadLine() {
  if (!chat_) return;
  auto info = chat_->client().conversation(conversation_id_.toStdString());
  if (!info.ok() || info->read_seq == read_seq_at_open_) return;
  read_seq_at_open_ = info->read_seq;
  if (!rows_.empty()) emit dataChanged(index(0), index(count() - 1), {FirstUnreadRole});
  emit unreadLineChanged();
}

void MessageListModel::quotedChanged(const std::string& message_id) {
  if (message_id.empty()) return;
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (rows_[i].reply_to != message_id) continue;
    auto changed = createIndex(static_cast<int>(i), 0);
    emit dataChanged(changed, changed, {ReplyToSenderRole, ReplyToTextRole});
  }
}

qint64 MessageListModel::newestSeq() const {
  for (auto row = rows_.rbegin(); row != rows_.rend(); ++row) {
    if (row->seq != 0) return row->seq;
  }
  return 0;
}

int MessageListModel::rowOf(const QString& messageId) const {
  auto id = messageId.toStdString();
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (!id.empty() && rows_[i].message_id == id) return static_cast<int>(i);
  }
  return -1;
}

QVariantMap MessageListModel::get(int row) const { return rowRoles(*this, row); }

int MessageListModel::readByCount(const TimelineMessage& m) const {
  if (!acknowledged(m)) return 0;
  return static_cast<int>(
      std::count_if(receipts_.begin(), receipts_.end(), [&](const Receipt& r) { return r.read_seq >= m.seq; }));
}

bool MessageListModel::deliveredToAnyone(const TimelineMessage& m) const {
  if (!acknowledged(m)) return false;
  return std::any_of(receipts_.begin(), receipts_.end(), [&](const Receipt& r) { return r.delivered_seq >= m.seq; });
}

Seq MessageListModel::firstUnreadSeq() const {
  for (const auto& m : rows_) {
    if (m.seq > read_seq_at_open_ && !m.local && m.sender_id != user_id_) return m.seq;
  }
  return 0;
}

void MessageListModel::readNames() {
  if (!chat_) return;
  if (user_id_.empty()) user_id_ = chat_->client().user_id();
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    auto user = chat_->client().user(rows_[i].sender_id);
    if (!user || user->display_name.empty() || user->display_name == rows_[i].sender_name) continue;
    rows_[i].sender_name = user->display_name;
    auto changed = createIndex(static_cast<int>(i), 0);
    emit dataChanged(changed, changed, {SenderNameRole});
  }
  // Quotes and readers show names too.
  if (!rows_.empty()) emit dataChanged(index(0), index(count() - 1), {ReplyToSenderRole, ReadByRole});
}

void MessageListModel::readReceipts() {
  if (!chat_) return;
  auto read = chat_->client().receipts(conversation_id_.toStdString());
  if (!read.ok()) return;
  std::vector<std::pair<QVariant, QVariant>> before;
  before.reserve(rows_.size());
  for (std::size_t i = 0; i < rows_.size(); ++i) before.emplace_back(value(i, DeliveryStateRole), value(i, ReadByRole));
  receipts_ = std::move(*read);
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    QList<int> roles;
    if (value(i, DeliveryStateRole) != before[i].first) roles.push_back(DeliveryStateRole);
    if (value(i, ReadByRole) != before[i].second) roles += QList<int>{ReadByRole, ReadByCountRole};
    if (roles.isEmpty()) continue;
    auto changed = createIndex(static_cast<int>(i), 0);
    emit dataChanged(changed, changed, roles);
  }
}

void MessageListModel::setFetching(bool fetching) {
  if (fetching_ == fetching) return;
  fetching_ = fetching;
  emit fetchingChanged();
}

int MessageListModel::storedRows() const {
  return static_cast<int>(std::count_if(rows_.begin(), rows_.end(), [](const TimelineMessage& m) { return !m.local; }));
}

int MessageListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

QHash<int, QByteArray> MessageListModel::roleNames() const {
  return {
      {ClientMessageIdRole, "clientMessageId"},
      {MessageIdRole, "messageId"},
      {LocalIdRole, "localId"},
      {SeqRole, "seq"},
      {SenderIdRole, "senderId"},
      {SenderNameRole, "senderName"},
      {TextRole, "text"},
      {CreatedAtRole, "createdAt"},
      {EditedRole, "edited"},
      {DeletedRole, "deleted"},
      {ReactionsRole, "reactions"},
      {ReplyCountRole, "replyCount"},
      {LastReplyAtRole, "lastReplyAt"},
      {ReplyToRole, "replyTo"},
      {ThreadRootIdRole, "threadRootId"},
      {DeliveryStateRole, "deliveryState"},
      {ErrorRole, "error"},
      {IsOwnRole, "isOwn"},
      {StartsNewDayRole, "startsNewDay"},
      {StartsNewGroupRole, "startsNewGroup"},
      {ReadByCountRole, "readByCount"},
      {ReadByRole, "readBy"},
      {ReplyToSenderRole, "replyToSender"},
      {ReplyToTextRole, "replyToText"},
      {AttachmentsRole, "attachments"},
      {FirstUnreadRole, "firstUnread"},
      {ErrorCodeRole, "errorCode"},
  };
}

QVariant MessageListModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
  if (role == Qt::DisplayRole) role = TextRole;
  return value(static_cast<std::size_t>(index.row()), role);
}

QVariant MessageListModel::value(std::size_t index, int role) const {
  const auto& m = rows_[index];
  const TimelineMessage* above = index > 0 ? &rows_[index - 1] : nullptr;
  switch (role) {
    case ClientMessageIdRole:
      return toQString(m.client_message_id);
    case MessageIdRole:
      return toQString(m.message_id);
    case LocalIdRole:
      return QVariant::fromValue<qint64>(m.local ? m.local->local_id : 0);
    case SeqRole:
      return QVariant::fromValue<qint64>(m.seq);
    case SenderIdRole:
      return toQString(m.sender_id);
    case SenderNameRole:
      return toQString(m.sender_name.empty() ? m.sender_id : m.sender_name);
    case TextRole:
      return toQString(m.text);
    case CreatedAtRole:
      return time_of(m.created_at_ms);
    case EditedRole:
      return m.edited;
    case DeletedRole:
      return m.deleted;
    case ReactionsRole: {
      QVariantList reactions;
      for (const auto& r : m.reactions) {
        bool mine = std::find(r.user_ids.begin(), r.user_ids.end(), user_id_) != r.user_ids.end();
        reactions.push_back(QVariantMap{{"emoji", toQString(r.emoji)},
                                        {"count", static_cast<int>(r.user_ids.size())},
                                        {"mine", mine}});
      }
      return reactions;
    }
    case ReplyCountRole:
      return m.reply_count;
    case LastReplyAtRole:
      return time_of(m.last_reply_at_ms);
    case ReplyToRole:
      return toQString(m.reply_to);
    case ThreadRootIdRole:
      return toQString(m.thread_root_id);
    case DeliveryStateRole:
      if (m.local && m.local->state != OutboxState::sent) return toQString(to_string(m.local->state));
      if (readByCount(m) > 0) return QStringLiteral("read");
      return deliveredToAnyone(m) ? QStringLiteral("delivered") : QStringLiteral("sent");
    case ReadByCountRole:
      return readByCount(m);
    case ReadByRole: {
      QStringList names;
      if (!acknowledged(m) || !chat_) return names;
      for (const auto& r : receipts_) {
        if (r.read_seq < m.seq) continue;
        auto user = chat_->client().user(r.user_id);
        names.push_back(toQString(user && !user->display_name.empty() ? user->display_name : r.user_id));
      }
      return names;
    }
    case ReplyToSenderRole:
    case ReplyToTextRole: {
      if (m.reply_to.empty()) return QString();
      auto quoted = std::find_if(rows_.begin(), rows_.end(),
                                 [&](const TimelineMessage& q) { return q.message_id == m.reply_to; });
      if (quoted == rows_.end()) return QString();
      if (role == ReplyToTextRole) return quoted->deleted ? tr("This message was deleted") : toQString(quoted->text);
      return toQString(quoted->sender_name.empty() ? quoted->sender_id : quoted->sender_name);
    }
    case AttachmentsRole:
      return attachmentsOf(m);
    case FirstUnreadRole:
      return m.seq != 0 && m.seq == firstUnreadSeq();
    case ErrorRole:
      return m.local && m.local->last_error && m.local->state == OutboxState::failed
                 ? toQString(m.local->last_error->message)
                 : QString();
    case ErrorCodeRole:
      return m.local && m.local->last_error && m.local->state == OutboxState::failed
                 ? toQString(to_string(m.local->last_error->code))
                 : QString();
    case IsOwnRole:
      return !user_id_.empty() && m.sender_id == user_id_;
    case StartsNewDayRole:
      return above == nullptr || time_of(above->created_at_ms).date() != time_of(m.created_at_ms).date();
    case StartsNewGroupRole:
      return above == nullptr || above->sender_id != m.sender_id ||
             m.created_at_ms - above->created_at_ms >= kGroupPauseMs ||
             time_of(above->created_at_ms).date() != time_of(m.created_at_ms).date();
    default:
      return {};
  }
}

bool MessageListModel::canFetchMore(const QModelIndex& parent) const {
  if (parent.isValid() || older_on_demand_ || fetching_ || in_fetch_more_) return false;
  return hasOlder();
}

void MessageListModel::setOlderOnDemand(bool on) {
  if (on == older_on_demand_) return;
  older_on_demand_ = on;
  emit olderOnDemandChanged();
}

void MessageListModel::loadOlder() {
  QScopedValueRollback<bool> on_demand(older_on_demand_, false);
  fetchMore({});
}

void MessageListModel::fetchMore(const QModelIndex& parent) {
  if (!canFetchMore(parent) || !chat_) return;
  struct Tell {
    MessageListModel* model;
    ~Tell() { model->tellHasOlder(); }
  } tell{this};
  // A view (or Qt's model tester) may call again from a slot of the signals below.
  QScopedValueRollback<bool> inside(in_fetch_more_, true);
  auto& client = chat_->client();
  auto conversation = conversation_id_.toStdString();
  auto oldest = std::find_if(rows_.begin(), rows_.end(), [](const TimelineMessage& m) { return m.seq != 0; });
  if (!store_start_reached_ && oldest != rows_.end()) {
    auto page = client.messages(conversation, oldest->seq, kPage);
    if (page.ok()) {
      more_on_server_ = page->more_on_server;
      auto& older = page->messages;
      bool short_page = older.size() < static_cast<std::size_t>(kPage);  // the store holds nothing older
      std::erase_if(older, [this](const TimelineMessage& m) { return m.seq == 0 || findStored(m.seq).has_value(); });
      store_start_reached_ = older.empty() || short_page;
      if (!older.empty()) {
        beginInsertRows({}, 0, static_cast<int>(older.size()) - 1);
        rows_.insert(rows_.begin(), older.begin(), older.end());
        endInsertRows();
        neighbourChanged(older.size());
        emit countChanged();
        return;
      }
    }
  }
  store_start_reached_ = true;
  if (!more_on_server_) return;
  auto asked = client.load_older(conversation, kServerPage);
  if (!asked.ok()) return;  // the store could not be read: asked again on the next call
  if (!*asked) {
    more_on_server_ = false;  // the server has nothing older
    return;
  }
  setFetching(true);
}

std::vector<TimelineMessage> MessageListModel::readAll(bool* more_on_server) const {
  *more_on_server = false;
  if (!chat_) return {};
  auto& client = chat_->client();
  if (!thread_root_id_.isEmpty()) {
    auto replies = client.thread(thread_root_id_.toStdString());
    return replies.ok() ? std::move(*replies) : std::vector<TimelineMessage>{};
  }
  auto page = client.messages(conversation_id_.toStdString(), 0, kPage);
  if (!page.ok()) return {};
  *more_on_server = page->more_on_server;
  return std::move(page->messages);
}

std::optional<TimelineMessage> MessageListModel::readStored(Seq seq) const {
  if (!chat_) return std::nullopt;
  if (!thread_root_id_.isEmpty()) {
    bool unused = false;
    for (auto& m : readAll(&unused)) {
      if (!m.local && m.seq == seq) return m;
    }
    return std::nullopt;
  }
  auto page = chat_->client().messages(conversation_id_.toStdString(), seq + 1, 1);
  if (!page.ok() || page->messages.empty()) return std::nullopt;
  auto& m = page->messages.back();
  if (m.seq != seq || m.local) return std::nullopt;
  return std::move(m);
}

std::optional<TimelineMessage> MessageListModel::readEcho(std::int64_t local_id) const {
  bool unused = false;
  for (auto& m : readAll(&unused)) {
    if (m.local && m.local->local_id == local_id) return m;
  }
  return std::nullopt;
}

std::optional<std::size_t> MessageListModel::findStored(Seq seq) const {
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (!rows_[i].local && rows_[i].seq == seq) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> MessageListModel::findEcho(std::int64_t local_id) const {
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (rows_[i].local && rows_[i].local->local_id == local_id) return i;
  }
  return std::nullopt;
}

// The model holds a contiguous part of the timeline: a stored row older than its oldest
// is not its to show (fetchMore() brings it), unless it holds the whole timeline.
bool MessageListModel::holdsPlaceOf(Seq seq) const {
  if (rows_.empty() || !thread_root_id_.isEmpty()) return true;
  auto oldest = std::find_if(rows_.begin(), rows_.end(), [](const TimelineMessage& m) { return m.seq != 0; });
  if (oldest == rows_.end()) return true;
  return seq > oldest->seq || fetching_ || (store_start_reached_ && !more_on_server_);
}

void MessageListModel::insert(TimelineMessage row) {
  auto at = static_cast<std::size_t>(std::upper_bound(rows_.begin(), rows_.end(), row, before) - rows_.begin());
  beginInsertRows({}, static_cast<int>(at), static_cast<int>(at));
  rows_.insert(rows_.begin() + static_cast<std::ptrdiff_t>(at), std::move(row));
  endInsertRows();
  neighbourChanged(at + 1);
  emit countChanged();
}

void MessageListModel::insertAll(std::vector<TimelineMessage> rows) {
  if (rows.empty()) return;
  std::sort(rows.begin(), rows.end(), before);
  rows.erase(std::unique(rows.begin(), rows.end(),
                         [](const TimelineMessage& a, const TimelineMessage& b) { return a.seq == b.seq; }),
             rows.end());
  // Rows that go between the same two rows go in as one block (one rowsInserted: a page
  // of older history is one insert at the top).
  for (std::size_t i = 0; i < rows.size();) {
    auto at = static_cast<std::size_t>(std::upper_bound(rows_.begin(), rows_.end(), rows[i], before) - rows_.begin());
    auto j = i + 1;
    while (j < rows.size() && (at == rows_.size() || before(rows[j], rows_[at]))) ++j;
    beginInsertRows({}, static_cast<int>(at), static_cast<int>(at + (j - i) - 1));
    rows_.insert(rows_.begin() + static_cast<std::ptrdiff_t>(at), std::make_move_iterator(rows.begin() + static_cast<std::ptrdiff_t>(i)),
                 std::make_move_iterator(rows.begin() + static_cast<std::ptrdiff_t>(j)));
    endInsertRows();
    neighbourChanged(at + (j - i));
    for (auto k = at; k < at + (j - i); ++k) quotedChanged(rows_[k].message_id);
    i = j;
  }
  emit countChanged();
}

void MessageListModel::update(std::size_t index, TimelineMessage data) {
  QList<int> roles;
  auto old = rows_[index];
  rows_[index] = std::move(data);
  for (int role : kDataRoles) {
    std::swap(rows_[index], old);
    auto before_value = value(index, role);
    std::swap(rows_[index], old);
    if (value(index, role) != before_value) roles.push_back(role);
  }
  // Its place, among the other rows.
  auto row = rows_[index];
  std::vector<TimelineMessage> others = rows_;
  others.erase(others.begin() + static_cast<std::ptrdiff_t>(index));
  auto at = static_cast<std::size_t>(std::upper_bound(others.begin(), others.end(), row, before) - others.begin());
  if (at != index) {
    auto destination = static_cast<int>(at > index ? at + 1 : at);
    beginMoveRows({}, static_cast<int>(index), static_cast<int>(index), {}, destination);
    others.insert(others.begin() + static_cast<std::ptrdiff_t>(at), std::move(row));
    rows_ = std::move(others);
    endMoveRows();
    neighbourChanged(index);
    neighbourChanged(index + 1);
  }
  if (!roles.isEmpty()) {
    auto changed = createIndex(static_cast<int>(at), 0);
    emit dataChanged(changed, changed, roles);
    if (roles.contains(TextRole) || roles.contains(DeletedRole) || roles.contains(MessageIdRole))
      quotedChanged(rows_[at].message_id);
  }
  neighbourChanged(at);
  neighbourChanged(at + 1);
}

void MessageListModel::removeAt(std::size_t index) {
  beginRemoveRows({}, static_cast<int>(index), static_cast<int>(index));
  rows_.erase(rows_.begin() + static_cast<std::ptrdiff_t>(index));
  endRemoveRows();
  neighbourChanged(index);
  emit countChanged();
}

void MessageListModel::neighbourChanged(std::size_t index) {
  if (index >= rows_.size()) return;
  auto changed = createIndex(static_cast<int>(index), 0);
  emit dataChanged(changed, changed, {StartsNewDayRole, StartsNewGroupRole, FirstUnreadRole});
}

void MessageListModel::reload() {
  beginResetModel();
  rows_ = readAll(&more_on_server_);
  store_start_reached_ = storedRows() < kPage;
  endResetModel();
  setFetching(false);
  emit countChanged();
  tellHasOlder();
  emit reloaded();
}

void MessageListModel::apply(const ConversationChange& c) {
  if (!chat_ || c.conversation_id != conversation_id_.toStdString()) return;
  if (user_id_.empty()) user_id_ = chat_->client().user_id();
  if (c.thread_root_id != thread_root_id_.toStdString()) {
    if (!thread_root_id_.isEmpty() && c.thread_root_id.empty() && c.reset) reload();  // a thread reloads with its conversation
    return;
  }
  if (c.reset) reload();
  for (auto local_id : c.echoes_added) {
    if (findEcho(local_id)) continue;
    if (auto data = readEcho(local_id)) insert(std::move(*data));
  }
  for (const auto& m : c.merged) {
    auto data = readStored(m.seq);
    if (!data) continue;
    if (auto echo = findEcho(m.local_id)) {
      update(*echo, std::move(*data));
    } else if (!findStored(m.seq)) {
      insert(std::move(*data));
    }
  }
  std::vector<TimelineMessage> stored;
  for (const auto* seqs : {&c.appended, &c.older_stored}) {
    for (auto seq : *seqs) {
      if (findStored(seq) || !holdsPlaceOf(seq)) continue;
      if (auto data = readStored(seq)) stored.push_back(std::move(*data));
    }
  }
  insertAll(std::move(stored));
  if (c.older && fetching_) {  // what fetchMore() asked for is stored, and inserted above
    auto oldest = std::find_if(rows_.begin(), rows_.end(), [](const TimelineMessage& m) { return m.seq != 0; });
    if (oldest != rows_.end()) {
      auto page = chat_->client().messages(conversation_id_.toStdString(), oldest->seq, 1);
      if (page.ok()) {
        more_on_server_ = page->more_on_server;
        store_start_reached_ = page->messages.empty();
      }
    }
    setFetching(false);
    tellHasOlder();
  }
  for (const auto& u : c.updated) {
    auto index = u.local_id != 0 ? findEcho(u.local_id) : findStored(u.seq);
    if (!index) continue;
    auto data = u.local_id != 0 ? readEcho(u.local_id) : readStored(u.seq);
    if (data) update(*index, std::move(*data));
  }
  bool receipts_moved = std::any_of(c.updated.begin(), c.updated.end(),
                                    [](const MessageUpdate& u) { return (u.flags & MessageUpdate::receipts) != 0; });
  if (receipts_moved) readReceipts();
  for (auto local_id : c.echoes_removed) {
    if (auto echo = findEcho(local_id)) removeAt(*echo);
  }
}

}  // namespace confab::qt
