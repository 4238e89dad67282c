// Checkpoints a WAL database on a thread of its own. SQLite's automatic checkpoint runs
// inside the commit that takes the WAL past its threshold and syncs both files there:
// the committer stalls for milliseconds, and with it every ack and every delivery
// waiting behind that commit. Here the committing connection only nudges this thread,
// which copies the pages over with a connection of its own (PASSIVE: the writer goes on
// meanwhile).
#pragma once

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

struct sqlite3;

namespace SQLite {
class Database;
}

namespace confab::server {

class WalCheckpointer {
 public:
  // `writer` must outlive this. Turns off its automatic checkpoints; from then on, a
  // commit that leaves `threshold_pages` or more in the WAL starts a checkpoint here.
  // `full_sync`: the checkpoint syncs as synchronous=FULL does (else NORMAL).
  WalCheckpointer(SQLite::Database& writer, const std::filesystem::path& path, bool full_sync,
                  int threshold_pages = 1000);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Checkpoints done so far (for tests).
  int checkpoints() const;

 private:
  static int on_commit(void* self, sqlite3* db, const char* name, int pages);
  void loop();

  SQLite::Database& writer_;
  std::unique_ptr<SQLite::Database> own_;
  int threshold_pages_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;
  bool stopping_ = false;
  int checkpoints_ = 0;
  std::thread thread_;
};

}  // namespace confab::server
