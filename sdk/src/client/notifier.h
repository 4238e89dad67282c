// What the app hears, and where: the client's notifications, queued with a bound and
// delivered one at a time on the callback thread, in the order they were produced.
//
// The queue is bounded by what the notifications are about, not by how many there were:
// - one entry per outgoing message: a newer state replaces the queued one;
// - one entry per conversation's timeline (its main one, each thread's; and one for the
//   conversation list): changes merge into the queued record (merge() below), so a list
//   model still learns every row added or changed;
// - one sync progress: the newest replaces the queued one;
// - one typing list per conversation, and one status per user: the newest replaces the
//   queued one (each is the whole state, so nothing is lost);
// - the connection changes, each kept (a handful per attempt, paced by the backoff);
// - at most kMaxQueuedMessages events for on_message. Past that, an event is not queued for
//   on_message; its conversation's record counts it in `messages_skipped` instead.
// A notification nobody listens to is not queued at all (and a caller can ask first, to
// skip building it). When a newer notification merges into a queued one, the entry moves
// to the back of the queue: every entry is delivered after everything produced before its
// newest part (so an on_message still comes before the on_conversation that counts it).
//
// Thread-safe: notifications come from the network thread and the app's threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>

#include "client/callback_thread.h"
#include "client/listener_table.h"
#include "confab/connection.h"
#include "confab/conversation.h"
#include "confab/message.h"
#include "confab/presence.h"
#include "confab/receipts.h"
#include "confab/subscription.h"

namespace confab::client {

// `later` folded into `into`, as ConversationChange documents it.
void merge(ConversationChange& into, const ConversationChange& later);

class Notifier {
 public:
  static constexpr std::size_t kMaxQueuedMessages = 1000;

  Notifier();
  // stop()
  ~Notifier();

  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  Subscription on_connection(std::function<void(const ConnectionChange&)> callback);
  Subscription on_message(std::function<void(const Message&)> callback);
  Subscription on_outbox(std::function<void(const LocalMessage&)> callback);
  Subscription on_conversation(std::function<void(const ConversationChange&)> callback);
  Subscription on_sync(std::function<void(const SyncProgress&)> callback);

  void connection(ConnectionChange change);
  void outbox(const LocalMessage& message);
  // An event of `conversation_id` was stored. `make()` builds its Message, and is called
  // only when it is queued: when someone listens and the queue has room (when it has none,
  // the conversation's record counts the event in `messages_skipped`).
  template <class Make>
  void message_stored(const std::string& conversation_id, Make make) {
    std::lock_guard lock(mutex_);
    if (stopped_ || message_listeners_->empty()) return;
    if (messages_queued_ >= kMaxQueuedMessages) {
      merge_conversation(ConversationChange{.conversation_id = conversation_id, .messages_skipped = 1});
      return;
    }
    ++messages_queued_;
    append(make());
  }
  void conversation(const ConversationChange& change);
  void sync(const SyncProgress& progress);

  // ---- Typing, presence and receipts ----
  Subscription on_typing(std::function<void(const TypingChange&)> callback);
  Subscription on_presence(std::function<void(const PresenceChange&)> callback);
  Subscription on_receipts(std::function<void(const ReceiptChange&)> callback);
  void typing(const TypingChange& change);
  void presence(const PresenceChange& change);
  // A member's newest cursors replace the queued ones of that member and conversation.
  void receipt(const ReceiptChange& change);

  // ---- Files: an attachment's newest progress replaces its queued one ----
  Subscription on_upload(std::function<void(const UploadProgress&)> callback);
  Subscription on_download(std::function<void(const DownloadProgress&)> callback);
  void upload(const UploadProgress& progress);
  void download(const DownloadProgress& progress);

  // ---- Identity and requests ----
  Subscription on_directory(std::function<void()> callback);
  // The directory or the workspaces were stored: at most one such notification waits.
  void directory_changed();
  // Runs tasks on the callback thread (a Pending's continuations). It may outlive the
  // notifier: once the thread has stopped, or is gone, tasks are dropped.
  std::function<void(std::function<void()>)> callback_executor() const;

  // Drops what is queued, refuses what comes later, waits for the callback in progress and
  // joins the callback thread. Not from the callback thread.
  void stop();

  // Entries waiting (for tests and diagnostics).
  std::size_t queued() const;

 private:
  using Note =
      std::variant<ConnectionChange, LocalMessage, Message, ConversationChange, SyncProgress, TypingChange, PresenceChange,
                   ReceiptChange, UploadProgress, DownloadProgress>;
  using Queue = std::list<Note>;

  // With mutex_ held: queues a new entry last.
  void append(Note note);
  // With mutex_ held: merges into the conversation's queued record and moves it last, or
  // queues a new one (when anyone listens).
  void merge_conversation(const ConversationChange& change);
  // With mutex_ held: makes sure a delivery task is on its way.
  void schedule();
  // On the callback thread: takes the first entry and runs its listeners.
  void deliver_next();

  std::shared_ptr<CallbackThread> thread_;
  std::shared_ptr<ListenerTable<ConnectionChange>> connection_listeners_;
  std::shared_ptr<ListenerTable<Message>> message_listeners_;
  std::shared_ptr<ListenerTable<LocalMessage>> outbox_listeners_;
  std::shared_ptr<ListenerTable<ConversationChange>> conversation_listeners_;
  std::shared_ptr<ListenerTable<SyncProgress>> sync_listeners_;
  std::shared_ptr<ListenerTable<TypingChange>> typing_listeners_;
  std::shared_ptr<ListenerTable<PresenceChange>> presence_listeners_;
  std::shared_ptr<ListenerTable<ReceiptChange>> receipt_listeners_;
  std::shared_ptr<ListenerTable<UploadProgress>> upload_listeners_;
  std::shared_ptr<ListenerTable<DownloadProgress>> download_listeners_;

  mutable std::mutex mutex_;
  Queue queue_;
  std::unordered_map<std::int64_t, Queue::iterator> outbox_queued_;  // by local id
  std::map<std::string, Queue::iterator> conversation_queued_;       // by conversation id (and thread)
  std::optional<Queue::iterator> sync_queued_;
  std::map<std::string, Queue::iterator> typing_queued_;    // by conversation id
  std::map<std::string, Queue::iterator> presence_queued_;  // by user id
  std::map<std::pair<std::string, std::string>, Queue::iterator> receipt_queued_;  // by conversation, user
  std::map<std::pair<std::int64_t, std::size_t>, Queue::iterator> upload_queued_;  // by local id, index
  std::map<std::string, Queue::iterator> download_queued_;                          // by attachment id
  std::size_t messages_queued_ = 0;
  bool delivering_ = false;  // a delivery task is posted
  bool stopped_ = false;

  // Identity: on_directory's listeners, and whether a notification for them waits.
  struct Signal {};
  std::shared_ptr<ListenerTable<Signal>> directory_listeners_;
  bool directory_queued_ = false;
};

}  // namespace confab::client
