#include "frame_handler.h"

#include <algorithm>

namespace confab::server {
namespace {

Reaction reply_and_close(std::string frame, std::uint16_t code, std::string reason) {
  Reaction r;
  r.replies.push_back(std::move(frame));
  r.close = CloseRequest{code, std::move(reason)};
  return r;
}

Reaction reply(std::string frame) {
  Reaction r;
  r.replies.push_back(std::move(frame));
  return r;
}

}  // namespace

std::string error_frame(ErrorCode code, std::string message, std::string id, std::string field) {
  protocol::ErrorFrame frame;
  frame.id = std::move(id);
  frame.error = Error::make(code, std::move(message));
  frame.field = std::move(field);
  return protocol::encode(protocol::ServerFrame{std::move(frame)});
}

FrameHandler::FrameHandler(const ServerConfig& config) : max_frame_bytes_(config.max_frame_bytes) {
  for (const auto& user : config.users) {
    for (const auto& token : user.tokens) user_by_token_.emplace(token, user.id);
  }
  for (const auto& conversation : config.conversations) {
    for (const auto& member : conversation.members) {
      conversations_by_user_[member].push_back({conversation.id, std::string(to_string(conversation.kind))});
    }
  }
  for (auto& [user, list] : conversations_by_user_) {
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.conversation_id < b.conversation_id; });
  }
}

Reaction FrameHandler::on_text(Peer& peer, std::string_view text, std::int64_t now_ms) const {
  auto decoded = protocol::decode_client_frame(text);
  if (!decoded) {
    const auto& e = decoded.error();
    auto frame = protocol::encode(protocol::ServerFrame{protocol::to_error_frame(e)});
    if (!peer.authenticated()) {
      return reply_and_close(std::move(frame), protocol::close_code::kProtocolViolation,
                             "the first frame must be a valid auth frame");
    }
    if (e.code == ErrorCode::bad_frame) {
      return reply_and_close(std::move(frame), protocol::close_code::kInvalidPayload, "malformed frame");
    }
    return reply(std::move(frame));  // unknown type or bad field: the connection stays up
  }
  if (auto* auth = std::get_if<protocol::Auth>(&decoded.value())) {
    if (peer.authenticated()) {
      return reply(error_frame(ErrorCode::bad_frame, "already authenticated", auth->id));
    }
    return on_auth(peer, *auth, now_ms);
  }
  if (!peer.authenticated()) {
    return reply_and_close(error_frame(ErrorCode::not_authenticated, "authenticate first"),
                           protocol::close_code::kProtocolViolation, "authenticate first");
  }
  return on_request(peer, decoded.value());
}

Reaction FrameHandler::on_auth(Peer& peer, const protocol::Auth& auth, std::int64_t now_ms) const {
  if (auth.protocol_version != protocol::kVersion) {
    return reply_and_close(
        error_frame(ErrorCode::unsupported_version,
                    "protocol version " + std::to_string(auth.protocol_version) +
                        " is not supported; this server speaks version " + std::to_string(protocol::kVersion),
                    auth.id, "protocolVersion"),
        protocol::close_code::kUnsupportedVersion, "unsupported protocol version");
  }
  auto user = user_by_token_.find(auth.token);
  if (user == user_by_token_.end()) {
    return reply_and_close(error_frame(ErrorCode::unauthorized, "the token was not accepted", auth.id),
                           protocol::close_code::kUnauthorized, "unauthorized");
  }
  peer.user_id = user->second;
  peer.device_id = auth.device_id;
  protocol::AuthOk ok;
  ok.id = auth.id;
  ok.user_id = peer.user_id;
  ok.device_id = peer.device_id;
  ok.server_time_ms = now_ms;
  ok.max_frame_bytes = max_frame_bytes_;
  ok.max_text_bytes = protocol::kMaxTextBytes;
  return reply(protocol::encode(protocol::ServerFrame{ok}));
}

Reaction FrameHandler::on_request(const Peer& peer, const protocol::ClientFrame& frame) const {
  if (const auto* ping = std::get_if<protocol::Ping>(&frame)) {
    return reply(protocol::encode(protocol::ServerFrame{protocol::Pong{ping->id}}));
  }
  if (const auto* list = std::get_if<protocol::ConversationsList>(&frame)) {
    protocol::Conversations page;
    page.id = list->id;
    auto found = conversations_by_user_.find(peer.user_id);
    if (found != conversations_by_user_.end()) {
      const auto& all = found->second;
      auto it = std::upper_bound(all.begin(), all.end(), list->after,
                                 [](const std::string& after, const auto& c) { return after < c.conversation_id; });
      for (; it != all.end() && page.items.size() < static_cast<std::size_t>(list->limit); ++it) page.items.push_back(*it);
      if (it != all.end()) page.next = page.items.back().conversation_id;
    }
    return reply(protocol::encode(protocol::ServerFrame{std::move(page)}));
  }
  if (const auto* change = std::get_if<protocol::MessageChange>(&frame)) {
    SendRequest request{peer.user_id, change->conversation_id, change->client_message_id, change->body.text,
                        peer.connection_id};
    request.target_message_id = change->message_id;
    request.emoji = change->emoji;
    switch (change->kind) {
      case protocol::ChangeKind::edit: request.kind = EventKind::message_edited; break;
      case protocol::ChangeKind::remove: request.kind = EventKind::message_deleted; break;
      case protocol::ChangeKind::react: request.kind = EventKind::reaction_added; break;
      case protocol::ChangeKind::unreact: request.kind = EventKind::reaction_removed; break;
    }
    Reaction r;
    r.submit = std::move(request);
    r.submit_id = change->id;
    return r;
  }
  const auto& send = std::get<protocol::MessageSend>(frame);
  Reaction r;
  r.submit = SendRequest{peer.user_id, send.conversation_id, send.client_message_id, send.body.text,
                         peer.connection_id};
  r.submit_id = send.id;
  return r;
}

Reaction FrameHandler::on_binary() const {
  return reply_and_close(error_frame(ErrorCode::bad_frame, "binary frames are not supported; send JSON text"),
                         protocol::close_code::kUnsupportedData, "binary frames are not supported");
}

Reaction FrameHandler::on_oversized() const {
  std::string limit = std::to_string(max_frame_bytes_);
  return reply_and_close(error_frame(ErrorCode::frame_too_large, "frames are limited to " + limit + " bytes"),
                         protocol::close_code::kTooBig, "frame exceeds " + limit + " bytes");
}

Reaction FrameHandler::on_auth_timeout() const {
  return reply_and_close(error_frame(ErrorCode::not_authenticated, "no auth frame in time"),
                         protocol::close_code::kAuthTimeout, "authentication timed out");
}

std::string FrameHandler::answer(const std::string& request_id, const AppendResult& result) {
  if (!result) {
    // The error goes out as the store made it, `retryable` included.
    return protocol::encode(protocol::ServerFrame{protocol::ErrorFrame{request_id, result.error(), {}, {}}});
  }
  protocol::MessageAck ack = result->ack;
  ack.id = request_id;
  return protocol::encode(protocol::ServerFrame{std::move(ack)});
}

}  // namespace confab::server
