// The reference server's configuration: where it listens and stores, its limits, and (for
// now) its directory of users, development tokens and conversations.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "confab/result.h"
#include "protocol/protocol.h"

namespace confab::server {

struct UserConfig {
  std::string id;
  std::string name;
  std::vector<std::string> tokens;  // development bearer tokens
  // A deactivated user keeps their history and memberships but can no longer bootstrap
  // or authenticate, with any token (docs/protocol.md, "Reference server").
  bool active = true;
};

enum class ConversationKind { channel, private_channel, dm, group_dm };

// A user's role in a workspace. Owners and admins may edit and delete anyone's messages.
enum class Role { owner, admin, member };

struct WorkspaceMember {
  std::string user_id;
  Role role = Role::member;
};

struct WorkspaceConfig {
  std::string id;
  std::string name;
  std::vector<WorkspaceMember> members;
};

// A conversation the configuration seeds: created with these members the first time the
// server sees it. Later joins, leaves and renames live in the database.
struct ConversationConfig {
  std::string id;
  ConversationKind kind = ConversationKind::channel;
  std::string name;
  std::vector<std::string> members;  // user ids
  std::string workspace;             // empty: the first workspace
};

enum class Durability { normal, full };  // SQLite `synchronous`

struct ServerConfig {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 8700;  // 0 picks a free port
  std::filesystem::path database = "confab.db";
  Durability durability = Durability::full;
  int threads = 1;

  std::size_t max_frame_bytes = protocol::kMaxFrameBytes;
  std::size_t max_batch = 256;                  // messages per commit
  std::size_t max_inflight_per_session = 256;   // sends awaiting commit before reading pauses
  std::size_t max_queued_bytes_per_session = 8 * 1024 * 1024;  // beyond: slow consumer, closed
  std::chrono::milliseconds auth_timeout{10'000};
  // The WebSocket upgrade request must arrive whole within this time (slowloris), and
  // at most this many connections may be in their upgrade at once; beyond, new ones are
  // answered 503 and closed.
  std::chrono::milliseconds handshake_timeout{10'000};
  std::size_t max_pending_handshakes = 1024;
  std::int64_t max_difference = 10'000;  // a history gap beyond this answers tooLong
  double rate_per_second = 1000;  // requests per connection (pings excepted); 0: no limit
  double rate_burst = 2000;
  std::chrono::milliseconds presence_ttl{30'000};  // a device not heard from this long is offline
  std::chrono::milliseconds typing_ttl{6'000};     // typing ends by itself after this
  // Presence fans out to the members of a user's DMs, group DMs and channels of at most
  // this many members; members of larger channels ask with presence.query.
  std::size_t presence_fanout_limit = 100;

  std::uint16_t http_port = 8701;  // bootstrap, history, attachments; 0 picks a free port
  // The HTTP side's deadlines (slowloris): a request's head must arrive whole within
  // http_head_timeout; its body within http_body_timeout plus the time its length takes at
  // http_body_min_rate bytes a second (a chunked body: what has arrived so far); an answer
  // is written under the same rule. Connections are limited per source address and in
  // total; beyond, new ones are answered 503 and closed.
  std::chrono::milliseconds http_head_timeout{10'000};
  std::chrono::milliseconds http_body_timeout{10'000};
  std::uint64_t http_body_min_rate = 32 * 1024;
  std::size_t http_max_connections = 1024;
  std::size_t http_max_connections_per_address = 64;
  std::string public_ws_url;       // what bootstrap tells clients; empty: ws://listen:port/
  std::string session_secret;      // HMAC key of session tokens; empty: random per run
  std::chrono::seconds session_ttl{3600};
  std::filesystem::path attachments_dir;  // empty: next to the database, "<name>-attachments"
  std::size_t max_attachment_bytes = 25 * 1024 * 1024;
  // An upload session expires this long after its creation or its last append, and an
  // attachment no message references is deleted this long after it was stored.
  std::chrono::milliseconds upload_ttl{24 * 3600 * 1000};
  std::filesystem::path push_file;  // push provider: empty logs; a path appends JSON lines
  bool fault_injection = false;    // the admin endpoint of docs/protocol.md, for tests only

  std::vector<UserConfig> users;
  // Without any, the server makes one workspace, "default", holding every user.
  std::vector<WorkspaceConfig> workspaces;
  std::vector<ConversationConfig> conversations;
};

// Reads a JSON configuration file (format in docs/protocol.md, "Reference server").
// Fails with invalid_argument naming the first problem.
Result<ServerConfig> load_config(const std::filesystem::path& path);
Result<ServerConfig> parse_config(std::string_view json_text);

// Checks ids, references and limits; load_config calls it, and so must anyone who
// changes a config afterwards.
Result<void> validate(const ServerConfig& config);

// The configured workspaces, or the default one ("default", every user a member).
std::vector<WorkspaceConfig> workspaces_of(const ServerConfig& config);
// The workspace a configured conversation belongs to.
std::string workspace_of(const ServerConfig& config, const ConversationConfig& conversation);

std::string_view to_string(ConversationKind kind) noexcept;
std::string_view to_string(Role role) noexcept;
std::optional<Role> role_from_string(std::string_view name) noexcept;

}  // namespace confab::server
