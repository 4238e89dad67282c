#include "core/sync_engine.h"

#include <algorithm>

namespace confab::core {
namespace {

constexpr std::string_view kSyncPrefix = "sync:";
constexpr std::string_view kHistoryPrefix = "hist:";

}  // namespace

bool SyncEngine::owns(const std::string& request_id) {
  return request_id.starts_with(kSyncPrefix) || request_id.starts_with(kHistoryPrefix);
}

void SyncEngine::restore(const std::string& conversation_id, Seq cursor) {
  auto& c = conversation(conversation_id);
  c.cursor = cursor;
  c.head = std::max(c.head, cursor);
}

Seq SyncEngine::cursor(const std::string& conversation_id) const {
  auto it = conversations_.find(conversation_id);
  return it == conversations_.end() ? 0 : it->second.cursor;
}

std::vector<SyncAction> SyncEngine::take_actions() { return std::exchange(actions_, {}); }

void SyncEngine::connected(std::int64_t) {
  connected_ = true;
  behind_ = 0;
  caught_up_ = 0;
  listing_ = true;
  request_sync_page({});
}

void SyncEngine::disconnected() {
  connected_ = false;
  listing_ = false;
  requests_.clear();
  fetch_queue_.clear();
  in_flight_ = 0;
  for (auto& [id, c] : conversations_) {
    c.fetching = false;
    c.queued = false;
    c.catching_up = false;
  }
}

void SyncEngine::request_sync_page(const std::string& after) {
  protocol::SyncRequest request;
  request.id = std::string(kSyncPrefix) + std::to_string(next_request_++);
  request.after = after;
  requests_[request.id] = {std::string(), false};
  actions_.push_back(SyncSend{std::move(request)});
}

void SyncEngine::on_sync_state(const protocol::SyncState& state, std::int64_t) {
  if (requests_.erase(state.id) == 0 || !connected_) return;
  for (const auto& item : state.items) {
    auto& c = conversation(item.conversation_id);
    c.head = std::max(c.head, item.head_seq);
    if (c.head > c.cursor && !c.catching_up) {
      c.catching_up = true;
      ++behind_;
      need_fetch(item.conversation_id, c);
    }
  }
  if (!state.next.empty()) {
    request_sync_page(state.next);
  } else {
    listing_ = false;
  }
  pump();
  report_progress();
}

void SyncEngine::need_fetch(const std::string& id, Conversation& c) {
  if (c.fetching || c.queued) return;
  c.queued = true;
  fetch_queue_.push_back(id);
}

void SyncEngine::pump() {
  while (connected_ && in_flight_ < policy_.max_concurrent && !fetch_queue_.empty()) {
    std::string id = std::move(fetch_queue_.front());
    fetch_queue_.pop_front();
    auto& c = conversation(id);
    c.queued = false;
    bool gap = !c.held.empty() && c.held.begin()->first > c.cursor + 1;
    if (c.cursor >= c.head && !gap) {
      if (c.catching_up) {
        c.catching_up = false;
        ++caught_up_;
      }
      continue;
    }
    request_history(id, c, false);
  }
}

void SyncEngine::request_history(const std::string& id, Conversation& c, bool newest_page) {
  c.fetching = true;
  ++in_flight_;
  protocol::HistoryRequest request;
  request.id = std::string(kHistoryPrefix) + std::to_string(next_request_++);
  request.conversation_id = id;
  if (newest_page) {
    request.before_seq = c.head + 1;
  } else {
    request.after_seq = c.cursor;
  }
  request.limit = policy_.page;
  requests_[request.id] = {id, newest_page};
  actions_.push_back(SyncSend{std::move(request)});
}

void SyncEngine::on_history(const protocol::History& history, std::int64_t now_ms) {
  auto found = requests_.find(history.id);
  if (found == requests_.end()) return;
  auto [id, newest_page] = found->second;
  requests_.erase(found);
  --in_flight_;
  auto& c = conversation(id);
  c.fetching = false;
  c.head = std::max(c.head, history.head_seq);
  if (history.too_long) {
    request_history(id, c, true);  // start again from the newest page
    return;
  }
  Seq before = c.cursor;
  apply_ready(id, c, history.events, newest_page);
  bool progressed = c.cursor > before;
  if (progressed && c.cursor < c.head) {
    request_history(id, c, false);  // the next page, keeping this conversation's slot
    return;
  }
  finish_fetch(id, c, now_ms);
}

void SyncEngine::on_refused(const std::string& request_id) {
  auto found = requests_.find(request_id);
  if (found == requests_.end()) return;
  auto id = found->second.first;
  requests_.erase(found);
  if (id.empty()) {  // a sync page
    listing_ = false;
    report_progress();
    return;
  }
  --in_flight_;
  auto& c = conversation(id);
  c.fetching = false;
  if (c.catching_up) {
    c.catching_up = false;
    ++caught_up_;
  }
  pump();
  report_progress();
}

void SyncEngine::rewind(const std::string& conversation_id, Seq stored_cursor) {
  auto& c = conversation(conversation_id);
  if (stored_cursor >= c.cursor) return;
  c.cursor = stored_cursor;
  if (connected_) {
    need_fetch(conversation_id, c);
    pump();
  }
}

void SyncEngine::finish_fetch(const std::string& id, Conversation& c, std::int64_t now_ms) {
  if (c.catching_up && c.cursor >= c.head) {
    c.catching_up = false;
    ++caught_up_;
  }
  apply_ready(id, c, {}, false);  // live events held meanwhile may follow on now
  if (!c.held.empty()) c.hold_until = now_ms + policy_.gap_hold_ms;
  pump();
  report_progress();
}

void SyncEngine::apply_ready(const std::string& id, Conversation& c, std::vector<protocol::Event> events,
                             bool reset) {
  std::sort(events.begin(), events.end(),
            [](const auto& a, const auto& b) { return a.conversation_seq < b.conversation_seq; });
  std::erase_if(events, [&c](const protocol::Event& e) { return e.conversation_seq <= c.cursor; });
  ApplyEvents out{id, {}, false};
  if (reset && !events.empty() && events.front().conversation_seq > c.cursor + 1) {
    out.reset = true;
    c.cursor = events.front().conversation_seq - 1;
  }
  for (auto& e : events) c.held.emplace(e.conversation_seq, std::move(e));
  for (auto it = c.held.begin(); it != c.held.end();) {
    if (it->first <= c.cursor) {
      it = c.held.erase(it);
    } else if (it->first == c.cursor + 1) {
      c.cursor = it->first;
      out.events.push_back(std::move(it->second));
      it = c.held.erase(it);
    } else {
      break;
    }
  }
  c.head = std::max(c.head, c.cursor);
  if (c.held.empty()) c.hold_until.reset();
  if (!out.events.empty()) actions_.push_back(std::move(out));
}

void SyncEngine::on_event(const protocol::Event& event, std::int64_t now_ms) {
  auto& c = conversation(event.conversation_id);
  c.head = std::max(c.head, event.conversation_seq);
  if (event.conversation_seq <= c.cursor || c.held.contains(event.conversation_seq)) {
    ++duplicates_;
    return;
  }
  if (event.conversation_seq == c.cursor + 1) {
    apply_ready(event.conversation_id, c, {event}, false);
    return;
  }
  c.held.emplace(event.conversation_seq, event);
  if (!c.fetching && !c.queued && !c.hold_until) c.hold_until = now_ms + policy_.gap_hold_ms;
}

void SyncEngine::tick(std::int64_t now_ms) {
  for (auto& [id, c] : conversations_) {
    if (!c.hold_until || *c.hold_until > now_ms) continue;
    c.hold_until.reset();
    if (!c.held.empty() && c.held.begin()->first > c.cursor + 1) need_fetch(id, c);
  }
  pump();
}

std::optional<std::int64_t> SyncEngine::next_wakeup() const {
  std::optional<std::int64_t> next;
  for (const auto& [id, c] : conversations_) {
    if (c.hold_until && (!next || *c.hold_until < *next)) next = c.hold_until;
  }
  return next;
}

void SyncEngine::report_progress() {
  bool finished = !listing_ && caught_up_ >= behind_ && in_flight_ == 0 && fetch_queue_.empty();
  SyncProgress progress{behind_, caught_up_, finished};
  if (last_progress_ && last_progress_->behind == progress.behind && last_progress_->caught_up == progress.caught_up &&
      last_progress_->finished == progress.finished) {
    return;
  }
  last_progress_ = progress;
  actions_.push_back(progress);
}

}  // namespace confab::core
