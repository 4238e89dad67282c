#include "ephemeral.h"

namespace confab::server {

std::string PresenceBoard::compute(const std::string& user_id) const {
  auto it = devices_.find(user_id);
  if (it == devices_.end()) return "offline";
  bool idle = false;
  for (const auto& [connection, device] : it->second) {
    if (device.status == "online") return "online";
    idle = idle || device.status == "idle";
  }
  return idle ? "idle" : "offline";
}

std::optional<PresenceBoard::Change> PresenceBoard::republish(const std::string& user_id) {
  std::string now = compute(user_id);
  auto& last = published_[user_id];
  if (last.empty()) last = "offline";
  if (now == last) return std::nullopt;
  last = now;
  if (now == "offline") published_.erase(user_id);
  return Change{user_id, now};
}

std::optional<PresenceBoard::Change> PresenceBoard::heartbeat(const std::string& user_id, std::uint64_t connection_id,
                                                              const std::string& status, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  devices_[user_id][connection_id] = Device{status, now_ms + ttl_ms_};
  return republish(user_id);
}

std::optional<PresenceBoard::Change> PresenceBoard::disconnected(const std::string& user_id,
                                                                 std::uint64_t connection_id) {
  std::lock_guard lock(mutex_);
  auto it = devices_.find(user_id);
  if (it != devices_.end()) {
    it->second.erase(connection_id);
    if (it->second.empty()) devices_.erase(it);
  }
  return republish(user_id);
}

std::vector<PresenceBoard::Change> PresenceBoard::expire(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> touched;
  for (auto it = devices_.begin(); it != devices_.end();) {
    auto& devices = it->second;
    std::size_t before = devices.size();
    std::erase_if(devices, [now_ms](const auto& entry) { return entry.second.expires_ms <= now_ms; });
    if (devices.size() != before) touched.push_back(it->first);
    it = devices.empty() ? devices_.erase(it) : std::next(it);
  }
  std::vector<Change> changes;
  for (const auto& user : touched) {
    if (auto change = republish(user)) changes.push_back(std::move(*change));
  }
  return changes;
}

std::string PresenceBoard::status_of(const std::string& user_id) const {
  std::lock_guard lock(mutex_);
  return compute(user_id);
}

void TypingBoard::start(const std::string& conversation_id, const std::string& user_id, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  expires_[{conversation_id, user_id}] = now_ms + ttl_ms_;
}

bool TypingBoard::stop(const std::string& conversation_id, const std::string& user_id) {
  std::lock_guard lock(mutex_);
  return expires_.erase({conversation_id, user_id}) > 0;
}

std::vector<TypingBoard::Key> TypingBoard::expire(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  std::vector<Key> ended;
  for (auto it = expires_.begin(); it != expires_.end();) {
    if (it->second <= now_ms) {
      ended.push_back(it->first);
      it = expires_.erase(it);
    } else {
      ++it;
    }
  }
  return ended;
}

}  // namespace confab::server
