#include "frame_handler.h"

#include <algorithm>
#include <set>
#include <type_traits>

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

namespace {

std::string frame_of(protocol::ServerFrame frame) { return protocol::encode(frame); }

std::string error_reply(const Error& error, std::string id) {
  return protocol::encode(protocol::ServerFrame{protocol::ErrorFrame{std::move(id), error, {}, {}}});
}

// A query whose body runs only when the store is there; otherwise the request is refused
// as retryable, the server being on its way down.
Query with_store(std::string id, std::function<Outcome(MessageStore&, std::int64_t)> body) {
  return [id = std::move(id), body = std::move(body)](MessageStore* store, std::int64_t now_ms) {
    if (store == nullptr) return Outcome{{error_frame(ErrorCode::unavailable, "the server is shutting down", id)}, {}};
    return body(*store, now_ms);
  };
}

// Drops items from the end of a page of conversations until its frame fits in
// `max_bytes`; the next page then starts after the last item kept. Keeps at least one (a
// summary is a few hundred bytes at most: identifiers, and a name and topic without
// control characters, escaped at most twice over).
template <class Page>
void fit_in_frame(Page& page, std::size_t max_bytes) {
  auto size = [](const Page& p) { return protocol::encode(protocol::ServerFrame{p}).size(); };
  if (page.items.size() <= 1 || size(page) <= max_bytes) return;
  // The envelope, with room for the longest `next`; then each item and its comma.
  std::size_t used = size(Page{page.id, {}, std::string(protocol::kMaxIdentifierBytes, 'x')});
  Page one{page.id, {}, {}};
  const std::size_t empty = size(one);
  std::size_t keep = 0;
  for (; keep < page.items.size(); ++keep) {
    one.items.assign(1, page.items[keep]);
    used += size(one) - empty + 1;
    if (used > max_bytes && keep > 0) break;
  }
  page.items.resize(keep);
  page.next = page.items.back().conversation_id;
}

// The `conversation` frame lists the members while it fits in `max_bytes`; memberCount
// always counts them all.
std::string conversation_frame(protocol::ConversationInfo info, std::size_t max_bytes) {
  std::string frame = frame_of(info);
  if (frame.size() <= max_bytes) return frame;
  std::size_t over = frame.size() - max_bytes;
  while (over > 0 && !info.members.empty()) {
    std::size_t member = info.members.back().size() + 3;  // quotes and comma
    info.members.pop_back();
    over = member >= over ? 0 : over - member;
  }
  return frame_of(std::move(info));
}

}  // namespace

std::optional<std::int64_t> RateLimiter::take(std::int64_t now_ms) {
  if (rate_ <= 0) return std::nullopt;
  if (last_ms_ >= 0 && now_ms > last_ms_) {
    tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_ms - last_ms_) * rate_ / 1000.0);
  }
  last_ms_ = std::max(last_ms_, now_ms);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return std::nullopt;
  }
  return std::max<std::int64_t>(1, static_cast<std::int64_t>((1.0 - tokens_) * 1000.0 / rate_ + 0.999));
}

FrameHandler::FrameHandler(const ServerConfig& config, std::shared_ptr<const TokenAuthority> tokens,
                           TypingBoard* typing, const PresenceBoard* presence)
    : tokens_(tokens ? std::move(tokens) : std::make_shared<const TokenAuthority>(config)),
      typing_(typing),
      presence_(presence),
      max_frame_bytes_(config.max_frame_bytes),
      max_difference_(config.max_difference),
      rate_per_second_(config.rate_per_second),
      rate_burst_(config.rate_burst) {}

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
  return on_request(peer, decoded.value(), now_ms);
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
  auto claims = tokens_->verify(auth.token, now_ms);
  if (claims && !claims->device_id.empty() && claims->device_id != auth.device_id) {
    claims = Error::make(ErrorCode::unauthorized, "the token was issued to another device");
  }
  if (!claims) {
    // `token_expired` tells the client to fetch a new token; either way it may not stay.
    return reply_and_close(error_reply(claims.error(), auth.id), protocol::close_code::kUnauthorized,
                           claims.error().code == ErrorCode::token_expired ? "token expired" : "unauthorized");
  }
  peer.user_id = claims->user_id;
  peer.device_id = auth.device_id;
  peer.limiter = RateLimiter(rate_per_second_, rate_burst_);
  protocol::AuthOk ok;
  ok.id = auth.id;
  ok.user_id = peer.user_id;
  ok.device_id = peer.device_id;
  ok.server_time_ms = now_ms;
  ok.max_frame_bytes = max_frame_bytes_;
  ok.max_text_bytes = protocol::kMaxTextBytes;
  return reply(protocol::encode(protocol::ServerFrame{ok}));
}

