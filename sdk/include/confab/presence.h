// Who is around: other users' presence, and who is typing in a conversation. Both are
// ephemeral: kept in memory only, never stored, and forgotten on a disconnect.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "confab/export.h"

namespace confab {

enum class PresenceStatus {
  offline,  // no device connected, or unknown
  idle,     // a device is connected, but its user is away (idle input, app in the background)
  online,   // a device is connected and in use
};

// "offline", "idle" or "online" (the wire names).
CONFAB_API std::string_view to_string(PresenceStatus status) noexcept;

// A user's status changed.
struct PresenceChange {
  std::string user_id;
  PresenceStatus status = PresenceStatus::offline;
  friend bool operator==(const PresenceChange&, const PresenceChange&) = default;
};

// The users typing in a conversation changed: `user_ids` is the whole list now, in the
// order they started typing (empty: nobody). Never includes this user.
struct TypingChange {
  std::string conversation_id;
  std::vector<std::string> user_ids;
  friend bool operator==(const TypingChange&, const TypingChange&) = default;
};

}  // namespace confab
