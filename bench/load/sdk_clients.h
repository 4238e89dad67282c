// SDK clients for confab-load's runs: opened with a chosen storage, connected, and
// waited on with deadlines.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "../waiter.h"
#include "confab/client.h"

namespace confab::load {

// A device's client. On disk: its outbox and store in `dir`; otherwise in memory.
std::unique_ptr<Client> open_client(const std::filesystem::path& dir, const std::string& device, bool on_disk,
                                    Durability durability = Durability::normal);

// Waits for the client to be connected (its conversations listed).
bool wait_connected(Client& client, std::chrono::seconds timeout);

using bench::Waiter;

}  // namespace confab::load
