// confab::Client: the adapter around the core session. It owns the network thread (an
// io_context) on which the core and the transport live, the callback thread on which the
// app's callbacks run (client/notifier.h), and the thread the app's token provider runs on.
#include "confab/client.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "client/bootstrapper.h"
#include "client/callback_thread.h"
#include "client/client_options.h"
#include "client/conversation_requests.h"
#include "client/live_view.h"
#include "client/local_view.h"
#include "client/network_calls.h"
#include "client/notifier.h"
#include "client/outbox_writer.h"
#include "client/pending_table.h"
#include "client/row_changes.h"
#include "client/send_options.h"
#include "client/store_writer.h"
#include "client/stores.h"
#include "client/transfers.h"
#include "files/file_area.h"
#include "protocol/ids.h"
#include "protocol/protocol.h"
#include "core/session.h"
#include "protocol/utf8.h"
#include "net/http_client.h"
#include "net/url.h"
#include "net/ws_transport.h"
#include "store/cache_store.h"
#include "store/outbox_store.h"

namespace confab {

namespace asio = boost::asio;

namespace {

// Dates (created_at, the outbox's maximum age).
std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Every deadline and delay: never moved by the user or NTP setting the wall clock.
std::int64_t monotonic_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Error invalid(std::string message) { return Error::make(ErrorCode::invalid_argument, std::move(message)); }

// The answer of a call that waited for a network thread that has stopped.
Error closing() { return Error::make(ErrorCode::closed, "the client is being destroyed"); }

static_assert(client::Notifier::kMaxQueuedMessages == Client::kMaxQueuedMessages);

}  // namespace

class Client::Impl {
 public:
  Impl(ClientOptions options, std::shared_ptr<asio::ssl::context> tls, client::Opened opened)
      : options_(std::move(options)),
        tls_(std::move(tls)),
        conversations_(opened.conversations.begin(), opened.conversations.end()),
        store_(std::move(opened.outbox)),
        cache_(std::move(opened.cache)),
        view_(*cache_),
        recovery_(std::move(opened.recovery)),
        token_thread_(std::make_shared<client::CallbackThread>()),
        work_(asio::make_work_guard(io_)),
        calls_(io_),
        wake_timer_(io_),
        outbox_writer_(io_, [this](std::span<const core::OutboxRow> rows) { return store_->write(rows); }),
        session_(client::session_options(options_), core::Clocks{wall_ms, monotonic_ms}),
        bootstrapper_(io_, token_thread_, net::HttpOptions{options_.connect_step_timeout, 64 * 1024, tls_},
                      options_.device_id, client::platform_of(options_)),
        writer_(io_, *cache_, view_, notifier_,
                [this](const std::vector<store::CacheCursor>& rewind) {
                  for (const auto& c : rewind) session_.store_failed(c.conversation_id, c.cursor);
                  asio::post(io_, [this] { apply(session_.take_actions()); });  // their requests
                }),
        files_(std::move(opened.files)),
        transfers_(io_, *files_, *store_, net::HttpOptions{options_.connect_step_timeout, 64 * 1024, tls_}, options_.files,
                   transfer_hooks(), notifier_.callback_executor()),
        network_thread_([this] { io_.run(); }) {
    view_.report_to([this](const ConversationChange& change) { notifier_.conversation(change); });
    view_.set_user_id(opened.user_id);
    view_.restore(opened.unsent, opened.recent_sent, opened.cursors);
    bootstrapper_.on_renewed([this](const net::BootstrapSession& renewed) {
      static_cast<void>(use_session(renewed));  // an unusable one leaves the session in hand
    });
    asio::post(io_, [this, unsent = std::move(opened.unsent), cursors = std::move(opened.cursors)]() mutable {
      for (const auto& c : cursors) session_.restore_cursor(c.conversation_id, c.cursor);
      session_.restore(unsent);
      apply(session_.take_actions());
      // Uploads an earlier run left unfinished resume (from the bytes the server holds).
      for (const auto& row : unsent) {
        if (const core::OutboxRow* now = session_.find_unsent(row.message.local_id)) transfers_.upload(now->message);
      }
    });
  }

  ~Impl() { close(); }

  // Stops the client's threads; from ~Client, while the Client is still whole, so a
  // callback that calls into it meanwhile finds it so. Not from a callback.
  void close() {
    if (std::exchange(closed_, true)) return;
    // Stop the network thread first, so nothing new is published. A call of an app thread
    // (a callback, the token provider) that waited for it returns `closed`; so do later
    // ones. Then tear the connection down (no thread touches it any more) and write the
    // last outbox changes.
    calls_.close([this] {
      io_.stop();
      network_thread_.join();
    });
    transfers_.stop();  // the network thread is gone: downloads still waiting fail `closed`
    transport_.reset();
    // Best effort: what cannot be written now is recovered at the next open (a row whose
    // `sent` is missing is resent and answered with its original ack).
    static_cast<void>(outbox_writer_.write_now());
    // The token provider and the callbacks stop last: each waits for a call in progress and
    // drops whatever had not started.
    token_thread_->stop();
    notifier_.stop();
  }

  Result<net::WsUrl> check_url(std::string_view url) {
    auto parsed = net::parse_ws_url(url);
    if (!parsed) return parsed.error();
    if (!parsed->secure && !options_.allow_insecure_transport) {
      return invalid("ws:// is unencrypted; use wss://, or set ClientOptions::allow_insecure_transport");
    }
    return parsed;
  }

