// Resumable uploads (docs/protocol.md, "HTTP API"). A session is two files in
// <attachments_dir>/uploads: u_<uuid>.part, the bytes received so far, whose size is the
// session's offset; and u_<uuid>.json, what the session is (owner, size, SHA-256, media
// type, times, and the attachment once complete), replaced whole by a rename.
//
// Files rather than the SQLite store: a PATCH is checked when its head arrives, on the
// HTTP front's thread, which must not wait for the committer thread that owns the store;
// a stat and a small read answer at once. And with the offset being the file's size, a
// byte counts as held the moment it is in the file, whatever happens to the connection
// or the server afterwards. Nothing is cached: every call reads the files, so another
// process may serve the same directory. Only the busy marks (a PATCH in progress) are
// this process's own, in memory. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "confab/result.h"

namespace confab::server {

struct UploadSession {
  std::string id;  // u_<uuid>
  std::string owner;
  std::int64_t size = 0;  // what the upload will be, in bytes
  std::string sha256;     // what its bytes must hash to
  std::string content_type;
  std::int64_t offset = 0;  // bytes held (the .part file's size; `size` once complete)
  std::int64_t created_at_ms = 0;
  std::int64_t touched_at_ms = 0;  // created, or last appended to (or completed)
  std::string attachment_id;       // set once complete

  bool complete() const { return !attachment_id.empty(); }
};

class UploadSessions {
 public:
  // Open sessions per user; beyond, creating one is refused (rate_limited).
  static constexpr int kMaxOpenPerUser = 32;

  UploadSessions(std::filesystem::path attachments_dir, std::chrono::milliseconds ttl);

  // Creates the directory. Fails with `internal`.
  Result<void> prepare();

  std::filesystem::path part_path(const std::string& id) const;
  std::int64_t expires_at_ms(const UploadSession& session) const { return session.touched_at_ms + ttl_.count(); }

  // A new, empty session. `rate_limited` when the owner has kMaxOpenPerUser open ones;
  // `internal` when its files cannot be written.
  Result<UploadSession> create(const std::string& owner, std::int64_t size, const std::string& sha256,
                               const std::string& content_type, std::int64_t now_ms);
  // The session, if it exists, is `user`'s and has not expired; else `not_found` (the same
  // for all three, so that ids cannot be probed).
  Result<UploadSession> find(const std::string& id, const std::string& user, std::int64_t now_ms) const;
  // Writes the session's description (atomically, by a rename). Fails with `internal`.
  Result<void> save(const UploadSession& session);
  // Deletes the session and its bytes.
  void remove(const std::string& id);

  // A PATCH of the session is in progress: while held, busy() is true. Let go (and the
  // session's expiry moved on, as it was appended to) when the returned object is destroyed.
  // Nothing when the session is already busy.
  std::shared_ptr<void> acquire(const std::string& id, std::function<std::int64_t()> clock);
  bool busy(const std::string& id) const;

  // Deletes the sessions past their expiry that are not busy, and bytes left without a
  // session; returns how many sessions went.
  int sweep(std::int64_t now_ms);

 private:
  std::filesystem::path meta_path(const std::string& id) const;
  Result<UploadSession> load(const std::string& id) const;  // not_found when absent or unreadable
  void release(const std::string& id, std::int64_t now_ms);

  const std::filesystem::path dir_;
  const std::chrono::milliseconds ttl_;
  mutable std::mutex mutex_;  // over the busy marks, and over reading-then-writing a session
  std::set<std::string> busy_;
};

// True for an upload session id as this server makes them: "u_" then a UUID.
bool is_upload_id(std::string_view id);

}  // namespace confab::server
