// Who the user is and who the user can see: the workspaces the user belongs to (with the
// user's role in each) and the directory of users who share a workspace with the user.
//
// The client keeps the directory in its local store: it is read without a network round
// trip (so every message and member can be shown with a name at once, even before the
// client connects), and refreshed from the server at each connection.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "confab/export.h"
#include "confab/presence.h"

namespace confab {

// A user's role in a workspace. Owners and admins may also edit and delete other
// members' messages there.
enum class Role {
  member,
  admin,
  owner,
};

// "member", "admin" or "owner" (the wire names).
CONFAB_API std::string_view to_string(Role role) noexcept;

// A workspace the user belongs to.
struct Workspace {
  std::string workspace_id;
  std::string name;
  Role role = Role::member;  // the user's role there
  friend bool operator==(const Workspace&, const Workspace&) = default;
};

// A user's membership of a workspace the user shares with this user.
struct WorkspaceRole {
  std::string workspace_id;
  Role role = Role::member;
  friend bool operator==(const WorkspaceRole&, const WorkspaceRole&) = default;
};

// A user of the directory: someone who shares a workspace with this user (this user
// included).
struct User {
  std::string user_id;
  std::string display_name;          // 1-80 bytes of UTF-8, no control characters
  std::vector<WorkspaceRole> workspaces;  // the shared workspaces, by id, with the user's role in each
  // Filled by Client::users() and Client::user() from the client's presence tracking (memory
  // only, see confab/presence.h); offline for a user whose presence is not known.
  PresenceStatus presence = PresenceStatus::offline;
  friend bool operator==(const User&, const User&) = default;
};

}  // namespace confab