  Result<void> connect(std::string_view url, std::string token) {
    auto parsed = check_url(url);
    if (!parsed) return parsed.error();
    if (auto ok = client::check_token(token); !ok) return ok.error();
    asio::post(io_, [this, url = std::move(parsed).value(), token = std::move(token)]() mutable {
      url_ = std::move(url);
      provider_ = nullptr;
      bootstrapper_.stop();
      session_.connect_requested(std::move(token));  // asks for a transport: OpenTransport
      apply(session_.take_actions());
    });
    return {};
  }

  Result<void> connect(std::string_view url, TokenProvider provider) {
    auto parsed = check_url(url);
    if (!parsed) return parsed.error();
    if (!provider) return invalid("the token provider is empty");
    asio::post(io_, [this, url = std::move(parsed).value(), provider = std::move(provider)]() mutable {
      url_ = std::move(url);
      provider_ = std::make_shared<TokenProvider>(std::move(provider));
      bootstrapper_.stop();
      ask_for_token([this](Result<std::string> token) {
        if (!token) {
          session_.no_token(token.error());
        } else {
          session_.connect_requested(std::move(token).value(), true);
        }
      });
    });
    return {};
  }

  Result<void> connect_with_credential(std::string_view bootstrap_url, CredentialProvider credential) {
    auto base = net::parse_http_url(bootstrap_url);
    if (!base) return base.error();
    if (!base->secure && !options_.allow_insecure_transport) {
      return invalid("http:// is unencrypted; use https://, or set ClientOptions::allow_insecure_transport");
    }
    if (base->target.find('?') != std::string::npos) return invalid("the bootstrap URL must not have a query");
    if (!credential) return invalid("the credential provider is empty");
    asio::post(io_, [this, base = std::move(base).value(), credential = std::move(credential)]() mutable {
      provider_ = nullptr;
      bootstrapper_.start(std::move(base), std::move(credential));
      // The token comes with each attempt's transport (open_after_bootstrap()).
      session_.connect_requested({}, true);
      apply(session_.take_actions());
    });
    return {};
  }

  // A conversation request: checked here, on the caller's thread, then handed to the
  // session (which answers `offline` at once when it is not trying to connect).
  Pending<ConversationInfo> request(Result<client::CheckedRequest> checked) {
    auto [key, pending] = requests_.add();
    if (!checked) {
      requests_.complete(key, checked.error());
      return std::move(pending);
    }
    post_to_session([key = key, checked = std::move(checked).value()](core::Session& s) mutable {
      s.request_conversation(key, std::move(checked.frame), checked.idempotent);
    });
    return std::move(pending);
  }

  // A request about one of the user's conversations (as send() checks it).
  Pending<ConversationInfo> request_about(std::string_view conversation_id, Result<client::CheckedRequest> checked) {
    if (checked) {
      if (auto mine = check_conversation(conversation_id); !mine) checked = mine.error();
    }
    return request(std::move(checked));
  }

  // Runs the app's token provider on its own thread (it may block, and must not hold up the
  // app's notifications meanwhile), then `then` with its answer on the network thread.
  template <class Then>
  void ask_for_token(Then then) {
    auto provider = provider_;
    token_thread_->post([this, provider, then = std::move(then)]() mutable {
      Result<std::string> token = (*provider)();
      if (token && !client::check_token(*token)) token = client::check_token(*token).error();
      asio::post(io_, [this, provider, then = std::move(then), token = std::move(token)]() mutable {
        if (provider != provider_) return;  // connect() was called again meanwhile
        then(std::move(token));
        apply(session_.take_actions());
      });
    });
  }

  void disconnect() {
    asio::post(io_, [this] {
      bootstrapper_.stop();
      session_.disconnect_requested();
      apply(session_.take_actions());
    });
  }

  // Runs a session input on the network thread, then its actions.
  template <class F>
  void post_to_session(F f) {
    asio::post(io_, [this, f = std::move(f)]() mutable {
      f(session_);
      apply(session_.take_actions());
    });
  }

  ConnectionState connection_state() const { return connection().state; }
  bool disconnects_in_background() const { return options_.connection.disconnect_in_background; }

  ConnectionChange connection() const {
    std::lock_guard lock(connection_mutex_);
    return connection_;
  }

  // Refuses a conversation the server did not list for this user. Before the first list
  // (a new device that has never connected) every well-formed id is accepted.
  Result<void> check_conversation(std::string_view conversation_id) {
    if (!protocol::is_identifier(conversation_id)) {
      return invalid("the conversation id must be 1-128 characters from A-Z a-z 0-9 . _ : -");
    }
    std::lock_guard lock(conversations_mutex_);
    if (!conversations_.empty() && !conversations_.contains(std::string(conversation_id))) {
      return invalid("'" + std::string(conversation_id) + "' is not one of this user's conversations");
    }
    return {};
  }

  // On the network thread: stores the outgoing row and hands it to the session, the echo
  // shown first (before the session reports its next state).
  Result<LocalMessage> queue_here(core::OutboxRow row) {
    auto stored = store_->insert(std::move(row));
    if (!stored) return stored.error();
    LocalMessage echo = stored->message;
    view_.outbox_changed(echo);
    session_.enqueue(std::move(stored).value());
    apply(session_.take_actions());
    return echo;
  }

