#include "client/bootstrapper.h"

#include <algorithm>

#include <boost/asio/post.hpp>

namespace confab::client {
namespace {

std::int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Bootstrapper::Bootstrapper(boost::asio::io_context& io, std::shared_ptr<CallbackThread> credential_thread,
                           net::HttpOptions http, std::string device_id, std::string platform)
    : io_(io),
      credential_thread_(std::move(credential_thread)),
      http_(std::move(http)),
      device_id_(std::move(device_id)),
      platform_(std::move(platform)),
      refresh_timer_(io) {}

void Bootstrapper::start(net::HttpUrl base, Credential credential) {
  stop();
  active_ = true;
  base_ = std::move(base);
  credential_ = std::make_shared<Credential>(std::move(credential));
}

void Bootstrapper::stop() {
  active_ = false;
  ++generation_;
  session_.reset();
  refresh_timer_.cancel();
}

std::chrono::milliseconds Bootstrapper::lead(std::int64_t lifetime_ms) {
  std::int64_t lead = std::clamp<std::int64_t>(lifetime_ms / 4, 1'000, 5 * 60'000);
  return std::chrono::milliseconds(std::min(lead, lifetime_ms / 2));
}

const net::BootstrapSession* Bootstrapper::usable(std::int64_t now_wall_ms) const {
  if (!session_ || now_wall_ms >= refresh_due_wall_ms_) return nullptr;
  return &*session_;
}

void Bootstrapper::obtain(Done done) {
  auto generation = generation_;
  auto credential = credential_;
  if (!active_ || !credential) return;
  credential_thread_->post([this, generation, credential, done = std::move(done)]() mutable {
    Result<std::string> secret = (*credential)();
    if (secret && secret->empty()) {
      secret = Error::make(ErrorCode::unauthorized, "the credential provider returned an empty credential");
    }
    boost::asio::post(io_, [this, generation, secret = std::move(secret), done = std::move(done)]() mutable {
      if (generation != generation_) return;  // start() or stop() came meanwhile
      if (!secret) {
        done(secret.error());
        return;
      }
      net::BootstrapRequest request{base_, std::move(secret).value(), device_id_, platform_};
      net::start_bootstrap(io_.get_executor(), std::move(request), http_,
                           [this, generation, done = std::move(done)](Result<net::BootstrapSession> got) {
                             if (generation != generation_) return;
                             if (got) keep(*got);
                             done(std::move(got));
                           });
    });
  });
}

void Bootstrapper::keep(const net::BootstrapSession& session) {
  session_ = session;
  auto lifetime = session.expires_at_ms - wall_now_ms();
  refresh_due_wall_ms_ = session.expires_at_ms - lead(std::max<std::int64_t>(lifetime, 0)).count();
  schedule_refresh(lifetime);
}

void Bootstrapper::schedule_refresh(std::int64_t lifetime_ms) {
  refresh_timer_.cancel();
  // A token that looks expired on arrival (this device's clock is ahead) is not refreshed
  // in a loop: the next connection asks for one, and the server is the judge.
  if (lifetime_ms <= 0) return;
  refresh_timer_.expires_after(std::chrono::milliseconds(lifetime_ms) - lead(lifetime_ms));
  auto generation = generation_;
  refresh_timer_.async_wait([this, generation](boost::system::error_code ec) {
    if (ec || generation != generation_) return;
    // In the background: a failure leaves the session in hand, and the next connection
    // (or the server's refusal of the token) bootstraps again.
    obtain([this](Result<net::BootstrapSession> got) {
      if (got && renewed_) renewed_(*got);
    });
  });
}

}  // namespace confab::client
