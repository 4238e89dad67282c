#include "client/notifier.h"

#include "client/row_changes.h"

#include <algorithm>
#include <type_traits>

namespace confab::client {

namespace {

template <class T>
void concatenate(std::vector<T>& into, const std::vector<T>& later) {
  into.insert(into.end(), later.begin(), later.end());
}

// The queue's key of a change: its conversation, and its thread when it is about one.
std::string key_of(const ConversationChange& change) {
  return change.thread_root_id.empty() ? change.conversation_id : change.conversation_id + '\n' + change.thread_root_id;
}

}  // namespace

void merge(ConversationChange& into, const ConversationChange& later) {
  into.events_applied += later.events_applied;
  into.messages_skipped += later.messages_skipped;
  into.reset = into.reset || later.reset;
  into.older = into.older || later.older;
  into.read = into.read || later.read;
  into.synced_seq = std::max(into.synced_seq, later.synced_seq);
  // Row-level detail. A model reads everything again at a reset: what came before it is
  // in what it reads.
  if (later.reset) {
    into.appended.clear();
    into.older_stored.clear();
    into.updated.clear();
    into.merged.clear();
    into.echoes_added.clear();
    into.echoes_removed.clear();
    into.window_low = later.window_low;
  }
  concatenate(into.appended, later.appended);
  concatenate(into.older_stored, later.older_stored);
  concatenate(into.merged, later.merged);
  concatenate(into.echoes_added, later.echoes_added);
  concatenate(into.echoes_removed, later.echoes_removed);
  for (const auto& u : later.updated) add_update(into, u);
}

Notifier::Notifier()
    : thread_(std::make_shared<CallbackThread>()),
      connection_listeners_(std::make_shared<ListenerTable<ConnectionChange>>(thread_)),
      message_listeners_(std::make_shared<ListenerTable<Message>>(thread_)),
      outbox_listeners_(std::make_shared<ListenerTable<LocalMessage>>(thread_)),
      conversation_listeners_(std::make_shared<ListenerTable<ConversationChange>>(thread_)),
      sync_listeners_(std::make_shared<ListenerTable<SyncProgress>>(thread_)),
      typing_listeners_(std::make_shared<ListenerTable<TypingChange>>(thread_)),
      presence_listeners_(std::make_shared<ListenerTable<PresenceChange>>(thread_)),
      receipt_listeners_(std::make_shared<ListenerTable<ReceiptChange>>(thread_)),
      upload_listeners_(std::make_shared<ListenerTable<UploadProgress>>(thread_)),
      download_listeners_(std::make_shared<ListenerTable<DownloadProgress>>(thread_)),
      directory_listeners_(std::make_shared<ListenerTable<Signal>>(thread_)) {}

Notifier::~Notifier() { stop(); }

Subscription Notifier::on_connection(std::function<void(const ConnectionChange&)> callback) {
  return connection_listeners_->add(std::move(callback));
}
Subscription Notifier::on_message(std::function<void(const Message&)> callback) {
  return message_listeners_->add(std::move(callback));
}
Subscription Notifier::on_outbox(std::function<void(const LocalMessage&)> callback) {
  return outbox_listeners_->add(std::move(callback));
}
Subscription Notifier::on_conversation(std::function<void(const ConversationChange&)> callback) {
  return conversation_listeners_->add(std::move(callback));
}
Subscription Notifier::on_sync(std::function<void(const SyncProgress&)> callback) {
  return sync_listeners_->add(std::move(callback));
}

void Notifier::connection(ConnectionChange change) {
  std::lock_guard lock(mutex_);
  if (stopped_ || connection_listeners_->empty()) return;
  append(std::move(change));
}

void Notifier::outbox(const LocalMessage& message) {
  std::lock_guard lock(mutex_);
  if (stopped_ || outbox_listeners_->empty()) return;
  if (auto queued = outbox_queued_.find(message.local_id); queued != outbox_queued_.end()) {
    *queued->second = message;  // the states it went through meanwhile are not repeated
    queue_.splice(queue_.end(), queue_, queued->second);
    return;
  }
  append(message);
  outbox_queued_.emplace(message.local_id, std::prev(queue_.end()));
}

void Notifier::conversation(const ConversationChange& change) {
  std::lock_guard lock(mutex_);
  if (stopped_) return;
  merge_conversation(change);
}

void Notifier::merge_conversation(const ConversationChange& change) {
  if (conversation_listeners_->empty()) return;
  auto key = key_of(change);
  if (auto queued = conversation_queued_.find(key); queued != conversation_queued_.end()) {
    merge(std::get<ConversationChange>(*queued->second), change);
    queue_.splice(queue_.end(), queue_, queued->second);
    return;
  }
  append(change);
  conversation_queued_.emplace(std::move(key), std::prev(queue_.end()));
}

void Notifier::sync(const SyncProgress& progress) {
  std::lock_guard lock(mutex_);
  if (stopped_ || sync_listeners_->empty()) return;
  if (sync_queued_) {
    **sync_queued_ = progress;
    queue_.splice(queue_.end(), queue_, *sync_queued_);
    return;
  }
  append(progress);
  sync_queued_ = std::prev(queue_.end());
}

Subscription Notifier::on_typing(std::function<void(const TypingChange&)> callback) {
  return typing_listeners_->add(std::move(callback));
}
Subscription Notifier::on_presence(std::function<void(const PresenceChange&)> callback) {
  return presence_listeners_->add(std::move(callback));
}

Subscription Notifier::on_receipts(std::function<void(const ReceiptChange&)> callback) {
  return receipt_listeners_->add(std::move(callback));
}

void Notifier::receipt(const ReceiptChange& change) {
  std::lock_guard lock(mutex_);
  if (stopped_ || receipt_listeners_->empty()) return;
  auto key = std::make_pair(change.conversation_id, change.receipt.user_id);
  if (auto queued = receipt_queued_.find(key); queued != receipt_queued_.end()) {
    *queued->second = change;  // cursors only move forward: the newest says it all
    queue_.splice(queue_.end(), queue_, queued->second);
    return;
  }
  append(change);
  receipt_queued_.emplace(std::move(key), std::prev(queue_.end()));
}

void Notifier::typing(const TypingChange& change) {
  std::lock_guard lock(mutex_);
  if (stopped_ || typing_listeners_->empty()) return;
  if (auto queued = typing_queued_.find(change.conversation_id); queued != typing_queued_.end()) {
    *queued->second = change;  // the whole list: the newer one says it all
    queue_.splice(queue_.end(), queue_, queued->second);
    return;
  }
  append(change);
  typing_queued_.emplace(change.conversation_id, std::prev(queue_.end()));
}

void Notifier::presence(const PresenceChange& change) {
  std::lock_guard lock(mutex_);
  if (stopped_ || presence_listeners_->empty()) return;
  if (auto queued = presence_queued_.find(change.user_id); queued != presence_queued_.end()) {
    *queued->second = change;
    queue_.splice(queue_.end(), queue_, queued->second);
    return;
  }
  append(change);
  presence_queued_.emplace(change.user_id, std::prev(queue_.end()));
}

Subscription Notifier::on_upload(std::function<void(const UploadProgress&)> callback) {
  return upload_listeners_->add(std::move(callback));
}

Subscription Notifier::on_download(std::function<void(const DownloadProgress&)> callback) {
  return download_listeners_->add(std::move(callback));
}

void Notifier::upload(const UploadProgress& progress) {
  std::lock_guard lock(mutex_);
  if (stopped_ || upload_listeners_->empty()) return;
  std::pair key{progress.local_id, progress.index};
  if (auto queued = upload_queued_.find(key); queued != upload_queued_.end()) {
    *queued->second = progress;
    queue_.splice(queue_.end(), queue_, queued->second);
    return;
  }
  append(progress);
  upload_queued_.emplace(key, std::prev(queue_.end()));
}

void Notifier::download(const DownloadProgress& progress) {
  std::lock_guard lock(mutex_);
  if (stopped_ || download_listeners_->empty()) return;
  if (auto queued = download_queued_.find(progress.attachment_id); queued != download_queued_.end()) {
    *queued->second = progress;
    queue_.splice(queue_.end(), queue_, queued->second);
    return;
  }
  append(progress);
  download_queued_.emplace(progress.attachment_id, std::prev(queue_.end()));
}

void Notifier::append(Note note) {
  queue_.push_back(std::move(note));
  schedule();
}

void Notifier::schedule() {
  if (delivering_) return;
  delivering_ = true;
  thread_->post([this] { deliver_next(); });
}

void Notifier::deliver_next() {
  Note note;
  {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) {
      delivering_ = false;
      return;
    }
    note = std::move(queue_.front());
    std::visit(
        [this](const auto& n) {
          using T = std::decay_t<decltype(n)>;
          if constexpr (std::is_same_v<T, LocalMessage>) {
            outbox_queued_.erase(n.local_id);
          } else if constexpr (std::is_same_v<T, ConversationChange>) {
            conversation_queued_.erase(key_of(n));
          } else if constexpr (std::is_same_v<T, SyncProgress>) {
            sync_queued_.reset();
          } else if constexpr (std::is_same_v<T, Message>) {
            --messages_queued_;
          } else if constexpr (std::is_same_v<T, TypingChange>) {
            typing_queued_.erase(n.conversation_id);
          } else if constexpr (std::is_same_v<T, PresenceChange>) {
            presence_queued_.erase(n.user_id);
          } else if constexpr (std::is_same_v<T, ReceiptChange>) {
            receipt_queued_.erase({n.conversation_id, n.receipt.user_id});
          } else if constexpr (std::is_same_v<T, UploadProgress>) {
            upload_queued_.erase({n.local_id, n.index});
          } else if constexpr (std::is_same_v<T, DownloadProgress>) {
            download_queued_.erase(n.attachment_id);
          }
        },
        note);
    queue_.pop_front();
    // The next entry gets a task of its own, so that a Subscription reset waits for this
    // one callback only, never for the whole backlog.
    if (queue_.empty()) {
      delivering_ = false;
    } else {
      thread_->post([this] { deliver_next(); });
    }
  }
  std::visit(
      [this](const auto& n) {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, ConnectionChange>) {
          connection_listeners_->call(n);
        } else if constexpr (std::is_same_v<T, LocalMessage>) {
          outbox_listeners_->call(n);
        } else if constexpr (std::is_same_v<T, Message>) {
          message_listeners_->call(n);
        } else if constexpr (std::is_same_v<T, ConversationChange>) {
          conversation_listeners_->call(n);
        } else if constexpr (std::is_same_v<T, SyncProgress>) {
          sync_listeners_->call(n);
        } else if constexpr (std::is_same_v<T, TypingChange>) {
          typing_listeners_->call(n);
        } else if constexpr (std::is_same_v<T, PresenceChange>) {
          presence_listeners_->call(n);
        } else if constexpr (std::is_same_v<T, ReceiptChange>) {
          receipt_listeners_->call(n);
        } else if constexpr (std::is_same_v<T, UploadProgress>) {
          upload_listeners_->call(n);
        } else if constexpr (std::is_same_v<T, DownloadProgress>) {
          download_listeners_->call(n);
        }
      },
      note);
}

// ---- Identity and requests ----

Subscription Notifier::on_directory(std::function<void()> callback) {
  return directory_listeners_->add([callback = std::move(callback)](const Signal&) { callback(); });
}

void Notifier::directory_changed() {
  std::lock_guard lock(mutex_);
  if (stopped_ || directory_queued_ || directory_listeners_->empty()) return;
  directory_queued_ = true;
  thread_->post([this] {
    {
      std::lock_guard unqueue(mutex_);
      directory_queued_ = false;
    }
    directory_listeners_->call(Signal{});
  });
}

std::function<void(std::function<void()>)> Notifier::callback_executor() const {
  return [thread = std::weak_ptr<CallbackThread>(thread_)](std::function<void()> task) {
    if (auto alive = thread.lock()) alive->post(std::move(task));
  };
}

void Notifier::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    queue_.clear();
    outbox_queued_.clear();
    conversation_queued_.clear();
    sync_queued_.reset();
    typing_queued_.clear();
    presence_queued_.clear();
    receipt_queued_.clear();
    upload_queued_.clear();
    download_queued_.clear();
    messages_queued_ = 0;
  }
  thread_->stop();
}

std::size_t Notifier::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

}  // namespace confab::client
