#include "client/outbox_writer.h"

#include <algorithm>
#include <vector>

namespace confab::client {

void OutboxWriter::changed(core::OutboxRow row) {
  unwritten_.insert_or_assign(row.message.local_id, std::move(row));
  if (!timer_armed_) arm(kDelay);
}

void OutboxWriter::arm(std::chrono::milliseconds delay) {
  timer_armed_ = true;
  timer_.expires_after(delay);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) static_cast<void>(write_now());  // kept, and tried again, on failure
  });
}

Result<void> OutboxWriter::write_now() {
  if (timer_armed_) {
    timer_armed_ = false;
    timer_.cancel();
  }
  if (unwritten_.empty()) return {};
  std::vector<core::OutboxRow> rows;
  rows.reserve(unwritten_.size());
  for (auto& [id, row] : unwritten_) rows.push_back(std::move(row));
  unwritten_.clear();
  auto written = write_(rows);
  if (written) {
    retry_delay_ = std::chrono::milliseconds(0);
    return written;
  }
  // Keep each row's state unless a newer one came meanwhile (none can: this runs on the
  // network thread, like changed()).
  for (auto& row : rows) unwritten_.try_emplace(row.message.local_id, std::move(row));
  retry_delay_ = retry_delay_.count() == 0 ? kRetryFirst : std::min(retry_delay_ * 2, kRetryCap);
  arm(retry_delay_);
  return written;
}

}  // namespace confab::client
