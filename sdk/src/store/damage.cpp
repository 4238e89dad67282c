#include "store/damage.h"

#include <chrono>
#include <system_error>

#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

namespace confab::store {

bool is_damage(const SQLite::Exception& e) {
  int primary = e.getErrorCode() & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

std::string move_aside(const std::filesystem::path& path) {
  auto stamp = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  std::string target = path.string() + ".damaged-" + std::to_string(stamp);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::path from = path.string() + suffix;
    std::error_code ec;
    if (std::filesystem::exists(from, ec)) std::filesystem::rename(from, target + suffix, ec);
  }
  return target;
}

}  // namespace confab::store
