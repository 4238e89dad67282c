// The client side of one device's session, without I/O.
//
// Inputs are the app's intents (connect, disconnect, enqueue) and what the transport
// reports (opened, frame received, closed). Outputs are actions, drained in order by the
// adapter: frames to write, a connection to close, outbox rows to persist, and
// notifications for the app. The outbox rules live in core::Outbox; the session connects
// them to the wire. Time comes from injected clocks (clock.h), so tests can drive them:
// every deadline and delay follows the monotonic clock; only the outbox's maximum age
// follows the wall clock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "confab/connection.h"
#include "confab/error.h"
#include "confab/message.h"
#include "core/clock.h"
#include "core/outbox.h"
#include "core/presence.h"
#include "protocol/protocol.h"
#include "core/receipts.h"
#include "core/reconnect.h"
#include "core/sync_engine.h"
#include "core/typing.h"

namespace confab::core {

struct SendFrame {
  std::string text;
};
struct CloseConnection {
  Error reason;
};
struct NotifyConnection {
  ConnectionChange change;
};
struct NotifyOutbox {
  LocalMessage message;
};
// An outbox row changed; a `discarded` row is to be deleted.
struct PersistOutbox {
  OutboxRow row;
};
// The server listed the user's conversations (all of them, in id order).
struct KnownConversations {
  std::vector<std::string> ids;
  std::vector<protocol::ConversationSummary> items;
};
// ApplyEvents (sync_engine.h): store these events and move the cursor in one transaction,
// then tell the app.
// How the catch-up after connecting is going.
struct NotifySync {
  SyncProgress progress;
};
// The user's read cursor in a conversation moved (on another device, or answered here).
struct ReadCursorMoved {
  std::string conversation_id;
  Seq read_seq = 0;
};
// Older history asked for with request_older(): store it before the stored window.
struct OlderEvents {
  std::string conversation_id;
  std::vector<protocol::Event> events;
};
// The user joined (or left) a conversation while connected.
struct MembershipChanged {
  std::string conversation_id;
  bool joined = true;
};
// ---- Requests to the server (session_requests.cpp) ----
// A conversation request of the app (request_conversation()) is answered, exactly once:
// with the conversation as it now is, the server's typed refusal, or the SDK's `offline`,
// `timeout` or `transport`.
struct ConversationAnswered {
  std::uint64_t key = 0;
  protocol::ConversationOp op = protocol::ConversationOp::create;
  Result<protocol::ConversationInfo> result;
};
// A page of the directory, listed after connecting: store it. `first` starts a listing
// (its workspaces replace the stored ones); `last` ends a complete one (users it did not
// list have left the directory).
struct DirectoryListed {
  protocol::Directory page;
  bool first = false;
  bool last = false;
};
// ---- Typing, presence and receipts (session_live.cpp) ----
// NotifyTyping (typing.h): the users typing in a conversation changed.
// NotifyPresence (presence.h): a user's status changed (everyone known goes offline on a
// disconnect).
// ReceiptMoved (receipts.h): another member's read or delivery cursor moved forward.
// The answer to query_presence(), exactly once: the statuses asked for, in the order asked,
// or why not (`offline`, `timeout`, `transport`, the server's refusal).
struct PresenceAnswered {
  std::uint64_t key = 0;
  Result<std::vector<PresenceChange>> result;
};
// Open a new transport (dropping any previous one without its callbacks).
struct OpenTransport {};
// Ask the app's token provider for a fresh token; answer with token_refreshed().
struct RefreshToken {};
using Action = std::variant<SendFrame, CloseConnection, NotifyConnection, NotifyOutbox, PersistOutbox,
                            KnownConversations, MembershipChanged, OpenTransport, RefreshToken, ApplyEvents,
                            NotifySync, ReadCursorMoved, OlderEvents, ConversationAnswered, DirectoryListed, NotifyTyping,
                            NotifyPresence, ReceiptMoved, PresenceAnswered>;

struct SessionOptions {
  std::string device_id;
  OutboxPolicy outbox;
  ConnectionPolicy connection;
  bool reconnect = true;   // retry by itself after a drop (tests of single attempts turn it off)
  std::uint64_t seed = 0;  // for the backoffs' jitter
  SyncPolicy sync;
  // Read cursors are sent this long after the first unsent move, all together.
  std::int64_t read_debounce_ms = 1000;
  // A request (request_conversation(), a directory page) not answered this long after it
  // was made fails with `timeout`.
  std::int64_t request_timeout_ms = 15'000;
  // The directory is listed at most this many pages deep at each connection.
  int directory_max_pages = 200;
  TypingPolicy typing;
  PresencePolicy presence;
};

class Session {
 public:
  Session(SessionOptions options, Clocks clocks);

