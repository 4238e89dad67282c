// confab::Client's argument checks: bad input is refused at the call, and nothing is queued.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "confab/client.h"
#include "printers.h"
#include "recorder.h"

namespace confab {
namespace {

std::unique_ptr<Client> open_client(bool allow_insecure = true) {
  ClientOptions options;
  options.device_id = "unit-device";
  options.database_path = ":memory:";
  options.allow_insecure_transport = allow_insecure;
  auto client = Client::open(options);
  EXPECT_TRUE(client.ok());
  return std::move(client).value();
}

// Destroys `client` on another thread; false when that has not returned within `timeout`
// (the thread is then left behind, stuck, and the test fails instead of hanging).
bool destroyed_within(std::unique_ptr<Client> client, std::chrono::seconds timeout) {
  std::promise<void> done;
  auto destroyed = done.get_future();
  std::thread destroyer([client = std::move(client), done = std::move(done)]() mutable {
    client.reset();
    done.set_value();
  });
  if (destroyed.wait_for(timeout) != std::future_status::ready) {
    destroyer.detach();
    return false;
  }
  destroyer.join();
  return true;
}

TEST(ClientApi, OpenRefusesBadOptions) {
  ClientOptions no_device;
  EXPECT_EQ(Client::open(no_device).error().code, ErrorCode::invalid_argument);
  ClientOptions bad_device;
  bad_device.device_id = "my phone";
  bad_device.database_path = ":memory:";
  EXPECT_EQ(Client::open(bad_device).error().code, ErrorCode::invalid_argument);
  ClientOptions no_timeout;
  no_timeout.device_id = "d";
  no_timeout.database_path = ":memory:";
  no_timeout.connect_step_timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(Client::open(no_timeout).error().code, ErrorCode::invalid_argument);
}

TEST(ClientApi, SendRefusesBadInputAndQueuesNothing) {
  auto client = open_client();
  EXPECT_EQ(client->send("c_general", "").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->send("c_general", std::string(16 * 1024 + 1, 'a')).error().code, ErrorCode::invalid_argument);
  // The limit counts the text as written in JSON, as the server does: \u0001 takes 6 bytes,
  // a quote 2. (10896 of them once made an event frame over 64 KiB.)
  EXPECT_EQ(client->send("c_general", std::string(10896, '\x01')).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->send("c_general", std::string(2731, '\x01')).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->send("c_general", std::string(8193, '"')).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->send("c_general", "bad \xC3\x28 utf8").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->send("", "hi").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->send("c general", "hi").error().code, ErrorCode::invalid_argument);

  // The next valid send is the only message in the outbox.
  auto ok = client->send("c_general", std::string(16 * 1024, 'a'));
  ASSERT_TRUE(ok.ok());
  auto unsent = client->unsent_messages();
  ASSERT_EQ(unsent.size(), 1u);
  EXPECT_EQ(unsent.front().client_message_id, ok->client_message_id);
  EXPECT_EQ(unsent.front().local_id, ok->local_id);
  EXPECT_TRUE(client->send("c_general", std::string(2730, '\x01')).ok()) << "16380 bytes written";
  EXPECT_TRUE(client->send("c_general", std::string(8192, '\\')).ok()) << "16384 bytes written";
}

TEST(ClientApi, SendReturnsTheLocalEchoAtOnce) {
  auto client = open_client();
  auto first = client->send("c_general", "one");
  auto second = client->send("c_general", "two");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->state, OutboxState::pending);
  EXPECT_EQ(first->conversation_id, "c_general");
  EXPECT_EQ(first->text, "one");
  EXPECT_GT(first->created_at_ms, 0);
  EXPECT_LT(first->client_message_id, second->client_message_id) << "ids sort in send order";
}

TEST(ClientApi, ConnectRefusesUrlsItCannotUseSafely) {
  auto careful = open_client(/*allow_insecure=*/false);
  EXPECT_EQ(careful->connect("ws://127.0.0.1:1/", "t").error().code, ErrorCode::invalid_argument)
      << "plaintext needs an explicit opt-in";
  auto client = open_client();
  EXPECT_EQ(client->connect("http://example.com/", "t").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->connect("wss://example.com/", "").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->connect("ws://127.0.0.1:1/", "").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(client->connection_state(), ConnectionState::initialized) << "a refused call changes nothing";
}

TEST(ClientApi, OpenRefusesACaThatIsNotPem) {
  ClientOptions options;
  options.device_id = "d";
  options.database_path = ":memory:";
  options.tls_ca_pem = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";
  auto refused = Client::open(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(refused.error().message.find("tls_ca_pem"), std::string::npos);
}

TEST(ClientApi, DestroyingAClientMidConnectWithQueuedSendsReturnsPromptly) {
  // Fails by timing out here, or by crashing; the sanitizer builds make the most of it.
  Subscription outlives_client;
  auto client = open_client();
  outlives_client = client->on_connection([](const ConnectionChange&) {});
  ASSERT_TRUE(client->connect("ws://127.0.0.1:1/", "token").ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(client->send("c_general", "bye").ok());
  ASSERT_TRUE(destroyed_within(std::move(client), std::chrono::seconds(20)));
  outlives_client.reset();
  EXPECT_FALSE(outlives_client.active());
}

TEST(ClientApi, DestroyingTheClientWhileACallbackWaitsInsideItReturnsAndTheCallbackGetsClosed) {
  // A callback calls, again and again, the methods that wait for the network thread, while
  // another thread destroys the client. Once the network thread has stopped, such a call
  // must return (`closed`) instead of waiting for it forever, and the destructor, which
  // waits for the callback, must return too.
  auto client = open_client();
  Client* raw = client.get();
  auto doomed = client->send("c_general", "discarded");
  ASSERT_TRUE(doomed.ok());
  std::promise<void> entered;
  std::atomic<bool> closed_seen{false};
  std::atomic<int> calls{0};
  auto subscription = client->on_outbox([&](const LocalMessage& m) {
    if (m.state != OutboxState::discarded) return;
    entered.set_value();
    for (;;) {
      ++calls;
      auto edited = raw->edit(MessageRef::local(m.local_id), "again");
      auto reacted = raw->react(MessageRef::local(m.local_id), "👍");
      auto unreacted = raw->unreact(MessageRef::local(m.local_id), "👍");
      auto removed = raw->remove(MessageRef::local(m.local_id));
      auto discarded = raw->discard(m.local_id);
      auto retried = raw->retry(m.local_id);
      static_cast<void>(raw->unsent_messages());
      for (const auto* error : {edited.ok() ? nullptr : &edited.error(), reacted.ok() ? nullptr : &reacted.error(),
                                unreacted.ok() ? nullptr : &unreacted.error(),
                                removed.ok() ? nullptr : &removed.error(), discarded.ok() ? nullptr : &discarded.error(),
                                retried.ok() ? nullptr : &retried.error()}) {
        if (error != nullptr && error->code == ErrorCode::closed) closed_seen = true;
      }
      if (closed_seen) return;
    }
  });
  ASSERT_TRUE(client->discard(doomed->local_id).ok());
  ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_TRUE(destroyed_within(std::move(client), std::chrono::seconds(20)))
      << "~Client hung while a callback waited inside it (" << calls.load() << " rounds of calls)";
  EXPECT_TRUE(closed_seen.load()) << "the callback's calls ended with `closed`";
}

TEST(ClientApi, ATokenProviderThatBlocksDoesNotHoldUpNotifications) {
  auto client = open_client();
  auto queued = client->send("c_general", "to discard");
  ASSERT_TRUE(queued.ok());
  test::Recorder<LocalMessage> outbox;
  auto subscription = client->on_outbox([&](const LocalMessage& m) { outbox.add(m); });
  std::promise<void> asked;
  std::promise<void> release;
  auto released = release.get_future().share();
  ASSERT_TRUE(client
                  ->connect("ws://127.0.0.1:1/",
                            [&]() -> Result<std::string> {
                              asked.set_value();
                              // The app's backend is slow to answer.
                              EXPECT_EQ(released.wait_for(std::chrono::seconds(20)), std::future_status::ready);
                              return std::string("token");
                            })
                  .ok());
  ASSERT_EQ(asked.get_future().wait_for(std::chrono::seconds(20)), std::future_status::ready);
  ASSERT_TRUE(client->discard(queued->local_id).ok());
  EXPECT_TRUE(outbox.wait_until(
      [](const std::vector<LocalMessage>& seen) {
        return !seen.empty() && seen.back().state == OutboxState::discarded;
      },
      std::chrono::seconds(5)))
      << "the notification waited for the token provider";
  release.set_value();
  EXPECT_TRUE(destroyed_within(std::move(client), std::chrono::seconds(20)));
}

}  // namespace
}  // namespace confab
