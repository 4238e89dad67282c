// The session's side of what is live and never stored: typing, presence, and the other
// members' read and delivery receipts (core::TypingState, core::PresenceState and
// core::ReceiptBook connected to the wire).
#include <algorithm>
#include <utility>

#include "core/session.h"

namespace confab::core {
namespace {

constexpr std::string_view kReceiptsPrefix = "receipts:";
constexpr std::string_view kPresencePrefix = "presence:";

}  // namespace

void Session::typing(const std::string& conversation_id) {
  if (!connected()) return;
  typing_.keystroke(conversation_id, monotonic());
  drain_live();
}

void Session::stop_typing(const std::string& conversation_id) {
  typing_.stop(conversation_id);
  drain_live();
}

void Session::set_idle(bool idle) {
  presence_.set_idle(idle, monotonic());
  drain_live();
}

void Session::watch_receipts(const std::string& conversation_id) {
  receipts_watched_.insert(conversation_id);
  if (connected() && !receipts_asked_.contains(conversation_id)) request_receipts(conversation_id, {});
}

void Session::live_connected() {
  auto now = monotonic();
  typing_.set_user(user_id_);
  receipts_.set_user(user_id_);
  typing_.connected();
  presence_.connected(now);  // the first heartbeat also subscribes to the contacts' presence
  drain_live();
  for (const auto& conversation_id : receipts_watched_) request_receipts(conversation_id, {});
}

void Session::live_disconnected() {
  // The answers would be lost with the connection; asking again is up to the app.
  while (!presence_queries_.empty()) {
    answer_presence(presence_queries_.begin()->first,
                    Error::make(ErrorCode::transport, "the connection dropped before the answer; ask again"));
  }
  typing_.disconnected();
  presence_.disconnected();
  receipts_asked_.clear();
  receipts_requests_.clear();
  drain_live();
}

void Session::send_unanswered(std::string text) {
  // Not liveness_.sent(): the server answers neither heartbeats nor typing, and a heartbeat
  // every 15 s would otherwise put off the pings (25 s of quiet) for ever, and with them
  // anything coming back: the connection would look dead.
  actions_.push_back(SendFrame{std::move(text)});
}

void Session::drain_live() {
  for (auto& action : typing_.take_actions()) {
    if (auto* send = std::get_if<TypingSend>(&action)) {
      if (connected()) send_unanswered(protocol::encode(send->frame));
    } else {
      actions_.emplace_back(std::get<NotifyTyping>(std::move(action)));
    }
  }
  for (auto& action : presence_.take_actions()) {
    if (auto* send = std::get_if<PresenceSend>(&action)) {
      if (connected()) send_unanswered(protocol::encode(send->frame));
    } else {
      actions_.emplace_back(std::get<NotifyPresence>(std::move(action)));
    }
  }
}

void Session::request_receipts(const std::string& conversation_id, const std::string& after) {
  receipts_asked_.insert(conversation_id);
  protocol::ReceiptsRequest request;
  request.id = std::string(kReceiptsPrefix) + std::to_string(next_request_++);
  request.conversation_id = conversation_id;
  request.after = after;
  receipts_requests_[request.id] = conversation_id;
  send_frame(protocol::encode(request));
}

void Session::on_receipts(const protocol::Receipts& page) {
  auto asked = receipts_requests_.find(page.id);
  if (asked == receipts_requests_.end()) return;  // asked on an earlier connection
  std::string conversation_id = asked->second;
  receipts_requests_.erase(asked);
  for (const auto& item : page.items) {
    if (auto moved = receipts_.learn(conversation_id, item.user_id, item.read_seq, item.delivered_seq)) {
      actions_.emplace_back(std::move(*moved));
    }
  }
  if (!page.next.empty() && !page.items.empty()) request_receipts(conversation_id, page.next);
}

void Session::query_presence(std::uint64_t key, std::vector<std::string> user_ids) {
  if (!connected()) {
    actions_.push_back(PresenceAnswered{key, Error::make(ErrorCode::offline, "not connected: presence is not known")});
    return;
  }
  protocol::PresenceQuery query;
  query.id = std::string(kPresencePrefix) + std::to_string(next_request_++);
  query.user_ids = std::move(user_ids);
  presence_queries_[query.id] = PresenceQuery{key, monotonic() + options_.request_timeout_ms};
  send_frame(protocol::encode(query));
}

void Session::on_presence_answer(const protocol::PresenceState& frame) {
  if (!connected()) return;
  presence_.on_presence_state(frame);
  drain_live();
  if (!presence_queries_.contains(frame.id)) return;
  std::vector<PresenceChange> statuses;
  for (const auto& item : frame.items) statuses.push_back({item.user_id, presence_.status(item.user_id)});
  answer_presence(frame.id, std::move(statuses));
}

void Session::answer_presence(const std::string& id, Result<std::vector<PresenceChange>> result) {
  auto query = presence_queries_.find(id);
  if (query == presence_queries_.end()) return;
  actions_.push_back(PresenceAnswered{query->second.key, std::move(result)});
  presence_queries_.erase(query);
}

void Session::expire_presence_queries(std::int64_t now) {
  for (auto it = presence_queries_.begin(); it != presence_queries_.end();) {
    auto id = (it++)->first;  // answering erases the entry
    if (presence_queries_.at(id).deadline <= now) {
      answer_presence(id, Error::make(ErrorCode::timeout, "no answer to presence.query within " +
                                                              std::to_string(options_.request_timeout_ms) + " ms"));
    }
  }
}

bool Session::on_live_refused(const protocol::ErrorFrame& frame) {
  if (frame.id.starts_with(kPresencePrefix)) {
    answer_presence(frame.id, frame.error);
    return true;
  }
  // A conversation left meanwhile (not_member): nothing to show.
  return receipts_requests_.erase(frame.id) > 0 || frame.id.starts_with(kReceiptsPrefix);
}

void Session::delivered(const std::string& conversation_id, Seq seq) {
  auto& unsent = unsent_delivered_[conversation_id];
  unsent = std::max(unsent, seq);
  if (!reads_due_) reads_due_ = monotonic() + options_.read_debounce_ms;
}

}  // namespace confab::core
