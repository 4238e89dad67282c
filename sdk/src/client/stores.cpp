#include "client/stores.h"

#include <set>

#include "protocol/ids.h"

namespace confab::client {
namespace {

// Acknowledged messages whose event may not be stored yet are among the newest few.
constexpr int kRecentSentRows = 1000;

}  // namespace

std::filesystem::path cache_path_for(const ClientOptions& options) {
  if (!options.cache_path.empty()) return options.cache_path;
  if (options.database_path == ":memory:") return ":memory:";
  return options.database_path.string() + ".cache";
}

std::filesystem::path files_path_for(const ClientOptions& options) {
  if (!options.files.directory.empty()) return options.files.directory;
  if (options.database_path == ":memory:") {
    return std::filesystem::temp_directory_path() / ("confab-files-" + ids::new_uuid_v7());
  }
  return options.database_path.string() + ".files";
}

Result<Opened> open_stores(const ClientOptions& options) {
  auto synchronous = options.durability == Durability::full ? store::Synchronous::full : store::Synchronous::normal;
  Opened opened;
  auto outbox = store::OutboxStore::open_recovering(options.database_path, synchronous);
  if (!outbox) return outbox.error();
  opened.outbox = std::move(outbox->store);
  auto& recovery = opened.recovery;
  if (outbox->rebuilt) {
    recovery.outbox_rebuilt = true;
    recovery.outbox_rows_salvaged = outbox->salvaged;
    recovery.detail = outbox->detail;
  }

  // The cache's durability does not matter as much: what it loses is fetched again.
  auto cache = store::CacheStore::open(cache_path_for(options), store::Synchronous::normal);
  if (!cache) return cache.error();
  opened.cache = std::move(cache->store);
  if (cache->rebuilt_because) {
    recovery.cache_rebuilt = true;
    if (!recovery.detail.empty()) recovery.detail += "; ";
    recovery.detail += *cache->rebuilt_because;
  }

  auto unsent = opened.outbox->load_unsent();
  if (!unsent) return unsent.error();
  opened.unsent = std::move(unsent).value();
  auto recent = opened.outbox->load_recent_sent(kRecentSentRows);
  if (!recent) return recent.error();
  opened.recent_sent = std::move(recent).value();
  auto conversations = opened.cache->listed_conversations();
  if (!conversations) return conversations.error();
  opened.conversations = std::move(conversations).value();
  auto cursors = opened.cache->cursors();
  if (!cursors) return cursors.error();
  opened.cursors = std::move(cursors).value();
  auto user = opened.cache->user_id();
  if (!user) return user.error();
  opened.user_id = std::move(user).value();

  bool temporary = options.files.directory.empty() && options.database_path == ":memory:";
  auto files = files::FileArea::open(files_path_for(options), options.files.cache_bytes, temporary);
  if (!files) return files.error();
  opened.files = std::move(files).value();
  // Copies no queued message names any more (a crash between the copy and the commit, or
  // after the message was sent) are removed.
  std::set<std::string> keep;
  for (const auto& row : opened.unsent) {
    for (std::size_t i = 0; i < row.message.attachments.size(); ++i) {
      keep.insert(files::outgoing_key(row.message.client_message_id, i));
    }
  }
  opened.files->sweep_outgoing([&keep](const std::string& key) { return keep.contains(key); });
  return opened;
}

}  // namespace confab::client
