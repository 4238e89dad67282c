// The file transfers of one client: the uploads that outgoing messages wait for, and the
// downloads the app asks for. Everything runs on the network thread (the io_context),
// over HTTP to the server's file endpoints (docs/protocol.md, "Files"); only uploads()
// and the download()/cancel calls come from other threads, and they go through the
// mutex or a post.
//
// Uploads: each attachment of a queued message whose server id is still empty. One at a
// time per attachment, at most FileOptions::parallel_uploads at once, oldest message
// first, while the client is connected. An upload opens a session on the server
// (remembered in the outbox database, so it survives a restart), asks it for the bytes it
// holds, and sends the rest in chunks; a cut chunk keeps what arrived, so the next
// attempt resumes there. A transient failure waits a full-jitter backoff; a refusal for
// good fails the message (Hooks::refused). A done upload hands its attachment id to the
// outbox (Hooks::uploaded), whose message then goes.
//
// Downloads: one transfer per attachment, shared by every download() of it, into the file
// area's cache (a partial file that resumes with a range request), checked against the
// size and SHA-256 before it is kept and handed over.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "client/pending_table.h"
#include "confab/client.h"
#include "files/file_area.h"
#include "net/http_client.h"
#include "store/outbox_store.h"

namespace confab::client {

class Transfers {
 public:
  struct Hooks {
    // What a request needs, asked on the network thread: the HTTP API's base URL and the
    // session token; nullopt while there is none (not connected, or no URL known).
    std::function<std::optional<std::pair<net::HttpUrl, std::string>>()> endpoint;
    // Whether the client is trying to connect (downloads fail `offline` when not).
    std::function<bool()> trying;
    // An upload is done: the message's attachment `index` is the server's `attachment_id`.
    std::function<void(std::int64_t local_id, std::size_t index, const std::string& attachment_id)> uploaded;
    // An upload was refused for good: the message fails with `error`.
    std::function<void(std::int64_t local_id, const Error& error)> refused;
    std::function<void(const UploadProgress&)> upload_progress;
    std::function<void(const DownloadProgress&)> download_progress;
  };

  Transfers(boost::asio::io_context& io, files::FileArea& area, store::OutboxStore& store, net::HttpOptions http,
            FileOptions options, Hooks hooks, TaskExecutor callbacks);
  ~Transfers();

  // The key of a message's attachment in the file area.
  static std::string key_of(const LocalMessage& m, std::size_t index);

  // ---- network thread ----
  // Starts the uploads a pending message waits for (those not running already). A failed
  // or sent message has none to run.
  void upload(const LocalMessage& m);
  // Stops a message's uploads and frees their copies, here and (best effort) on the server.
  void cancel_uploads(const LocalMessage& m);
  // The message was sent: its copies are no longer needed.
  void sent(const LocalMessage& m);
  // Connected: what waited for the connection starts.
  void connected();
  // Stops every transfer (the client is closing): pending downloads fail `closed`.
  void stop();

  // ---- any thread ----
  std::vector<UploadProgress> uploads(std::int64_t local_id) const;
  bool uploading(std::int64_t local_id) const;
  Pending<std::filesystem::path> download(const Attachment& attachment, std::filesystem::path destination);
  Result<void> cancel_download(const std::string& attachment_id);

 private:
  struct Job;
  struct Upload;
  struct Download;

  void pump();
  void run_upload(std::shared_ptr<Upload> job);
  void run_download(std::shared_ptr<Download> job);
  void upload_ended(const std::shared_ptr<Upload>& job, Result<std::string> outcome);
  void download_ended(const std::shared_ptr<Download>& job, Result<std::filesystem::path> outcome);
  void report(const Upload& job);
  void report(const Download& job);
  std::int64_t backoff_ms(int attempt, const Error& error);
  // The job's next attempt waits `delay_ms` (then the pump starts it).
  void back_off(const std::shared_ptr<Job>& job, std::int64_t delay_ms);

  boost::asio::io_context& io_;
  files::FileArea& area_;
  store::OutboxStore& store_;
  net::HttpOptions http_;
  FileOptions options_;
  Hooks hooks_;
  PendingTable<std::filesystem::path> pendings_;
  std::mt19937_64 random_;
  bool stopped_ = false;

  // Network thread only.
  std::map<std::pair<std::int64_t, std::size_t>, std::shared_ptr<Upload>> uploads_;  // by (local_id, index)
  std::map<std::string, std::shared_ptr<Download>> downloads_;                         // by attachment id
  std::size_t uploads_running_ = 0;
  std::size_t downloads_running_ = 0;

  // The uploads' progress for uploads(), from any thread.
  mutable std::mutex progress_mutex_;
  std::map<std::pair<std::int64_t, std::size_t>, UploadProgress> progress_;
  std::set<std::string> active_downloads_;  // for cancel_download()'s answer
};

}  // namespace confab::client
