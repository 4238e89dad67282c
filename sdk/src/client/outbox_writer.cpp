#include "client/outbox_writer.h"

#include <vector>

namespace confab::client {

void OutboxWriter::changed(core::OutboxRow row) {
  unwritten_.insert_or_assign(row.message.local_id, std::move(row));
  if (timer_armed_) return;
  timer_armed_ = true;
  timer_.expires_after(kDelay);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) static_cast<void>(write_now());  // kept and retried on failure
  });
}

Result<void> OutboxWriter::write_now() {
  timer_armed_ = false;
  if (unwritten_.empty()) return {};
  std::vector<core::OutboxRow> rows;
  rows.reserve(unwritten_.size());
  for (auto& [id, row] : unwritten_) rows.push_back(std::move(row));
  unwritten_.clear();
  auto written = store_.write(rows);
  if (!written) {
    for (auto& row : rows) unwritten_.emplace(row.message.local_id, std::move(row));
  }
  return written;
}

}  // namespace confab::client
