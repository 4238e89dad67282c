// A program that uses the installed SDK the way an app would, built outside this
// repository's build (tests/consumer/CMakeLists.txt with find_package, and with pkg-config
// by scripts/package-check). It connects to a server, sends a message, and exits 0 only
// once that message comes back as an event of the conversation, within a deadline.
//
// Usage: confab-consumer URL TOKEN CONVERSATION [SECONDS]
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>

#include <confab/client.h>
#include <confab/version.h>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s URL TOKEN CONVERSATION [SECONDS]\n", argv[0]);
    return 2;
  }
  const std::string url = argv[1];
  const std::string token = argv[2];
  const std::string conversation = argv[3];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(argc > 4 ? std::atoi(argv[4]) : 20);

  // The headers and the library it runs with are the same release.
  if (confab::version() != CONFAB_VERSION_STRING) {
    std::fprintf(stderr, "consumer: headers %s, library %.*s\n", CONFAB_VERSION_STRING,
                 static_cast<int>(confab::version().size()), confab::version().data());
    return 1;
  }

  confab::ClientOptions options;
  options.device_id = "consumer";
  options.database_path = ":memory:";
  options.allow_insecure_transport = true;  // ws:// to a server on loopback
  auto opened = confab::Client::open(options);
  if (!opened) {
    std::fprintf(stderr, "consumer: open: %s\n", confab::describe(opened.error()).c_str());
    return 1;
  }
  auto client = std::move(opened).value();

  std::mutex mutex;
  std::condition_variable changed;
  std::string sent_id;  // the clientMessageId of the message sent
  bool echoed = false;
  confab::ConnectionChange last_connection;
  auto on_message = client->on_message([&](const confab::Message& message) {
    std::lock_guard lock(mutex);
    if (!sent_id.empty() && message.client_message_id == sent_id) {
      echoed = true;
      changed.notify_all();
    }
  });
  auto on_connection = client->on_connection([&](const confab::ConnectionChange& change) {
    std::lock_guard lock(mutex);
    last_connection = change;
  });

  if (auto connecting = client->connect(url, token); !connecting) {
    std::fprintf(stderr, "consumer: connect: %s\n", confab::describe(connecting.error()).c_str());
    return 1;
  }
  {
    // Under the lock, so that the event cannot be checked before sent_id is known.
    std::unique_lock lock(mutex);
    auto sent = client->send(conversation, "hello from a consumer of confab " CONFAB_VERSION_STRING);
    if (!sent) {
      std::fprintf(stderr, "consumer: send: %s\n", confab::describe(sent.error()).c_str());
      return 1;
    }
    sent_id = sent->client_message_id;
    if (!changed.wait_until(lock, deadline, [&] { return echoed; })) {
      std::fprintf(stderr, "consumer: the message did not come back in time (connection: %.*s%s%s)\n",
                   static_cast<int>(to_string(last_connection.state).size()), to_string(last_connection.state).data(),
                   last_connection.error ? ", " : "",
                   last_connection.error ? confab::describe(*last_connection.error).c_str() : "");
      return 1;
    }
  }
  std::printf("consumer: confab %.*s: sent %s to %s and received it back\n", static_cast<int>(confab::version().size()),
              confab::version().data(), sent_id.c_str(), conversation.c_str());
  return 0;
}
