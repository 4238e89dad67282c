// The network thread's write-back of outbox state changes (sending, sent, failed, ...).
// What changes within kDelay goes to the database in one transaction. The delay costs
// nothing on a crash: an unrecorded `sent` means one resend, which the server answers
// with the original ack. (New rows are not written here: send() commits them itself.)
#pragma once

#include <chrono>
#include <cstdint>
#include <map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "confab/result.h"
#include "core/outbox.h"
#include "store/outbox_store.h"

namespace confab::client {

class OutboxWriter {
 public:
  OutboxWriter(boost::asio::io_context& io, store::OutboxStore& store) : store_(store), timer_(io) {}

  // A row changed; written within kDelay (a `discarded` row is deleted).
  void changed(core::OutboxRow row);
  // Writes what is pending now. A failed write keeps the rows for the next attempt.
  Result<void> write_now();

  static constexpr std::chrono::milliseconds kDelay{10};

 private:
  store::OutboxStore& store_;
  boost::asio::steady_timer timer_;
  bool timer_armed_ = false;
  std::map<std::int64_t, core::OutboxRow> unwritten_;  // by local id: the latest state only
};

}  // namespace confab::client
