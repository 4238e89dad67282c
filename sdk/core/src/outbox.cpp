#include "core/outbox.h"

#include <algorithm>
#include <utility>

#include "backoff.h"

namespace confab::core {
namespace {

Error invalid(std::string message) { return Error::make(ErrorCode::invalid_argument, std::move(message)); }

// The local ids of the messages still in the outbox that `m` waits for: a change's target,
// a message's quoted message and thread root, each until the server's id is filled in.
std::vector<std::int64_t> awaited(const LocalMessage& m) {
  std::vector<std::int64_t> out;
  if (m.kind != OutboxKind::message) {
    if (m.target_message_id.empty() && m.target_local_id != 0) out.push_back(m.target_local_id);
    return out;
  }
  if (m.reply_to.empty() && m.reply_to_local_id != 0) out.push_back(m.reply_to_local_id);
  if (m.thread_root_id.empty() && m.thread_root_local_id != 0 && m.thread_root_local_id != m.reply_to_local_id) {
    out.push_back(m.thread_root_local_id);
  }
  return out;
}

// A message whose files are not all on the server yet (an attachment with no id) waits.
bool uploading(const LocalMessage& m) {
  return std::any_of(m.attachments.begin(), m.attachments.end(),
                     [](const Attachment& a) { return a.attachment_id.empty(); });
}

// `m` names the message `target_local_id`, which the server has now as `message_id`.
void resolve(LocalMessage& m, std::int64_t target_local_id, const std::string& message_id) {
  if (m.kind != OutboxKind::message) {
    if (m.target_local_id == target_local_id) m.target_message_id = message_id;
    return;
  }
  if (m.reply_to_local_id == target_local_id) m.reply_to = message_id;
  if (m.thread_root_local_id == target_local_id) m.thread_root_id = message_id;
}

}  // namespace

Outbox::Outbox(OutboxPolicy policy, std::uint64_t seed) : policy_(policy), random_(seed) {
  policy_.window = std::max<std::size_t>(policy_.window, 1);
}

void Outbox::restore(std::vector<OutboxRow> rows) {
  for (auto& row : rows) {
    bool was_sending = row.message.state == OutboxState::sending;
    if (was_sending) row.message.state = OutboxState::pending;
    insert(std::move(row));
    if (was_sending) changed(rows_.rbegin()->second);
  }
  // A row waiting for a message that is neither here nor known to the server could never go.
  for (auto& [id, entry] : rows_) {
    const auto& m = entry.row.message;
    auto waits = awaited(m);
    bool orphan = std::any_of(waits.begin(), waits.end(), [this](std::int64_t t) { return !rows_.contains(t); });
    if (orphan && m.state != OutboxState::failed) {
      fail(entry, Error::make(ErrorCode::invalid_argument, "the message it applies to is no longer in the outbox"));
    }
  }
}

void Outbox::add(OutboxRow row) {
  if (rows_.contains(row.message.local_id)) return;
  row.message.state = OutboxState::pending;
  insert(std::move(row));
}

void Outbox::insert(OutboxRow row) {
  auto id = row.message.local_id;
  by_client_id_[row.message.client_message_id] = id;
  const auto& m = row.message;
  for (auto target : awaited(m)) waiting_[target].push_back(id);
  auto conversation_id = m.conversation_id;
  bool queued = m.state != OutboxState::failed;
  Entry& entry = rows_[id] = Entry{std::move(row)};
  if (queued) queues_[conversation_id][id] = &entry;
}

Outbox::Entry* Outbox::find(std::int64_t local_id) {
  auto it = rows_.find(local_id);
  return it == rows_.end() ? nullptr : &it->second;
}

void Outbox::changed(const Entry& entry) { changed_.push_back(entry.row); }

bool Outbox::expired(const Entry& entry, Now now) const {
  return now.wall_ms - entry.row.age_from_ms >= policy_.max_age_ms;
}

void Outbox::transmit(Entry& entry, std::int64_t monotonic_ms) {
  auto& m = entry.row.message;
  m.state = OutboxState::sending;
  m.attempts += 1;
  entry.held_by_server = false;  // it comes again, which ends the server's hold
  entry.next_attempt_at_ms = 0;
  entry.ack_deadline_ms = monotonic_ms + policy_.ack_timeout_ms;
  transmit_.push_back(entry.row);
  changed(entry);
}

void Outbox::unqueue(const LocalMessage& m) {
  auto queue = queues_.find(m.conversation_id);
  if (queue == queues_.end()) return;
  queue->second.erase(m.local_id);
  if (queue->second.empty()) queues_.erase(queue);
}

std::vector<Outbox::Entry*> Outbox::take_dependents(std::int64_t target_local_id) {
  std::vector<Entry*> out;
  auto found = waiting_.find(target_local_id);
  if (found == waiting_.end()) return out;
  for (auto id : found->second) {
    auto it = rows_.find(id);  // a dependent may have gone on its own (discarded)
    if (it == rows_.end()) continue;
    auto waits = awaited(it->second.row.message);
    if (std::find(waits.begin(), waits.end(), target_local_id) != waits.end()) out.push_back(&it->second);
  }
  waiting_.erase(found);
  return out;
}

void Outbox::fail(Entry& entry, Error error) {
  auto& m = entry.row.message;
  if (m.kind == OutboxKind::message) {
    for (Entry* dependent : take_dependents(m.local_id)) {
      fail(*dependent, Error::make(error.code, "the message it applies to was not sent: " + error.message));
    }
  }
  unqueue(m);
  withdraw(entry);
  m.state = OutboxState::failed;
  m.last_error = std::move(error);
  entry.next_attempt_at_ms = 0;
  changed(entry);
}

void Outbox::withdraw(Entry& entry) {
  if (!std::exchange(entry.held_by_server, false)) return;
  withdrawn_.push_back(entry.row.message);
}

void Outbox::flush(Now now, bool connected) {
  // Conversations take turns oldest first (by their first queued message). fail() may
  // erase a queue, so walk over a snapshot.
  std::vector<std::pair<std::int64_t, std::string>> conversations;
  conversations.reserve(queues_.size());
  for (const auto& [conversation, queue] : queues_) conversations.emplace_back(queue.begin()->first, conversation);
  std::sort(conversations.begin(), conversations.end());
  for (const auto& [first, conversation] : conversations) {
    flush_queue(conversation, now, connected);
  }
}

void Outbox::flush_queue(const std::string& conversation_id, Now now, bool connected) {
  const std::int64_t now_ms = now.monotonic_ms;
  std::size_t in_flight = 0;
  auto queue = queues_.find(conversation_id);
  if (queue == queues_.end()) return;
  for (auto next = queue->second.begin(); next != queue->second.end();) {
    Entry& entry = *next->second;
    auto& m = entry.row.message;
    if (m.state == OutboxState::sending) {
      if (connected && now_ms >= entry.ack_deadline_ms) {
        // No ack in time: the same clientMessageId again, so the server cannot commit twice.
        m.last_error = Error::make(ErrorCode::timeout, "no ack within " +
                                                           std::to_string(policy_.ack_timeout_ms) + " ms");
        transmit(entry, now_ms);
      }
      ++in_flight;
      ++next;
      continue;
    }
    // Pending. Past its maximum age it fails and the next one takes its place. fail() may
    // erase other entries of this queue (the changes that wait for it), or the whole
    // queue: look it up again and go on after this one.
    if (expired(entry, now)) {
      auto after = next->first;
      fail(entry, Error::make(ErrorCode::too_old,
                              "too old: not delivered within " +
                                  std::to_string(policy_.max_age_ms / 1000) + " s of being queued"));
      queue = queues_.find(conversation_id);
      if (queue == queues_.end()) return;
      next = queue->second.upper_bound(after);
      continue;
    }
    // Order: nothing behind a waiting message may overtake it. A change waits until its
    // target has the server's id.
    bool target_unsent = !awaited(m).empty() || uploading(m);
    if (!connected || target_unsent || entry.next_attempt_at_ms > now_ms || in_flight >= policy_.window) return;
    transmit(entry, now_ms);
    ++in_flight;
    ++next;
  }
}

void Outbox::connection_lost(const Error& why) {
  for (auto& [conversation, queue] : queues_) {
    for (auto& [id, queued] : queue) {
      Entry& entry = *queued;
      entry.held_by_server = false;  // a new connection starts with nothing held
      if (entry.row.message.state != OutboxState::sending) continue;
      entry.row.message.state = OutboxState::pending;
      entry.row.message.last_error = why;
      changed(entry);
    }
  }
}

bool Outbox::on_ack(const std::string& client_message_id, const std::string& message_id, Seq seq) {
  auto found = by_client_id_.find(client_message_id);
  if (found == by_client_id_.end()) return false;
  auto id = found->second;
  Entry& entry = rows_.at(id);
  auto& m = entry.row.message;
  if (m.state == OutboxState::failed) return false;  // settled already; the app decides
  m.state = OutboxState::sent;
  m.message_id = message_id;
  m.conversation_seq = seq;
  m.last_error.reset();
  changed(entry);
  if (m.kind == OutboxKind::message) {
    for (Entry* dependent : take_dependents(id)) {
      resolve(dependent->row.message, id, message_id);
      changed(*dependent);
    }
  }
  unqueue(m);
  by_client_id_.erase(found);
  rows_.erase(id);
  return true;
}

bool Outbox::on_refused(const std::string& client_message_id, const Error& error, Now now) {
  auto found = by_client_id_.find(client_message_id);
  if (found == by_client_id_.end()) return false;
  Entry& entry = rows_.at(found->second);
  auto& m = entry.row.message;
  if (m.state != OutboxState::sending) return false;
  if (!error.retryable) {
    fail(entry, error);
    return true;
  }
  m.state = OutboxState::pending;
  m.last_error = error;
  entry.held_by_server = true;
  // Only the first waiting message of a conversation carries the delay; the ones behind
  // it follow it as soon as it goes.
  const Queue& queue = queues_.at(m.conversation_id);
  bool behind_another = std::any_of(queue.begin(), queue.find(m.local_id), [](const auto& queued) {
    return queued.second->row.message.state == OutboxState::pending;
  });
  std::int64_t delay = error.retry_after_ms > 0 ? error.retry_after_ms : full_jitter_ms(random_, policy_.retry_base_ms, policy_.retry_cap_ms, m.attempts);
  entry.next_attempt_at_ms = behind_another ? 0 : now.monotonic_ms + delay;
  changed(entry);
  return true;
}

Result<void> Outbox::retry(std::int64_t local_id, Now now) {
  Entry* entry = find(local_id);
  if (entry == nullptr) return invalid("no unsent message with local id " + std::to_string(local_id));
  auto& m = entry->row.message;
  if (m.state == OutboxState::sending) return invalid("message " + std::to_string(local_id) + " is being sent");
  if (m.state == OutboxState::failed) queues_[m.conversation_id][local_id] = entry;
  m.state = OutboxState::pending;
  m.last_error.reset();
  entry->next_attempt_at_ms = 0;
  entry->row.age_from_ms = now.wall_ms;
  changed(*entry);
  return {};
}

Result<void> Outbox::discard(std::int64_t local_id) {
  Entry* entry = find(local_id);
  if (entry == nullptr) return invalid("no unsent message with local id " + std::to_string(local_id));
  auto& m = entry->row.message;
  if (m.state == OutboxState::sending) {
    return invalid("message " + std::to_string(local_id) +
                   " is on the wire and may already be committed; delete it once it is sent");
  }
  if (m.kind == OutboxKind::message) {
    // What waits for it can never go: discard it too (none of it is on the wire, since it
    // waits for the target's ack).
    for (Entry* dependent : take_dependents(local_id)) {
      auto dependent_id = dependent->row.message.local_id;
      static_cast<void>(discard(dependent_id));
    }
  }
  unqueue(m);
  withdraw(*entry);
  m.state = OutboxState::discarded;
  changed(*entry);
  by_client_id_.erase(m.client_message_id);
  rows_.erase(local_id);
  return {};
}

std::optional<std::int64_t> Outbox::next_wakeup(Now now, bool connected) const {
  std::optional<std::int64_t> next;
  auto consider = [&next, &now](std::int64_t t) {
    if (t > now.monotonic_ms) next = next ? std::min(*next, t) : t;
  };
  for (const auto& [conversation, queue] : queues_) {
    for (const auto& [id, queued] : queue) {
      const Entry& entry = *queued;
      if (entry.row.message.state == OutboxState::sending) {
        if (connected) consider(entry.ack_deadline_ms);
        continue;
      }
      // The first pending row decides for its conversation: the ones behind it wait for it.
      consider(now.monotonic_ms + (entry.row.age_from_ms + policy_.max_age_ms - now.wall_ms));
      if (connected) consider(entry.next_attempt_at_ms);
      break;
    }
  }
  return next;
}

Result<void> Outbox::attachment_uploaded(std::int64_t local_id, std::size_t index, const std::string& attachment_id) {
  Entry* entry = find(local_id);
  if (entry == nullptr) return invalid("no unsent message with local id " + std::to_string(local_id));
  auto& attachments = entry->row.message.attachments;
  if (index >= attachments.size()) return invalid("message " + std::to_string(local_id) + " has no attachment " + std::to_string(index));
  if (attachments[index].attachment_id == attachment_id) return {};
  attachments[index].attachment_id = attachment_id;
  changed(*entry);
  return {};
}

Result<void> Outbox::upload_failed(std::int64_t local_id, Error error) {
  Entry* entry = find(local_id);
  if (entry == nullptr) return invalid("no unsent message with local id " + std::to_string(local_id));
  if (entry->row.message.state != OutboxState::pending) return {};
  fail(*entry, std::move(error));
  return {};
}

const OutboxRow* Outbox::find_row(std::int64_t local_id) const {
  auto it = rows_.find(local_id);
  return it == rows_.end() ? nullptr : &it->second.row;
}

std::vector<OutboxRow> Outbox::take_changed() { return std::exchange(changed_, {}); }
std::vector<OutboxRow> Outbox::take_transmit() { return std::exchange(transmit_, {}); }
std::vector<LocalMessage> Outbox::take_withdrawn() { return std::exchange(withdrawn_, {}); }

std::vector<LocalMessage> Outbox::unsent() const {
  std::vector<LocalMessage> out;
  out.reserve(rows_.size());
  for (const auto& [id, entry] : rows_) out.push_back(entry.row.message);
  return out;
}

}  // namespace confab::core
