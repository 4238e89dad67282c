#include "server_process.h"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#ifndef CONFAB_SERVER_BINARY
#error "CONFAB_SERVER_BINARY must name the confab-server executable"
#endif

extern char** environ;

namespace confab::test {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

}  // namespace

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

ServerProcess::ServerProcess(std::filesystem::path dir, std::string config_json) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  auto config_path = dir_ / "server.json";
  std::ofstream(config_path) << config_json;
  std::string log_path = (dir_ / "server.log").string();

  std::vector<std::string> args = {CONFAB_SERVER_BINARY, "--config", config_path.string(), "--port", "0",
                                   "--database", database().string(), "--log-level", "debug"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  stdout_fd_ = out[0];
  if (rc != 0) throw std::runtime_error("cannot start " + args[0]);

  // Read stdout until the "listening on ADDRESS:PORT" line, within the deadline.
  std::string line;
  auto deadline = Clock::now() + std::chrono::seconds(15);
  while (line.find('\n') == std::string::npos) {
    pollfd p{stdout_fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, remaining_ms(deadline));
    char buffer[256];
    ssize_t n = ready > 0 ? ::read(stdout_fd_, buffer, sizeof buffer) : 0;
    if (n <= 0) {
      terminate(std::chrono::seconds(5));
      throw std::runtime_error("confab-server did not become ready; log:\n" + log());
    }
    line.append(buffer, static_cast<std::size_t>(n));
  }
  auto colon = line.rfind(':');
  port_ = static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1)));
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    // A crash, a hang on shutdown or a sanitizer report all show up as a bad exit.
    int status = terminate(std::chrono::seconds(10));
    if (status != 0) ADD_FAILURE() << "confab-server exited with status " << status << "; its log:\n" << log();
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

std::string ServerProcess::log() const {
  std::ifstream in(dir_ / "server.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int ServerProcess::terminate(std::chrono::seconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = wait_for_exit(timeout);
  if (status == -1) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
  return status;
}

int ServerProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  // The server's stdout closes when it exits: wait on that with the deadline, then reap.
  auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pollfd p{stdout_fd_, POLLIN, 0};
    if (remaining_ms(deadline) == 0) return -1;
    if (::poll(&p, 1, remaining_ms(deadline)) > 0) {
      char buffer[256];
      if (::read(stdout_fd_, buffer, sizeof buffer) <= 0) {
        // EOF: the process has exited (or is exiting); block for the status.
        ::waitpid(pid_, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
  }
}

}  // namespace confab::test
