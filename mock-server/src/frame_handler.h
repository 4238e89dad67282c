// What the server does with one incoming frame, without I/O: the replies to write, the
// close to perform, and the message to hand to the committer. The WebSocket session
// carries the reaction out. Kept apart from the socket code so that every rule about bad
// input can be tested (and fuzzed) directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config.h"
#include "message_store.h"

namespace confab::server {

struct CloseRequest {
  std::uint16_t code = 0;
  std::string reason;  // at most 123 bytes (the WebSocket limit)
};

struct Reaction {
  std::vector<std::string> replies;   // frames to write, in order
  std::optional<CloseRequest> close;  // then close the connection
  std::optional<SendRequest> submit;  // a message to commit; answered when committed
  std::string submit_id;              // the request id its ack or error echoes
};

// One connection's identity, empty until authenticated.
struct Peer {
  std::uint64_t connection_id = 0;  // unique per connection; the committer orders refusals by it
  std::string user_id;
  std::string device_id;
  bool authenticated() const noexcept { return !user_id.empty(); }
};

class FrameHandler {
 public:
  explicit FrameHandler(const ServerConfig& config);

  // A text frame. Authenticates `peer` when it is a valid auth frame.
  Reaction on_text(Peer& peer, std::string_view text, std::int64_t now_ms) const;
  Reaction on_binary() const;
  Reaction on_oversized() const;
  Reaction on_auth_timeout() const;

  // The frame answering a committed (or refused) message.
  static std::string answer(const std::string& request_id, const AppendResult& result);

 private:
  Reaction on_auth(Peer& peer, const protocol::Auth& auth, std::int64_t now_ms) const;
  Reaction on_request(const Peer& peer, const protocol::ClientFrame& frame) const;

  std::unordered_map<std::string, std::string> user_by_token_;
  // Each user's conversations, in id order (the directory is fixed while the server runs).
  std::unordered_map<std::string, std::vector<protocol::ConversationSummary>> conversations_by_user_;
  std::size_t max_frame_bytes_;
};

// An `error` frame with the code's default `retryable` flag.
std::string error_frame(ErrorCode code, std::string message, std::string id = {},
                        std::string field = {});

}  // namespace confab::server
