// SDK clients for confab-load's runs: opened with a chosen storage, connected, and
// waited on with deadlines.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "confab/client.h"

namespace confab::load {

// A device's client. On disk: its outbox and store in `dir`; otherwise in memory.
std::unique_ptr<Client> open_client(const std::filesystem::path& dir, const std::string& device, bool on_disk,
                                    Durability durability = Durability::normal);

// Waits for the client to be connected (its conversations listed).
bool wait_connected(Client& client, std::chrono::seconds timeout);

// Waits for a condition that a client's callbacks change: they call notify(), the
// waiting thread checks `done()` again each time, until the deadline.
class Waiter {
 public:
  void notify() {
    std::lock_guard hold(mutex_);
    changed_.notify_all();
  }
  template <class Done>
  bool wait(Done done, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, done);
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
};

}  // namespace confab::load
