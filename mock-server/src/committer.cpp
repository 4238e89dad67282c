#include "committer.h"

#include <optional>
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

void Committer::run(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back(Pending{{}, {}, std::move(job)});
      wake_.notify_one();
      return;
    }
  }
  job(nullptr, clock_());
}

void Committer::withdraw(std::uint64_t connection_id, std::string conversation_id, std::string client_message_id,
                         std::function<void()> done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      SendRequest request;
      request.connection_id = connection_id;
      request.conversation_id = std::move(conversation_id);
      request.client_message_id = std::move(client_message_id);
      queue_.push_back(Pending{std::move(request), {}, {}, std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done();  // nothing is held once the committer has stopped
}

void Committer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Committer::forget(std::uint64_t connection_id) {
  std::lock_guard lock(mutex_);
  forgotten_.push_back(connection_id);
}

void Committer::loop() {
  std::vector<Pending> batch;
  std::vector<std::uint64_t> forgotten;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is committed
      if (queue_.front().job) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      } else {
        while (!queue_.empty() && !queue_.front().job && batch.size() < max_batch_) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      forgotten.swap(forgotten_);
    }
    for (auto id : forgotten) {
      std::erase_if(refused_, [id](const auto& entry) { return entry.first.first == id; });
    }
    forgotten.clear();
    if (batch.front().job) {
      batch.front().job(&store_, clock_());
    } else {
      commit(batch);
    }
    batch.clear();
  }
}

void Committer::commit(std::vector<Pending>& batch) {
  std::vector<std::optional<AppendResult>> results(batch.size());
  std::vector<SendRequest> requests;
  std::vector<std::size_t> stored_at;  // batch index of each request handed to the store
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& r = batch[i].request;
    if (batch[i].withdrawn) {
      auto held = refused_.find({r.connection_id, r.conversation_id});
      if (held != refused_.end() && held->second == r.client_message_id) refused_.erase(held);
      continue;
    }
    if (r.connection_id != 0) {
      auto held = refused_.find({r.connection_id, r.conversation_id});
      if (held != refused_.end()) {
        if (held->second != r.client_message_id) {
          results[i] = AppendResult(Error::make(
              ErrorCode::unavailable, "an earlier message to conversation '" + r.conversation_id +
                                          "' was refused on this connection; send it again (or withdraw it) first"));
          continue;
        }
        refused_.erase(held);  // the refused message is back: order is safe again
      }
    }
    if (r.refused) {  // refused before the store (rate): answered here, in order
      if (r.refused->retryable && r.connection_id != 0) {
        refused_.try_emplace({r.connection_id, r.conversation_id}, r.client_message_id);
      }
      results[i] = AppendResult(*r.refused);
      continue;
    }
    stored_at.push_back(i);
    requests.push_back(batch[i].request);
  }
  auto stored = requests.empty() ? std::vector<AppendResult>{} : store_.append_batch(requests, clock_());
  for (std::size_t k = 0; k < stored.size(); ++k) {
    const auto& r = requests[k];
    if (!stored[k] && stored[k].error().retryable && r.connection_id != 0) {
      refused_.try_emplace({r.connection_id, r.conversation_id}, r.client_message_id);
    }
    results[stored_at[k]] = std::move(stored[k]);
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].withdrawn) {
      batch[i].withdrawn();
    } else {
      batch[i].done(std::move(*results[i]));
    }
  }
}

}  // namespace confab::server
