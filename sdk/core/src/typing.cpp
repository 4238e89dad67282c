#include "core/typing.h"

#include <algorithm>

namespace confab::core {

void TypingState::connected() { connected_ = true; }

void TypingState::disconnected() {
  connected_ = false;
  local_.clear();
  for (auto it = remote_.begin(); it != remote_.end();) {
    std::string conversation_id = it->first;
    it = remote_.erase(it);
    notify(conversation_id);
  }
}

void TypingState::keystroke(const std::string& conversation_id, std::int64_t now_ms) {
  if (!connected_) return;
  auto [it, fresh] = local_.try_emplace(conversation_id);
  it->second.last_keystroke_ms = now_ms;
  if (fresh || now_ms - it->second.last_start_ms >= policy_.renew_ms) {
    it->second.last_start_ms = now_ms;
    send(conversation_id, true);
  }
}

void TypingState::stop(const std::string& conversation_id) {
  if (local_.erase(conversation_id) > 0) send(conversation_id, false);
}

void TypingState::background() {
  for (const auto& [conversation_id, local] : std::exchange(local_, {})) send(conversation_id, false);
}

void TypingState::remote(const protocol::Typing& frame, std::int64_t now_ms) {
  if (frame.user_id == user_id_) return;
  auto& typers = remote_[frame.conversation_id];
  auto it = std::find_if(typers.begin(), typers.end(), [&](const Remote& r) { return r.user_id == frame.user_id; });
  bool changed = false;
  if (frame.typing) {
    if (it == typers.end()) {
      typers.push_back({frame.user_id, now_ms + policy_.remote_ttl_ms});
      changed = true;
    } else {
      it->expires_ms = now_ms + policy_.remote_ttl_ms;
    }
  } else if (it != typers.end()) {
    typers.erase(it);
    changed = true;
  }
  if (typers.empty()) remote_.erase(frame.conversation_id);
  if (changed) notify(frame.conversation_id);
}

std::vector<std::string> TypingState::typers(const std::string& conversation_id) const {
  std::vector<std::string> out;
  if (auto it = remote_.find(conversation_id); it != remote_.end()) {
    for (const auto& r : it->second) out.push_back(r.user_id);
  }
  return out;
}

void TypingState::tick(std::int64_t now_ms) {
  for (auto it = local_.begin(); it != local_.end();) {
    if (now_ms - it->second.last_keystroke_ms >= policy_.idle_ms) {
      std::string conversation_id = it->first;
      it = local_.erase(it);
      send(conversation_id, false);
    } else {
      ++it;
    }
  }
  for (auto it = remote_.begin(); it != remote_.end();) {
    std::string conversation_id = it->first;
    auto expired = std::erase_if(it->second, [now_ms](const Remote& r) { return r.expires_ms <= now_ms; });
    it = it->second.empty() ? remote_.erase(it) : std::next(it);
    if (expired > 0) notify(conversation_id);
  }
}

std::optional<std::int64_t> TypingState::next_wakeup() const {
  std::optional<std::int64_t> next;
  auto consider = [&next](std::int64_t at) { next = next ? std::min(*next, at) : at; };
  for (const auto& [conversation_id, local] : local_) consider(local.last_keystroke_ms + policy_.idle_ms);
  for (const auto& [conversation_id, typers] : remote_) {
    for (const auto& r : typers) consider(r.expires_ms);
  }
  return next;
}

void TypingState::send(const std::string& conversation_id, bool typing) {
  actions_.push_back(TypingSend{protocol::TypingUpdate{{}, conversation_id, typing}});
}

void TypingState::notify(const std::string& conversation_id) {
  actions_.push_back(NotifyTyping{TypingChange{conversation_id, typers(conversation_id)}});
}

}  // namespace confab::core
