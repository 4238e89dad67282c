// State the server keeps only in memory and never persists: who is online, idle or
// offline (from their devices' connections and heartbeats), and who is typing where.
// Thread-safe; no I/O; the caller passes the clock.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace confab::server {

class PresenceBoard {
 public:
  // A device not heard from for `ttl_ms` no longer counts.
  explicit PresenceBoard(std::int64_t ttl_ms) : ttl_ms_(ttl_ms) {}

  struct Change {
    std::string user_id;
    std::string status;  // online, idle or offline
    friend bool operator==(const Change&, const Change&) = default;
  };

  // A device connected (status "online") or sent a heartbeat. Returns the user's new
  // status when it changed.
  std::optional<Change> heartbeat(const std::string& user_id, std::uint64_t connection_id, const std::string& status,
                                  std::int64_t now_ms);
  std::optional<Change> disconnected(const std::string& user_id, std::uint64_t connection_id);
  // Drops devices whose heartbeat is older than the TTL; returns the users whose status changed.
  std::vector<Change> expire(std::int64_t now_ms);
  // The user's status: online if any device is, else idle if any device is, else offline.
  std::string status_of(const std::string& user_id) const;

 private:
  struct Device {
    std::string status;
    std::int64_t expires_ms = 0;
  };
  std::string compute(const std::string& user_id) const;  // with mutex_ held
  std::optional<Change> republish(const std::string& user_id);

  const std::int64_t ttl_ms_;
  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::uint64_t, Device>> devices_;
  std::map<std::string, std::string> published_;  // the status others were last told
};

class TypingBoard {
 public:
  explicit TypingBoard(std::int64_t ttl_ms) : ttl_ms_(ttl_ms) {}
  using Key = std::pair<std::string, std::string>;  // conversation, user

  void start(const std::string& conversation_id, const std::string& user_id, std::int64_t now_ms);
  // Returns whether the user was typing there.
  bool stop(const std::string& conversation_id, const std::string& user_id);
  // Ends typing that was not renewed within the TTL; returns what ended.
  std::vector<Key> expire(std::int64_t now_ms);

 private:
  const std::int64_t ttl_ms_;
  std::mutex mutex_;
  std::map<Key, std::int64_t> expires_;
};

}  // namespace confab::server
