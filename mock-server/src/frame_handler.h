// What the server does with one incoming frame, without I/O: the replies to write, the
// close to perform, and the message to hand to the committer. The WebSocket session
// carries the reaction out. Kept apart from the socket code so that every rule about bad
// input can be tested (and fuzzed) directly.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config.h"
#include "ephemeral.h"
#include "fanout.h"
#include "tokens.h"
#include "message_store.h"

namespace confab::server {

struct CloseRequest {
  std::uint16_t code = 0;
  std::string reason;  // at most 123 bytes (the WebSocket limit)
};

// Work for the committer thread (nullptr: the server is stopping).
using Query = std::function<Outcome(MessageStore* store, std::int64_t now_ms)>;

struct Reaction {
  std::vector<std::string> replies;   // frames to write, in order
  std::optional<CloseRequest> close;  // then close the connection
  std::optional<SendRequest> submit;  // a message to commit; answered when committed
  std::string submit_id;              // the request id its ack or error echoes
  Query query;                        // a read or a change that needs the store
  std::optional<std::string> presence;  // a presence heartbeat's status
  // A message the connection will not send again (message.withdraw): for the committer,
  // in order with the sends, to end the hold a refusal of it put on its conversation.
  std::optional<protocol::MessageWithdraw> withdraw;
};

// A token bucket: `rate` requests per second, bursts of `burst`. A rate of 0 is no limit.
class RateLimiter {
 public:
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}
  // Takes one token; when none is left, returns how long until one is (ms).
  std::optional<std::int64_t> take(std::int64_t now_ms);

 private:
  double rate_;
  double burst_;
  double tokens_;
  std::int64_t last_ms_ = -1;
};

// One connection's identity, empty until authenticated, and its request budget.
struct Peer {
  std::uint64_t connection_id = 0;  // unique per connection; the committer orders refusals by it
  std::string user_id;
  std::string device_id;
  RateLimiter limiter{0, 0};
  bool authenticated() const noexcept { return !user_id.empty(); }
};

class FrameHandler {
 public:
  // `tokens` checks auth tokens (one made from `config` when null); `typing` (optional)
  // records who is typing, so that it can end by itself; `presence` (optional) answers
  // presence.query (without it, everyone is reported offline).
  explicit FrameHandler(const ServerConfig& config, std::shared_ptr<const TokenAuthority> tokens = nullptr,
                        TypingBoard* typing = nullptr, const PresenceBoard* presence = nullptr);

  // A text frame. Authenticates `peer` when it is a valid auth frame.
  Reaction on_text(Peer& peer, std::string_view text, std::int64_t now_ms) const;
  Reaction on_binary() const;
  Reaction on_oversized() const;
  Reaction on_auth_timeout() const;

  // The frame answering a committed (or refused) message.
  static std::string answer(const std::string& request_id, const AppendResult& result);

 private:
  Reaction on_auth(Peer& peer, const protocol::Auth& auth, std::int64_t now_ms) const;
  // The submit for a message.send or message.change frame; nothing for other frames.
  static std::optional<Reaction> send_request(const Peer& peer, const protocol::ClientFrame& frame);
  Reaction on_request(Peer& peer, const protocol::ClientFrame& frame, std::int64_t now_ms) const;
  Reaction on_conversation(const Peer& peer, const protocol::ConversationRequest& request) const;
  Reaction on_page(const Peer& peer, std::string id, std::string after, int limit,
                   std::vector<protocol::Cursor> cursors, bool sync) const;
  Reaction on_typing(const Peer& peer, const protocol::TypingUpdate& typing) const;
  // directory.list, presence.query and receipts.request.
  Reaction on_directory(const Peer& peer, const protocol::DirectoryList& request) const;
  Reaction on_presence_query(const Peer& peer, const protocol::PresenceQuery& query) const;
  Reaction on_receipts(const Peer& peer, const protocol::ReceiptsRequest& request) const;

  std::shared_ptr<const TokenAuthority> tokens_;
  TypingBoard* typing_;
  const PresenceBoard* presence_;
  std::size_t max_frame_bytes_;
  std::int64_t max_difference_;
  double rate_per_second_;
  double rate_burst_;
};

// An `error` frame with the code's default `retryable` flag.
std::string error_frame(ErrorCode code, std::string message, std::string id = {},
                        std::string field = {});

}  // namespace confab::server
