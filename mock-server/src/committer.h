// Group commit: one thread owns the MessageStore and appends whatever has queued up
// since its last commit in a single transaction. Each request's completion runs on that
// thread after the commit, in commit order; so acks are never early, and completions that
// hand their events on in that order keep every conversation's events in seq order.
//
// Pipelined sends keep their order through a refusal: once a send is refused with a
// retryable error, the committer refuses (retryably) every later send of that connection
// to that conversation until the refused message comes again, or the connection withdraws
// it (it failed or was discarded on the client, and will never come again). Otherwise a
// message behind it could commit first, and the sender's order would be lost.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "message_store.h"

namespace confab::server {

class Committer {
 public:
  using Completion = std::function<void(AppendResult&&)>;
  using Clock = std::function<std::int64_t()>;  // Unix milliseconds
  // Work that needs the store but is not an append to be grouped: reads, conversation
  // changes, cursors. Called with nullptr once the committer has stopped.
  using Job = std::function<void(MessageStore*, std::int64_t now_ms)>;

  Committer(MessageStore& store, std::size_t max_batch, Clock clock);
  // Stops (see stop()).
  ~Committer();

  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;

  // Thread-safe. After stop(), completes at once with a retryable `unavailable` error.
  void submit(SendRequest request, Completion done);

  // Thread-safe. Runs `job` on the committer thread, in order with the submitted sends.
  void run(Job job);

  // Thread-safe. In order with the submitted sends: connection `connection_id` will not
  // send `client_message_id` to `conversation_id` again, so if that message holds the
  // conversation back, the hold ends. Then calls `done` (on the committer thread, or at
  // once after stop()).
  void withdraw(std::uint64_t connection_id, std::string conversation_id, std::string client_message_id,
                std::function<void()> done);

  // Commits everything submitted so far, runs its completions, and joins the thread.
  void stop();

  // The connection has ended: drop what the committer keeps about its refusals.
  void forget(std::uint64_t connection_id);

 private:
  struct Pending {
    SendRequest request;
    Completion done;
    Job job;  // set for a job, which runs alone
    std::function<void()> withdrawn;  // set for a withdrawal of request.client_message_id
  };
  void loop();
  // Commits one batch and completes it, keeping the refusal order described above.
  void commit(std::vector<Pending>& batch);

  MessageStore& store_;
  const std::size_t max_batch_;
  const Clock clock_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  std::vector<std::uint64_t> forgotten_;
  bool stopping_ = false;

  // Committer thread only: (connection, conversation) -> the clientMessageId refused there.
  std::map<std::pair<std::uint64_t, std::string>, std::string> refused_;
  std::thread thread_;
};

}  // namespace confab::server
