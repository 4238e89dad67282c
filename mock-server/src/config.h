// The reference server's configuration: where it listens and stores, its limits, and (for
// now) its directory of users, development tokens and conversations.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "confab/result.h"
#include "core/protocol.h"

namespace confab::server {

struct UserConfig {
  std::string id;
  std::string name;
  std::vector<std::string> tokens;  // development bearer tokens
};

enum class ConversationKind { channel, private_channel, dm, group_dm };

struct ConversationConfig {
  std::string id;
  ConversationKind kind = ConversationKind::channel;
  std::string name;
  std::vector<std::string> members;  // user ids
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

  std::vector<UserConfig> users;
  std::vector<ConversationConfig> conversations;
};

// Reads a JSON configuration file (format in docs/protocol.md, "Reference server").
// Fails with invalid_argument naming the first problem.
Result<ServerConfig> load_config(const std::filesystem::path& path);
Result<ServerConfig> parse_config(std::string_view json_text);

// Checks ids, references and limits; load_config calls it, and so must anyone who
// changes a config afterwards.
Result<void> validate(const ServerConfig& config);

std::string_view to_string(ConversationKind kind) noexcept;

}  // namespace confab::server
