// The app side of the kill-mid-upload test: sends "the film" with FILE to c_general and
// prints its upload's progress, then "sent ID" once the message is acknowledged. Started
// again with FILE "-", it only finishes what the earlier run left.
//
//   upload_child URL TOKEN HTTP_URL DATABASE FILE
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>

#include "confab/client.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s URL TOKEN HTTP_URL DATABASE FILE\n", argv[0]);
    return 2;
  }
  const std::string url = argv[1], token = argv[2], http_url = argv[3], database = argv[4], file = argv[5];
  confab::ClientOptions options;
  options.device_id = "upload-device";
  options.database_path = database;
  options.allow_insecure_transport = true;
  options.files.http_url = http_url;
  options.files.chunk_bytes = 2 * 1024 * 1024;
  options.files.retry_base = std::chrono::milliseconds(100);
  options.files.retry_cap = std::chrono::milliseconds(500);
  auto opened = confab::Client::open(options);
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", confab::describe(opened.error()).c_str());
    return 1;
  }
  auto client = std::move(opened).value();
  std::mutex mutex;
  std::condition_variable changed;
  bool sent = false;
  auto on_upload = client->on_upload([](const confab::UploadProgress& p) {
    std::printf("progress %lld\n", static_cast<long long>(p.sent_bytes));
    std::fflush(stdout);
  });
  auto on_outbox = client->on_outbox([&](const confab::LocalMessage& m) {
    if (m.state == confab::OutboxState::failed) std::fprintf(stderr, "failed: %s\n", confab::describe(*m.last_error).c_str());
    if (m.state != confab::OutboxState::sent) return;
    std::printf("sent %s\n", m.message_id.c_str());
    std::fflush(stdout);
    std::lock_guard hold(mutex);
    sent = true;
    changed.notify_all();
  });
  if (file != "-") {
    confab::SendOptions send;
    send.attachments.push_back(confab::FileToSend{file, {}, {}, {}});
    auto queued = client->send("c_general", "the film", send);
    if (!queued) {
      std::fprintf(stderr, "send: %s\n", confab::describe(queued.error()).c_str());
      return 1;
    }
    std::printf("queued %lld\n", static_cast<long long>(queued->local_id));
    std::fflush(stdout);
  }
  if (auto connected = client->connect(url, token); !connected) {
    std::fprintf(stderr, "connect: %s\n", confab::describe(connected.error()).c_str());
    return 1;
  }
  std::unique_lock lock(mutex);
  changed.wait(lock, [&] { return sent; });
  return 0;
}
