// The network thread's write-back of outbox state changes (sending, sent, failed, ...).
// What changes within kDelay goes to the database in one transaction. The delay costs
// nothing on a crash: an unrecorded `sent` means one resend, which the server answers
// with the original ack. (New rows are not written here: send() commits them itself.)
//
// A write that fails keeps its rows (the latest state of each) and is tried again by
// itself, after kRetryFirst, then twice as long each time up to kRetryCap, whether or not
// anything else changes meanwhile (a change that comes meanwhile goes with that retry).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <span>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "confab/result.h"
#include "core/outbox.h"

namespace confab::client {

class OutboxWriter {
 public:
  // Writes rows in one transaction (OutboxStore::write).
  using Write = std::function<Result<void>(std::span<const core::OutboxRow>)>;

  OutboxWriter(boost::asio::io_context& io, Write write) : write_(std::move(write)), timer_(io) {}

  // A row changed; written within kDelay (a `discarded` row is deleted).
  void changed(core::OutboxRow row);
  // Writes what is pending now. A failed write keeps the rows and tries again later.
  Result<void> write_now();
  // Rows waiting to be written (for tests).
  std::size_t unwritten() const noexcept { return unwritten_.size(); }

  static constexpr std::chrono::milliseconds kDelay{10};
  static constexpr std::chrono::milliseconds kRetryFirst{50};
  static constexpr std::chrono::milliseconds kRetryCap{5'000};

 private:
  void arm(std::chrono::milliseconds delay);

  Write write_;
  boost::asio::steady_timer timer_;
  bool timer_armed_ = false;
  std::chrono::milliseconds retry_delay_{0};  // 0 while the last write succeeded
  std::map<std::int64_t, core::OutboxRow> unwritten_;  // by local id: the latest state only
};

}  // namespace confab::client
