#include "push.h"

#include <algorithm>
#include <future>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace confab::server {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(500);
constexpr int kBatch = 100;
constexpr std::int64_t kMaxRetryMs = 60'000;

nlohmann::json to_json(const PushNotification& n) {
  return {{"userId", n.user_id},
          {"conversationId", n.conversation_id},
          {"conversationSeq", n.conversation_seq},
          {"senderId", n.sender_id},
          {"createdAtMs", n.created_at_ms}};
}

}  // namespace

Result<void> LogPushProvider::send(const PushNotification& n) {
  spdlog::info("push: {}", to_json(n).dump());
  return {};
}

Result<void> FilePushProvider::send(const PushNotification& n) {
  std::lock_guard lock(mutex_);
  std::ofstream out(path_, std::ios::app);
  out << to_json(n).dump() << '\n';
  out.flush();
  if (!out) return Error::make(ErrorCode::internal, "cannot write " + path_.string());
  return {};
}

PushWorker::PushWorker(Committer& committer, PushProvider& provider, Clock clock)
    : committer_(committer), provider_(provider), clock_(std::move(clock)) {}

PushWorker::~PushWorker() { stop(); }

void PushWorker::start() {
  thread_ = std::thread([this] { loop(); });
}

void PushWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void PushWorker::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_one();
}

void PushWorker::loop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, kPoll, [this] { return stopping_ || woken_; });
      if (stopping_) return;
      woken_ = false;
    }
    std::promise<std::vector<PushNotification>> fetched;
    auto due = fetched.get_future();
    committer_.run([&fetched](MessageStore* store, std::int64_t now_ms) {
      fetched.set_value(store == nullptr ? std::vector<PushNotification>{} : store->due_pushes(now_ms, kBatch));
    });
    auto batch = due.get();
    if (batch.empty()) continue;
    // The provider runs here, off the committer thread; the outcome is written back there.
    std::vector<std::pair<PushNotification, bool>> outcomes;
    for (auto& n : batch) {
      auto sent = provider_.send(n);
      if (!sent) spdlog::warn("push to {} failed: {}", n.user_id, sent.error().message);
      outcomes.emplace_back(std::move(n), sent.ok());
    }
    auto now = clock_();
    committer_.run([outcomes = std::move(outcomes), now](MessageStore* store, std::int64_t) {
      if (store == nullptr) return;  // still queued: tried again after a restart
      std::vector<MessageStore::PushOutcome> finished;
      for (const auto& [n, delivered] : outcomes) {
        std::int64_t backoff = std::min(kMaxRetryMs, std::int64_t{1000} << std::min(n.attempts, 6));
        finished.push_back({n.push_id, delivered, now + backoff});
      }
      // On failure the rows stay as they were: sent again, which a wake-up tolerates.
      if (auto recorded = store->finish_pushes(finished); !recorded) spdlog::error("{}", recorded.error().message);
    });
    if (batch.size() == static_cast<std::size_t>(kBatch)) wake();  // more may be due
  }
}

}  // namespace confab::server
