// The local store's receipts: how far each other member of a conversation has read, and
// how far their devices have stored it, as the highest ever learned.
#include "store/cache_reading.h"
#include "store/cache_statements.h"

namespace confab::store {

Result<void> CacheStore::store_receipts(const std::string& conversation_id, std::span<const Receipt> receipts) {
  if (receipts.empty()) return {};
  std::lock_guard lock(write_mutex_);
  try {
    SQLite::Transaction tx(*db_);
    SQLite::Statement raise(*db_,
                            "INSERT INTO receipts (conversation_id, user_id, read_seq, delivered_seq) "
                            "VALUES (?1, ?2, ?3, max(?3, ?4)) ON CONFLICT (conversation_id, user_id) DO UPDATE SET "
                            "read_seq = max(read_seq, excluded.read_seq), "
                            "delivered_seq = max(delivered_seq, excluded.delivered_seq, excluded.read_seq)");
    for (const auto& r : receipts) {
      raise.bind(1, conversation_id);
      raise.bind(2, r.user_id);
      raise.bind(3, static_cast<std::int64_t>(r.read_seq));
      raise.bind(4, static_cast<std::int64_t>(r.delivered_seq));
      raise.exec();
      raise.reset();
    }
    commit(tx);
    return {};
  } catch (const std::exception& e) {
    return failed("cannot store receipts", e);
  }
}

Result<std::vector<Receipt>> CacheStore::receipts(const std::string& conversation_id) {
  try {
    auto reading = read();
    SQLite::Statement q(reading.db(),
                        "SELECT user_id, read_seq, delivered_seq FROM receipts WHERE conversation_id = ?1 "
                        "ORDER BY user_id");
    q.bind(1, conversation_id);
    std::vector<Receipt> out;
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64()});
    }
    return out;
  } catch (const std::exception& e) {
    return failed("cannot read receipts", e);
  }
}

Result<void> CacheStore::forget_receipts(const std::string& conversation_id) {
  std::lock_guard lock(write_mutex_);
  try {
    SQLite::Statement drop(*db_, "DELETE FROM receipts WHERE conversation_id = ?1");
    drop.bind(1, conversation_id);
    drop.exec();
    return {};
  } catch (const std::exception& e) {
    return failed("cannot forget receipts", e);
  }
}

}  // namespace confab::store