std::optional<Reaction> FrameHandler::send_request(const Peer& peer, const protocol::ClientFrame& frame) {
  return std::visit(
      [&](const auto& f) -> std::optional<Reaction> {
        using T = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<T, protocol::MessageSend>) {
          Reaction r;
          r.submit = SendRequest{peer.user_id, f.conversation_id, f.client_message_id, f.body.text, peer.connection_id};
          r.submit->attachments = f.body.attachments;
          r.submit->reply_to = f.reply_to;
          r.submit->thread_root_id = f.thread_root_id;
          r.submit_id = f.id;
          return r;
        } else if constexpr (std::is_same_v<T, protocol::MessageChange>) {
          SendRequest request{peer.user_id, f.conversation_id, f.client_message_id, f.body.text, peer.connection_id};
          request.target_message_id = f.message_id;
          request.emoji = f.emoji;
          switch (f.kind) {
            case protocol::ChangeKind::edit: request.kind = EventKind::message_edited; break;
            case protocol::ChangeKind::remove: request.kind = EventKind::message_deleted; break;
            case protocol::ChangeKind::react: request.kind = EventKind::reaction_added; break;
            case protocol::ChangeKind::unreact: request.kind = EventKind::reaction_removed; break;
          }
          Reaction r;
          r.submit = std::move(request);
          r.submit_id = f.id;
          return r;
        } else {
          return std::nullopt;
        }
      },
      frame);
}

Reaction FrameHandler::on_request(Peer& peer, const protocol::ClientFrame& frame, std::int64_t now_ms) const {
  if (const auto* ping = std::get_if<protocol::Ping>(&frame)) {
    return reply(frame_of(protocol::Pong{ping->id}));  // never rate limited: liveness depends on it
  }
  if (const auto* withdraw = std::get_if<protocol::MessageWithdraw>(&frame)) {
    // Never rate limited either: it is never resent, and a conversation held back by a
    // refused message would stay blocked without it. It costs the committer a queue
    // entry, bounded like the sends by the connection's back-pressure.
    Reaction r;
    r.withdraw = *withdraw;
    return r;
  }
  if (auto wait = peer.limiter.take(now_ms)) {
    Error error = Error::make(ErrorCode::rate_limited, "too many requests on this connection");
    error.retry_after_ms = *wait;
    if (auto send = send_request(peer, frame)) {
      // A send is refused through the committer, whose order guard then covers it.
      send->submit->refused = std::move(error);
      return std::move(*send);
    }
    std::string id = std::visit([](const auto& f) { return f.id; }, frame);
    return reply(error_reply(error, std::move(id)));
  }
  if (auto send = send_request(peer, frame)) return std::move(*send);
  return std::visit(
      [&](const auto& f) -> Reaction {
        using T = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<T, protocol::ConversationsList>) {
          return on_page(peer, f.id, f.after, f.limit, {}, false);
        } else if constexpr (std::is_same_v<T, protocol::SyncRequest>) {
          return on_page(peer, f.id, f.after, f.limit, f.cursors, true);
        } else if constexpr (std::is_same_v<T, protocol::ConversationRequest>) {
          return on_conversation(peer, f);
        } else if constexpr (std::is_same_v<T, protocol::HistoryRequest>) {
          Reaction r;
          r.query = with_store(f.id, [user = peer.user_id, request = f, difference = max_difference_,
                                      bytes = max_frame_bytes_](MessageStore& store, std::int64_t) {
            auto page = store.history(user, request, difference, bytes);
            if (!page) return Outcome{{error_reply(page.error(), request.id)}, {}};
            page->id = request.id;
            return Outcome{{frame_of(std::move(page).value())}, {}};
          });
          return r;
        } else if constexpr (std::is_same_v<T, protocol::CursorUpdate>) {
          Reaction r;
          r.query = with_store(f.id, [user = peer.user_id, device = peer.device_id, request = f](MessageStore& store,
                                                                                                   std::int64_t) {
            auto state = store.update_cursor(user, device, request);
            if (!state) return Outcome{{error_reply(state.error(), request.id)}, {}};
            protocol::CursorState broadcast = *state;
            state->id = request.id;
            Outcome out{{frame_of(std::move(state).value())}, {}};
            out.deliveries.push_back({store.members(request.conversation_id), frame_of(std::move(broadcast)), {}, true});
            return out;
          });
          return r;
        } else if constexpr (std::is_same_v<T, protocol::PresenceHeartbeat>) {
          Reaction r;
          r.presence = f.status;
          return r;
        } else if constexpr (std::is_same_v<T, protocol::TypingUpdate>) {
          return on_typing(peer, f);
        } else if constexpr (std::is_same_v<T, protocol::DirectoryList>) {
          return on_directory(peer, f);
        } else if constexpr (std::is_same_v<T, protocol::PresenceQuery>) {
          return on_presence_query(peer, f);
        } else if constexpr (std::is_same_v<T, protocol::ReceiptsRequest>) {
          return on_receipts(peer, f);
        } else {
          // auth is handled before; a second one is answered in on_text.
          return reply(error_frame(ErrorCode::bad_frame, "already authenticated", f.id));
        }
      },
      frame);
}

