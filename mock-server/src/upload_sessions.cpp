#include "upload_sessions.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "protocol/ids.h"

namespace confab::server {
namespace {

using Json = nlohmann::json;

Error internal(const std::string& what) { return Error::make(ErrorCode::internal, what); }

}  // namespace

bool is_upload_id(std::string_view id) {
  if (!id.starts_with("u_") || id.size() != 2 + 36) return false;
  return std::all_of(id.begin() + 2, id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'; });
}

UploadSessions::UploadSessions(std::filesystem::path attachments_dir, std::chrono::milliseconds ttl)
    : dir_(std::move(attachments_dir) / "uploads"), ttl_(ttl) {}

Result<void> UploadSessions::prepare() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return internal("cannot create the uploads directory " + dir_.string() + ": " + ec.message());
  return {};
}

std::filesystem::path UploadSessions::part_path(const std::string& id) const { return dir_ / (id + ".part"); }
std::filesystem::path UploadSessions::meta_path(const std::string& id) const { return dir_ / (id + ".json"); }

Result<UploadSession> UploadSessions::load(const std::string& id) const {
  auto missing = [&id] { return Error::make(ErrorCode::not_found, "no upload '" + id + "'"); };
  if (!is_upload_id(id)) return missing();
  std::ifstream in(meta_path(id), std::ios::binary);
  if (!in) return missing();
  std::stringstream text;
  text << in.rdbuf();
  Json j = Json::parse(text.str(), nullptr, false);
  if (!j.is_object()) return missing();  // being replaced by another process, or damaged
  UploadSession s;
  try {
    s.id = id;
    s.owner = j.at("owner").get<std::string>();
    s.size = j.at("size").get<std::int64_t>();
    s.sha256 = j.at("sha256").get<std::string>();
    s.content_type = j.at("contentType").get<std::string>();
    s.created_at_ms = j.at("createdAtMs").get<std::int64_t>();
    s.touched_at_ms = j.at("touchedAtMs").get<std::int64_t>();
    s.attachment_id = j.value("attachmentId", std::string());
  } catch (const std::exception&) {
    return missing();
  }
  if (s.complete()) {
    s.offset = s.size;
  } else {
    std::error_code ec;
    auto held = std::filesystem::file_size(part_path(id), ec);
    s.offset = ec ? 0 : static_cast<std::int64_t>(held);
  }
  return s;
}

Result<void> UploadSessions::save(const UploadSession& s) {
  Json j{{"owner", s.owner},          {"size", s.size},          {"sha256", s.sha256}, {"contentType", s.content_type},
         {"createdAtMs", s.created_at_ms}, {"touchedAtMs", s.touched_at_ms}};
  if (s.complete()) j["attachmentId"] = s.attachment_id;
  // Written beside, then renamed over: a reader sees the old description or the new one.
  auto temporary = dir_ / (s.id + ".json.tmp");
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << j.dump();
    out.close();
    if (!out) return internal("cannot write " + temporary.string());
  }
  std::error_code ec;
  std::filesystem::rename(temporary, meta_path(s.id), ec);
  if (ec) return internal("cannot write " + meta_path(s.id).string() + ": " + ec.message());
  return {};
}

Result<UploadSession> UploadSessions::create(const std::string& owner, std::int64_t size, const std::string& sha256,
                                             const std::string& content_type, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  int open = 0;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);  // prepare() may not have run (handle_raw)
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (entry.path().extension() != ".json") continue;
    auto s = load(entry.path().stem().string());
    if (s && s->owner == owner && !s->complete() && now_ms < expires_at_ms(*s)) ++open;
  }
  if (open >= kMaxOpenPerUser) {
    auto error = Error::make(ErrorCode::rate_limited, "at most " + std::to_string(kMaxOpenPerUser) +
                                                          " uploads may be open at once; finish or delete one");
    error.retry_after_ms = 60'000;
    return error;
  }
  UploadSession s;
  s.id = "u_" + ids::new_uuid_v7();
  s.owner = owner;
  s.size = size;
  s.sha256 = sha256;
  s.content_type = content_type;
  s.created_at_ms = now_ms;
  s.touched_at_ms = now_ms;
  // The bytes' file first: a description never names a file that is not there.
  std::ofstream(part_path(s.id), std::ios::binary | std::ios::trunc);
  if (!std::filesystem::exists(part_path(s.id), ec)) return internal("cannot create " + part_path(s.id).string());
  if (auto saved = save(s); !saved) {
    std::filesystem::remove(part_path(s.id), ec);
    return saved.error();
  }
  return s;
}

Result<UploadSession> UploadSessions::find(const std::string& id, const std::string& user, std::int64_t now_ms) const {
  auto s = load(id);
  if (!s) return s;
  if (s->owner != user || now_ms >= expires_at_ms(*s)) return Error::make(ErrorCode::not_found, "no upload '" + id + "'");
  return s;
}

void UploadSessions::remove(const std::string& id) {
  std::error_code ignored;
  std::filesystem::remove(meta_path(id), ignored);
  std::filesystem::remove(part_path(id), ignored);
}

std::shared_ptr<void> UploadSessions::acquire(const std::string& id, std::function<std::int64_t()> clock) {
  {
    std::lock_guard lock(mutex_);
    if (!busy_.insert(id).second) return nullptr;
  }
  // Any non-null pointer does; what counts is the deleter.
  return std::shared_ptr<void>(this, [this, id, clock = std::move(clock)](void*) { release(id, clock()); });
}

bool UploadSessions::busy(const std::string& id) const {
  std::lock_guard lock(mutex_);
  return busy_.contains(id);
}

void UploadSessions::release(const std::string& id, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  busy_.erase(id);
  // Appended to (or at least tried): the session lives another `ttl` from now.
  auto s = load(id);
  if (!s || s->complete()) return;
  s->touched_at_ms = std::max(s->touched_at_ms, now_ms);
  if (auto saved = save(*s); !saved) spdlog::warn("uploads: {}", saved.error().message);
}

int UploadSessions::sweep(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  int swept = 0;
  std::vector<std::filesystem::path> entries;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) entries.push_back(entry.path());
  for (const auto& path : entries) {
    std::string id = path.stem().string();
    if (path.extension() == ".json") {
      if (busy_.contains(id)) continue;
      auto s = load(id);
      if (s && now_ms < expires_at_ms(*s)) continue;
      if (!s) {
        // Unreadable: another process may be writing it; left for a while.
        auto age = std::filesystem::last_write_time(path, ec);
        if (ec || std::filesystem::file_time_type::clock::now() - age < ttl_) continue;
      }
      remove(id);
      ++swept;
    } else if (path.extension() == ".part" || path.extension() == ".tmp") {
      // Bytes whose session is gone (a crash between two steps): removed once old.
      if (path.extension() == ".tmp") id = std::filesystem::path(id).stem().string();
      if (busy_.contains(id) || std::filesystem::exists(meta_path(id), ec)) continue;
      auto age = std::filesystem::last_write_time(path, ec);
      if (!ec && std::filesystem::file_time_type::clock::now() - age >= ttl_) std::filesystem::remove(path, ec);
    }
  }
  return swept;
}

}  // namespace confab::server
