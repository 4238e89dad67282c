// Push for offline devices. When a message is committed and a member has no connected
// device, a wake-up goes into the push outbox (SQLite) and a worker hands it to the
// provider, retrying with backoff until the provider takes it. A push only wakes a
// device: the messages themselves always come through sync.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "committer.h"
#include "confab/result.h"
#include "message_store.h"

namespace confab::server {

class PushProvider {
 public:
  virtual ~PushProvider() = default;
  // Delivers one notification; a failure is retried later.
  virtual Result<void> send(const PushNotification& notification) = 0;
};

// The default: writes each notification to the server's log.
class LogPushProvider final : public PushProvider {
 public:
  Result<void> send(const PushNotification& notification) override;
};

// Appends each notification to a file as a JSON line: what tests read back.
class FilePushProvider final : public PushProvider {
 public:
  explicit FilePushProvider(std::filesystem::path path) : path_(std::move(path)) {}
  Result<void> send(const PushNotification& notification) override;

 private:
  std::filesystem::path path_;
  std::mutex mutex_;
};

class PushWorker {
 public:
  using Clock = std::function<std::int64_t()>;
  PushWorker(Committer& committer, PushProvider& provider, Clock clock);
  ~PushWorker();

  void start();
  void stop();
  // Something was queued: look now rather than at the next poll.
  void wake();

 private:
  void loop();

  Committer& committer_;
  PushProvider& provider_;
  Clock clock_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace confab::server
