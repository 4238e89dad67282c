// One SDK client in a test, with everything it reports recorded.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "confab/client.h"
#include "recorder.h"

namespace confab::test {

struct Device {
  explicit Device(const std::string& device_id, std::filesystem::path database = ":memory:",
                  const std::function<void(ClientOptions&)>& tune = {}) {
    ClientOptions options;
    options.device_id = device_id;
    options.database_path = std::move(database);
    options.allow_insecure_transport = true;
    options.connect_step_timeout = std::chrono::seconds(5);
    if (tune) tune(options);
    auto opened = Client::open(options);
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : describe(opened.error()));
    client = std::move(opened).value();
    subscriptions.push_back(client->on_message([this](const Message& m) { messages.add(m); }));
    subscriptions.push_back(client->on_outbox([this](const LocalMessage& m) { outbox.add(m); }));
    subscriptions.push_back(client->on_connection([this](const ConnectionChange& c) { connection.add(c); }));
  }

  bool wait_for_state(ConnectionState state) {
    return connection.wait_until([state](const std::vector<ConnectionChange>& changes) {
      return !changes.empty() && changes.back().state == state;
    });
  }

  // Waits until `sent` messages are sent and `failed` ones failed.
  bool wait_for_outbox(std::size_t sent, std::size_t failed = 0) {
    return outbox.wait_until([&](const std::vector<LocalMessage>& changes) {
      return count(changes, OutboxState::sent) == sent && count(changes, OutboxState::failed) == failed;
    });
  }

  static std::size_t count(const std::vector<LocalMessage>& changes, OutboxState state) {
    std::size_t n = 0;
    for (const auto& m : changes) n += m.state == state;
    return n;
  }

  std::unique_ptr<Client> client;
  test::Recorder<Message> messages;
  test::Recorder<LocalMessage> outbox;
  test::Recorder<ConnectionChange> connection;
  std::vector<Subscription> subscriptions;
};

}  // namespace confab::test
