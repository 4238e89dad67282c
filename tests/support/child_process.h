// A helper program run by a test: its stdout read line by line with deadlines, lines
// written to its stdin, and killed when the test says so (SIGKILL for crash tests).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace confab::test {

class ChildProcess {
 public:
  // Starts `args[0]` with the arguments; stderr goes to `stderr_path` (appended).
  ChildProcess(std::vector<std::string> args, const std::filesystem::path& stderr_path);
  // Kills the child if it still runs, and reaps it.
  ~ChildProcess();

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The next line of stdout, without its newline; nullopt at EOF or when the deadline
  // passes first.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  // True once stdout has closed (the child exited or closed it) and every line was read.
  bool finished_output() const { return eof_ && buffered_.find('\n') == std::string::npos; }
  // The child's process id (for /proc), -1 once it has been reaped.
  pid_t pid() const { return pid_; }
  // Writes `line` and a newline to the child's stdin; false if the child is gone.
  bool write_line(const std::string& line);
  // Sends `signal` without waiting (the child may be gone already).
  void signal(int signal);
  // Sends `signal` and waits for the exit; returns the status (the exit code, or 128 +
  // the signal number).
  int kill_and_wait(int signal);
  // Waits for the child to exit by itself; -1 when the deadline passes first.
  int wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stdin_fd_ = -1;
  std::string buffered_;
  bool eof_ = false;
};

}  // namespace confab::test
