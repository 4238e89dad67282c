// Opening the client's two databases: the outbox (durable, the app's unsent messages) and
// the local store (a cache of conversations), repairing what can be repaired, and reading
// what the client starts from.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "confab/client.h"
#include "core/outbox.h"
#include "files/file_area.h"
#include "store/cache_store.h"
#include "store/outbox_store.h"

namespace confab::client {

struct Opened {
  std::unique_ptr<store::OutboxStore> outbox;
  std::unique_ptr<store::CacheStore> cache;
  std::vector<core::OutboxRow> unsent;
  std::vector<core::OutboxRow> recent_sent;  // may still wait for their server copy
  std::vector<std::string> conversations;  // listed in the cache
  std::vector<store::CacheCursor> cursors;
  std::string user_id;
  StoreRecovery recovery;
  std::unique_ptr<files::FileArea> files;
};

// Where the file area lives when FileOptions::directory is empty.
std::filesystem::path files_path_for(const ClientOptions& options);

// Where the cache lives when ClientOptions::cache_path is empty.
std::filesystem::path cache_path_for(const ClientOptions& options);

Result<Opened> open_stores(const ClientOptions& options);

}  // namespace confab::client
