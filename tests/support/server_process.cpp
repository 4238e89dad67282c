#include "server_process.h"

#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

#ifndef CONFAB_SERVER_BINARY
#error "CONFAB_SERVER_BINARY must name the confab-server executable"
#endif

namespace confab::test {

std::string default_server_config() {
  return R"({
    "users": [
      {"id": "alice", "name": "Alice", "tokens": ["token-alice"]},
      {"id": "bob", "name": "Bob", "tokens": ["token-bob"]},
      {"id": "carol", "name": "Carol", "tokens": ["token-carol"]}
    ],
    "conversations": [
      {"id": "c_general", "kind": "channel", "members": ["alice", "bob", "carol"]},
      {"id": "c_release", "kind": "private_channel", "members": ["alice", "bob"]}
    ]
  })";
}

std::string server_config_with(const std::string& extra_fields) {
  std::string config = default_server_config();
  return config.substr(0, config.rfind('}')) + ", " + extra_fields + "}";
}

ServerProcess::ServerProcess(std::filesystem::path dir, std::string config_json) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  auto config_path = dir_ / "server.json";
  std::ofstream(config_path) << config_json;
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{CONFAB_SERVER_BINARY, "--config", config_path.string(), "--port", "0", "--http-port", "0",
                               "--database", database().string(), "--log-level", "debug", "--enable-fault-injection"},
      dir_ / "server.log");
  // The server prints "confab-server listening on ADDRESS:PORT" once it accepts connections.
  auto line = process_->read_line(std::chrono::seconds(15));
  if (!line) {
    terminate(std::chrono::seconds(5));
    throw std::runtime_error("confab-server did not become ready; log:\n" + log());
  }
  port_ = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
  auto http = process_->read_line(std::chrono::seconds(15));  // "confab-server http on ADDRESS:PORT"
  if (!http) {
    terminate(std::chrono::seconds(5));
    throw std::runtime_error("confab-server did not report its HTTP port; log:\n" + log());
  }
  http_port_ = static_cast<std::uint16_t>(std::stoi(http->substr(http->rfind(':') + 1)));
}

ServerProcess::~ServerProcess() {
  if (process_) {
    // A crash, a hang on shutdown or a sanitizer report all show up as a bad exit.
    int status = terminate(std::chrono::seconds(10));
    if (status != 0) ADD_FAILURE() << "confab-server exited with status " << status << "; its log:\n" << log();
  }
}

std::string ServerProcess::log() const {
  std::ifstream in(dir_ / "server.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void ServerProcess::kill() {
  if (!process_) return;
  process_->kill_and_wait(SIGKILL);
  process_.reset();
}

int ServerProcess::terminate(std::chrono::seconds timeout) {
  if (!process_) return -1;
  process_->signal(SIGTERM);
  int status = process_->wait(timeout);
  if (status == -1) process_->kill_and_wait(SIGKILL);
  process_.reset();
  return status;
}

}  // namespace confab::test
