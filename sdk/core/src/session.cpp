#include "core/session.h"

#include <algorithm>
#include <utility>

namespace confab::core {
namespace {

constexpr std::string_view kAuthRequestId = "auth";
constexpr std::string_view kListRequestId = "conversations";

// The request that carries an outbox row. Its id is the row's clientMessageId, so the
// answer finds the row again.
std::string encode_request(const LocalMessage& m) {
  if (m.kind == OutboxKind::message) {
    return protocol::encode(protocol::MessageSend{m.client_message_id, m.conversation_id, m.client_message_id,
                                                  protocol::Body{m.text, protocol::to_refs(m.attachments)}, m.reply_to,
                                                  m.thread_root_id});
  }
  protocol::MessageChange change;
  change.id = m.client_message_id;
  change.conversation_id = m.conversation_id;
  change.client_message_id = m.client_message_id;
  change.message_id = m.target_message_id;
  switch (m.kind) {
    case OutboxKind::edit:
      change.kind = protocol::ChangeKind::edit;
      change.body.text = m.text;
      break;
    case OutboxKind::remove:
      change.kind = protocol::ChangeKind::remove;
      break;
    case OutboxKind::react:
    case OutboxKind::unreact:
      change.kind = m.kind == OutboxKind::react ? protocol::ChangeKind::react : protocol::ChangeKind::unreact;
      change.emoji = m.emoji;
      break;
    case OutboxKind::message:
      break;
  }
  return protocol::encode(change);
}

}  // namespace

Session::Session(SessionOptions options, Clocks clocks)
    : options_(std::move(options)),
      clocks_(std::move(clocks)),
      schedule_(options_.connection, options_.seed ^ 0x9e3779b97f4a7c15ULL),
      liveness_(options_.connection),
      outbox_(options_.outbox, options_.seed),
      sync_(options_.sync),
      typing_(options_.typing),
      presence_(options_.presence) {}

std::vector<Action> Session::take_actions() { return std::exchange(actions_, {}); }

void Session::set_state(ConnectionState state, std::optional<Error> error, std::optional<std::int64_t> retry_in_ms) {
  if (state == state_ && !error) return;
  state_ = state;
  NotifyConnection notify;
  notify.change.state = state;
  notify.change.error = std::move(error);
  if (retry_in_ms) notify.change.retry_in = std::chrono::milliseconds(*retry_in_ms);
  actions_.emplace_back(std::move(notify));
}

void Session::send_frame(std::string text) {
  liveness_.sent(monotonic());
  actions_.push_back(SendFrame{std::move(text)});
}

void Session::drain_outbox() {
  // Before any send: the server keeps a conversation held back for a withdrawn message
  // until it hears of it. A new connection holds nothing, so there is nothing to say then.
  for (auto& m : outbox_.take_withdrawn()) {
    if (connected()) {
      actions_.push_back(SendFrame{protocol::encode(protocol::MessageWithdraw{{}, m.conversation_id, m.client_message_id})});
    }
  }
  for (auto& row : outbox_.take_transmit()) {
    actions_.push_back(SendFrame{encode_request(row.message)});
  }
  auto changed = outbox_.take_changed();
  actions_.reserve(actions_.size() + 2 * changed.size());
  for (auto& row : changed) {
    actions_.emplace_back(std::in_place_type<NotifyOutbox>, NotifyOutbox{row.message});
    actions_.emplace_back(std::in_place_type<PersistOutbox>, PersistOutbox{std::move(row)});
  }
}

void Session::flush_outbox() {
  outbox_.flush(clocks_.now(), connected());
  drain_outbox();
}

void Session::restore(std::vector<OutboxRow> rows) {
  outbox_.restore(std::move(rows));
  flush_outbox();
}

void Session::connect_requested(std::string token, bool refreshable) {
  token_ = std::move(token);
  refreshable_ = refreshable;
  refreshed_ = false;
  wanted_ = true;
  backgrounded_ = false;
  schedule_.reset();
  start_attempt();
}

void Session::token_refreshed(Result<std::string> token) {
  if (!wanted_ || state_ != ConnectionState::disconnected) return;  // disconnect() came first
  if (!token || token->empty()) {
    wanted_ = false;
    retry_at_.reset();
    Error why = token ? Error::make(ErrorCode::unauthorized, "the token provider returned an empty token")
                      : token.error();
    requests_offline("the client failed: " + describe(why));
    set_state(ConnectionState::failed, std::move(why));
    return;
  }
  token_ = std::move(token).value();
  start_attempt();
}

void Session::no_token(Error why) { fail_for_good(std::move(why), true); }

void Session::renew_token(std::string token) { token_ = std::move(token); }

void Session::token_delayed(Error why) {
  if (!wanted_ || state_ == ConnectionState::connected) return;
  // As a connection that could not be made: the backoff, then a new attempt.
  if (has_transport_) {
    lose_connection(std::move(why), true);
    return;
  }
  auto now = monotonic();
  auto retry = schedule_.lost(now, false);
  set_waiting(retry.suspended ? ConnectionState::suspended : ConnectionState::disconnected, std::move(why),
              now + retry.delay_ms);
  if (retry.delay_ms == 0) start_attempt();
}

void Session::drop_transport(const Error& why, bool close) {
  if (close && has_transport_) actions_.push_back(CloseConnection{why});
  has_transport_ = false;
  transport_open_ = false;
  auth_deadline_.reset();
  outbox_.connection_lost(why);
  drain_outbox();
  sync_.disconnected();
  older_requests_.clear();  // the app asks again when it scrolls again
  requests_connection_lost(why);
  live_disconnected();
}

void Session::fail_for_good(Error why, bool close) {
  wanted_ = false;
  retry_at_.reset();
  drop_transport(why, close);
  requests_offline("the client failed: " + describe(why));
  set_state(ConnectionState::failed, std::move(why));
}

void Session::start_attempt() {
  user_id_.clear();
  transport_open_ = false;
  has_transport_ = true;
  retry_at_.reset();
  auth_deadline_.reset();
  outbox_.connection_lost(Error::make(ErrorCode::transport, "reconnecting"));
  live_disconnected();  // connect() while connected replaces the connection
  set_state(ConnectionState::connecting);
  actions_.push_back(OpenTransport{});
  drain_outbox();
}

void Session::disconnect_requested() {
  wanted_ = false;
  retry_at_.reset();
  auth_deadline_.reset();
  requests_offline("disconnect() was called");
  if (state_ == ConnectionState::closed || state_ == ConnectionState::closing) return;
  if (!has_transport_) {
    set_state(ConnectionState::closed);
    return;
  }
  set_state(ConnectionState::closing);
  actions_.push_back(CloseConnection{Error::make(ErrorCode::closed, "disconnect requested")});
}

void Session::set_waiting(ConnectionState state, Error why, std::optional<std::int64_t> retry_at) {
  retry_at_ = retry_at;
  std::optional<std::int64_t> retry_in;
  if (retry_at) retry_in = std::max<std::int64_t>(*retry_at - monotonic(), 0);
  set_state(state, std::move(why), retry_in);
}

void Session::lose_connection(Error why, bool close_transport) {
  bool was_connected = state_ == ConnectionState::connected;
  drop_transport(why, close_transport);
  if (!wanted_ || !options_.reconnect || backgrounded_) {
    set_waiting(ConnectionState::disconnected, std::move(why), std::nullopt);
    return;
  }
  auto now = monotonic();
  auto retry = schedule_.lost(now, was_connected);
  set_waiting(retry.suspended ? ConnectionState::suspended : ConnectionState::disconnected, std::move(why),
              now + retry.delay_ms);
  if (retry.delay_ms == 0) start_attempt();
}

void Session::network_changed(bool available) {
  if (available) {
    bool waiting = state_ == ConnectionState::disconnected || state_ == ConnectionState::suspended;
    if (waiting && wanted_ && !backgrounded_) {
      schedule_.reset();
      start_attempt();
    }
    return;
  }
  if (state_ == ConnectionState::connecting || state_ == ConnectionState::connected) {
    lose_connection(Error::make(ErrorCode::transport, "the network is unavailable"), true);
  }
}

void Session::app_backgrounded(bool disconnect) {
  // Others see this device idle, and this user's typing ends.
  presence_.set_background(true, monotonic());
  typing_.background();
  drain_live();
  if (!disconnect || !wanted_) return;
  backgrounded_ = true;
  requests_offline("the app is in the background, and the client disconnects there");
  if (state_ == ConnectionState::connecting || state_ == ConnectionState::connected) {
    lose_connection(Error::make(ErrorCode::closed, "the app is in the background"), true);
  } else {
    retry_at_.reset();
  }
}

void Session::app_foregrounded() {
  presence_.set_background(false, monotonic());
  drain_live();
  bool was_backgrounded = std::exchange(backgrounded_, false);
  bool waiting = state_ == ConnectionState::disconnected || state_ == ConnectionState::suspended;
  if (wanted_ && waiting && (was_backgrounded || retry_at_)) {
    schedule_.reset();
    start_attempt();
  }
}

void Session::enqueue(OutboxRow row) {
  if (row.message.kind == OutboxKind::message) {
    typing_.sent(row.message.conversation_id);  // the message ends the typing that led to it
    drain_live();
  }
  outbox_.add(std::move(row));
  flush_outbox();
}

Result<void> Session::retry(std::int64_t local_id) {
  auto done = outbox_.retry(local_id, clocks_.now());
  flush_outbox();
  return done;
}

Result<void> Session::attachment_uploaded(std::int64_t local_id, std::size_t index, const std::string& attachment_id) {
  auto done = outbox_.attachment_uploaded(local_id, index, attachment_id);
  flush_outbox();
  return done;
}

Result<void> Session::upload_failed(std::int64_t local_id, Error error) {
  auto done = outbox_.upload_failed(local_id, std::move(error));
  flush_outbox();
  return done;
}

Result<void> Session::discard(std::int64_t local_id) {
  auto done = outbox_.discard(local_id);
  drain_outbox();
  return done;
}

void Session::tick() {
  auto now = monotonic();
  if (retry_at_ && now >= *retry_at_ &&
      (state_ == ConnectionState::disconnected || state_ == ConnectionState::suspended)) {
    start_attempt();
  } else if (state_ == ConnectionState::connecting && auth_deadline_ && now >= *auth_deadline_) {
    lose_connection(Error::make(ErrorCode::timeout, "no answer to auth within " +
                                                        std::to_string(options_.connection.auth_timeout_ms) + " ms"),
                    true);
  } else if (state_ == ConnectionState::connected) {
    if (liveness_.dead(now)) {
      // A half-open connection: the socket looks fine, but nothing comes back.
      lose_connection(Error::make(ErrorCode::timeout, "nothing received for " +
                                                          std::to_string(options_.connection.ping_interval_ms +
                                                                         options_.connection.ping_timeout_ms) +
                                                          " ms"),
                      true);
    } else if (liveness_.ping_due(now)) {
      send_frame(protocol::encode(protocol::Ping{"ping:" + std::to_string(++pings_)}));
    }
  }
  flush_outbox();
  sync_.tick(now);
  if (connected() && reads_due_ && now >= *reads_due_) send_reads();
  drain_sync();
  expire_requests(now);
  typing_.tick(now);
  presence_.tick(now);
  drain_live();
  expire_presence_queries(now);
}

std::optional<std::int64_t> Session::next_wakeup() const {
  auto next = outbox_.next_wakeup(clocks_.now(), connected());
  auto consider = [&next](std::optional<std::int64_t> t) {
    if (t) next = next ? std::min(*next, *t) : *t;
  };
  if (state_ == ConnectionState::disconnected || state_ == ConnectionState::suspended) consider(retry_at_);
  if (state_ == ConnectionState::connecting) consider(auth_deadline_);
  if (state_ == ConnectionState::connected) {
    consider(liveness_.next_check());
    consider(sync_.next_wakeup());
    consider(reads_due_);
  }
  consider(typing_.next_wakeup());
  consider(presence_.next_wakeup());
  for (const auto& [id, query] : presence_queries_) consider(query.deadline);
  consider(requests_next_deadline());
  return next;
}

void Session::transport_opened() {
  if (state_ != ConnectionState::connecting || !has_transport_) return;
  transport_open_ = true;
  auth_deadline_ = monotonic() + options_.connection.auth_timeout_ms;
  protocol::Auth auth{std::string(kAuthRequestId), token_, protocol::kVersion, options_.device_id};
  send_frame(protocol::encode(auth));
}

void Session::frame_received(std::string_view text) {
  if (!transport_open_) return;
  liveness_.received(monotonic());
  auto decoded = protocol::decode_server_frame(text);
  if (!decoded) {
    const auto& e = decoded.error();
    // A frame type or event kind from a newer server is skipped; anything else means the
    // server broke the protocol, and the connection cannot be trusted.
    if (e.code == ErrorCode::unknown_type) return;
    lose_connection(Error::make(ErrorCode::bad_frame, "server sent an invalid frame: " + e.message), true);
    return;
  }
  std::visit(
      [this](const auto& frame) {
        using T = std::decay_t<decltype(frame)>;
        if constexpr (std::is_same_v<T, protocol::AuthOk>) {
          on_auth_ok(frame);
        } else if constexpr (std::is_same_v<T, protocol::MessageAck>) {
          if (outbox_.on_ack(frame.client_message_id, frame.message_id, frame.conversation_seq)) flush_outbox();
        } else if constexpr (std::is_same_v<T, protocol::Event>) {
          on_event(frame);
        } else if constexpr (std::is_same_v<T, protocol::SyncState>) {
          if (connected()) sync_.on_sync_state(frame, monotonic());
          drain_sync();
        } else if constexpr (std::is_same_v<T, protocol::History>) {
          on_history(frame);
        } else if constexpr (std::is_same_v<T, protocol::CursorState>) {
          on_cursor(frame);
        } else if constexpr (std::is_same_v<T, protocol::Conversations>) {
          on_conversations(frame);
        } else if constexpr (std::is_same_v<T, protocol::ConversationInfo>) {
          on_conversation_answer(frame);
        } else if constexpr (std::is_same_v<T, protocol::Directory>) {
          on_directory_page(frame);
        } else if constexpr (std::is_same_v<T, protocol::Typing>) {
          if (connected()) typing_.remote(frame, monotonic());
          drain_live();
        } else if constexpr (std::is_same_v<T, protocol::Presence>) {
          if (connected()) presence_.on_presence(frame);
          drain_live();
        } else if constexpr (std::is_same_v<T, protocol::PresenceState>) {
          on_presence_answer(frame);
        } else if constexpr (std::is_same_v<T, protocol::Receipts>) {
          on_receipts(frame);
        } else if constexpr (std::is_same_v<T, protocol::ErrorFrame>) {
          on_error(frame);
        }
      },
      decoded.value());
}

void Session::on_auth_ok(const protocol::AuthOk& ok) {
  if (state_ != ConnectionState::connecting) return;
  if (ok.protocol_version != protocol::kVersion) {
    fail_for_good(Error::make(ErrorCode::unsupported_version,
                              "server chose protocol version " + std::to_string(ok.protocol_version)),
                  true);
    return;
  }
  user_id_ = ok.user_id;
  // The conversation list comes before `connected`, so that once connected, send() knows
  // which conversations exist for this user.
  listed_.clear();
  request_conversations({});
}

void Session::request_conversations(std::string after) {
  send_frame(protocol::encode(
      protocol::ConversationsList{std::string(kListRequestId), std::move(after), protocol::kMaxConversationsPage}));
}

void Session::on_conversations(const protocol::Conversations& page) {
  if (page.id != kListRequestId) {
    on_relist_page(page);  // list_conversations() while connected
    return;
  }
  if (state_ != ConnectionState::connecting || user_id_.empty() || page.id != kListRequestId) return;
  listed_.insert(listed_.end(), page.items.begin(), page.items.end());
  if (!page.next.empty() && !page.items.empty()) {
    request_conversations(page.next);
    return;
  }
  KnownConversations known;
  known.items = std::exchange(listed_, {});
  for (const auto& item : known.items) known.ids.push_back(item.conversation_id);
  actions_.push_back(std::move(known));
  finish_connecting();
}

void Session::finish_connecting() {
  auto now = monotonic();
  refreshed_ = false;  // a later expiry may refresh again
  auth_deadline_.reset();
  schedule_.connected(now);
  liveness_.start(now);
  set_state(ConnectionState::connected);
  flush_outbox();
  // Catch up on what was missed, then send what the app did meanwhile.
  sync_.connected(now);
  drain_sync();
  send_older_waiting();
  if (!unsent_reads_.empty() || !unsent_delivered_.empty()) send_reads();
  // The app's requests made meanwhile; then the directory, in the background.
  send_waiting_requests();
  directory_pages_ = 0;
  request_directory_page({});
  // Heartbeats from now on; receipts missed while away.
  live_connected();
}

void Session::on_error(const protocol::ErrorFrame& frame) {
  if (state_ == ConnectionState::connecting && !user_id_.empty() && frame.id == kListRequestId) {
    // A server that cannot list conversations: connect without the list.
    finish_connecting();
    return;
  }
  if (state_ == ConnectionState::connecting) {
    // The server refused the auth frame; it closes the connection next. A permanent
    // refusal (token, version) ends the retries until the app calls connect() again.
    if (frame.error.retryable) {
      lose_connection(frame.error, true);
      return;
    }
    bool token_refused = frame.error.code == ErrorCode::unauthorized || frame.error.code == ErrorCode::token_expired;
    if (token_refused && refreshable_ && !refreshed_) {
      // Expired or revoked: ask the app's token provider once, then try again with it.
      refreshed_ = true;
      drop_transport(frame.error, true);
      set_waiting(ConnectionState::disconnected, frame.error, std::nullopt);
      actions_.push_back(RefreshToken{});
      return;
    }
    fail_for_good(frame.error, false);  // the server closes the connection itself
    return;
  }
  if (on_sync_refused(frame)) return;
  if (on_live_refused(frame)) return;
  if (on_request_refused(frame)) return;
  // The request id of a send is its clientMessageId; other errors concern no message.
  if (outbox_.on_refused(frame.id, frame.error, clocks_.now())) flush_outbox();
}

void Session::transport_closed(const Error& why) {
  if (!has_transport_) return;  // one we already gave up on
  if (state_ == ConnectionState::closing) {
    drop_transport(why, false);
    set_state(ConnectionState::closed);
    return;
  }
  lose_connection(why, false);
}

}  // namespace confab::core
