// confab-server: the Confab reference server.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "config.h"
#include "server.h"

int main(int argc, char** argv) {
  using namespace confab::server;

  CLI::App app{"confab-server: the Confab reference server (WebSocket, SQLite)", "confab-server"};
  std::string config_path;
  std::optional<std::string> listen;
  std::optional<std::uint16_t> port;
  std::optional<std::string> database;
  std::optional<std::string> durability;
  std::optional<int> threads;
  std::optional<std::uint16_t> http_port;
  std::optional<std::string> attachments;
  std::optional<std::int64_t> upload_ttl_ms;
  bool fault_injection = false;
  std::optional<std::string> push_file;
  std::string log_level = "info";
  app.add_option("-c,--config", config_path,
                 "JSON configuration: users with their development tokens, workspaces, seeded conversations, limits "
                 "(see docs/protocol.md)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--listen", listen, "Address to listen on (default 127.0.0.1)");
  app.add_option("-p,--port", port, "Port to listen on; 0 picks a free one (default 8700)");
  app.add_option("--database", database, "SQLite database file (default confab.db)");
  app.add_option("--durability", durability,
                 "SQLite synchronous mode for commits: full survives power loss, normal only process "
                 "crashes (default full)")
      ->check(CLI::IsMember({"full", "normal"}));
  app.add_option("--http-port", http_port,
                 "Port of the HTTP side (bootstrap, history, attachments); 0 picks a free one (default 8701)");
  app.add_option("--attachments-dir", attachments, "Directory for uploaded files (default: next to the database, NAME-attachments)");
  app.add_option("--upload-ttl-ms", upload_ttl_ms,
                 "An upload session expires this long after its last append, and an attachment no message "
                 "references is deleted this long after its upload (default 86400000, a day)")
      ->check(CLI::Range(std::int64_t{100}, std::int64_t{31'622'400'000}));
  app.add_flag("--enable-fault-injection", fault_injection,
               "Serve POST /v1/admin/faults, which drops connections and acks, delays and duplicates frames and "
               "refuses connections on request. For tests only; never in production");
  app.add_option("--push-file", push_file,
                 "Push provider that appends each wake-up to this file as a JSON line (default: the log)");
  app.add_option("--threads", threads, "Network threads (default 1)")->check(CLI::Range(1, 256));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  CLI11_PARSE(app, argc, argv);

  // Logs go to stderr; stdout carries only the line that says where the server listens.
  auto logger = spdlog::stderr_color_mt("confab-server");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");

  auto config = load_config(config_path);
  if (!config) {
    spdlog::error("{}", config.error().message);
    return 2;
  }
  if (listen) config->listen_address = *listen;
  if (port) config->port = *port;
  if (database) config->database = *database;
  if (durability) config->durability = *durability == "normal" ? Durability::normal : Durability::full;
  if (threads) config->threads = *threads;
  if (http_port) config->http_port = *http_port;
  if (attachments) config->attachments_dir = *attachments;
  if (upload_ttl_ms) config->upload_ttl = std::chrono::milliseconds(*upload_ttl_ms);
  if (fault_injection) config->fault_injection = true;
  if (push_file) config->push_file = *push_file;

  const std::string address = config->listen_address;
  auto server = Server::create(std::move(config).value());
  if (!server) {
    spdlog::error("{}", server.error().message);
    return 1;
  }
  // Scripts read the first line for the WebSocket port, the second for the HTTP port.
  std::printf("confab-server listening on %s:%u\n", address.c_str(), static_cast<unsigned>((*server)->port()));
  std::printf("confab-server http on %s:%u\n", address.c_str(), static_cast<unsigned>((*server)->http_port()));
  std::fflush(stdout);
  (*server)->run();
  return 0;
}
