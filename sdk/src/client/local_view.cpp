#include "client/local_view.h"

#include <algorithm>

namespace confab::client {

void LocalView::report_to(std::function<void(const ConversationChange&)> sink) {
  std::lock_guard lock(mutex_);
  sink_ = std::move(sink);
}

void LocalView::report(ConversationChange change) const {
  if (sink_) sink_(change);
}

std::optional<std::string> LocalView::timeline_of(const LocalMessage& m) {
  if (m.kind != OutboxKind::message) return std::nullopt;
  if (!m.thread_root_id.empty()) return m.thread_root_id;
  if (m.thread_root_local_id != 0) return std::nullopt;  // its thread has no server id yet
  return std::string();
}

void LocalView::set_user_id(std::string user_id) {
  std::lock_guard lock(mutex_);
  user_id_ = std::move(user_id);
}

std::string LocalView::user_id() const {
  std::lock_guard lock(mutex_);
  return user_id_;
}

void LocalView::restore(std::span<const core::OutboxRow> unsent, std::span<const core::OutboxRow> recent_sent,
                        std::span<const store::CacheCursor> cursors) {
  std::map<std::string, Seq> stored;
  for (const auto& c : cursors) stored[c.conversation_id] = c.cursor;
  std::lock_guard lock(mutex_);
  for (const auto& row : recent_sent) {
    const auto& m = row.message;
    auto cursor = stored.find(m.conversation_id);
    if (m.kind == OutboxKind::message && (cursor == stored.end() || m.conversation_seq > cursor->second)) {
      echoes_.insert_or_assign(m.client_message_id, m);
    }
  }
  for (const auto& row : unsent) {
    auto m = row.message;
    // As the session restores it: what was on the wire is pending again.
    if (m.state == OutboxState::sending) m.state = OutboxState::pending;
    unsent_.insert_or_assign(m.local_id, m);
    if (m.kind == OutboxKind::message) echoes_.insert_or_assign(m.client_message_id, m);
  }
}

void LocalView::outbox_changed(const LocalMessage& message) {
  std::lock_guard lock(mutex_);
  if (message.state == OutboxState::sent || message.state == OutboxState::discarded) {
    unsent_.erase(message.local_id);
  } else {
    unsent_.insert_or_assign(message.local_id, message);
  }
  if (message.kind != OutboxKind::message) return;
  const auto& id = message.client_message_id;
  if (settled_.contains(id)) {
    if (message.state != OutboxState::pending && message.state != OutboxState::sending) settled_.erase(id);
    return;
  }
  // Its row: where it was shown before, and where now.
  std::optional<std::string> was, now;
  if (auto old = echoes_.find(id); old != echoes_.end()) was = timeline_of(old->second);
  if (message.state == OutboxState::discarded) {
    echoes_.erase(id);
  } else {
    echoes_.insert_or_assign(id, message);  // an acknowledged one stays until its event is stored
    now = timeline_of(message);
  }
  auto change_of = [&message](const std::string& timeline) {
    return ConversationChange{.conversation_id = message.conversation_id, .thread_root_id = timeline};
  };
  if (was && now && *was == *now) {
    auto change = change_of(*now);
    change.updated.push_back(MessageUpdate{.seq = message.conversation_seq,
                                           .local_id = message.local_id,
                                           .client_message_id = id,
                                           .flags = MessageUpdate::local_state});
    report(std::move(change));
    return;
  }
  if (was) {
    auto change = change_of(*was);
    change.echoes_removed.push_back(message.local_id);
    report(std::move(change));
  }
  if (now) {
    auto change = change_of(*now);
    change.echoes_added.push_back(message.local_id);
    report(std::move(change));
  }
}

std::vector<ConversationChange> LocalView::events_stored(std::span<const protocol::Event> events) {
  std::vector<ConversationChange> merged;
  std::lock_guard lock(mutex_);
  if (echoes_.empty()) return merged;
  for (const auto& e : events) {
    if (e.kind != EventKind::message_created || e.client_message_id.empty()) continue;
    auto echo = echoes_.find(e.client_message_id);
    if (echo == echoes_.end()) continue;
    if (echo->second.state != OutboxState::sent) settled_.insert(e.client_message_id);
    if (auto timeline = timeline_of(echo->second)) {
      // The stored copy's timeline is the event's; an echo still waiting for its root was
      // shown nowhere, and the stored row is reported as new.
      auto in = std::find_if(merged.begin(), merged.end(), [&](const ConversationChange& c) {
        return c.conversation_id == e.conversation_id && c.thread_root_id == *timeline;
      });
      if (in == merged.end()) {
        merged.push_back(ConversationChange{.conversation_id = e.conversation_id, .thread_root_id = *timeline});
        in = std::prev(merged.end());
      }
      in->merged.push_back(EchoMerged{e.client_message_id, echo->second.local_id, e.conversation_seq});
    }
    echoes_.erase(echo);
  }
  return merged;
}

TimelineMessage LocalView::echo(const LocalMessage& m) const {
  TimelineMessage t;
  t.conversation_id = m.conversation_id;
  t.seq = m.conversation_seq;
  t.message_id = m.message_id;
  t.client_message_id = m.client_message_id;
  t.sender_id = user_id_;
  t.text = m.text;
  t.created_at_ms = m.created_at_ms;
  t.reply_to = m.reply_to;
  t.thread_root_id = m.thread_root_id;
  t.attachments = m.attachments;
  t.local = m;
  return t;
}

std::vector<TimelineMessage> LocalView::echoes_in(const std::string& conversation_id,
                                                  const std::string& timeline) const {
  std::vector<TimelineMessage> out;
  std::lock_guard lock(mutex_);
  for (const auto& [id, m] : echoes_) {
    if (!conversation_id.empty() && m.conversation_id != conversation_id) continue;
    auto shown = timeline_of(m);
    if (shown && *shown == timeline) out.push_back(echo(m));
  }
  return out;
}

void LocalView::name_echoes(std::vector<TimelineMessage>& echoes) const {
  if (echoes.empty()) return;
  // The echoes are this user's: their sender's name from the directory, as stored copies have.
  if (auto me = cache_.user(user_id()); me && *me) {
    for (auto& e : echoes) e.sender_name = (*me)->display_name;
  }
}

void LocalView::add_echoes(std::vector<TimelineMessage>& list, std::vector<TimelineMessage> echoes) {
  if (echoes.empty()) return;
  std::vector<TimelineMessage> acked, waiting;
  for (auto& e : echoes) (e.local->state == OutboxState::sent ? acked : waiting).push_back(std::move(e));
  // A stored copy wins over its echo (the echo may not have been dropped yet).
  auto stored = [&list](const TimelineMessage& e) {
    return std::any_of(list.begin(), list.end(),
                       [&e](const TimelineMessage& m) { return m.client_message_id == e.client_message_id; });
  };
  for (auto& e : acked) {
    if (!stored(e)) list.push_back(std::move(e));
  }
  std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
  std::sort(waiting.begin(), waiting.end(), [](const auto& a, const auto& b) { return a.local->local_id < b.local->local_id; });
  for (auto& e : waiting) {
    if (!stored(e)) list.push_back(std::move(e));
  }
}

Result<MessagePage> LocalView::messages(const std::string& conversation_id, Seq before_seq, int limit) const {
  if (before_seq != 0) return cache_.page(conversation_id, before_seq, limit);
  // Echoes first, then the store: the other order could miss a message stored, and its
  // echo dropped, between the two.
  // The echoes' names are read after the page, so that the page is the first read.
  auto echoes = echoes_in(conversation_id, {});
  auto page = cache_.page(conversation_id, before_seq, limit);
  if (!page) return page;
  name_echoes(echoes);
  add_echoes(page->messages, std::move(echoes));
  return page;
}

Result<std::vector<TimelineMessage>> LocalView::thread(const std::string& root_message_id, int limit) const {
  auto echoes = root_message_id.empty() ? std::vector<TimelineMessage>() : echoes_in({}, root_message_id);
  auto replies = cache_.thread(root_message_id, limit);
  if (!replies) return replies;
  name_echoes(echoes);
  add_echoes(*replies, std::move(echoes));
  return replies;
}

std::vector<LocalMessage> LocalView::unsent() const {
  std::lock_guard lock(mutex_);
  std::vector<LocalMessage> out;
  out.reserve(unsent_.size());
  for (const auto& [id, m] : unsent_) out.push_back(m);
  return out;
}

Result<std::vector<ConversationInfo>> LocalView::conversations() const { return cache_.conversations(user_id()); }

Result<ConversationInfo> LocalView::conversation(const std::string& conversation_id) const {
  auto found = cache_.conversation(conversation_id, user_id());
  if (!found) return found.error();
  if (!*found) {
    return Error::make(ErrorCode::invalid_argument, "'" + conversation_id + "' is not a stored conversation");
  }
  return std::move(**found);
}

}  // namespace confab::client
