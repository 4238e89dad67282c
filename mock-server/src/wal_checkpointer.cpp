#include "wal_checkpointer.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

namespace confab::server {

WalCheckpointer::WalCheckpointer(SQLite::Database& writer, const std::filesystem::path& path, bool full_sync,
                                 int threshold_pages)
    : writer_(writer),
      own_(std::make_unique<SQLite::Database>(path.string(), SQLite::OPEN_READWRITE)),
      threshold_pages_(threshold_pages) {
  own_->setBusyTimeout(5000);
  own_->exec(full_sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  writer_.exec("PRAGMA wal_autocheckpoint = 0");
  // Replaces the automatic checkpoint's own hook (the pragma above already removed it).
  sqlite3_wal_hook(writer_.getHandle(), &WalCheckpointer::on_commit, this);
  thread_ = std::thread([this] { loop(); });
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_hook(writer_.getHandle(), nullptr, nullptr);
  {
    std::lock_guard hold(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  // The writer checkpoints what is left when it closes, as the last connection.
}

int WalCheckpointer::checkpoints() const {
  std::lock_guard hold(mutex_);
  return checkpoints_;
}

int WalCheckpointer::on_commit(void* self, sqlite3*, const char*, int pages) {
  auto* checkpointer = static_cast<WalCheckpointer*>(self);
  if (pages >= checkpointer->threshold_pages_) {
    {
      std::lock_guard hold(checkpointer->mutex_);
      checkpointer->due_ = true;
    }
    checkpointer->wake_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpointer::loop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || due_; });
      if (stopping_) return;
      due_ = false;
    }
    int log = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(own_->getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      spdlog::warn("WAL checkpoint failed: {}", sqlite3_errstr(rc));
    }
    std::lock_guard hold(mutex_);
    ++checkpoints_;
  }
}

}  // namespace confab::server