  Result<LocalMessage> send(std::string_view conversation_id, std::string_view text, const SendOptions& options) {
    if (auto ok = check_conversation(conversation_id); !ok) return ok.error();
    if (auto ok = client::check_text(text, !options.attachments.empty()); !ok) return ok.error();
    if (options.attachments.size() > protocol::kMaxAttachments) {
      return invalid("a message may carry at most " + std::to_string(protocol::kMaxAttachments) + " files");
    }

    core::OutboxRow row;
    auto& m = row.message;
    m.client_message_id = ids::new_uuid_v7();
    m.conversation_id = std::string(conversation_id);
    m.text = std::string(text);
    m.created_at_ms = wall_ms();
    row.age_from_ms = m.created_at_ms;
    auto by_local_id = client::references_by_server_id(options, row.message);
    if (!by_local_id) return by_local_id.error();
    // The files are copied into the file area before the row that names them is committed;
    // on any failure, nothing is queued and no copy is left.
    Staged staged(*files_, m.client_message_id);
    for (std::size_t i = 0; i < options.attachments.size(); ++i) {
      auto file = files_->stage(options.attachments[i], files::outgoing_key(m.client_message_id, i));
      if (!file) return file.error();
      staged.count = i + 1;
      m.attachments.push_back(std::move(file).value());
    }
    if (*by_local_id) {
      // Whether a local id names a message still in the outbox, or one the server has, must
      // be decided where acks are applied: on the network thread.
      auto on_network_thread = [this, &options, row = std::move(row)]() mutable -> Result<LocalMessage> {
        auto resolved = client::references_by_local_id(options, row.message, [this](std::int64_t local_id) {
          if (const core::OutboxRow* unsent = session_.find_unsent(local_id)) return Result<LocalMessage>(unsent->message);
          static_cast<void>(outbox_writer_.write_now());  // a `sent` not written yet: its server id
          auto any = store_->get(local_id);
          if (!any) return Result<LocalMessage>(any.error());
          return Result<LocalMessage>(any->message);
        });
        if (!resolved) return resolved.error();
        return queue_here(std::move(row));
      };
      auto queued = calls_.run(std::move(on_network_thread), Result<LocalMessage>(closing()));
      if (queued) staged.count = 0;
      return queued;
    }
    auto stored = store_->insert(std::move(row));
    if (!stored) return stored.error();
    staged.count = 0;  // the row names them now
    LocalMessage echo = stored->message;
    view_.outbox_changed(echo);
    asio::post(io_, [this, row = std::move(stored).value()]() mutable {
      session_.enqueue(row);
      apply(session_.take_actions());
      if (!row.message.attachments.empty()) transfers_.upload(row.message);
    });
    return echo;
  }

  // The copies send() made for a message that is not queued after all are removed.
  struct Staged {
    Staged(files::FileArea& files, std::string client_message_id) : area(files), id(std::move(client_message_id)) {}
    ~Staged() {
      for (std::size_t i = 0; i < count; ++i) area.unstage(files::outgoing_key(id, i));
    }
    files::FileArea& area;
    std::string id;
    std::size_t count = 0;
  };

  // ---- Files ----

  client::Transfers::Hooks transfer_hooks() {
    client::Transfers::Hooks hooks;
    hooks.endpoint = [this]() -> std::optional<std::pair<net::HttpUrl, std::string>> {
      if (!session_.is_connected() || session_.token().empty()) return std::nullopt;
      if (!options_.files.http_url.empty()) {
        auto url = net::parse_http_url(options_.files.http_url);
        if (!url) return std::nullopt;
        return std::make_pair(std::move(url).value(), session_.token());
      }
      if (bootstrapper_.active()) return std::make_pair(bootstrapper_.base(), session_.token());
      return std::nullopt;
    };
    hooks.trying = [this] {
      auto state = session_.state();
      return state != ConnectionState::initialized && state != ConnectionState::failed &&
             state != ConnectionState::closed;
    };
    hooks.uploaded = [this](std::int64_t local_id, std::size_t index, const std::string& attachment_id) {
      static_cast<void>(session_.attachment_uploaded(local_id, index, attachment_id));
      apply(session_.take_actions());
    };
    hooks.refused = [this](std::int64_t local_id, const Error& error) {
      static_cast<void>(session_.upload_failed(local_id, error));
      apply(session_.take_actions());
    };
    hooks.upload_progress = [this](const UploadProgress& p) { notifier_.upload(p); };
    hooks.download_progress = [this](const DownloadProgress& p) { notifier_.download(p); };
    return hooks;
  }

  Result<void> cancel_upload(std::int64_t local_id) {
    auto on_network_thread = [this, local_id]() -> Result<void> {
      const core::OutboxRow* row = session_.find_unsent(local_id);
      bool waits = row != nullptr && std::any_of(row->message.attachments.begin(), row->message.attachments.end(),
                                                 [](const Attachment& a) { return a.attachment_id.empty(); });
      if (!waits) return invalid("message " + std::to_string(local_id) + " is not waiting for an upload");
      return discard_durably(local_id);
    };
    return calls_.run(std::move(on_network_thread), Result<void>(closing()));
  }

  client::Transfers& transfers() { return transfers_; }
  const client::Transfers& transfers() const { return transfers_; }
  files::FileArea& file_area() const { return *files_; }

