// Scoped use of a cached SQLiteCpp statement: reset, with its bindings cleared, when the
// scope ends, whatever happened in it.
#pragma once

#include <SQLiteCpp/Statement.h>

namespace confab::store {

class Use {
 public:
  explicit Use(SQLite::Statement& s) : s_(s) {}
  ~Use() {
    s_.tryReset();
    s_.clearBindings();
  }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  SQLite::Statement* operator->() { return &s_; }
  SQLite::Statement& operator*() { return s_; }

 private:
  SQLite::Statement& s_;
};

}  // namespace confab::store
