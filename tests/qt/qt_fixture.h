// What the Qt tests share: a real server, ChatClients on it with short timers, and a wait
// that runs the event loop until a condition holds.
#pragma once

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QThread>

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "confab/qt/chat_client.h"
#include "http_client.h"
#include "server_process.h"
#include "temp_dir.h"

namespace confab::test {

using namespace std::chrono_literals;
using qt::ChatClient;

constexpr const char* kGeneral = "c_general";

// Runs this thread's event loop until `condition` holds; false if the deadline passes first.
inline bool processUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 20s) {
  QDeadlineTimer deadline(timeout);
  while (!condition()) {
    if (deadline.hasExpired()) return false;
    QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    QThread::yieldCurrentThread();
  }
  return true;
}

inline std::unique_ptr<Client> openClient(const std::filesystem::path& database, const std::string& device,
                                   const std::function<void(ClientOptions&)>& tune = {}) {
  ClientOptions options;
  options.device_id = device;
  options.database_path = database;
  options.allow_insecure_transport = true;
  options.outbox.ack_timeout = 500ms;
  options.outbox.retry_base = 20ms;
  options.outbox.retry_cap = 200ms;
  options.connection.retry_base = 50ms;
  options.connection.retry_cap = 300ms;
  if (tune) tune(options);
  auto opened = Client::open(options);
  EXPECT_TRUE(opened.ok());
  return opened.ok() ? std::move(opened).value() : nullptr;
}

class QtFixture : public testing::Test {
 protected:
  ServerProcess& server() {
    if (!server_) server_ = std::make_unique<ServerProcess>(dir_.path() / "server", config_);
    return *server_;
  }
  std::unique_ptr<ChatClient> chat(const std::string& device, const std::function<void(ClientOptions&)>& tune = {}) {
    auto client = openClient(dir_.path() / (device + ".db"), device, tune);
    if (!client) return nullptr;
    return std::make_unique<ChatClient>(std::move(client));
  }
  bool connect(ChatClient& c, const char* token) {
    return c.connectToServer(QString::fromStdString(server().url()), token) &&
           processUntil([&] { return c.connected(); });
  }
  // POST /v1/admin/faults (docs/protocol.md, "Testing"); false if it was not taken.
  bool faults(const std::string& json) {
    auto reply = HttpClient(server().http_port()).post("/v1/admin/faults", json, "application/json");
    return reply && reply->status == 200;
  }
  static bool stored(ChatClient& c, Seq seq) {
    return processUntil([&] {
      auto info = c.client().conversation(kGeneral);
      return info.ok() && info->synced_seq >= seq;
    });
  }

  TempDir dir_;
  std::string config_ = default_server_config();
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace confab::test
