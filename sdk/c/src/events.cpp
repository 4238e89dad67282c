#include "events.h"

#include <utility>
#include <vector>

#include "confab/client.h"
#include "handle.h"
#include "json.h"

namespace confab::c {

const char* kind_name(unsigned kind) noexcept {
  switch (kind) {
    case CONFAB_EVENT_CONNECTION: return "connection";
    case CONFAB_EVENT_MESSAGE: return "message";
    case CONFAB_EVENT_OUTBOX: return "outbox";
    case CONFAB_EVENT_CONVERSATION: return "conversation";
    case CONFAB_EVENT_SYNC: return "sync";
    case CONFAB_EVENT_DIRECTORY: return "directory";
    case CONFAB_EVENT_TYPING: return "typing";
    case CONFAB_EVENT_PRESENCE: return "presence";
    case CONFAB_EVENT_RECEIPTS: return "receipts";
    case CONFAB_EVENT_REQUEST: return "request";
    case CONFAB_EVENT_OVERFLOW: return "overflow";
    case CONFAB_EVENT_UPLOAD: return "upload";
    case CONFAB_EVENT_DOWNLOAD: return "download";
    default: return "unknown";
  }
}

// ---- PollQueue ---------------------------------------------------------------------------

void PollQueue::push(unsigned kind, std::string event, bool keep) {
  {
    std::lock_guard lock(mutex_);
    std::size_t queued = events_.size() - (marker_queued_ ? 1 : 0);
    if (queued >= capacity_ && !keep) {
      bool first = !marker_queued_;
      if (first) {
        events_.emplace_back();
        marker_queued_ = true;
      }
      ++dropped_;
      dropped_kinds_ |= kind;
      if (!first) return;  // the marker woke a poller when it was queued
    } else {
      events_.push_back(std::move(event));
    }
  }
  arrived_.notify_one();
}

bool PollQueue::pop(std::string& event, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!arrived_.wait_for(lock, timeout, [this] { return !events_.empty(); })) return false;
  if (events_.front().empty()) {
    event = take_overflow();
  } else {
    event = std::move(events_.front());
  }
  events_.pop_front();
  return true;
}

void PollQueue::drop(unsigned kind) noexcept {
  std::lock_guard lock(mutex_);
  try {
    if (!marker_queued_) {
      events_.emplace_back();
      marker_queued_ = true;
    }
  } catch (...) {
    return;  // not even the marker fits: the next drop tries again
  }
  ++dropped_;
  dropped_kinds_ |= kind;
}

std::string PollQueue::take_overflow() {
  Json kinds = Json::array();
  for (unsigned bit = 1; bit & CONFAB_EVENT_ALL; bit <<= 1) {
    if ((dropped_kinds_ & bit) && bit != CONFAB_EVENT_OVERFLOW) kinds.push_back(kind_name(bit));
  }
  std::string event = dump({{"kind", "overflow"}, {"data", {{"dropped", dropped_}, {"kinds", std::move(kinds)}}}});
  marker_queued_ = false;
  dropped_ = 0;
  dropped_kinds_ = 0;
  return event;
}

void PollQueue::clear() {
  std::lock_guard lock(mutex_);
  events_.clear();
  marker_queued_ = false;
  dropped_ = 0;
  dropped_kinds_ = 0;
}

// ---- EventHub ----------------------------------------------------------------------------

void EventHub::set_callback(unsigned kinds, confab_event_cb callback, void* payload) {
  if (callback == nullptr) kinds = 0;
  {
    // Waits for a call of the callback before it in progress (not when this is that call).
    std::lock_guard lock(callback_mutex_);
    callback_ = kinds ? callback : nullptr;
    payload_ = kinds ? payload : nullptr;
    std::lock_guard kinds_lock(kinds_mutex_);
    if (stopped_) return;
    callback_kinds_ = kinds & CONFAB_EVENT_ALL & ~static_cast<unsigned>(CONFAB_EVENT_OVERFLOW);
  }
  resubscribe();
}

void EventHub::set_poll_kinds(unsigned kinds) {
  {
    std::lock_guard lock(kinds_mutex_);
    if (stopped_) return;
    poll_kinds_ = kinds & CONFAB_EVENT_ALL & ~static_cast<unsigned>(CONFAB_EVENT_OVERFLOW);
  }
  if (kinds == 0) queue_.clear();
  resubscribe();
}

bool EventHub::wanted(unsigned kind) const {
  std::lock_guard lock(kinds_mutex_);
  return ((callback_kinds_ | poll_kinds_) & kind) != 0;
}

void EventHub::emit(unsigned kind, const std::function<Json()>& make) noexcept {
  try {
    deliver(kind, make);
  } catch (...) {
    // The event could not be made (no memory): the poll queue counts it as dropped, and
    // nothing unwinds into the SDK's thread.
    queue_.drop(kind);
  }
}

