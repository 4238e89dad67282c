// The write-back of outbox changes: a write that fails is tried again by itself, with
// backoff, until it succeeds; nothing else has to change first.
#include "client/outbox_writer.h"

#include <gtest/gtest.h>

namespace confab::client {
namespace {

core::OutboxRow row(std::int64_t local_id, OutboxState state) {
  core::OutboxRow r;
  r.message.local_id = local_id;
  r.message.client_message_id = "c" + std::to_string(local_id);
  r.message.state = state;
  return r;
}

// The database, as the writer sees it: fails the first `failures` writes.
struct FlakyDatabase {
  int failures = 0;
  int attempts = 0;
  std::vector<core::OutboxRow> written;

  Result<void> write(std::span<const core::OutboxRow> rows) {
    ++attempts;
    if (failures > 0) {
      --failures;
      return Error::make(ErrorCode::storage, "disk I/O error");
    }
    written.insert(written.end(), rows.begin(), rows.end());
    return {};
  }
};

// Runs the io_context until `done()` or the deadline.
template <class Done>
bool run_until(boost::asio::io_context& io, Done done, std::chrono::seconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_one_for(std::chrono::milliseconds(100));
  }
  return done();
}

TEST(OutboxWriter, AFailedWriteIsTriedAgainByItselfUntilItSucceeds) {
  boost::asio::io_context io;
  FlakyDatabase db;
  db.failures = 3;
  OutboxWriter writer(io, [&db](std::span<const core::OutboxRow> rows) { return db.write(rows); });
  writer.changed(row(1, OutboxState::sending));
  writer.changed(row(1, OutboxState::sent));
  writer.changed(row(2, OutboxState::failed));
  // No further change comes: the retries alone must get the rows to disk.
  ASSERT_TRUE(run_until(io, [&] { return !db.written.empty(); })) << db.attempts << " attempts";
  EXPECT_EQ(db.attempts, 4) << "three failures, then the write";
  ASSERT_EQ(db.written.size(), 2u);
  EXPECT_EQ(db.written[0].message.state, OutboxState::sent) << "the latest state of each row";
  EXPECT_EQ(db.written[1].message.local_id, 2);
  EXPECT_EQ(writer.unwritten(), 0u);
}

TEST(OutboxWriter, AWriteNowThatFailsKeepsItsRowsForTheRetry) {
  boost::asio::io_context io;
  FlakyDatabase db;
  db.failures = 1;
  OutboxWriter writer(io, [&db](std::span<const core::OutboxRow> rows) { return db.write(rows); });
  writer.changed(row(7, OutboxState::discarded));
  EXPECT_FALSE(writer.write_now().ok());
  EXPECT_EQ(writer.unwritten(), 1u);
  ASSERT_TRUE(run_until(io, [&] { return !db.written.empty(); }));
  EXPECT_EQ(db.written.at(0).message.local_id, 7);
}

}  // namespace
}  // namespace confab::client
