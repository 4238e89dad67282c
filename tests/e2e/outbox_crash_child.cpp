// The app side of the outbox crash test: queues messages as fast as it can while the
// client flushes them, and reports each send() that returned. The test kills it with
// SIGKILL at a random point and starts it again on the same database.
//
//   outbox_crash_child URL TOKEN DATABASE RUN COUNT
//
// Prints "sent TEXT" after each send() returns (TEXT is "rRUN-K"), then "drained" once
// the outbox is empty. COUNT 0 only drains what earlier runs left.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>

#include "confab/client.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s URL TOKEN DATABASE RUN COUNT\n", argv[0]);
    return 2;
  }
  const std::string url = argv[1], token = argv[2], database = argv[3], run = argv[4];
  const int count = std::stoi(argv[5]);

  confab::ClientOptions options;
  options.device_id = "crash-device";
  options.database_path = database;
  options.allow_insecure_transport = true;
  options.outbox.ack_timeout = std::chrono::seconds(2);
  auto opened = confab::Client::open(options);
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", confab::describe(opened.error()).c_str());
    return 1;
  }
  auto client = std::move(opened).value();

  std::mutex mutex;
  std::condition_variable changed;
  auto on_outbox = client->on_outbox([&](const confab::LocalMessage& m) {
    if (m.state == confab::OutboxState::failed) {
      std::fprintf(stderr, "failed: %s %s\n", m.text.c_str(), confab::describe(*m.last_error).c_str());
    }
    { std::lock_guard hold(mutex); }  // the main thread is either before its check or waiting
    changed.notify_all();
  });
  auto on_connection = client->on_connection([&](const confab::ConnectionChange& c) {
    if (c.state == confab::ConnectionState::connected) return;
    std::fprintf(stderr, "run %s: %s%s\n", run.c_str(), std::string(confab::to_string(c.state)).c_str(),
                 c.error ? (" " + confab::describe(*c.error)).c_str() : "");
  });
  if (auto connected = client->connect(url, token); !connected) {
    std::fprintf(stderr, "connect: %s\n", confab::describe(connected.error()).c_str());
    return 1;
  }

  for (int k = 0; k < count; ++k) {
    std::string text = "r" + run + "-" + std::to_string(k);
    auto sent = client->send(k % 3 == 0 ? "c_release" : "c_general", text);
    if (!sent) {
      std::fprintf(stderr, "send: %s\n", confab::describe(sent.error()).c_str());
      return 1;
    }
    std::printf("sent %s\n", text.c_str());
    std::fflush(stdout);
  }

  // Drain: wait (with a deadline) until every queued message is acknowledged.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::unique_lock lock(mutex);
  while (!client->unsent_messages().empty()) {
    if (changed.wait_until(lock, deadline) == std::cv_status::timeout) {
      std::fprintf(stderr, "not drained: %zu messages left\n", client->unsent_messages().size());
      return 1;
    }
  }
  std::printf("drained\n");
  std::fflush(stdout);
  return 0;
}
