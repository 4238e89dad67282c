#include "core/presence.h"

namespace confab::core {
namespace {

PresenceStatus parse_status(const std::string& status) {
  if (status == "online") return PresenceStatus::online;
  if (status == "idle") return PresenceStatus::idle;
  return PresenceStatus::offline;  // the codec lets nothing else through
}

}  // namespace

void PresenceState::connected(std::int64_t now_ms) { heartbeat(now_ms); }

void PresenceState::disconnected() {
  next_heartbeat_ms_.reset();
  for (const auto& [user_id, status] : std::exchange(known_, {})) {
    actions_.push_back(NotifyPresence{{user_id, PresenceStatus::offline}});
  }
}

PresenceStatus PresenceState::own_status() const noexcept {
  return idle_ || background_ ? PresenceStatus::idle : PresenceStatus::online;
}

void PresenceState::set_idle(bool idle, std::int64_t now_ms) {
  PresenceStatus before = own_status();
  idle_ = idle;
  restated(before, now_ms);
}

void PresenceState::set_background(bool background, std::int64_t now_ms) {
  PresenceStatus before = own_status();
  background_ = background;
  restated(before, now_ms);
}

void PresenceState::restated(PresenceStatus before, std::int64_t now_ms) {
  // Others learn of the change now, not at the next scheduled heartbeat.
  if (own_status() != before && next_heartbeat_ms_) heartbeat(now_ms);
}

void PresenceState::on_presence(const protocol::Presence& frame) { learn(frame.user_id, frame.status); }

void PresenceState::on_presence_state(const protocol::PresenceState& frame) {
  for (const auto& item : frame.items) learn(item.user_id, item.status);
}

void PresenceState::learn(const std::string& user_id, const std::string& status) {
  PresenceStatus now = parse_status(status);
  if (this->status(user_id) == now) return;
  if (now == PresenceStatus::offline) {
    known_.erase(user_id);
  } else {
    known_[user_id] = now;
  }
  actions_.push_back(NotifyPresence{{user_id, now}});
}

PresenceStatus PresenceState::status(const std::string& user_id) const {
  auto it = known_.find(user_id);
  return it == known_.end() ? PresenceStatus::offline : it->second;
}

void PresenceState::tick(std::int64_t now_ms) {
  if (next_heartbeat_ms_ && now_ms >= *next_heartbeat_ms_) heartbeat(now_ms);
}

std::optional<std::int64_t> PresenceState::next_wakeup() const { return next_heartbeat_ms_; }

void PresenceState::heartbeat(std::int64_t now_ms) {
  actions_.push_back(PresenceSend{protocol::PresenceHeartbeat{{}, std::string(to_string(own_status()))}});
  next_heartbeat_ms_ = now_ms + policy_.heartbeat_ms;
}

}  // namespace confab::core