Reaction FrameHandler::on_page(const Peer& peer, std::string id, std::string after, int limit,
                               std::vector<protocol::Cursor> cursors, bool sync) const {
  Reaction r;
  r.query = with_store(id, [user = peer.user_id, id, after = std::move(after), limit, cursors = std::move(cursors),
                            sync, bytes = max_frame_bytes_](MessageStore& store, std::int64_t) {
    auto items = store.conversations_of(user, after, limit + 1);
    std::string next;
    if (items.size() > static_cast<std::size_t>(limit)) {
      items.resize(static_cast<std::size_t>(limit));
      next = items.back().conversation_id;
    }
    if (!sync) {
      protocol::Conversations page{id, std::move(items), std::move(next)};
      fit_in_frame(page, bytes);
      return Outcome{{frame_of(std::move(page))}, {}};
    }
    // A conversation whose head the client already has is left out.
    std::erase_if(items, [&cursors](const protocol::ConversationSummary& c) {
      return std::any_of(cursors.begin(), cursors.end(), [&c](const protocol::Cursor& k) {
        return k.conversation_id == c.conversation_id && k.seq == c.head_seq;
      });
    });
    protocol::SyncState page{id, std::move(items), std::move(next)};
    fit_in_frame(page, bytes);
    return Outcome{{frame_of(std::move(page))}, {}};
  });
  return r;
}

Reaction FrameHandler::on_conversation(const Peer& peer, const protocol::ConversationRequest& request) const {
  Reaction r;
  r.query = with_store(request.id, [user = peer.user_id, request, bytes = max_frame_bytes_](MessageStore& store,
                                                                                            std::int64_t now_ms) {
    auto change = store.change_conversation(user, request, now_ms);
    if (!change) return Outcome{{error_reply(change.error(), request.id)}, {}};
    change->info.id = request.id;
    Outcome out{{conversation_frame(std::move(change->info), bytes)}, {}};
    for (auto& event : change->events) out.deliveries.push_back({change->audience, frame_of(std::move(event)), {}, false});
    return out;
  });
  return r;
}

