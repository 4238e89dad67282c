#include "store/migrations.h"

#include <stdexcept>
#include <string>

#include <SQLiteCpp/SQLiteCpp.h>

namespace confab::store {

void migrate(SQLite::Database& db, int version, std::span<const char* const> steps) {
  auto newest = static_cast<int>(steps.size());
  if (version > newest) {
    throw std::runtime_error("its schema version " + std::to_string(version) + " is newer than this SDK's (" +
                             std::to_string(newest) + ")");
  }
  for (int next = version + 1; next <= newest; ++next) {
    SQLite::Transaction tx(db);
    db.exec(steps[static_cast<std::size_t>(next - 1)]);
    db.exec("PRAGMA user_version = " + std::to_string(next));
    tx.commit();
  }
}

}  // namespace confab::store