  // The unsent rows found in the database at startup.
  void restore(std::vector<OutboxRow> rows);
  // A conversation's cursor kept in the local store, at startup.
  void restore_cursor(const std::string& conversation_id, Seq cursor);

  // The store could not take events of this conversation; it still holds `stored_cursor`.
  void store_failed(const std::string& conversation_id, Seq stored_cursor);

  // The app has read `conversation_id` up to `read_seq`: sent (debounced, batched with
  // other conversations) once connected. Only forward moves are sent.
  void mark_read(const std::string& conversation_id, Seq read_seq);
  // Asks for up to `limit` events before `before_seq` (now, or once connected); they come
  // back as OlderEvents. One request per conversation at a time: asking again while one is
  // on its way does nothing, and while one waits for a connection merges into it.
  void request_older(const std::string& conversation_id, Seq before_seq, int limit);

  // ---- Requests to the server (session_requests.cpp) ----
  //
  // Creates or changes a conversation (the frame's id is the session's own). Answered
  // exactly once with ConversationAnswered{key}:
  // - `offline` at once while the session is not trying to connect (connect_requested()
  //   never called, disconnect_requested(), failed, or closed for the background); and
  //   `offline` for every unanswered request when it stops trying;
  // - otherwise it is sent when connected (at once, if it is), and fails with `timeout`
  //   request_timeout_ms after this call if no answer came;
  // - a request on the wire when the connection drops is sent again on the next connection
  //   when `idempotent` (asking twice has the effect of asking once: join, invite, update,
  //   the DM of a pair), else fails with `transport`: it may have been applied, and asking
  //   again could apply it twice (a second channel);
  // - the server's refusal keeps its code (not_member, forbidden, invalid_field, ...).
  void request_conversation(std::uint64_t key, protocol::ConversationRequest request, bool idempotent);
  // Lists the user's conversations again while connected (KnownConversations, as after
  // connecting): the user joined one whose details the store does not have (a DM another
  // user opened, an invitation). One listing at a time; asked again meanwhile, one more
  // follows. Not connected: nothing (the next connection lists them all).
  void list_conversations();
  // ---- Typing, presence and receipts (session_live.cpp) ----
  //
  // While connected: heartbeats on PresencePolicy's schedule (online, or idle while the app
  // says so or is in the background), this user's typing on the wire (TypingState's rules),
  // and every `typing`, `presence` and other member's `cursor` frame kept. These frames do
  // not count as traffic for the liveness check: they get no answer, and must not put off
  // the pings that do. A disconnect ends everyone's typing and makes everyone offline
  // (reported); receipts stay (they never move backward), and are asked for again.
  //
  // A keystroke in a conversation's compose box; ignored while not connected.
  void typing(const std::string& conversation_id);
  void stop_typing(const std::string& conversation_id);
  // The app says the user is idle (or back).
  void set_idle(bool idle);
  // The app shows receipts of this conversation: they are asked for now (once connected)
  // and again after each connection, since pushes were missed meanwhile.
  void watch_receipts(const std::string& conversation_id);
  // Asks the server for the presence of users whose presence is not pushed (members of
  // large channels): 1-kMaxPresenceQuery distinct ids. `offline` at once while not
  // connected; `transport` if the connection drops before the answer; `timeout` after
  // request_timeout_ms. The answer is a snapshot (later changes are not pushed): its
  // statuses are kept like pushed ones until a push, a newer answer or a disconnect.
  void query_presence(std::uint64_t key, std::vector<std::string> user_ids);
  std::vector<std::string> typers(const std::string& conversation_id) const { return typing_.typers(conversation_id); }
  PresenceStatus presence(const std::string& user_id) const { return presence_.status(user_id); }
  const ReceiptBook& receipts() const noexcept { return receipts_; }

  // Whether the session is trying to be connected (the app asked, and it has not given up).
  bool trying() const noexcept { return wanted_ && !backgrounded_; }