Reaction FrameHandler::on_typing(const Peer& peer, const protocol::TypingUpdate& typing) const {
  Reaction r;
  r.query = with_store(typing.id, [user = peer.user_id, typing, board = typing_](MessageStore& store,
                                                                                  std::int64_t now_ms) {
    if (!store.is_member(typing.conversation_id, user)) {
      return Outcome{{error_frame(ErrorCode::not_member,
                                  "not a member of conversation '" + typing.conversation_id + "'", typing.id)},
                     {}};
    }
    if (board != nullptr) {
      if (typing.typing) {
        board->start(typing.conversation_id, user, now_ms);
      } else {
        board->stop(typing.conversation_id, user);
      }
    }
    Outcome out;
    out.deliveries.push_back({store.members(typing.conversation_id),
                              frame_of(protocol::Typing{typing.conversation_id, user, typing.typing}), user, false});
    return out;
  });
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
  // An error goes out as the store made it, `retryable` included.
  if (!result) return error_reply(result.error(), request_id);
  protocol::MessageAck ack = result->ack;
  ack.id = request_id;
  return protocol::encode(protocol::ServerFrame{std::move(ack)});
}

namespace {

// Finishes a page of `frame` (its `items`, `more` when the store has more after them):
// drops items from the end until the encoded frame, `next` included, fits in `max_bytes`
// (keeping at least one), and sets `next` to the last item's key when more follow.
template <class Frame, class Item, class Key>
void finish_page(Frame& frame, std::vector<Item>& items, bool more, std::size_t max_bytes, Key key) {
  for (;;) {
    frame.next = more && !items.empty() ? key(items.back()) : std::string();
    std::size_t size = protocol::encode(protocol::ServerFrame{frame}).size();
    if (size <= max_bytes || items.size() <= 1) return;
    // Items are of similar size: keep the share that fits, then measure again.
    std::size_t keep = std::max<std::size_t>(1, items.size() * max_bytes / size);
    items.resize(std::min(keep, items.size() - 1));
    more = true;
  }
}

}  // namespace

Reaction FrameHandler::on_directory(const Peer& peer, const protocol::DirectoryList& request) const {
  Reaction r;
  r.query = with_store(request.id, [user = peer.user_id, request, bytes = max_frame_bytes_](MessageStore& store,
                                                                                            std::int64_t) {
    protocol::Directory page;
    page.id = request.id;
    if (request.after.empty()) page.workspaces = store.user_workspaces(user);
    page.users = store.directory_users(user, request.after, request.limit + 1);
    bool more = page.users.size() > static_cast<std::size_t>(request.limit);
    if (more) page.users.resize(static_cast<std::size_t>(request.limit));
    finish_page(page, page.users, more, bytes, [](const protocol::UserEntry& u) { return u.user_id; });
    return Outcome{{frame_of(std::move(page))}, {}};
  });
  return r;
}

Reaction FrameHandler::on_presence_query(const Peer& peer, const protocol::PresenceQuery& query) const {
  Reaction r;
  r.query = with_store(query.id, [user = peer.user_id, query, board = presence_](MessageStore& store, std::int64_t) {
    protocol::PresenceState state;
    state.id = query.id;
    std::set<std::string> seen;
    for (const auto& id : query.user_ids) {
      if (!seen.insert(id).second) continue;
      // Someone the user shares no conversation with (or no one at all) is reported
      // offline, like anyone offline: the answer tells nothing about who exists or where.
      bool visible = board != nullptr && (id == user || store.shares_conversation(user, id));
      state.items.push_back({id, visible ? board->status_of(id) : "offline"});
    }
    return Outcome{{frame_of(std::move(state))}, {}};
  });
  return r;
}

Reaction FrameHandler::on_receipts(const Peer& peer, const protocol::ReceiptsRequest& request) const {
  Reaction r;
  r.query = with_store(request.id, [user = peer.user_id, request, bytes = max_frame_bytes_](MessageStore& store,
                                                                                            std::int64_t) {
    auto items = store.receipts(user, request, request.limit + 1);
    if (!items) return Outcome{{error_reply(items.error(), request.id)}, {}};
    protocol::Receipts page{request.id, request.conversation_id, std::move(items).value(), {}};
    bool more = page.items.size() > static_cast<std::size_t>(request.limit);
    if (more) page.items.resize(static_cast<std::size_t>(request.limit));
    finish_page(page, page.items, more, bytes, [](const protocol::ReceiptPosition& k) { return k.user_id; });
    return Outcome{{frame_of(std::move(page))}, {}};
  });
  return r;
}

}  // namespace confab::server
