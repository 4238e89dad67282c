#include <csignal>
#include <fstream>

#include "child_process.h"
#include "load.h"

namespace confab::load {

LocalServer::LocalServer(const Workspace& ws, const std::filesystem::path& dir, const std::string& config_json,
                         const std::string& durability) {
  std::ofstream(dir / "server.json") << config_json;
  process_ = std::make_unique<test::ChildProcess>(
      ending_with_us({ws.confab_server, "--config", (dir / "server.json").string(), "--port", "0", "--http-port", "0",
                      "--database", (dir / "server.db").string(), "--durability", durability, "--log-level", "warn"}),
      dir / "server.log");
  // "confab-server listening on ADDRESS:PORT" once it accepts connections.
  if (auto ready = process_->read_line(std::chrono::seconds(15))) {
    port_ = static_cast<std::uint16_t>(std::stoi(ready->substr(ready->rfind(':') + 1)));
  }
}

LocalServer::~LocalServer() { process_->kill_and_wait(SIGTERM); }

int LocalServer::pid() const { return process_->pid(); }

}  // namespace confab::load
