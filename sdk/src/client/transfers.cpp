#include "client/transfers.h"

#include <algorithm>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "../../core/src/backoff.h"
#include "protocol/protocol.h"

namespace confab::client {
namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio::awaitable;
using Json = nlohmann::json;

namespace {

// A download fails after this many attempts in a row that failed on the way (an upload
// never gives up: its message waits for it, up to the outbox's maximum age).
constexpr int kMaxDownloadAttempts = 10;
// Session resyncs (an answer that the server holds other bytes than thought) in one attempt.
constexpr int kMaxResyncs = 3;

Error invalid(std::string message) { return Error::make(ErrorCode::invalid_argument, std::move(message)); }

// What the server's transfer answers may say on top of their status.
struct SessionState {
  std::string upload_id;
  std::int64_t offset = 0;
  std::string attachment_id;
};

Result<SessionState> read_session(const net::TransferResponse& answer) {
  Json body = Json::parse(answer.body, nullptr, false);
  if (!body.is_object()) return Error::make(ErrorCode::bad_frame, "the upload answer is not a JSON object");
  SessionState out;
  if (auto id = body.find("uploadId"); id != body.end() && id->is_string()) out.upload_id = id->get<std::string>();
  if (auto offset = body.find("offset"); offset != body.end() && offset->is_number_integer()) {
    out.offset = offset->get<std::int64_t>();
  }
  if (auto id = body.find("attachmentId"); id != body.end() && id->is_string()) out.attachment_id = id->get<std::string>();
  if (out.offset < 0 || (!out.attachment_id.empty() && !protocol::is_identifier(out.attachment_id)) ||
      (!out.upload_id.empty() && !protocol::is_identifier(out.upload_id))) {
    return Error::make(ErrorCode::bad_frame, "the upload answer is malformed");
  }
  return out;
}

Error from_answer(const net::TransferResponse& answer) {
  return net::error_from_response(net::HttpResponse{answer.status, "application/json", answer.body});
}

// A transfer's failure that another attempt may get past.
bool transient(const Error& e) {
  return e.retryable || e.code == ErrorCode::transport || e.code == ErrorCode::timeout ||
         e.code == ErrorCode::unauthorized || e.code == ErrorCode::token_expired || e.code == ErrorCode::offline ||
         e.code == ErrorCode::bad_frame;
}

// A request to the server's HTTP API at `base` (whose path is a prefix), as the session's user.
net::TransferRequest request_to(const net::HttpUrl& base, const std::string& token, std::string method,
                                const std::string& path, std::shared_ptr<net::TransferControl> control = nullptr) {
  net::TransferRequest r;
  r.method = std::move(method);
  r.url = base;
  while (!r.url.target.empty() && r.url.target.back() == '/') r.url.target.pop_back();
  r.url.target += path;
  r.bearer = token;
  r.control = std::move(control);
  r.keep_error_answers = true;
  return r;
}

}  // namespace

// What uploads and downloads share: the attempt in progress, the backoff between two.
struct Transfers::Job {
  std::shared_ptr<net::TransferControl> control;  // set while an attempt runs
  std::shared_ptr<asio::steady_timer> timer;      // the backoff, between attempts
  bool running = false;
  bool backing_off = false;
  bool cancelled = false;
  int attempts = 0;