  Result<LocalMessage> change(const MessageRef& target, OutboxKind kind, std::string_view text,
                              std::string_view emoji) {
    if (kind == OutboxKind::edit) {
      if (auto ok = client::check_text(text); !ok) return ok.error();
    }
    if ((kind == OutboxKind::react || kind == OutboxKind::unreact) &&
        (!utf8::is_valid(emoji) || !protocol::is_valid_emoji(emoji))) {
      return invalid("the emoji must be 1-64 bytes of UTF-8 without control characters");
    }
    if (target.local_id < 0) return invalid("a local id is positive");
    if (target.local_id == 0) {
      if (!protocol::is_identifier(target.message_id)) {
        return invalid("name the message by a local id, or by a conversation id and a message id");
      }
      if (auto ok = check_conversation(target.conversation_id); !ok) return ok.error();
    }
    core::OutboxRow row;
    auto& request = row.message;
    request.client_message_id = ids::new_uuid_v7();
    request.kind = kind;
    request.text = std::string(text);
    request.emoji = std::string(emoji);
    request.created_at_ms = wall_ms();
    row.age_from_ms = request.created_at_ms;
    auto on_network_thread = [this, &target, row = std::move(row)]() mutable -> Result<LocalMessage> {
      auto& m = row.message;
      if (target.local_id == 0) {
        m.conversation_id = target.conversation_id;
        m.target_message_id = target.message_id;
      } else if (const core::OutboxRow* unsent = session_.find_unsent(target.local_id)) {
        if (unsent->message.kind != OutboxKind::message) {
          return invalid("local id " + std::to_string(target.local_id) + " is a change, not a message");
        }
        if (m.kind == OutboxKind::remove && unsent->message.state != OutboxState::sending) {
          // Never on the wire: deleting it is discarding it.
          LocalMessage gone = unsent->message;
          if (auto done = discard_durably(target.local_id); !done) return done.error();
          gone.state = OutboxState::discarded;
          return gone;
        }
        m.conversation_id = unsent->message.conversation_id;
        m.target_local_id = target.local_id;
      } else {
        static_cast<void>(outbox_writer_.write_now());  // a `sent` not written yet: its server id
        auto sent = store_->get(target.local_id);
        if (!sent) return invalid("no message with local id " + std::to_string(target.local_id));
        if (sent->message.kind != OutboxKind::message) {
          return invalid("local id " + std::to_string(target.local_id) + " is a change, not a message");
        }
        m.conversation_id = sent->message.conversation_id;
        m.target_message_id = sent->message.message_id;
        m.target_local_id = target.local_id;
      }
      return queue_here(std::move(row));
    };
    return calls_.run(std::move(on_network_thread), Result<LocalMessage>(closing()));
  }

  Result<void> retry(std::int64_t local_id) {
    auto on_network_thread = [this, local_id] {
      auto done = session_.retry(local_id);
      apply(session_.take_actions());
      static_cast<void>(outbox_writer_.write_now());  // a row left `failed` on disk is retried in memory anyway
      return done;
    };
    return calls_.run(std::move(on_network_thread), Result<void>(closing()));
  }

  Result<void> discard(std::int64_t local_id) {
    return calls_.run([this, local_id] { return discard_durably(local_id); }, Result<void>(closing()));
  }

  // Network thread: discards and writes it through, so it stays discarded after a crash.
  Result<void> discard_durably(std::int64_t local_id) {
    auto done = session_.discard(local_id);
    apply(session_.take_actions());
    if (auto written = outbox_writer_.write_now(); !written) return written.error();
    return done;
  }

  // From the view's copy, which the network thread keeps in step: never waits for that
  // thread, busy as it may be storing a catch-up.
  std::vector<LocalMessage> unsent_messages() const { return view_.unsent(); }

  client::Notifier& notifier() { return notifier_; }

  const client::LocalView& view() const { return view_; }
  store::CacheStore& cache() const { return *cache_; }
  const StoreRecovery& recovery() const { return recovery_; }

  Result<bool> load_older(std::string_view conversation_id, int limit) {
    if (auto ok = check_conversation(conversation_id); !ok) return ok.error();
    if (limit < 1 || limit > protocol::kMaxHistoryPage) return invalid("the limit must be 1-500");
    auto low = cache_->low_seq(std::string(conversation_id));
    if (!low) return low.error();
    if (*low <= 1) return false;
    post_to_session([id = std::string(conversation_id), before = *low, limit](core::Session& s) {
      s.request_older(id, before, limit);
    });
    return true;
  }

  // ---- Typing, presence and receipts ----

  Result<void> typing(std::string_view conversation_id) {
    if (auto ok = check_conversation(conversation_id); !ok) return ok.error();
    if (connection_state() != ConnectionState::connected) {
      return Error::make(ErrorCode::offline, "not connected: typing is not sent");
    }
    post_to_session([id = std::string(conversation_id)](core::Session& s) { s.typing(id); });
    return {};
  }

  Result<void> stop_typing(std::string_view conversation_id) {
    if (auto ok = check_conversation(conversation_id); !ok) return ok.error();
    post_to_session([id = std::string(conversation_id)](core::Session& s) { s.stop_typing(id); });
    return {};
  }

  void set_idle(bool idle) {
    post_to_session([idle](core::Session& s) { s.set_idle(idle); });
  }

  // A conversation whose receipts the app shows: watched from the first call on.
  Result<void> watch_receipts(std::string_view conversation_id) {
    if (auto ok = check_conversation(conversation_id); !ok) return ok.error();
    std::string id(conversation_id);
    {
      std::lock_guard lock(conversations_mutex_);
      if (!receipts_watched_.insert(id).second) return {};
    }
    post_to_session([id](core::Session& s) { s.watch_receipts(id); });
    return {};
  }

  Pending<std::vector<PresenceChange>> query_presence(std::vector<std::string> user_ids) {
    auto [key, pending] = presence_queries_.add();
    std::vector<std::string> distinct;
    for (auto& id : user_ids) {
      if (!protocol::is_identifier(id)) {
        presence_queries_.complete(key, invalid("a user id must be 1-128 characters from A-Z a-z 0-9 . _ : -"));
        return std::move(pending);
      }
      if (std::find(distinct.begin(), distinct.end(), id) == distinct.end()) distinct.push_back(std::move(id));
    }
    if (distinct.empty() || distinct.size() > protocol::kMaxPresenceQuery) {
      presence_queries_.complete(key, invalid("ask for 1-100 users at a time"));
      return std::move(pending);
    }
    post_to_session(
        [key = key, ids = std::move(distinct)](core::Session& s) mutable { s.query_presence(key, std::move(ids)); });
    return std::move(pending);
  }

