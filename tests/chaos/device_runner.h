// The driver's handle on one chaos device process: starts it (again, after a kill -9, on
// the same databases), keeps every line it printed across its runs, and sends it commands.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"

namespace confab::chaos {

struct DeviceSpec {
  std::string id;     // device id, also the prefix of its texts
  std::string user;
  std::string token;
  std::vector<std::string> conversations;  // its user's
};

class DeviceRunner {
 public:
  DeviceRunner(std::filesystem::path binary, std::filesystem::path dir, DeviceSpec spec);
  ~DeviceRunner();

  DeviceRunner(const DeviceRunner&) = delete;
  DeviceRunner& operator=(const DeviceRunner&) = delete;

  const DeviceSpec& spec() const { return spec_; }
  bool running() const { return child_ != nullptr; }
  int runs() const { return run_; }

  // Starts the next run of the process, connecting through `url`, its files through
  // `http_url`; every `files_every`th message carries a file (0: none).
  void start(const std::string& url, const std::string& http_url, std::int64_t send_until_unix_ms, int interval_ms,
             int files_every, std::uint64_t seed);
  // kill -9, and reaps it; what it printed so far stays.
  void kill();
  // Asks it to exit and waits; returns its exit status (-1 when it did not exit in time).
  int quit(std::chrono::seconds timeout);

  // Sends a command line; the index of the next line it prints is returned, to wait from.
  std::size_t command(const std::string& line);
  // Waits for a line starting with `prefix` at or after `from`; returns its index.
  std::optional<std::size_t> wait_for(const std::string& prefix, std::size_t from, std::chrono::milliseconds timeout);
  // Every line printed over every run, in order.
  std::vector<std::string> lines() const;

 private:
  void read_lines(test::ChildProcess* child);

  std::filesystem::path binary_;
  std::filesystem::path dir_;
  DeviceSpec spec_;
  int run_ = 0;
  std::unique_ptr<test::ChildProcess> child_;
  std::thread reader_;

  mutable std::mutex mutex_;
  std::condition_variable printed_;
  std::vector<std::string> lines_;
  bool output_closed_ = false;  // this run's stdout closed: the process is gone
};

}  // namespace confab::chaos