  // Stops it for good: the attempt's connection is closed and the backoff ends.
  void halt() {
    cancelled = true;
    if (control) control->cancel();
    if (timer) timer->cancel();
  }
};

struct Transfers::Upload : Job {
  std::int64_t local_id = 0;
  std::size_t index = 0;
  std::string key;
  Attachment file;
  std::string upload_id;
  UploadProgress progress;
};

struct Transfers::Download : Job {
  Attachment file;
  std::vector<std::pair<std::uint64_t, fs::path>> waiters;
  DownloadProgress progress;
};

Transfers::Transfers(asio::io_context& io, files::FileArea& area, store::OutboxStore& store, net::HttpOptions http,
                     FileOptions options, Hooks hooks, TaskExecutor callbacks)
    : io_(io),
      area_(area),
      store_(store),
      http_(std::move(http)),
      options_(std::move(options)),
      hooks_(std::move(hooks)),
      pendings_(std::move(callbacks)),
      random_(std::random_device{}()) {
  options_.parallel_uploads = std::max<std::size_t>(options_.parallel_uploads, 1);
  options_.parallel_downloads = std::max<std::size_t>(options_.parallel_downloads, 1);
  options_.chunk_bytes = std::max<std::int64_t>(options_.chunk_bytes, 64 * 1024);
}

Transfers::~Transfers() = default;

std::string Transfers::key_of(const LocalMessage& m, std::size_t index) {
  return files::outgoing_key(m.client_message_id, index);
}

// ---- uploads ------------------------------------------------------------------------

void Transfers::upload(const LocalMessage& m) {
  if (stopped_ || m.state == OutboxState::failed || m.state == OutboxState::sent) return;
  std::map<std::size_t, std::string> sessions;
  if (auto known = store_.upload_ids(m.local_id)) sessions = std::move(known).value();
  for (std::size_t i = 0; i < m.attachments.size(); ++i) {
    const auto& a = m.attachments[i];
    if (!a.attachment_id.empty()) continue;
    auto& slot = uploads_[{m.local_id, i}];
    if (slot) {
      slot->attempts = 0;  // a retry: at once, when it is not running
      if (slot->backing_off && slot->timer) slot->timer->cancel();
      continue;
    }
    slot = std::make_shared<Upload>();
    slot->local_id = m.local_id;
    slot->index = i;
    slot->key = key_of(m, i);
    slot->file = a;
    if (auto s = sessions.find(i); s != sessions.end()) slot->upload_id = s->second;
    slot->progress = UploadProgress{m.local_id, i, a.name, 0, a.size, TransferState::queued, std::nullopt};
    report(*slot);
  }
  pump();
}

void Transfers::cancel_uploads(const LocalMessage& m) {
  auto endpoint = hooks_.endpoint ? hooks_.endpoint() : std::nullopt;
  std::map<std::size_t, std::string> sessions;
  if (auto known = store_.upload_ids(m.local_id)) sessions = std::move(known).value();
  for (std::size_t i = 0; i < m.attachments.size(); ++i) {
    std::string upload_id = sessions.contains(i) ? sessions[i] : std::string();
    if (auto found = uploads_.find({m.local_id, i}); found != uploads_.end()) {
      auto job = found->second;
      job->halt();
      if (upload_id.empty()) upload_id = job->upload_id;
      job->progress.state = TransferState::cancelled;
      report(*job);
      uploads_.erase(found);
    }
    area_.unstage(key_of(m, i));
    static_cast<void>(store_.forget_upload(m.local_id, i));
    // The server's copy expires by itself; this frees it sooner.
    if (!upload_id.empty() && endpoint) {
      auto request = request_to(endpoint->first, endpoint->second, "DELETE", "/v1/uploads/" + upload_id);
      asio::co_spawn(
          io_,
          [request = std::move(request), http = http_]() mutable -> awaitable<void> {
            static_cast<void>(co_await net::http_transfer(std::move(request), std::move(http)));
          },
          asio::detached);
    }
  }
  {
    std::lock_guard lock(progress_mutex_);
    for (std::size_t i = 0; i < m.attachments.size(); ++i) progress_.erase({m.local_id, i});
  }
  pump();
}

void Transfers::sent(const LocalMessage& m) {
  for (std::size_t i = 0; i < m.attachments.size(); ++i) area_.unstage(key_of(m, i));
  std::lock_guard lock(progress_mutex_);
  for (std::size_t i = 0; i < m.attachments.size(); ++i) progress_.erase({m.local_id, i});
}

void Transfers::connected() { pump(); }

void Transfers::stop() {
  stopped_ = true;
  for (auto& [key, job] : uploads_) job->halt();
  for (auto& [id, job] : downloads_) {
    job->halt();
    for (const auto& [key, destination] : job->waiters) {
      pendings_.complete(key, Error::make(ErrorCode::closed, "the client was closed before the download ended"));
    }
  }
  uploads_.clear();
  downloads_.clear();
}

void Transfers::pump() {
  if (stopped_) return;
  auto endpoint = hooks_.endpoint ? hooks_.endpoint() : std::nullopt;
  if (!endpoint) return;
  for (auto& [key, job] : uploads_) {
    if (uploads_running_ >= options_.parallel_uploads) break;
    if (job->running || job->backing_off || job->cancelled) continue;
    run_upload(job);
  }
  for (auto& [id, job] : downloads_) {
    if (downloads_running_ >= options_.parallel_downloads) break;
    if (job->running || job->backing_off || job->cancelled) continue;
    run_download(job);
  }
}

void Transfers::run_upload(std::shared_ptr<Upload> job) {
  auto endpoint = hooks_.endpoint();
  job->running = true;
  job->control = std::make_shared<net::TransferControl>();
  ++uploads_running_;
  // Reported `running` once the server has said what it holds: from there on, the bytes
  // reported never go back within this attempt.
  job->progress.state = TransferState::running;
  auto steps = [this, job, base = endpoint->first, token = endpoint->second]() -> awaitable<Result<std::string>> {
    auto make = [&](std::string method, const std::string& path) {
      return request_to(base, token, std::move(method), path, job->control);
    };
    for (int resync = 0; resync <= kMaxResyncs; ++resync) {
      // A session: the one remembered, else a new one.
      if (job->upload_id.empty()) {
        auto create = make("POST", "/v1/uploads");
        create.body = Json{{"size", job->file.size}, {"sha256", job->file.sha256}, {"contentType", job->file.content_type}}
                          .dump();
        auto created = co_await net::http_transfer(std::move(create), http_);
        if (!created) co_return created.error();
        if (created->status != 201 && created->status != 200) co_return from_answer(*created);
        auto session = read_session(*created);
        if (!session) co_return session.error();
        if (session->upload_id.empty()) co_return Error::make(ErrorCode::bad_frame, "the upload answer has no uploadId");
        job->upload_id = session->upload_id;
        if (auto kept = store_.set_upload_id(job->local_id, job->index, job->upload_id); !kept) co_return kept.error();
      }
      // What the server holds.
      auto asked = co_await net::http_transfer(make("GET", "/v1/uploads/" + job->upload_id), http_);
      if (!asked) co_return asked.error();
      if (asked->status == 404) {  // expired, or lost: start again
        job->upload_id.clear();
        static_cast<void>(store_.forget_upload(job->local_id, job->index));
        continue;
      }
      if (asked->status != 200) co_return from_answer(*asked);
      auto state = read_session(*asked);
      if (!state) co_return state.error();
      // The rest, a chunk at a time.
      std::int64_t offset = state->offset;
      std::string attachment_id = state->attachment_id;
      bool resynced = false;
      while (attachment_id.empty()) {
        if (offset > job->file.size) co_return Error::make(ErrorCode::bad_frame, "the server holds more bytes than the file has");
        job->progress.sent_bytes = offset;
        report(*job);
        auto length = std::min(options_.chunk_bytes, job->file.size - offset);
        auto patch = make("PATCH", "/v1/uploads/" + job->upload_id);
        patch.headers.emplace_back("Upload-Offset", std::to_string(offset));
        patch.content_type = "application/offset+octet-stream";
        patch.body_file = area_.outgoing(job->key);
        patch.body_offset = offset;
        patch.body_length = length;
        patch.progress = [this, job, offset](std::int64_t sent) {
          job->progress.sent_bytes = std::max(job->progress.sent_bytes, offset + sent);
          report(*job);
        };
        auto patched = co_await net::http_transfer(std::move(patch), http_);
        if (!patched) co_return patched.error();
        if (patched->status == 409 || patched->status == 404) {  // the server holds other bytes: ask again
          resynced = true;
          if (patched->status == 404) {
            job->upload_id.clear();
            static_cast<void>(store_.forget_upload(job->local_id, job->index));
          }
          break;
        }
        if (patched->status != 200 && patched->status != 201) co_return from_answer(*patched);
        auto moved = read_session(*patched);
        if (!moved) co_return moved.error();
        offset = moved->offset;
        attachment_id = moved->attachment_id;
        if (attachment_id.empty() && offset >= job->file.size) {
          co_return Error::make(ErrorCode::bad_frame, "the server holds the whole file but named no attachment");
        }
      }
      if (resynced) continue;
      job->progress.sent_bytes = job->file.size;
      co_return attachment_id;
    }
    co_return Error::make(ErrorCode::transport, "the server's upload session kept moving; trying again later");
  };
  asio::co_spawn(
      io_,
      [this, job, steps = std::move(steps)]() -> awaitable<void> { upload_ended(job, co_await steps()); },
      [this, job](std::exception_ptr failure) {
        if (failure) upload_ended(job, Error::make(ErrorCode::internal, "the upload stopped unexpectedly"));
      });
}

void Transfers::upload_ended(const std::shared_ptr<Upload>& job, Result<std::string> outcome) {
  job->running = false;
  job->control.reset();
  --uploads_running_;
  if (job->cancelled || stopped_) {
    pump();
    return;
  }
  if (outcome) {
    uploads_.erase({job->local_id, job->index});
    job->progress.state = TransferState::done;
    job->progress.sent_bytes = job->file.size;
    job->progress.error.reset();
    report(*job);
    hooks_.uploaded(job->local_id, job->index, outcome.value());
  } else if (transient(outcome.error())) {
    ++job->attempts;
    job->progress.state = TransferState::queued;
    job->progress.error = outcome.error();
    report(*job);
    back_off(job, backoff_ms(job->attempts, outcome.error()));
  } else {
    // Refused for good: the message fails, and retry() starts its uploads again.
    uploads_.erase({job->local_id, job->index});
    job->progress.state = TransferState::failed;
    job->progress.error = outcome.error();
    report(*job);
    hooks_.refused(job->local_id, outcome.error());
  }
  pump();
}

void Transfers::back_off(const std::shared_ptr<Job>& job, std::int64_t delay_ms) {
  job->backing_off = true;
  job->timer = std::make_shared<asio::steady_timer>(io_);
  job->timer->expires_after(std::chrono::milliseconds(delay_ms));
  job->timer->async_wait([this, job](const boost::system::error_code&) {
    job->backing_off = false;
    pump();
  });
}

std::int64_t Transfers::backoff_ms(int attempt, const Error& error) {
  if (error.retry_after_ms > 0) return error.retry_after_ms;
  return core::full_jitter_ms(random_, options_.retry_base.count(), options_.retry_cap.count(), attempt);
}

void Transfers::report(const Upload& job) {
  {
    std::lock_guard lock(progress_mutex_);
    if (job.progress.state == TransferState::cancelled) {
      progress_.erase({job.local_id, job.index});
    } else {
      progress_[{job.local_id, job.index}] = job.progress;
    }
  }
  if (hooks_.upload_progress) hooks_.upload_progress(job.progress);
}

std::vector<UploadProgress> Transfers::uploads(std::int64_t local_id) const {
  std::lock_guard lock(progress_mutex_);
  std::vector<UploadProgress> out;
  for (auto it = progress_.lower_bound({local_id, 0}); it != progress_.end() && it->first.first == local_id; ++it) {
    out.push_back(it->second);
  }
  return out;
}

bool Transfers::uploading(std::int64_t local_id) const {
  std::lock_guard lock(progress_mutex_);
  auto it = progress_.lower_bound({local_id, 0});
  return it != progress_.end() && it->first.first == local_id;
}

// ---- downloads ----------------------------------------------------------------------

Pending<fs::path> Transfers::download(const Attachment& attachment, fs::path destination) {
  auto [key, pending] = pendings_.add();
  if (!protocol::is_identifier(attachment.attachment_id)) {
    pendings_.complete(key, invalid("the attachment has no id yet (it is still being uploaded)"));
    return std::move(pending);
  }
  asio::post(io_, [this, key = key, attachment, destination = std::move(destination)]() mutable {
    if (stopped_) return pendings_.complete(key, Error::make(ErrorCode::closed, "the client is closing"));
    if (auto cached = area_.cached(attachment.attachment_id)) {
      if (destination.empty()) return pendings_.complete(key, *cached);
      std::error_code ec;
      fs::copy_file(*cached, destination, fs::copy_options::overwrite_existing, ec);
      if (ec) return pendings_.complete(key, Error::make(ErrorCode::storage, "cannot write " + destination.string() + ": " + ec.message()));
      return pendings_.complete(key, destination);
    }
    auto& job = downloads_[attachment.attachment_id];
    if (!job) {
      if (hooks_.trying && !hooks_.trying()) {
        downloads_.erase(attachment.attachment_id);
        return pendings_.complete(key, Error::make(ErrorCode::offline, "the client is not connected nor trying to connect"));
      }
      job = std::make_shared<Download>();
      job->file = attachment;
      job->progress = DownloadProgress{attachment.attachment_id, 0, attachment.size, TransferState::queued, std::nullopt};
      {
        std::lock_guard lock(progress_mutex_);
        active_downloads_.insert(attachment.attachment_id);
      }
      report(*job);
    }
    job->waiters.emplace_back(key, std::move(destination));
    pump();
  });
  return std::move(pending);
}

Result<void> Transfers::cancel_download(const std::string& attachment_id) {
  {
    std::lock_guard lock(progress_mutex_);
    if (!active_downloads_.contains(attachment_id)) return invalid("no download of " + attachment_id + " is running");
  }
  asio::post(io_, [this, attachment_id] {
    auto found = downloads_.find(attachment_id);
    if (found == downloads_.end()) return;
    auto job = found->second;
    downloads_.erase(found);
    job->halt();
    std::error_code ignored;
    fs::remove(area_.partial(attachment_id), ignored);
    job->progress.state = TransferState::cancelled;
    report(*job);
    for (const auto& [key, destination] : job->waiters) {
      pendings_.complete(key, Error::make(ErrorCode::cancelled, "the download was cancelled"));
    }
    pump();
  });
  return {};
}

void Transfers::run_download(std::shared_ptr<Download> job) {
  auto endpoint = hooks_.endpoint();
  job->running = true;
  job->control = std::make_shared<net::TransferControl>();
  ++downloads_running_;
  job->progress.state = TransferState::running;
  report(*job);
  auto steps = [this, job, base = endpoint->first, token = endpoint->second]() -> awaitable<Result<fs::path>> {
    const auto& id = job->file.attachment_id;
    auto partial = area_.partial(id);
    std::error_code ec;
    std::int64_t have = fs::exists(partial, ec) ? static_cast<std::int64_t>(fs::file_size(partial, ec)) : 0;
    if (ec || (job->file.size > 0 && have > job->file.size)) {
      fs::remove(partial, ec);
      have = 0;
    }
    std::string sha = job->file.sha256;
    if (job->file.size == 0 || have < job->file.size) {
      auto get = request_to(base, token, "GET", "/v1/attachments/" + id, job->control);
      get.response_file = partial;
      if (have > 0) get.headers.emplace_back("Range", "bytes=" + std::to_string(have) + "-");
      get.progress = [this, job, have](std::int64_t received) {
        job->progress.received_bytes = have + received;
        report(*job);
      };
      auto answer = co_await net::http_transfer(std::move(get), http_);
      if (!answer) co_return answer.error();
      if (answer->status == 416) {  // what is here does not fit the file: start over
        fs::remove(partial, ec);
        co_return Error::make(ErrorCode::transport, "the partial download did not fit the file; starting over");
      }
      if (answer->status != 200 && answer->status != 206) co_return from_answer(*answer);
      if (sha.empty()) sha = answer->sha256;
    }
    // Checked before it is handed over: the size, then the SHA-256.
    auto size = static_cast<std::int64_t>(fs::file_size(partial, ec));
    if (ec) co_return Error::make(ErrorCode::storage, "cannot read the download: " + ec.message());
    auto digest = files::sha256_of_file(partial);
    if (!digest) co_return digest.error();
    if ((job->file.size > 0 && size != job->file.size) || (!sha.empty() && *digest != sha)) {
      fs::remove(partial, ec);
      co_return Error::make(ErrorCode::invalid_field, "the downloaded bytes do not match the attachment's size and SHA-256");
    }
    co_return area_.keep(id);
  };
  asio::co_spawn(
      io_,
      [this, job, steps = std::move(steps)]() -> awaitable<void> { download_ended(job, co_await steps()); },
      [this, job](std::exception_ptr failure) {
        if (failure) download_ended(job, Error::make(ErrorCode::internal, "the download stopped unexpectedly"));
      });
}

void Transfers::download_ended(const std::shared_ptr<Download>& job, Result<fs::path> outcome) {
  job->running = false;
  job->control.reset();
  --downloads_running_;
  if (job->cancelled || stopped_) {
    pump();
    return;
  }
  const auto& id = job->file.attachment_id;
  bool again = !outcome && transient(outcome.error()) && ++job->attempts < kMaxDownloadAttempts;
  if (again) {
    job->progress.state = TransferState::queued;
    job->progress.error = outcome.error();
    report(*job);
    // The first retry after a drop goes at once: the range picks up where it stopped.
    back_off(job, job->attempts == 1 ? 0 : backoff_ms(job->attempts - 1, outcome.error()));
    pump();
    return;
  }
  downloads_.erase(id);
  {
    std::lock_guard lock(progress_mutex_);
    active_downloads_.erase(id);
  }
  if (outcome) {
    job->progress.state = TransferState::done;
    job->progress.received_bytes = job->file.size > 0 ? job->file.size : job->progress.received_bytes;
    job->progress.error.reset();
  } else {
    job->progress.state = TransferState::failed;
    job->progress.error = outcome.error();
  }
  report(*job);
  for (const auto& [key, destination] : job->waiters) {
    if (!outcome) {
      pendings_.complete(key, outcome.error());
    } else if (destination.empty()) {
      pendings_.complete(key, outcome.value());
    } else {
      std::error_code ec;
      fs::copy_file(outcome.value(), destination, fs::copy_options::overwrite_existing, ec);
      if (ec) {
        pendings_.complete(key, Error::make(ErrorCode::storage, "cannot write " + destination.string() + ": " + ec.message()));
      } else {
        pendings_.complete(key, destination);
      }
    }
  }
  pump();
}

void Transfers::report(const Download& job) {
  if (hooks_.download_progress) hooks_.download_progress(job.progress);
}

}  // namespace confab::client