  // The app wants to be connected with this token: connect now (asks for OpenTransport),
  // and keep reconnecting after drops until disconnect_requested() or a permanent refusal.
  // Messages that were on the wire of a previous connection go back to pending.
  // With `refreshable`, a refused token is refreshed once (RefreshToken) before giving up.
  void connect_requested(std::string token, bool refreshable = false);
  // The token provider's answer: a fresh token to try now, or why there is none (failed).
  void token_refreshed(Result<std::string> token);
  // The token provider could not supply the first token: failed, with its error.
  void no_token(Error why);
  // A new token for the next connections (refreshed before the old one expires); the
  // connection in use, if any, stays. With connect_requested("") the first one comes here,
  // before the transport opens.
  void renew_token(std::string token);
  // No token for now, for a reason that may pass (the bootstrap server could not be
  // reached): disconnected, and a new attempt after the backoff (which asks for a
  // transport, and so for a token, again).
  void token_delayed(Error why);
  // The app wants the connection closed, and no more retries.
  void disconnect_requested();
  // Hints from the platform. Network up, or the app back in the foreground: a
  // disconnected or suspended session tries now. Network down: drop the connection at
  // once. Background with `disconnect`: close, and wait for the foreground.
  void network_changed(bool available);
  void app_backgrounded(bool disconnect);
  void app_foregrounded();
  // A new outgoing message, already committed to the database, in state pending.
  void enqueue(OutboxRow row);
  // The app's outbox requests (see Outbox::retry and Outbox::discard).
  Result<void> retry(std::int64_t local_id);
  Result<void> discard(std::int64_t local_id);
  // The file uploads of outgoing messages (see Outbox::attachment_uploaded, upload_failed).
  Result<void> attachment_uploaded(std::int64_t local_id, std::size_t index, const std::string& attachment_id);
  Result<void> upload_failed(std::int64_t local_id, Error error);
  // Time passed: reconnect when the backoff ends, ping, drop a dead connection, resend
  // unanswered messages, send backed-off ones, expire old ones.
  void tick();
  // When tick() next has work (monotonic clock), if ever.
  std::optional<std::int64_t> next_wakeup() const;
  std::vector<LocalMessage> unsent() const { return outbox_.unsent(); }
  const OutboxRow* find_unsent(std::int64_t local_id) const { return outbox_.find_row(local_id); }

  void transport_opened();
  void frame_received(std::string_view text);
  // The transport is gone (for any reason); `why` says what happened.
  void transport_closed(const Error& why);

  ConnectionState state() const noexcept { return state_; }
  bool is_connected() const noexcept { return state_ == ConnectionState::connected; }
  // The token of the connection (for the HTTP requests that go with it).
  const std::string& token() const noexcept { return token_; }
  // When the next automatic attempt starts (monotonic clock), while disconnected or suspended.
  std::optional<std::int64_t> retry_at() const noexcept { return retry_at_; }
  // The server's id for this user, once authenticated.
  const std::string& user_id() const noexcept { return user_id_; }

  std::vector<Action> take_actions();