void EventHub::deliver(unsigned kind, const std::function<Json()>& make) {
  bool to_poll = false;
  bool to_callback = false;
  {
    std::lock_guard lock(kinds_mutex_);
    to_poll = (poll_kinds_ & kind) != 0;
    to_callback = (callback_kinds_ & kind) != 0;
  }
  if (!to_poll && !to_callback) return;
  std::string event = dump(make());
  if (to_callback) {
    std::lock_guard lock(callback_mutex_);
    if (callback_ != nullptr) {
      InCallback inside(owner_);
      try {
        callback_(static_cast<int>(kind), event.c_str(), payload_);
      } catch (...) {
        // A C++ app's callback threw: it must not unwind into the SDK's thread.
      }
    }
  }
  if (to_poll) queue_.push(kind, std::move(event), kind == CONFAB_EVENT_REQUEST);
}

void EventHub::stop() {
  {
    std::lock_guard lock(callback_mutex_);  // waits for a callback in progress
    callback_ = nullptr;
    payload_ = nullptr;
    std::lock_guard kinds_lock(kinds_mutex_);
    stopped_ = true;
    callback_kinds_ = 0;
    poll_kinds_ = 0;
  }
  resubscribe();
}

void EventHub::resubscribe() {
  unsigned wanted_kinds = 0;
  {
    std::lock_guard lock(kinds_mutex_);
    wanted_kinds = callback_kinds_ | poll_kinds_;
  }
  // Subscriptions are reset outside the lock: a reset waits for the callback thread to be
  // idle, and a callback there may be changing the kinds too.
  std::vector<Subscription> dropped;
  {
    std::lock_guard lock(subscriptions_mutex_);
    for (std::size_t i = 0; i < subscriptions_.size(); ++i) {
      unsigned kind = 1u << i;
      bool want = (wanted_kinds & kind) != 0 && kind != CONFAB_EVENT_REQUEST && kind != CONFAB_EVENT_OVERFLOW;
      if (want && !subscriptions_[i].active() && client_ != nullptr) {
        subscriptions_[i] = subscribe(kind);
      } else if (!want && subscriptions_[i].active()) {
        dropped.push_back(std::move(subscriptions_[i]));
      }
    }
  }
  for (auto& subscription : dropped) subscription.reset();
}

Subscription EventHub::subscribe(unsigned kind) {
  auto event = [](unsigned k, Json data) { return Json{{"kind", kind_name(k)}, {"data", std::move(data)}}; };
  switch (kind) {
    case CONFAB_EVENT_CONNECTION:
      return client_->on_connection([this, event](const ConnectionChange& c) {
        emit(CONFAB_EVENT_CONNECTION, [&] { return event(CONFAB_EVENT_CONNECTION, connection_json(c)); });
      });
    case CONFAB_EVENT_MESSAGE:
      return client_->on_message([this, event](const Message& m) {
        emit(CONFAB_EVENT_MESSAGE, [&] { return event(CONFAB_EVENT_MESSAGE, message_json(m)); });
      });
    case CONFAB_EVENT_OUTBOX:
      return client_->on_outbox([this, event](const LocalMessage& m) {
        emit(CONFAB_EVENT_OUTBOX, [&] { return event(CONFAB_EVENT_OUTBOX, local_message_json(m)); });
      });
    case CONFAB_EVENT_CONVERSATION:
      return client_->on_conversation([this, event](const ConversationChange& c) {
        emit(CONFAB_EVENT_CONVERSATION, [&] { return event(CONFAB_EVENT_CONVERSATION, conversation_change_json(c)); });
      });
    case CONFAB_EVENT_SYNC:
      return client_->on_sync([this, event](const SyncProgress& p) {
        emit(CONFAB_EVENT_SYNC, [&] { return event(CONFAB_EVENT_SYNC, sync_json(p)); });
      });
    case CONFAB_EVENT_DIRECTORY:
      return client_->on_directory([this, event] {
        emit(CONFAB_EVENT_DIRECTORY, [&] { return event(CONFAB_EVENT_DIRECTORY, Json::object()); });
      });
    case CONFAB_EVENT_TYPING:
      return client_->on_typing([this, event](const TypingChange& t) {
        emit(CONFAB_EVENT_TYPING, [&] { return event(CONFAB_EVENT_TYPING, typing_json(t)); });
      });
    case CONFAB_EVENT_PRESENCE:
      return client_->on_presence([this, event](const PresenceChange& p) {
        emit(CONFAB_EVENT_PRESENCE, [&] { return event(CONFAB_EVENT_PRESENCE, presence_json(p)); });
      });
    case CONFAB_EVENT_RECEIPTS:
      return client_->on_receipts([this, event](const ReceiptChange& r) {
        emit(CONFAB_EVENT_RECEIPTS, [&] { return event(CONFAB_EVENT_RECEIPTS, receipt_change_json(r)); });
      });
    case CONFAB_EVENT_UPLOAD:
      return client_->on_upload([this, event](const UploadProgress& p) {
        emit(CONFAB_EVENT_UPLOAD, [&] { return event(CONFAB_EVENT_UPLOAD, upload_json(p)); });
      });
    case CONFAB_EVENT_DOWNLOAD:
      return client_->on_download([this, event](const DownloadProgress& p) {
        emit(CONFAB_EVENT_DOWNLOAD, [&] { return event(CONFAB_EVENT_DOWNLOAD, download_json(p)); });
      });
    default: return {};
  }
}

}  // namespace confab::c
