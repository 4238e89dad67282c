#include "files/file_area.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <vector>

#include <openssl/evp.h>

#include "files/image.h"
#include "protocol/protocol.h"
#include "protocol/utf8.h"

namespace confab::files {
namespace fs = std::filesystem;
namespace {

Error invalid(std::string message) { return Error::make(ErrorCode::invalid_argument, std::move(message)); }
Error storage(std::string message) { return Error::make(ErrorCode::storage, std::move(message)); }

constexpr std::size_t kChunk = 1 << 20;

// SHA-256 fed in pieces.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }
  void add(const char* data, std::size_t size) { EVP_DigestUpdate(ctx_.get(), data, size); }
  std::string hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest.data(), &length);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
      out.push_back(kHex[digest[i] >> 4]);
      out.push_back(kHex[digest[i] & 15]);
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

// Flushes a file's bytes (or a directory's entries) to the disk.
bool sync_path(const fs::path& path, bool directory) {
  int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

Result<std::string> sha256_of_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return storage("cannot read " + path.string());
  Sha256 sha;
  std::vector<char> buffer(kChunk);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    sha.add(buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) return storage("cannot read " + path.string());
  return sha.hex();
}

std::string sha256_of(std::string_view bytes) {
  Sha256 sha;
  sha.add(bytes.data(), bytes.size());
  return sha.hex();
}

std::string content_type_for(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kTypes{{
      {".png", "image/png"},        {".jpg", "image/jpeg"},       {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},        {".webp", "image/webp"},      {".bmp", "image/bmp"},
      {".svg", "image/svg+xml"},    {".mp3", "audio/mpeg"},       {".ogg", "audio/ogg"},
      {".m4a", "audio/mp4"},        {".wav", "audio/wav"},        {".mp4", "video/mp4"},
      {".webm", "video/webm"},      {".mov", "video/quicktime"},  {".pdf", "application/pdf"},
      {".zip", "application/zip"},  {".txt", "text/plain"},       {".md", "text/markdown"},
      {".json", "application/json"}, {".csv", "text/csv"},        {".html", "text/html"},
      {".doc", "application/msword"},
  }};
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  auto extension = lower(name.substr(dot));
  for (const auto& [ext, type] : kTypes) {
    if (ext == extension) return std::string(type);
  }
  return "application/octet-stream";
}

std::string outgoing_key(const std::string& client_message_id, std::size_t index) {
  return client_message_id + "-" + std::to_string(index);
}

FileArea::FileArea(fs::path root, std::int64_t cache_bytes, bool temporary)
    : root_(std::move(root)), cache_bytes_(cache_bytes), temporary_(temporary) {}

FileArea::~FileArea() {
  if (!temporary_) return;
  std::error_code ignored;
  fs::remove_all(root_, ignored);
}

Result<std::unique_ptr<FileArea>> FileArea::open(fs::path root, std::int64_t cache_bytes, bool temporary) {
  std::error_code ec;
  fs::create_directories(root / "outgoing", ec);
  if (!ec) fs::create_directories(root / "cache", ec);
  if (ec) return storage("cannot create the file area " + root.string() + ": " + ec.message());
  return std::unique_ptr<FileArea>(new FileArea(std::move(root), cache_bytes, temporary));
}

fs::path FileArea::outgoing(const std::string& key) const { return root_ / "outgoing" / key; }

Result<Attachment> FileArea::stage(const FileToSend& file, const std::string& key) {
  Attachment a;
  a.name = !file.name.empty() || file.path.empty() ? file.name : file.path.filename().string();
  if (!utf8::is_valid(a.name) || !protocol::is_printable(a.name, protocol::kMaxFileNameBytes)) {
    return invalid("a file's name must be 0-255 bytes of UTF-8 without control characters");
  }
  a.content_type = file.content_type.empty() ? content_type_for(a.name) : file.content_type;
  if (a.content_type.size() > protocol::kMaxContentTypeBytes ||
      !std::all_of(a.content_type.begin(), a.content_type.end(), [](char c) { return c >= 0x20 && c < 0x7f; })) {
    return invalid("a file's media type must be 1-255 characters of printable ASCII");
  }

  // The size is checked before anything is copied.
  std::int64_t size = 0;
  if (!file.path.empty()) {
    std::error_code ec;
    if (!fs::is_regular_file(file.path, ec)) return invalid("cannot read " + file.path.string() + ": not a file");
    size = static_cast<std::int64_t>(fs::file_size(file.path, ec));
    if (ec) return invalid("cannot read " + file.path.string() + ": " + ec.message());
  } else {
    size = static_cast<std::int64_t>(file.bytes.size());
  }
  const std::string what = file.path.empty() ? "the file" : file.path.string();
  if (size == 0) return invalid(what + " is empty");
  if (size > protocol::kMaxAttachmentBytes) {
    return invalid(what + " is " + std::to_string(size) + " bytes; a file may have at most 26214400 (25 MiB)");
  }

  // Copy, hashing as it goes, into a temporary name; synced, then renamed into place.
  auto target = outgoing(key);
  auto temporary = fs::path(target.string() + ".tmp");
  auto drop = [&] {
    std::error_code ignored;
    fs::remove(temporary, ignored);
  };
  Sha256 sha;
  std::string head;  // an image's bytes, for its size and preview
  bool image = lower(a.content_type).starts_with("image/");
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return storage("cannot write " + temporary.string());
    std::int64_t copied = 0;
    if (file.path.empty()) {
      sha.add(file.bytes.data(), file.bytes.size());
      out.write(file.bytes.data(), static_cast<std::streamsize>(file.bytes.size()));
      copied = size;
      if (image) head = file.bytes;
    } else {
      std::ifstream in(file.path, std::ios::binary);
      if (!in) {
        out.close();
        drop();
        return invalid("cannot read " + file.path.string());
      }
      std::vector<char> buffer(kChunk);
      while (in && copied <= protocol::kMaxAttachmentBytes) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        auto got = static_cast<std::size_t>(in.gcount());
        sha.add(buffer.data(), got);
        out.write(buffer.data(), static_cast<std::streamsize>(got));
        if (image) head.append(buffer.data(), got);
        copied += static_cast<std::int64_t>(got);
      }
      if (in.bad()) {
        out.close();
        drop();
        return invalid("cannot read " + file.path.string());
      }
    }
    out.close();
    if (!out) {
      drop();
      return storage("cannot write " + temporary.string());
    }
    // The file may have changed since its size was read: what was copied is what counts.
    if (copied == 0 || copied > protocol::kMaxAttachmentBytes) {
      drop();
      return invalid(what + (copied == 0 ? " is empty" : " grew beyond 25 MiB while it was read"));
    }
    size = copied;
  }
  std::error_code ec;
  if (!sync_path(temporary, false)) {
    drop();
    return storage("cannot sync " + temporary.string());
  }
  fs::rename(temporary, target, ec);
  if (ec) {
    drop();
    return storage("cannot store " + target.string() + ": " + ec.message());
  }
  sync_path(target.parent_path(), true);

  a.size = size;
  a.sha256 = sha.hex();
  if (image) {
    if (auto info = describe_image(head)) {
      a.width = info->width;
      a.height = info->height;
      a.preview = std::move(info->preview);
    }
  }
  return a;
}

