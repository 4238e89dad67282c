#include "client/live_view.h"

namespace confab::client {

void LiveView::typing(const TypingChange& change) {
  std::lock_guard lock(mutex_);
  if (change.user_ids.empty()) {
    typing_.erase(change.conversation_id);
  } else {
    typing_[change.conversation_id] = change.user_ids;
  }
}

void LiveView::presence(const PresenceChange& change) {
  std::lock_guard lock(mutex_);
  if (change.status == PresenceStatus::offline) {
    presence_.erase(change.user_id);
  } else {
    presence_[change.user_id] = change.status;
  }
}

std::vector<std::string> LiveView::typers(const std::string& conversation_id) const {
  std::lock_guard lock(mutex_);
  auto it = typing_.find(conversation_id);
  return it == typing_.end() ? std::vector<std::string>{} : it->second;
}

PresenceStatus LiveView::presence(const std::string& user_id) const {
  std::lock_guard lock(mutex_);
  auto it = presence_.find(user_id);
  return it == presence_.end() ? PresenceStatus::offline : it->second;
}

}  // namespace confab::client
