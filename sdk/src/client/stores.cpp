#include "client/stores.h"

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
  return opened;
}

}  // namespace confab::client
