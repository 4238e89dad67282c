// One SDK client in a test, with everything it reports recorded.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "confab/client.h"
#include "recorder.h"
#include "timeline.h"

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
    subscriptions.push_back(client->on_conversation([this](const ConversationChange& c) { changes.add(c); }));
    subscriptions.push_back(client->on_sync([this](const SyncProgress& p) { sync.add(p); }));
    subscriptions.push_back(client->on_typing([this](const TypingChange& t) { typing.add(t); }));
    subscriptions.push_back(client->on_presence([this](const PresenceChange& p) { presence.add(p); }));
  }

  // Waits until `condition()` holds of the client's store, checking after every change
  // the store reports; false if the deadline passes first.
  template <class Condition>
  bool wait_for_store(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return changes.wait_until([&](const std::vector<ConversationChange>&) { return condition(); }, timeout);
  }

  // Every stored message of a conversation, oldest first.
  std::vector<TimelineMessage> stored(const std::string& conversation_id) {
    return stored_timeline(*client, conversation_id);
  }

  bool wait_for_state(ConnectionState state) {
    return connection.wait_until([state](const std::vector<ConnectionChange>& seen) {
      return !seen.empty() && seen.back().state == state;
    });
  }

  // Waits until `sent` messages are sent and `failed` ones failed.
  bool wait_for_outbox(std::size_t sent, std::size_t failed = 0) {
    return outbox.wait_until([&](const std::vector<LocalMessage>& seen) {
      return count(seen, OutboxState::sent) == sent && count(seen, OutboxState::failed) == failed;
    });
  }

  static std::size_t count(const std::vector<LocalMessage>& seen, OutboxState state) {
    std::size_t n = 0;
    for (const auto& m : seen) n += m.state == state;
    return n;
  }

  std::unique_ptr<Client> client;
  test::Recorder<Message> messages;
  test::Recorder<LocalMessage> outbox;
  test::Recorder<ConnectionChange> connection;
  test::Recorder<ConversationChange> changes;
  test::Recorder<SyncProgress> sync;
  test::Recorder<TypingChange> typing;
  test::Recorder<PresenceChange> presence;
  std::vector<Subscription> subscriptions;
};

}  // namespace confab::test
