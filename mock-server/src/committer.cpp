#include "committer.h"

#include <vector>

namespace confab::server {

Committer::Committer(MessageStore& store, std::size_t max_batch, Clock clock)
    : store_(store), max_batch_(max_batch), clock_(std::move(clock)), thread_([this] { loop(); }) {}

Committer::~Committer() { stop(); }

void Committer::submit(SendRequest request, Completion done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back(Pending{std::move(request), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(Error::make(ErrorCode::unavailable, "the server is shutting down"));
}

void Committer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Committer::loop() {
  std::vector<Pending> batch;
  std::vector<SendRequest> requests;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is committed
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    requests.clear();
    for (auto& p : batch) requests.push_back(std::move(p.request));
    auto results = store_.append_batch(requests, clock_());
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
    batch.clear();
  }
}

}  // namespace confab::server
