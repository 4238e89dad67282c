// CacheStore::Reading: one read call's reader, shared by the files that hold the local
// store's reads (cache_store_reads.cpp, cache_store_directory.cpp). Private to the store.
#pragma once

#include <memory>
#include <mutex>

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/cache_statements.h"
#include "store/use_statement.h"

namespace confab::store {

// One read call's reader, in a read transaction whose snapshot is taken at once: the call
// sees everything committed before it began, and nothing committed while it runs. A
// reader of the pool goes back to it at the end; a store in memory holds the write mutex
// meanwhile.
class CacheStore::Reading {
 public:
  explicit Reading(CacheStore& store) : store_(store) {
    if (store.shared_reader_) {
      shared_ = std::unique_lock(store.write_mutex_);
      reader_ = store.shared_reader_.get();
    } else {
      leased_ = store.lease_reader();
      reader_ = leased_.get();
    }
    try {
      reader_->db.exec("BEGIN");
      Use snapshot(reader_->statements.snapshot);
      snapshot->executeStep();
    } catch (...) {
      end();
      throw;
    }
    run_test_hook(false, store.path_);
  }
  ~Reading() { end(); }
  Reading(const Reading&) = delete;
  Reading& operator=(const Reading&) = delete;

  ReadStatements& statements() { return reader_->statements; }
  SQLite::Database& db() { return reader_->db; }

 private:
  void end() {
    if (reader_ == nullptr) return;
    // Nothing was written: ending it either way only lets go of the snapshot.
    if (reader_->db.tryExec("COMMIT") != 0) reader_->db.tryExec("ROLLBACK");
    reader_ = nullptr;
    if (leased_) store_.return_reader(std::move(leased_));
  }

  CacheStore& store_;
  std::unique_lock<std::mutex> shared_;
  std::unique_ptr<Reader> leased_;
  Reader* reader_ = nullptr;
};

}  // namespace confab::store
