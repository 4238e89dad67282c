// Attachments and the push outbox in the reference server's store. Part of MessageStore;
// runs on the committer thread like the rest of it.
#include <SQLiteCpp/SQLiteCpp.h>

#include "message_store.h"

namespace confab::server {
namespace {

Error internal(const std::string& what) { return Error::make(ErrorCode::internal, what); }

}  // namespace

Result<void> MessageStore::add_attachment(const AttachmentInfo& info, std::int64_t now_ms) {
  try {
    SQLite::Statement q(*db_, "INSERT INTO attachments (id, uploader_id, size, content_type, created_at_ms, sha256) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    q.bind(1, info.id);
    q.bind(2, info.uploader_id);
    q.bind(3, info.size);
    q.bind(4, info.content_type);
    q.bind(5, now_ms);
    q.bind(6, info.sha256);
    q.exec();
    return {};
  } catch (const std::exception& e) {
    return internal(std::string("cannot record the attachment: ") + e.what());
  }
}

Result<void> MessageStore::enqueue_push(const std::vector<PushNotification>& notifications) {
  try {
    SQLite::Transaction tx(*db_);
    SQLite::Statement q(*db_, "INSERT INTO push_outbox (user_id, conversation_id, seq, sender_id, created_at_ms, "
                              "next_attempt_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?5)");
    for (const auto& n : notifications) {
      q.bind(1, n.user_id);
      q.bind(2, n.conversation_id);
      q.bind(3, n.conversation_seq);
      q.bind(4, n.sender_id);
      q.bind(5, n.created_at_ms);
      q.exec();
      q.reset();
    }
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return internal(std::string("cannot queue push notifications: ") + e.what());
  }
}

std::vector<PushNotification> MessageStore::due_pushes(std::int64_t now_ms, int limit) {
  std::vector<PushNotification> out;
  SQLite::Statement q(*db_, "SELECT id, user_id, conversation_id, seq, sender_id, created_at_ms, attempts "
                            "FROM push_outbox WHERE next_attempt_ms <= ?1 ORDER BY id LIMIT ?2");
  q.bind(1, now_ms);
  q.bind(2, limit);
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                   q.getColumn(3).getInt64(), q.getColumn(4).getString(), q.getColumn(5).getInt64(),
                   q.getColumn(6).getInt()});
  }
  return out;
}

Result<void> MessageStore::finish_pushes(const std::vector<PushOutcome>& outcomes) {
  try {
    SQLite::Transaction tx(*db_);
    SQLite::Statement done(*db_, "DELETE FROM push_outbox WHERE id = ?1");
    SQLite::Statement retry(*db_, "UPDATE push_outbox SET attempts = attempts + 1, next_attempt_ms = ?2 WHERE id = ?1");
    for (const auto& o : outcomes) {
      auto& q = o.delivered ? done : retry;
      q.bind(1, o.push_id);
      if (!o.delivered) q.bind(2, o.retry_at_ms);
      q.exec();
      q.reset();
    }
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return internal(std::string("cannot record push outcomes: ") + e.what());
  }
}

Result<AttachmentInfo> MessageStore::readable_attachment(const std::string& attachment_id, const std::string& user_id) {
  try {
    SQLite::Statement q(*db_,
                        "SELECT a.id, a.uploader_id, a.size, a.content_type, a.sha256 FROM attachments a "
                        "WHERE a.id = ?1 AND "
                        "(a.uploader_id = ?2 OR EXISTS (SELECT 1 FROM message_attachments l JOIN members m "
                        "ON m.conversation_id = l.conversation_id WHERE l.attachment_id = a.id AND m.user_id = ?2))");
    q.bind(1, attachment_id);
    q.bind(2, user_id);
    if (!q.executeStep()) return Error::make(ErrorCode::not_found, "no attachment '" + attachment_id + "'");
    return AttachmentInfo{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt64(),
                          q.getColumn(3).getString(), q.getColumn(4).getString()};
  } catch (const std::exception& e) {
    return internal(std::string("cannot read the attachment: ") + e.what());
  }
}

std::vector<std::string> MessageStore::expire_attachments(std::int64_t cutoff_ms) {
  std::vector<std::string> expired;
  try {
    SQLite::Transaction tx(*db_);
    SQLite::Statement q(*db_, "DELETE FROM attachments WHERE created_at_ms < ?1 AND NOT EXISTS "
                              "(SELECT 1 FROM message_attachments l WHERE l.attachment_id = attachments.id) "
                              "RETURNING id");
    q.bind(1, cutoff_ms);
    while (q.executeStep()) expired.push_back(q.getColumn(0).getString());
    tx.commit();
  } catch (const std::exception&) {
    return {};  // nothing deleted; the next sweep tries again
  }
  return expired;
}

}  // namespace confab::server
