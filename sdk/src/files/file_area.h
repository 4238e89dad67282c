// The SDK's own files on the device (FileOptions::directory):
// - outgoing/: a copy of every file a queued message carries, made by send() before it
//   returns and kept until the server has it (or the message is discarded);
// - cache/: downloaded attachments by id, checked against their SHA-256, at most
//   `cache_bytes` of them (least recently used out first); a download in progress grows
//   as `<id>.part` beside them, so that it resumes after a drop.
//
// Copies, not hard links: a link would share the app's later edits of its own file, and
// the upload's SHA-256 check would then fail at the end.
//
// Thread-safe: staging runs on the app's thread in send(), the rest on the network
// thread; the cache's bookkeeping is behind a mutex.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "confab/client.h"
#include "confab/message.h"
#include "confab/result.h"

namespace confab::files {

// SHA-256 of a file's bytes, or of bytes in memory, as 64 lowercase hex digits.
Result<std::string> sha256_of_file(const std::filesystem::path& path);
std::string sha256_of(std::string_view bytes);

// A media type for a file name's extension (the common image, audio, video and document
// types), else application/octet-stream.
std::string content_type_for(std::string_view name);

// The name of a queued message's attachment `index` in outgoing/.
std::string outgoing_key(const std::string& client_message_id, std::size_t index);

class FileArea {
 public:
  // Creates the directories. Fails with `storage`. A `temporary` area (for a client whose
  // outbox lives in memory) is removed with everything in it when the FileArea is destroyed.
  static Result<std::unique_ptr<FileArea>> open(std::filesystem::path root, std::int64_t cache_bytes,
                                                bool temporary = false);
  ~FileArea();

  const std::filesystem::path& root() const { return root_; }

  // Copies `file` to outgoing/<key> (synced to disk before it returns) and describes it:
  // name, media type, size, SHA-256, and for an image its pixel size and preview. The
  // attachment id stays empty. invalid_argument for a file that cannot be read, is empty
  // or over 25 MiB, or a bad name or media type; `storage` when the copy fails (nothing is
  // left behind then).
  Result<Attachment> stage(const FileToSend& file, const std::string& key);
  std::filesystem::path outgoing(const std::string& key) const;
  // Removes outgoing/<key> (nothing when it is gone already).
  void unstage(const std::string& key);
  // Removes every outgoing copy whose key is not in `keep` (left by a crash between the
  // copy and the row's commit, or by a discard whose removal was cut short).
  void sweep_outgoing(const std::function<bool(const std::string& key)>& keep);

  // ---- the download cache ----
  // The cached file of an attachment, when whole (its name is its id; it was checked
  // before it was put there); its use is recorded for the eviction order.
  std::optional<std::filesystem::path> cached(const std::string& attachment_id);
  // Where a download in progress grows.
  std::filesystem::path partial(const std::string& attachment_id) const;
  // Moves a checked download into the cache, then evicts the least recently used files
  // beyond the limit (never the one just stored).
  Result<std::filesystem::path> keep(const std::string& attachment_id);

 private:
  FileArea(std::filesystem::path root, std::int64_t cache_bytes, bool temporary);
  void evict(const std::string& spare);

  std::filesystem::path root_;
  std::int64_t cache_bytes_;
  bool temporary_;
  std::mutex cache_mutex_;
};

}  // namespace confab::files
