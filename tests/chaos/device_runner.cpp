#include "device_runner.h"

#include <csignal>

namespace confab::chaos {

DeviceRunner::DeviceRunner(std::filesystem::path binary, std::filesystem::path dir, DeviceSpec spec)
    : binary_(std::move(binary)), dir_(std::move(dir)), spec_(std::move(spec)) {
  std::filesystem::create_directories(dir_);
}

DeviceRunner::~DeviceRunner() { kill(); }

void DeviceRunner::start(const std::string& url, const std::string& http_url, std::int64_t send_until_unix_ms,
                         int interval_ms, int files_every, std::uint64_t seed) {
  kill();
  ++run_;
  {
    std::lock_guard hold(mutex_);
    output_closed_ = false;
  }
  std::string conversations;
  for (const auto& c : spec_.conversations) conversations += (conversations.empty() ? "" : ",") + c;
  child_ = std::make_unique<test::ChildProcess>(
      std::vector<std::string>{binary_.string(), "--url", url, "--http-url", http_url, "--files-every",
                               std::to_string(files_every), "--token", spec_.token, "--device", spec_.id,
                               "--database", (dir_ / "outbox.db").string(), "--run", std::to_string(run_),
                               "--conversations", conversations, "--send-until", std::to_string(send_until_unix_ms),
                               "--interval-ms", std::to_string(interval_ms), "--seed",
                               std::to_string(seed + static_cast<std::uint64_t>(run_) * 1'000'003)},
      dir_ / "device.log");
  reader_ = std::thread([this, child = child_.get()] { read_lines(child); });
}

void DeviceRunner::read_lines(test::ChildProcess* child) {
  while (!child->finished_output()) {
    auto line = child->read_line(std::chrono::seconds(1));
    if (!line) continue;
    {
      std::lock_guard hold(mutex_);
      lines_.push_back(std::move(*line));
    }
    printed_.notify_all();
  }
  {
    std::lock_guard hold(mutex_);
    output_closed_ = true;
  }
  printed_.notify_all();
}

void DeviceRunner::kill() {
  if (!child_) return;
  child_->signal(SIGKILL);
  reader_.join();  // its stdout closes with the process
  child_->kill_and_wait(SIGKILL);
  child_.reset();
}

int DeviceRunner::quit(std::chrono::seconds timeout) {
  if (!child_) return -1;
  child_->write_line("quit");
  bool exited;
  {
    std::unique_lock lock(mutex_);
    exited = printed_.wait_for(lock, timeout, [&] { return output_closed_; });
  }
  if (!exited) child_->signal(SIGKILL);
  reader_.join();
  int status = child_->kill_and_wait(0);  // signal 0 sends nothing: this only reaps
  child_.reset();
  return exited ? status : -1;
}

std::size_t DeviceRunner::command(const std::string& line) {
  std::size_t from;
  {
    std::lock_guard hold(mutex_);
    from = lines_.size();
  }
  if (child_) child_->write_line(line);
  return from;
}

std::optional<std::size_t> DeviceRunner::wait_for(const std::string& prefix, std::size_t from,
                                                  std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::optional<std::size_t> found;
  printed_.wait_for(lock, timeout, [&] {
    for (std::size_t i = from; i < lines_.size(); ++i) {
      if (lines_[i].rfind(prefix, 0) == 0) {
        found = i;
        return true;
      }
    }
    return false;
  });
  return found;
}

std::vector<std::string> DeviceRunner::lines() const {
  std::lock_guard hold(mutex_);
  return lines_;
}

}  // namespace confab::chaos
