// Forward-only schema migrations, shared by the SDK's two databases.
#pragma once

#include <span>

namespace SQLite {
class Database;
}

namespace confab::store {

// Takes `db` from `version` to steps.size(): step N (1-based) takes version N-1 to N, each
// in its own transaction with PRAGMA user_version. Throws for a version newer than the
// steps know (a database written by a newer SDK), leaving it untouched.
void migrate(SQLite::Database& db, int version, std::span<const char* const> steps);

}  // namespace confab::store