  const client::LiveView& live() const { return live_; }

  Result<void> mark_read(std::string_view conversation_id, Seq seq) {
    if (auto ok = check_conversation(conversation_id); !ok) return ok.error();
    if (seq < 0) return invalid("a seq is not negative");
    std::string id(conversation_id);
    auto moved = cache_->advance_read(id, seq);
    if (!moved) return moved.error();
    if (*moved) {
      post_to_session([id, seq](core::Session& s) { s.mark_read(id, seq); });
      notifier_.conversation(ConversationChange{.conversation_id = id, .read = true});
    }
    return {};
  }

 private:
  net::TransportCallbacks transport_callbacks() {
    return net::TransportCallbacks{
        .opened = [this] { session_.transport_opened(); apply(session_.take_actions()); },
        .frame = [this](std::string frame) { session_.frame_received(frame); apply(session_.take_actions()); },
        .closed =
            [this](const Error& why) {
              transport_.reset();  // its coroutine keeps what it still needs alive
              session_.transport_closed(why);
              apply(session_.take_actions());
            },
    };
  }

  // Wakes the session when its outbox next has timed work (an ack deadline, a backoff,
  // a maximum age). A wake-up already set for no later than that stays: ticking early
  // does nothing and sets the next one, and most frames (each ack, each event) push the
  // next deadline later, so the timer is not reset for every frame.
  void schedule_wakeup() {
    auto next = session_.next_wakeup();
    if (scheduled_wakeup_ && (!next || *scheduled_wakeup_ <= *next)) return;
    scheduled_wakeup_ = next;
    wake_timer_.cancel();
    if (!next) return;
    wake_timer_.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(*next - monotonic_ms(), 0)));
    wake_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;  // cancelled: a newer wakeup replaced this one
      scheduled_wakeup_.reset();
      session_.tick();
      apply(session_.take_actions());
    });
  }

  void open_transport() {
    transport_ = std::make_unique<net::WsTransport>(io_.get_executor(), *url_, options_.connect_step_timeout,
                                                    transport_callbacks(), tls_);
    transport_->start();
  }

  // ---- Bootstrap (connect_with_credential()) ----

  // A bootstrap failure that may pass (the server cannot be reached, overloaded) is retried
  // with the connection's backoff; any other ends the retries.
  static bool may_pass(const Error& e) {
    return e.retryable || e.code == ErrorCode::transport || e.code == ErrorCode::timeout;
  }

  // Takes a session's WebSocket URL and token for the next connections.
  Result<void> use_session(const net::BootstrapSession& s) {
    auto url = check_url(s.websocket_url);
    if (!url) return invalid("the bootstrap's websocketUrl: " + url.error().message);
    url_ = std::move(url).value();
    session_.renew_token(s.session_token);
    return {};
  }

  // Opens the attempt's transport with the session token in hand, or first bootstraps.
  void open_after_bootstrap() {
    if (const auto* in_hand = bootstrapper_.usable(wall_ms())) {
      if (auto used = use_session(*in_hand); used) {
        open_transport();
        return;
      }
    }
    bootstrapper_.obtain([this, attempt = attempt_](Result<net::BootstrapSession> got) {
      if (attempt != attempt_ || session_.state() != ConnectionState::connecting) return;  // given up meanwhile
      Result<void> used = got ? use_session(*got) : Result<void>(got.error());
      if (used) {
        open_transport();
      } else if (may_pass(used.error())) {
        session_.token_delayed(used.error());
      } else {
        session_.no_token(used.error());
      }
      apply(session_.take_actions());
    });
  }

  // The server refused the session token: bootstrap again (once; the session decides).
  void refresh_by_bootstrap() {
    bootstrapper_.forget();
    bootstrapper_.obtain([this](Result<net::BootstrapSession> got) {
      Result<void> used = got ? use_session(*got) : Result<void>(got.error());
      if (used) {
        session_.token_refreshed(got->session_token);
      } else if (may_pass(used.error())) {
        session_.token_delayed(used.error());
      } else {
        session_.token_refreshed(used.error());
      }
      apply(session_.take_actions());
    });
  }

  // ---- Conversations ----

  // The server's answer to a conversation request: stored, the index of the user's
  // conversations updated, then the request's Pending completed with what the store now says.
  void answered(core::ConversationAnswered a) {
    if (!a.result) {
      requests_.complete(a.key, a.result.error());
      return;
    }
    const auto& id = a.result->conversation.conversation_id;
    bool listed = a.op != protocol::ConversationOp::leave;
    {
      std::lock_guard lock(conversations_mutex_);
      if (listed) {
        conversations_.insert(id);
      } else {
        conversations_.erase(id);
      }
    }
    if (auto stored = writer_.answered(*a.result, listed); !stored) {
      requests_.complete(a.key, stored.error());
      return;
    }
    requests_.complete(a.key, view_.conversation(id));
  }

  // Carries out the core's actions, in order, on the network thread.
  // An outgoing message with files changed state: its uploads start again (retry()), end
  // (discard()), or are no longer needed (sent).
  void files_changed(const LocalMessage& m) {
    switch (m.state) {
      case OutboxState::pending:
        transfers_.upload(m);
        break;
      case OutboxState::discarded:
        transfers_.cancel_uploads(m);
        break;
      case OutboxState::sent:
        transfers_.sent(m);
        break;
      default:
        break;
    }
  }

  void apply(std::vector<core::Action> actions) {
    for (auto& action : actions) {
      std::visit(
          [this](auto& a) {
            using T = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<T, core::SendFrame>) {
              if (transport_) transport_->send(std::move(a.text));
            } else if constexpr (std::is_same_v<T, core::CloseConnection>) {
              if (transport_) transport_->close();
            } else if constexpr (std::is_same_v<T, core::RefreshToken>) {
              if (bootstrapper_.active()) {
                refresh_by_bootstrap();
              } else if (provider_) {
                ask_for_token([this](Result<std::string> token) { session_.token_refreshed(std::move(token)); });
              } else {
                session_.token_refreshed(Error::make(ErrorCode::unauthorized, "no token provider"));
              }
            } else if constexpr (std::is_same_v<T, core::OpenTransport>) {
              transport_.reset();  // a previous connection, if any; its callbacks are dropped
              ++attempt_;
              if (bootstrapper_.active()) {
                open_after_bootstrap();
              } else {
                open_transport();
              }
            } else if constexpr (std::is_same_v<T, core::NotifyConnection>) {
              {
                std::lock_guard lock(connection_mutex_);
                connection_ = a.change;
              }
              if (a.change.state == ConnectionState::failed) bootstrapper_.stop();
              if (a.change.state == ConnectionState::connected) transfers_.connected();
              notifier_.connection(std::move(a.change));
            } else if constexpr (std::is_same_v<T, core::NotifyOutbox>) {
              view_.outbox_changed(a.message);
              if (!a.message.attachments.empty()) files_changed(a.message);
              notifier_.outbox(a.message);
            } else if constexpr (std::is_same_v<T, core::PersistOutbox>) {
              outbox_writer_.changed(std::move(a.row));
            } else if constexpr (std::is_same_v<T, core::KnownConversations>) {
              {
                std::lock_guard lock(conversations_mutex_);
                conversations_ = std::set<std::string>(a.ids.begin(), a.ids.end());
              }
              writer_.listed(session_.user_id(), a.items);
            } else if constexpr (std::is_same_v<T, core::ApplyEvents>) {
              writer_.events(std::move(a));
            } else if constexpr (std::is_same_v<T, core::OlderEvents>) {
              writer_.older(a);
            } else if constexpr (std::is_same_v<T, core::ReadCursorMoved>) {
              writer_.read_moved(a);
            } else if constexpr (std::is_same_v<T, core::NotifySync>) {
              notifier_.sync(a.progress);
            } else if constexpr (std::is_same_v<T, core::MembershipChanged>) {
              {
                std::lock_guard lock(conversations_mutex_);
                if (a.joined) {
                  conversations_.insert(a.conversation_id);
                } else {
                  conversations_.erase(a.conversation_id);
                  receipts_watched_.erase(a.conversation_id);  // watched again if the app asks
                }
              }
              writer_.membership(a);
              if (!a.joined) static_cast<void>(cache_->forget_receipts(a.conversation_id));
              // Joined one the store knows nothing of (a DM another user opened, an
              // invitation): its kind, name and workspace come with the list.
              if (auto known = cache_->has_details(a.conversation_id); a.joined && known && !*known) {
                asio::post(io_, [this] {
                  session_.list_conversations();
                  apply(session_.take_actions());
                });
              }
            } else if constexpr (std::is_same_v<T, core::ConversationAnswered>) {
              answered(std::move(a));
            } else if constexpr (std::is_same_v<T, core::DirectoryListed>) {
              writer_.directory(a);
            } else if constexpr (std::is_same_v<T, core::NotifyTyping>) {
              live_.typing(a.change);
              notifier_.typing(a.change);
            } else if constexpr (std::is_same_v<T, core::NotifyPresence>) {
              live_.presence(a.change);
              notifier_.presence(a.change);
            } else if constexpr (std::is_same_v<T, core::PresenceAnswered>) {
              presence_queries_.complete(a.key, std::move(a.result));
            } else if constexpr (std::is_same_v<T, core::ReceiptMoved>) {
              // Stored first: receipts() and read_by() read the store, and the rows a
              // list model reads again on this change must show the move.
              static_cast<void>(cache_->store_receipts(a.conversation_id, std::span(&a.after, 1)));
              notifier_.receipt(ReceiptChange{a.conversation_id, a.after});
              if (auto rows = client::receipt_rows(a); !rows.updated.empty()) notifier_.conversation(rows);
            }
          },
          action);
    }
    schedule_wakeup();
  }

  const ClientOptions options_;
  std::shared_ptr<asio::ssl::context> tls_;  // for wss://
  // The ids of the user's conversations, for send()'s check on the app's thread: an index
  // of the list the local store keeps (cache_), which send() must not wait on while a
  // catch-up writes there. Empty until known.
  std::mutex conversations_mutex_;
  std::set<std::string> conversations_;
  std::set<std::string> receipts_watched_;  // watch_receipts() was called for them (same mutex)
  std::unique_ptr<store::OutboxStore> store_;  // thread-safe
  std::unique_ptr<store::CacheStore> cache_;   // thread-safe
  client::LocalView view_;                     // thread-safe
  client::LiveView live_;                      // thread-safe
  const StoreRecovery recovery_;
  client::Notifier notifier_;                            // the callback thread; thread-safe
  client::PendingTable<ConversationInfo> requests_{notifier_.callback_executor()};  // conversation requests; thread-safe
  client::PendingTable<std::vector<PresenceChange>> presence_queries_{notifier_.callback_executor()};  // thread-safe
  std::shared_ptr<client::CallbackThread> token_thread_;  // the token provider runs here
  bool closed_ = false;                                   // close() ran (from ~Client)
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  client::NetworkCalls calls_;  // app threads waiting for the network thread
  mutable std::mutex connection_mutex_;
  ConnectionChange connection_;  // the last change, for connection()

  // Network thread only.
  asio::steady_timer wake_timer_;
  client::OutboxWriter outbox_writer_;
  std::optional<std::int64_t> scheduled_wakeup_;
  core::Session session_;
  std::unique_ptr<net::WsTransport> transport_;
  std::optional<net::WsUrl> url_;
  std::shared_ptr<TokenProvider> provider_;  // set by connect(url, provider)
  client::Bootstrapper bootstrapper_;        // active after connect_with_credential()
  std::uint64_t attempt_ = 0;                // counts OpenTransport: a bootstrap answers one attempt
  client::StoreWriter writer_;
  std::unique_ptr<files::FileArea> files_;
  client::Transfers transfers_;

  std::thread network_thread_;  // last: starts once everything above exists
};

