// Telling a damaged database file from other failures, and setting one aside.
#pragma once

#include <filesystem>
#include <string>

namespace SQLite {
class Exception;
}

namespace confab::store {

// SQLite found the file corrupt, or not a database at all. (Not: locked, missing
// permissions, a full disk, a newer schema: those are reported, never repaired.)
bool is_damage(const SQLite::Exception& e);

// Renames `path` and its -wal and -shm files to `<path>.damaged-<unix ms>...`, kept for
// inspection; returns the new name of the database file.
std::string move_aside(const std::filesystem::path& path);

}  // namespace confab::store
