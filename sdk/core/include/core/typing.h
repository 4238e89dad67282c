// Typing indicators, without I/O: when this user's typing goes on the wire, and who else is
// typing where.
//
// This user: the first keystroke in a conversation sends typing.start; keystrokes that
// follow renew it at most once every `renew_ms` (so the server, which ends typing not
// renewed within 6 s, keeps it); `idle_ms` after the last keystroke, typing.stop. Sending
// the message, stop() and going to the background stop it at once. A stop is only sent
// where a start was.
//
// Others: `typing` frames from the server. Each user's typing ends `remote_ttl_ms` after
// their last start even if the stop never comes (a lost frame, a dropped connection);
// this user is never listed (the user's other devices type as the user). A disconnect
// forgets everyone, since their stops would be missed.
//
// Inputs come from the session (keystrokes from the app, frames, the connection's state,
// time); outputs are actions drained with take_actions(), like core::SyncEngine. Time is
// a monotonic clock in milliseconds, passed in.
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

struct TypingPolicy {
  std::int64_t renew_ms = 3'000;       // typing.start at most this often while typing goes on
  std::int64_t idle_ms = 3'000;        // typing.stop this long after the last keystroke
  std::int64_t remote_ttl_ms = 6'000;  // another user's typing ends this long after their last start
};

// Send this typing.start or typing.stop.
struct TypingSend {
  protocol::TypingUpdate frame;
};
// Tell the app: the users typing in a conversation changed.
struct NotifyTyping {
  TypingChange change;
};
using TypingAction = std::variant<TypingSend, NotifyTyping>;

class TypingState {
 public:
  explicit TypingState(TypingPolicy policy = {}) : policy_(policy) {}

  // This user's id (from auth.ok): typing frames about it are ignored.
  void set_user(std::string user_id) { user_id_ = std::move(user_id); }

  // The connection is up: keystrokes go on the wire from now on.
  void connected();
  // The connection is gone: nothing more is sent, this user's typing is forgotten (the
  // server ends it by itself), and everyone else's ends at once.
  void disconnected();

  // ---- this user ----
  // A keystroke in the conversation's compose box. Ignored while not connected.
  void keystroke(const std::string& conversation_id, std::int64_t now_ms);
  // The app says typing ended: typing.stop now (if started).
  void stop(const std::string& conversation_id);
  // A message was sent to the conversation: typing ends with it.
  void sent(const std::string& conversation_id) { stop(conversation_id); }
  // The app went to the background: stop everywhere.
  void background();

  // ---- others ----
  void remote(const protocol::Typing& frame, std::int64_t now_ms);
  // Who is typing in the conversation, in the order they started.
  std::vector<std::string> typers(const std::string& conversation_id) const;

  // Time passed: this user's idle typing stops, others' stale typing ends.
  void tick(std::int64_t now_ms);
  // When tick() next has work, if ever.
  std::optional<std::int64_t> next_wakeup() const;

  std::vector<TypingAction> take_actions() { return std::exchange(actions_, {}); }

 private:
  struct Local {
    std::int64_t last_keystroke_ms = 0;
    std::int64_t last_start_ms = 0;
  };
  struct Remote {
    std::string user_id;
    std::int64_t expires_ms = 0;
  };
  void send(const std::string& conversation_id, bool typing);
  void notify(const std::string& conversation_id);

  TypingPolicy policy_;
  std::string user_id_;
  bool connected_ = false;
  std::map<std::string, Local> local_;                 // conversations where a start was sent
  std::map<std::string, std::vector<Remote>> remote_;  // by conversation, in start order
  std::vector<TypingAction> actions_;
};

}  // namespace confab::core