Result<std::unique_ptr<Client>> Client::open(ClientOptions options) {
  if (auto valid = client::check_options(options); !valid) return valid.error();
  auto tls = client::make_tls_context(options.tls_ca_pem);
  if (!tls) return tls.error();
  auto opened = client::open_stores(options);
  if (!opened) return opened.error();
  return std::unique_ptr<Client>(
      new Client(std::make_unique<Impl>(std::move(options), std::move(tls).value(), std::move(opened).value())));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() { impl_->close(); }

Result<void> Client::connect(std::string_view url, std::string token) {
  return impl_->connect(url, std::move(token));
}
Result<void> Client::connect(std::string_view url, TokenProvider provider) {
  return impl_->connect(url, std::move(provider));
}
void Client::disconnect() { impl_->disconnect(); }
ConnectionState Client::connection_state() const { return impl_->connection_state(); }
ConnectionChange Client::connection() const { return impl_->connection(); }
void Client::set_network_available(bool available) {
  impl_->post_to_session([available](core::Session& s) { s.network_changed(available); });
}
void Client::app_moved_to_background() {
  bool disconnect = impl_->disconnects_in_background();
  impl_->post_to_session([disconnect](core::Session& s) { s.app_backgrounded(disconnect); });
}
void Client::app_moved_to_foreground() {
  impl_->post_to_session([](core::Session& s) { s.app_foregrounded(); });
}
Result<LocalMessage> Client::send(std::string_view conversation_id, std::string_view text,
                                  const SendOptions& options) {
  return impl_->send(conversation_id, text, options);
}
Result<LocalMessage> Client::edit(const MessageRef& target, std::string_view text) {
  return impl_->change(target, OutboxKind::edit, text, {});
}
Result<LocalMessage> Client::remove(const MessageRef& target) {
  return impl_->change(target, OutboxKind::remove, {}, {});
}
Result<LocalMessage> Client::react(const MessageRef& target, std::string_view emoji) {
  return impl_->change(target, OutboxKind::react, {}, emoji);
}
Result<LocalMessage> Client::unreact(const MessageRef& target, std::string_view emoji) {
  return impl_->change(target, OutboxKind::unreact, {}, emoji);
}
Result<void> Client::retry(std::int64_t local_id) { return impl_->retry(local_id); }
Subscription Client::on_upload(std::function<void(const UploadProgress&)> callback) {
  return impl_->notifier().on_upload(std::move(callback));
}
std::vector<UploadProgress> Client::uploads(std::int64_t local_id) const { return impl_->transfers().uploads(local_id); }
Result<void> Client::cancel_upload(std::int64_t local_id) { return impl_->cancel_upload(local_id); }
Pending<std::filesystem::path> Client::download(const Attachment& attachment, std::filesystem::path destination) {
  return impl_->transfers().download(attachment, std::move(destination));
}
Subscription Client::on_download(std::function<void(const DownloadProgress&)> callback) {
  return impl_->notifier().on_download(std::move(callback));
}
Result<void> Client::cancel_download(std::string_view attachment_id) {
  return impl_->transfers().cancel_download(std::string(attachment_id));
}
std::optional<std::filesystem::path> Client::cached_file(const Attachment& attachment) const {
  if (!protocol::is_identifier(attachment.attachment_id)) return std::nullopt;
  return impl_->file_area().cached(attachment.attachment_id);
}
Result<void> Client::discard(std::int64_t local_id) { return impl_->discard(local_id); }
std::vector<LocalMessage> Client::unsent_messages() const { return impl_->unsent_messages(); }
Subscription Client::on_connection(std::function<void(const ConnectionChange&)> callback) {
  return impl_->notifier().on_connection(std::move(callback));
}
Subscription Client::on_message(std::function<void(const Message&)> callback) {
  return impl_->notifier().on_message(std::move(callback));
}
Subscription Client::on_outbox(std::function<void(const LocalMessage&)> callback) {
  return impl_->notifier().on_outbox(std::move(callback));
}
Result<std::vector<ConversationInfo>> Client::conversations() const { return impl_->view().conversations(); }
Result<ConversationInfo> Client::conversation(std::string_view conversation_id) const {
  return impl_->view().conversation(std::string(conversation_id));
}
Result<MessagePage> Client::messages(std::string_view conversation_id, Seq before_seq, int limit) const {
  if (limit < 1 || limit > store::CacheStore::kMaxPage) return invalid("the limit must be 1-500");
  if (before_seq < 0) return invalid("before_seq is not negative");
  return impl_->view().messages(std::string(conversation_id), before_seq, limit);
}
Result<std::vector<TimelineMessage>> Client::thread(std::string_view root_message_id, int limit) const {
  if (limit < 1 || limit > store::CacheStore::kMaxPage) return invalid("the limit must be 1-500");
  return impl_->view().thread(std::string(root_message_id), limit);
}
Result<bool> Client::load_older(std::string_view conversation_id, int limit) {
  return impl_->load_older(conversation_id, limit);
}
Result<void> Client::mark_read(std::string_view conversation_id, Seq seq) {
  return impl_->mark_read(conversation_id, seq);
}
Result<std::vector<TimelineMessage>> Client::search(std::string_view query, std::string_view conversation_id,
                                                    int limit) const {
  if (limit < 1 || limit > store::CacheStore::kMaxPage) return invalid("the limit must be 1-500");
  return impl_->cache().search(std::string(query), std::string(conversation_id), limit);
}
Subscription Client::on_conversation(std::function<void(const ConversationChange&)> callback) {
  return impl_->notifier().on_conversation(std::move(callback));
}
Subscription Client::on_sync(std::function<void(const SyncProgress&)> callback) {
  return impl_->notifier().on_sync(std::move(callback));
}
StoreRecovery Client::recovery() const { return impl_->recovery(); }

// ---- Bootstrap ----

Result<void> Client::connect_with_credential(std::string_view bootstrap_url, CredentialProvider credential) {
  return impl_->connect_with_credential(bootstrap_url, std::move(credential));
}

// ---- Identity ----

std::string Client::user_id() const { return impl_->view().user_id(); }
Result<std::vector<Workspace>> Client::workspaces() const { return impl_->cache().workspaces(); }
Result<std::vector<User>> Client::users(std::string_view workspace_id) const {
  auto users = impl_->cache().users(std::string(workspace_id));
  if (users) {
    for (auto& u : *users) u.presence = impl_->live().presence(u.user_id);
  }
  return users;
}
std::optional<User> Client::user(std::string_view user_id) const {
  auto found = impl_->cache().user(std::string(user_id));
  if (!found || !*found) return std::nullopt;
  auto user = std::move(found).value();
  user->presence = impl_->live().presence(user->user_id);
  return user;
}
Subscription Client::on_directory(std::function<void()> callback) {
  return impl_->notifier().on_directory(std::move(callback));
}

// ---- Conversations ----

Pending<ConversationInfo> Client::create_channel(std::string_view workspace_id, std::string_view name,
                                                 std::string_view topic, bool is_private) {
  return impl_->request(client::channel_request(workspace_id, name, topic, is_private));
}
Pending<ConversationInfo> Client::open_dm(std::string_view user_id) {
  return impl_->request(client::dm_request(user_id, impl_->view().user_id()));
}
Pending<ConversationInfo> Client::create_group_dm(std::vector<std::string> user_ids) {
  return impl_->request(client::group_dm_request(user_ids, impl_->view().user_id()));
}
Pending<ConversationInfo> Client::join(std::string_view conversation_id) {
  return impl_->request(client::join_request(conversation_id));
}
Pending<ConversationInfo> Client::leave(std::string_view conversation_id) {
  return impl_->request_about(conversation_id, client::leave_request(conversation_id));
}
Pending<ConversationInfo> Client::invite(std::string_view conversation_id, std::vector<std::string> user_ids) {
  return impl_->request_about(conversation_id, client::invite_request(conversation_id, user_ids));
}
Pending<ConversationInfo> Client::rename(std::string_view conversation_id, std::string_view name) {
  return impl_->request_about(conversation_id, client::rename_request(conversation_id, name));
}
Pending<ConversationInfo> Client::set_topic(std::string_view conversation_id, std::string_view topic) {
  return impl_->request_about(conversation_id, client::topic_request(conversation_id, topic));
}
Result<std::vector<Member>> Client::members(std::string_view conversation_id) const {
  auto members = impl_->cache().members(std::string(conversation_id));
  if (members) {
    for (auto& m : *members) m.presence = impl_->live().presence(m.user_id);
  }
  return members;
}

// ---- Typing, presence and receipts ----

Result<void> Client::typing(std::string_view conversation_id) { return impl_->typing(conversation_id); }
Result<void> Client::stop_typing(std::string_view conversation_id) { return impl_->stop_typing(conversation_id); }
std::vector<std::string> Client::typing_users(std::string_view conversation_id) const {
  return impl_->live().typers(std::string(conversation_id));
}
Subscription Client::on_typing(std::function<void(const TypingChange&)> callback) {
  return impl_->notifier().on_typing(std::move(callback));
}
void Client::set_idle(bool idle) { impl_->set_idle(idle); }
PresenceStatus Client::presence(std::string_view user_id) const { return impl_->live().presence(std::string(user_id)); }
Subscription Client::on_presence(std::function<void(const PresenceChange&)> callback) {
  return impl_->notifier().on_presence(std::move(callback));
}
Pending<std::vector<PresenceChange>> Client::query_presence(std::vector<std::string> user_ids) {
  return impl_->query_presence(std::move(user_ids));
}
Result<std::vector<Receipt>> Client::receipts(std::string_view conversation_id) {
  if (auto watched = impl_->watch_receipts(conversation_id); !watched) return watched.error();
  return impl_->cache().receipts(std::string(conversation_id));
}
Result<ReadBy> Client::read_by(std::string_view conversation_id, Seq seq) {
  if (seq < 1) return invalid("a message's seq is at least 1");
  if (auto watched = impl_->watch_receipts(conversation_id); !watched) return watched.error();
  auto stored = impl_->cache().receipts(std::string(conversation_id));
  if (!stored) return stored.error();
  ReadBy by;
  for (const auto& r : *stored) {
    if (r.read_seq >= seq) {
      by.read.push_back(r.user_id);
    } else if (r.delivered_seq >= seq) {
      by.delivered.push_back(r.user_id);
    }
  }
  return by;
}
Subscription Client::on_receipts(std::function<void(const ReceiptChange&)> callback) {
  return impl_->notifier().on_receipts(std::move(callback));
}

}  // namespace confab