 private:
  void start_attempt();
  // The connection is gone or unusable: close it if it is ours, and schedule a retry.
  void lose_connection(Error why, bool close_transport);
  // Lets go of the transport (closing it when asked); in-flight messages go back to pending.
  void drop_transport(const Error& why, bool close);
  // Stops trying until the app calls connect() again.
  void fail_for_good(Error why, bool close);
  void set_waiting(ConnectionState state, Error why, std::optional<std::int64_t> retry_at);
  void send_frame(std::string text);
  void on_auth_ok(const protocol::AuthOk& ok);
  void on_conversations(const protocol::Conversations& page);
  void request_conversations(std::string after);
  void finish_connecting();
  void on_error(const protocol::ErrorFrame& frame);
  void set_state(ConnectionState state, std::optional<Error> error = std::nullopt,
                 std::optional<std::int64_t> retry_in_ms = std::nullopt);
  bool connected() const noexcept { return state_ == ConnectionState::connected; }
  // Runs the outbox and turns what it did into actions.
  void flush_outbox();
  void drain_outbox();
  // The sync engine's actions, turned into the session's.
  void drain_sync();
  void send_reads();
  void send_older_waiting();
  // Sync, history and cursor frames. on_sync_refused: false for an error that answers none
  // of the sync's requests.
  void on_event(const protocol::Event& event);
  void on_history(const protocol::History& history);
  void on_cursor(const protocol::CursorState& cursor);
  bool on_sync_refused(const protocol::ErrorFrame& frame);
  // Requests to the server (session_requests.cpp).
  struct Request {
    protocol::ConversationRequest frame;
    bool idempotent = false;
    bool on_wire = false;
    std::int64_t deadline = 0;  // monotonic
  };
  void answer_request(std::uint64_t key, Result<protocol::ConversationInfo> result);
  void send_waiting_requests();
  void on_conversation_answer(const protocol::ConversationInfo& answer);
  bool on_request_refused(const protocol::ErrorFrame& frame);
  // The session stops trying to connect: every unanswered request fails with `offline`.
  void requests_offline(const std::string& why);
  // The connection is gone: see request_conversation().
  void requests_connection_lost(const Error& why);
  void expire_requests(std::int64_t now);
  std::optional<std::int64_t> requests_next_deadline() const;
  void request_directory_page(const std::string& after);
  void on_directory_page(const protocol::Directory& page);
  void request_relist_page(const std::string& after);
  void on_relist_page(const protocol::Conversations& page);
  // Typing, presence and receipts (session_live.cpp).
  void live_connected();
  void live_disconnected();
  void drain_live();
  // A frame that gets no answer: not counted for the liveness check.
  void send_unanswered(std::string text);
  void request_receipts(const std::string& conversation_id, const std::string& after);
  void on_receipts(const protocol::Receipts& page);
  bool on_live_refused(const protocol::ErrorFrame& frame);
  void on_presence_answer(const protocol::PresenceState& frame);
  void answer_presence(const std::string& id, Result<std::vector<PresenceChange>> result);
  void expire_presence_queries(std::int64_t now);
  // Events from others were stored up to `seq`: report their delivery (with the reads).
  void delivered(const std::string& conversation_id, Seq seq);

  // The monotonic clock, for every deadline.
  std::int64_t monotonic() const { return clocks_.monotonic(); }

  SessionOptions options_;
  Clocks clocks_;
  std::string token_;
  std::string user_id_;
  ConnectionState state_ = ConnectionState::initialized;
  bool has_transport_ = false;   // a transport was asked for and has not been reported closed
  bool transport_open_ = false;  // it is open: frames may be sent and received
  bool wanted_ = false;          // the app asked to be connected
  bool backgrounded_ = false;    // closed for the background; waits for the foreground
  bool refreshable_ = false;  // a token provider can replace a refused token
  bool refreshed_ = false;    // it did, since the last successful connection
  std::optional<std::int64_t> retry_at_;
  std::optional<std::int64_t> auth_deadline_;
  RetrySchedule schedule_;
  Liveness liveness_;
  std::uint64_t pings_ = 0;

  Outbox outbox_;
  std::vector<protocol::ConversationSummary> listed_;  // conversations listed so far while connecting
  SyncEngine sync_;
  std::map<std::string, Seq> unsent_reads_;  // read cursors waiting for the debounce
  std::optional<std::int64_t> reads_due_;
  std::map<std::string, std::string> older_requests_;  // request id -> conversation
  std::map<std::string, protocol::HistoryRequest> older_waiting_;  // by conversation: asked while not connected
  std::uint64_t next_request_ = 1;
  std::map<std::uint64_t, Request> requests_;  // by key: the app's requests not yet answered
  std::optional<std::string> directory_request_;  // the id of the directory page asked for
  std::int64_t directory_deadline_ = 0;
  int directory_pages_ = 0;  // pages listed on this connection
  bool relisting_ = false;      // list_conversations() in flight
  bool relist_again_ = false;   // and asked again meanwhile
  std::vector<protocol::ConversationSummary> relisted_;  // its pages so far
  TypingState typing_;
  PresenceState presence_;
  ReceiptBook receipts_;
  std::set<std::string> receipts_watched_;                // watch_receipts()
  std::set<std::string> receipts_asked_;                  // asked for on this connection
  std::map<std::string, std::string> receipts_requests_;  // request id -> conversation
  std::map<std::string, Seq> unsent_delivered_;           // waiting for the debounce, like reads
  std::map<std::string, Seq> delivered_sent_;             // the highest reported, by conversation
  struct PresenceQuery {
    std::uint64_t key = 0;
    std::int64_t deadline = 0;  // monotonic
  };
  std::map<std::string, PresenceQuery> presence_queries_;  // by request id: unanswered
  std::vector<Action> actions_;
};

}  // namespace confab::core
