// Runs the real confab-server binary on an ephemeral loopback port for a test.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "child_process.h"

namespace confab::test {

// The directory every end-to-end test uses unless it says otherwise: alice, bob and carol;
// c_general (all three), c_release (alice and bob only).
std::string default_server_config();
// The default configuration with more top-level fields, e.g. R"("maxDifference": 3)".
std::string server_config_with(const std::string& extra_fields);

class ServerProcess {
 public:
  // Starts the server with its config, database and log in `dir`, and waits until it says
  // where it listens. Throws on failure, with the server's log in the message.
  explicit ServerProcess(std::filesystem::path dir, std::string config_json = default_server_config());
  // Stops the server (SIGTERM, then SIGKILL if it does not exit in time). Fails the
  // current test if the server does not exit with status 0.
  ~ServerProcess();

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  // The HTTP side: bootstrap, history, attachments, and fault injection (enabled in tests).
  std::uint16_t http_port() const { return http_port_; }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/"; }
  std::filesystem::path database() const { return dir_ / "server.db"; }
  std::string log() const;

  // Sends SIGTERM and waits for the exit; returns the exit status (-1 on timeout, after
  // which the process is killed).
  int terminate(std::chrono::seconds timeout = std::chrono::seconds(15));
  // SIGKILL: the server gets no chance to finish anything.
  void kill();

 private:
  std::filesystem::path dir_;
  std::unique_ptr<ChildProcess> process_;  // null once terminated
  std::uint16_t port_ = 0;
  std::uint16_t http_port_ = 0;
};

}  // namespace confab::test
