// The outbox on disk: one SQLite database per client (WAL), holding every message the
// app sent until the server has it, and the sent ones after that.
//
// insert() commits before it returns; that commit is what makes send()'s promise. Later
// state changes are written in batches (write()), because losing one costs nothing: a row
// whose `sent` state was lost is resent at the next start and the server answers it with
// the original ack.
//
// Thread-safe: one connection behind a mutex. The database is opened in exclusive locking
// mode, so a second client (in this process or another) cannot open the same file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "confab/result.h"
#include "core/outbox.h"

namespace SQLite {
class Database;
}

namespace confab::store {

enum class Synchronous { normal, full };

class OutboxStore {
 public:
  // The newest schema this version writes. Migrations are forward-only, run in one
  // transaction each, and keep every row.
  static constexpr int kSchemaVersion = 5;

  // The migration steps (step N takes version N-1 to N), for upgrade tests.
  static std::span<const char* const> migrations();

  // Opens or creates the database at `path` (":memory:" for one that lives in memory) and
  // migrates it. Fails with `storage` when the file cannot be opened, is not a database,
  // is newer than this version, or is in use by another client.
  static Result<std::unique_ptr<OutboxStore>> open(const std::filesystem::path& path, Synchronous synchronous);

  struct Recovered {
    std::unique_ptr<OutboxStore> store;
    bool rebuilt = false;   // the file was damaged: set aside, and a new one made
    std::size_t salvaged = 0;  // unsent rows carried over (queued again, same clientMessageId)
    std::size_t lost = 0;      // unsent rows that could not be carried over
    std::string detail;
  };
  // Like open(), but a file that SQLite finds corrupt or not a database is moved aside
  // (`<path>.damaged-<ms>`), the unsent rows that can still be read from it are queued in a
  // new database, and the store opens. Other failures (locked, newer) are still errors.
  static Result<Recovered> open_recovering(const std::filesystem::path& path, Synchronous synchronous);
  ~OutboxStore();

  OutboxStore(const OutboxStore&) = delete;
  OutboxStore& operator=(const OutboxStore&) = delete;

  // Queues a new pending message and commits it. Fills in `local_id`.
  Result<core::OutboxRow> insert(core::OutboxRow row);
  // Writes changed rows in one transaction; a `discarded` row is deleted.
  Result<void> write(std::span<const core::OutboxRow> rows);
  // The rows not yet sent (pending, sending, failed), in local_id order.
  Result<std::vector<core::OutboxRow>> load_unsent();
  // The newest `limit` sent message rows (not changes), newest first: at startup, the ones
  // whose server copy the local store does not hold yet stay on screen as echoes.
  Result<std::vector<core::OutboxRow>> load_recent_sent(int limit);
  // The row with this local id, in any state.
  Result<core::OutboxRow> get(std::int64_t local_id);

  // The server's upload session of a message's attachment `index`, while it runs (a row
  // sent or discarded forgets its sessions).
  Result<void> set_upload_id(std::int64_t local_id, std::size_t index, const std::string& upload_id);
  Result<std::map<std::size_t, std::string>> upload_ids(std::int64_t local_id);
  Result<void> forget_upload(std::int64_t local_id, std::size_t index);

  int schema_version();

 private:
  explicit OutboxStore(std::unique_ptr<SQLite::Database> db);
  static std::unique_ptr<OutboxStore> open_or_throw(const std::filesystem::path& path, Synchronous synchronous);
  void migrate();

  std::mutex mutex_;
  std::unique_ptr<SQLite::Database> db_;
  struct Statements;
  std::unique_ptr<Statements> statements_;
};

}  // namespace confab::store
