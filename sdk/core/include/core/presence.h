// Presence, without I/O: this device's heartbeats, and what is known of other users.
//
// This device: while connected it sends presence.heartbeat at once (which also subscribes
// it to its contacts' presence) and then every `heartbeat_ms`, with `online`, or `idle`
// while the app says input is idle or the app is in the background. A change of that
// status goes out at once, and the schedule restarts from there.
//
// Others: the statuses the server pushes (`presence`) and answers to queries
// (`presence.state`). A user not known is offline. A disconnect makes everyone offline
// (the pushes would be missed); each user that was not offline is reported.
//
// Inputs come from the session; outputs are actions drained with take_actions(), like
// core::SyncEngine. Time is a monotonic clock in milliseconds, passed in.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "confab/presence.h"
#include "protocol/protocol.h"

namespace confab::core {

struct PresencePolicy {
  std::int64_t heartbeat_ms = 15'000;  // well within the server's 30 s presence TTL
};

// Send this presence.heartbeat.
struct PresenceSend {
  protocol::PresenceHeartbeat frame;
};
// Tell the app: a user's status changed.
struct NotifyPresence {
  PresenceChange change;
};
using PresenceAction = std::variant<PresenceSend, NotifyPresence>;

class PresenceState {
 public:
  explicit PresenceState(PresencePolicy policy = {}) : policy_(policy) {}

  // The connection is up: heartbeat now, then on schedule.
  void connected(std::int64_t now_ms);
  // The connection is gone: no more heartbeats; everyone is offline.
  void disconnected();

  // The app's hints. Either one makes this device idle.
  void set_idle(bool idle, std::int64_t now_ms);
  void set_background(bool background, std::int64_t now_ms);
  // What this device's heartbeats say.
  PresenceStatus own_status() const noexcept;

  // ---- others ----
  void on_presence(const protocol::Presence& frame);
  void on_presence_state(const protocol::PresenceState& frame);
  // offline when unknown.
  PresenceStatus status(const std::string& user_id) const;

  // Time passed: a heartbeat when one is due.
  void tick(std::int64_t now_ms);
  // When tick() next has work, if ever.
  std::optional<std::int64_t> next_wakeup() const;

  std::vector<PresenceAction> take_actions() { return std::exchange(actions_, {}); }

 private:
  void heartbeat(std::int64_t now_ms);
  void restated(PresenceStatus before, std::int64_t now_ms);
  void learn(const std::string& user_id, const std::string& status);

  PresencePolicy policy_;
  bool idle_ = false;
  bool background_ = false;
  std::optional<std::int64_t> next_heartbeat_ms_;  // set while connected
  std::map<std::string, PresenceStatus> known_;    // users not offline
  std::vector<PresenceAction> actions_;
};

}  // namespace confab::core
