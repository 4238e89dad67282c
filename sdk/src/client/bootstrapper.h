// Session tokens from the app's long-lived credential (Client::connect_with_credential()):
// POST /v1/sessions/bootstrap, again shortly before the token expires, and whenever the
// server refuses it. The app never sees a session token.
//
// The app's credential provider may block (it may ask the app's backend), so it runs on the
// client's token thread, as a token provider does. The HTTP exchange itself is a coroutine
// on the network thread (net/http_client.h): it holds no thread while it waits, every step
// has a deadline, and stopping the client's io_context ends it; a thread blocked on a
// synchronous request would have to be waited for instead.
//
// Network thread only (but for the provider, on the token thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "client/callback_thread.h"
#include "confab/result.h"
#include "net/http_client.h"
#include "net/url.h"

namespace confab::client {

class Bootstrapper {
 public:
  using Credential = std::function<Result<std::string>()>;
  using Done = std::function<void(Result<net::BootstrapSession>)>;

  Bootstrapper(boost::asio::io_context& io, std::shared_ptr<CallbackThread> credential_thread,
               net::HttpOptions http, std::string device_id, std::string platform);

  // From now on tokens come from bootstrapping at `base` with `credential`; any session in
  // hand is forgotten.
  void start(net::HttpUrl base, Credential credential);
  // Tokens come from elsewhere (connect() with a token or a token provider), or not at all
  // (disconnect(), failed): forgets the session, drops outcomes still on their way, and
  // stops refreshing.
  void stop();
  bool active() const { return active_; }
  // The bootstrap URL given to start(): the server's HTTP API.
  const net::HttpUrl& base() const { return base_; }

  // The session in hand if its token can still be used at `now_wall_ms` (it is not due for
  // a refresh), else nullptr.
  const net::BootstrapSession* usable(std::int64_t now_wall_ms) const;
  // The server refused the token in hand: the next usable() is nullptr.
  void forget() { session_.reset(); }

  // Asks the credential provider, then bootstraps; `done` runs on the network thread with
  // the outcome (and the session is kept, and its refresh scheduled), unless start() or
  // stop() came first.
  void obtain(Done done);

  // Called on the network thread with each session obtained in the background before the
  // one in hand was due (the app's connection then stays; the next one uses it).
  void on_renewed(std::function<void(const net::BootstrapSession&)> renewed) { renewed_ = std::move(renewed); }

  // How long before its expiry a session is replaced: a quarter of its lifetime, at least
  // 1 s and at most 5 min, and never more than half of it.
  static std::chrono::milliseconds lead(std::int64_t lifetime_ms);

 private:
  void keep(const net::BootstrapSession& session);
  void schedule_refresh(std::int64_t lifetime_ms);

  boost::asio::io_context& io_;
  std::shared_ptr<CallbackThread> credential_thread_;
  net::HttpOptions http_;
  std::string device_id_;
  std::string platform_;
  bool active_ = false;
  std::uint64_t generation_ = 0;  // moves with start() and stop(): older outcomes are dropped
  net::HttpUrl base_;
  std::shared_ptr<Credential> credential_;
  std::optional<net::BootstrapSession> session_;
  std::int64_t refresh_due_wall_ms_ = 0;  // the session in hand is due for a refresh from then on
  boost::asio::steady_timer refresh_timer_;
  std::function<void(const net::BootstrapSession&)> renewed_;
};

}  // namespace confab::client
