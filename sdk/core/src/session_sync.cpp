// The session's side of sync: live events through the sync engine, the engine's requests
// on the wire, read cursors debounced and batched, and older history for scrolling back.
#include <algorithm>
#include <utility>

#include "core/session.h"

namespace confab::core {
namespace {

constexpr std::string_view kOlderPrefix = "older:";
constexpr std::string_view kReadPrefix = "read:";

}  // namespace

void Session::restore_cursor(const std::string& conversation_id, Seq cursor) {
  sync_.restore(conversation_id, cursor);
}

void Session::store_failed(const std::string& conversation_id, Seq stored_cursor) {
  sync_.rewind(conversation_id, stored_cursor);
  drain_sync();
}

void Session::drain_sync() {
  for (auto& action : sync_.take_actions()) {
    std::visit(
        [this](auto& a) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, SyncSend>) {
            if (transport_open_) send_frame(protocol::encode(a.frame));
          } else if constexpr (std::is_same_v<T, ApplyEvents>) {
            // Stored on this device: the senders see their messages delivered.
            bool from_others = std::any_of(a.events.begin(), a.events.end(),
                                           [this](const protocol::Event& e) { return e.sender_id != user_id_; });
            if (from_others && !a.events.empty()) delivered(a.conversation_id, a.events.back().conversation_seq);
            actions_.emplace_back(std::move(a));
          } else if constexpr (std::is_same_v<T, SyncProgress>) {
            actions_.emplace_back(NotifySync{a});
          }
        },
        action);
  }
}

void Session::on_event(const protocol::Event& event) {
  if (!connected()) return;  // the catch-up after connecting fetches it
  bool about_me = event.member_id == user_id_;
  if (about_me && event.kind == EventKind::member_joined) {
    actions_.push_back(MembershipChanged{event.conversation_id, true});
  } else if (about_me && event.kind == EventKind::member_left) {
    receipts_.forget(event.conversation_id);  // no longer the user's to see, nor to ask for
    receipts_watched_.erase(event.conversation_id);
    actions_.push_back(MembershipChanged{event.conversation_id, false});
  }
  sync_.on_event(event, monotonic());
  drain_sync();
}

void Session::on_history(const protocol::History& history) {
  if (auto older = older_requests_.find(history.id); older != older_requests_.end()) {
    OlderEvents out{older->second, history.events};
    older_requests_.erase(older);
    if (!out.events.empty()) actions_.push_back(std::move(out));
    return;
  }
  sync_.on_history(history, monotonic());
  drain_sync();
}

void Session::on_cursor(const protocol::CursorState& cursor) {
  if (cursor.user_id != user_id_) {
    // Another member's receipts.
    if (auto moved = receipts_.learn(cursor.conversation_id, cursor.user_id, cursor.read_seq, cursor.delivered_seq)) {
      actions_.emplace_back(std::move(*moved));
    }
    return;
  }
  if (cursor.read_seq <= 0) return;
  actions_.push_back(ReadCursorMoved{cursor.conversation_id, cursor.read_seq});
}

bool Session::on_sync_refused(const protocol::ErrorFrame& frame) {
  if (SyncEngine::owns(frame.id)) {
    sync_.on_refused(frame.id);
    drain_sync();
    return true;
  }
  if (older_requests_.erase(frame.id) > 0) return true;
  return frame.id.starts_with(kReadPrefix);  // a cursor for a conversation since left: nothing to do
}

void Session::mark_read(const std::string& conversation_id, Seq read_seq) {
  auto& unsent = unsent_reads_[conversation_id];
  unsent = std::max(unsent, read_seq);
  if (!reads_due_) reads_due_ = monotonic() + options_.read_debounce_ms;
}

void Session::send_reads() {
  reads_due_.reset();
  // One cursor.update per conversation, with its read and its delivered cursor.
  std::map<std::string, protocol::CursorUpdate> updates;
  for (const auto& [conversation_id, read_seq] : std::exchange(unsent_reads_, {})) {
    updates[conversation_id].read_seq = read_seq;
  }
  for (const auto& [conversation_id, seq] : std::exchange(unsent_delivered_, {})) {
    if (seq > delivered_sent_[conversation_id]) updates[conversation_id].delivered_seq = seq;
  }
  for (auto& [conversation_id, update] : updates) {
    if (update.read_seq <= 0 && update.delivered_seq <= 0) continue;
    auto& reported = delivered_sent_[conversation_id];
    reported = std::max({reported, update.read_seq, update.delivered_seq});  // reading implies delivery
    update.id = std::string(kReadPrefix) + std::to_string(next_request_++);
    update.conversation_id = conversation_id;
    send_frame(protocol::encode(update));
  }
}

void Session::request_older(const std::string& conversation_id, Seq before_seq, int limit) {
  limit = std::clamp(limit, 1, protocol::kMaxHistoryPage);
  // One request per conversation at a time: the answer moves the store's window, and the
  // app asks again from there. Asking while one is on its way changes nothing; asking
  // while one waits for a connection merges into it.
  for (const auto& [id, in_flight] : older_requests_) {
    if (in_flight == conversation_id) return;
  }
  auto [waiting, added] = older_waiting_.try_emplace(conversation_id);
  auto& request = waiting->second;
  if (added) {
    request.conversation_id = conversation_id;
    request.before_seq = before_seq;
    request.limit = limit;
  } else {
    request.before_seq = std::min(*request.before_seq, before_seq);
    request.limit = std::max(request.limit, limit);
  }
  if (connected()) send_older_waiting();
}

void Session::send_older_waiting() {
  for (auto& [conversation_id, request] : std::exchange(older_waiting_, {})) {
    request.id = std::string(kOlderPrefix) + std::to_string(next_request_++);
    older_requests_[request.id] = conversation_id;
    send_frame(protocol::encode(request));
  }
}

}  // namespace confab::core