void FileArea::unstage(const std::string& key) {
  std::error_code ignored;
  fs::remove(outgoing(key), ignored);
}

void FileArea::sweep_outgoing(const std::function<bool(const std::string& key)>& keep) {
  std::error_code ec;
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(root_ / "outgoing", ec)) {
    if (!keep(entry.path().filename().string())) stale.push_back(entry.path());
  }
  for (const auto& path : stale) fs::remove(path, ec);
}

std::optional<fs::path> FileArea::cached(const std::string& attachment_id) {
  std::lock_guard lock(cache_mutex_);
  auto path = root_ / "cache" / attachment_id;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  fs::last_write_time(path, fs::file_time_type::clock::now(), ec);  // its use, for the eviction order
  return path;
}

fs::path FileArea::partial(const std::string& attachment_id) const { return root_ / "cache" / (attachment_id + ".part"); }

Result<fs::path> FileArea::keep(const std::string& attachment_id) {
  std::lock_guard lock(cache_mutex_);
  auto path = root_ / "cache" / attachment_id;
  std::error_code ec;
  fs::rename(partial(attachment_id), path, ec);
  if (ec) return storage("cannot store the download: " + ec.message());
  fs::last_write_time(path, fs::file_time_type::clock::now(), ec);
  evict(attachment_id);
  return path;
}

void FileArea::evict(const std::string& spare) {
  struct Entry {
    fs::file_time_type used;
    std::int64_t size;
    fs::path path;
  };
  std::vector<Entry> entries;
  std::int64_t total = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_ / "cache", ec)) {
    if (entry.path().extension() == ".part" || !entry.is_regular_file(ec)) continue;
    auto size = static_cast<std::int64_t>(entry.file_size(ec));
    total += size;
    if (entry.path().filename() != spare) entries.push_back({entry.last_write_time(ec), size, entry.path()});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
  for (const auto& e : entries) {
    if (total <= cache_bytes_) break;
    if (fs::remove(e.path, ec)) total -= e.size;
  }
}

}  // namespace confab::files
