// confab::Client's conversation requests and bootstrap, without a server: arguments are
// checked on the caller's thread (invalid_argument, nothing sent), a client that is not
// trying to connect answers `offline` at once, and every request completes.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "confab/client.h"
#include "printers.h"
#include "recorder.h"

namespace confab {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Client> open_client(const std::function<void(ClientOptions&)>& tune = {}) {
  ClientOptions options;
  options.device_id = "unit-device";
  options.database_path = ":memory:";
  options.allow_insecure_transport = true;
  if (tune) tune(options);
  auto client = Client::open(options);
  EXPECT_TRUE(client.ok()) << (client.ok() ? "" : describe(client.error()));
  return client.ok() ? std::move(client).value() : nullptr;
}

// The error a Pending that must already be complete holds.
ErrorCode refused_at_once(const Pending<ConversationInfo>& pending) {
  EXPECT_TRUE(pending.ready()) << "checked on the caller's thread: complete when the call returns";
  auto result = pending.wait_for(0ms);
  if (!result) return ErrorCode::unknown;
  EXPECT_FALSE(result->ok());
  return result->ok() ? ErrorCode::unknown : result->error().code;
}

TEST(ClientRequests, BadArgumentsAreRefusedAtOnceWithInvalidArgument) {
  auto client = open_client();
  ASSERT_TRUE(client);
  auto invalid = ErrorCode::invalid_argument;
  EXPECT_EQ(refused_at_once(client->create_channel("", "")), invalid) << "a channel needs a name";
  EXPECT_EQ(refused_at_once(client->create_channel("", std::string(81, 'n'))), invalid);
  EXPECT_EQ(refused_at_once(client->create_channel("", "bell\a")), invalid) << "control characters";
  EXPECT_EQ(refused_at_once(client->create_channel("", "bad \xC3\x28 utf8")), invalid);
  EXPECT_EQ(refused_at_once(client->create_channel("w acme", "launch")), invalid) << "a malformed workspace id";
  EXPECT_EQ(refused_at_once(client->create_channel("", "launch", std::string(251, 't'))), invalid) << "topic";
  EXPECT_EQ(refused_at_once(client->open_dm("")), invalid);
  EXPECT_EQ(refused_at_once(client->open_dm("bob smith")), invalid);
  EXPECT_EQ(refused_at_once(client->create_group_dm({"bob"})), invalid) << "3 people at least";
  EXPECT_EQ(refused_at_once(client->create_group_dm({"bob", "bob"})), invalid) << "repeats count once";
  std::vector<std::string> crowd;
  for (int i = 0; i < 16; ++i) crowd.push_back("u" + std::to_string(i));
  EXPECT_EQ(refused_at_once(client->create_group_dm(crowd)), invalid) << "16 people at most";
  EXPECT_EQ(refused_at_once(client->join("")), invalid);
  EXPECT_EQ(refused_at_once(client->leave("c/general")), invalid);
  EXPECT_EQ(refused_at_once(client->invite("c_general", {})), invalid) << "nobody to invite";
  EXPECT_EQ(refused_at_once(client->invite("c_general", {"x y"})), invalid);
  EXPECT_EQ(refused_at_once(client->rename("c_general", "")), invalid);
  EXPECT_EQ(refused_at_once(client->set_topic("c_general", std::string(251, 't'))), invalid);
}

TEST(ClientRequests, AClientThatIsNotTryingToConnectAnswersOfflineAtOnce) {
  auto client = open_client();
  ASSERT_TRUE(client);
  // Valid requests: they go to the session, which is not trying to connect.
  std::vector<Pending<ConversationInfo>> requests;
  requests.push_back(client->open_dm("bob"));
  requests.push_back(client->create_group_dm({"bob", "carol"}));
  requests.push_back(client->set_topic("c_general", ""));
  for (const auto& pending : requests) {
    auto result = pending.wait_for(5s);
    ASSERT_TRUE(result.has_value()) << "offline is answered at once, not at a deadline";
    ASSERT_FALSE(result->ok());
    EXPECT_EQ(result->error().code, ErrorCode::offline) << describe(result->error());
    EXPECT_TRUE(result->error().retryable) << "it can succeed once connected";
  }

  // then() runs on the callback thread, once.
  test::Recorder<ErrorCode> seen;
  std::atomic<bool> on_caller{false};
  const auto caller = std::this_thread::get_id();
  auto pending = client->join("c_general");
  pending.then([&](const Result<ConversationInfo>& r) {
    on_caller = std::this_thread::get_id() == caller;
    seen.add(r.ok() ? ErrorCode::unknown : r.error().code);
  });
  ASSERT_TRUE(seen.wait_for_count(1));
  EXPECT_EQ(seen.items().front(), ErrorCode::offline);
  EXPECT_FALSE(on_caller);
}

TEST(ClientRequests, AfterDisconnectRequestsAreOfflineAgain) {
  auto client = open_client();
  ASSERT_TRUE(client);
  // Nothing listens there: the client keeps trying, so the request waits (for its deadline).
  ASSERT_TRUE(client->connect("ws://127.0.0.1:1/", "token").ok());
  auto waiting = client->join("c_general");
  EXPECT_FALSE(waiting.wait_for(200ms).has_value()) << "still trying to connect: not offline";
  client->disconnect();
  auto result = waiting.wait_for(5s);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->error().code, ErrorCode::offline) << "disconnect() answers what waited";
  auto later = client->join("c_general").wait_for(5s);
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->error().code, ErrorCode::offline);
}

TEST(ClientRequests, ARequestWaitingForAConnectionTimesOutAtTheRequestTimeout) {
  auto client = open_client([](ClientOptions& o) { o.request_timeout = 300ms; });
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->connect("ws://127.0.0.1:1/", "token").ok());
  auto started = std::chrono::steady_clock::now();
  auto result = client->join("c_general").wait_for(10s);
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(result.has_value()) << "every request completes";
  EXPECT_EQ(result->error().code, ErrorCode::timeout) << describe(result->error());
  // The client's deadlines count whole milliseconds of the monotonic clock, read at the
  // call: the timeout may come up to a millisecond before 300 ms measured in nanoseconds.
  EXPECT_GE(took, 299ms);
  EXPECT_LT(took, 5s);
}

TEST(ClientRequests, DestroyingTheClientCompletesWhatWaitsWithClosed) {
  auto client = open_client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->connect("ws://127.0.0.1:1/", "token").ok());
  auto waiting = client->join("c_general");
  EXPECT_FALSE(waiting.wait_for(100ms).has_value());
  client.reset();
  auto result = waiting.wait_for(5s);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->error().code, ErrorCode::closed);
  waiting.then([](const Result<ConversationInfo>&) { FAIL() << "no callback runs once the client is gone"; });
}

TEST(ClientRequests, IdentityIsEmptyBeforeTheFirstConnection) {
  auto client = open_client();
  ASSERT_TRUE(client);
  EXPECT_EQ(client->user_id(), "");
  EXPECT_TRUE(client->workspaces().value().empty());
  EXPECT_TRUE(client->users().value().empty());
  EXPECT_FALSE(client->user("alice").has_value());
  EXPECT_TRUE(client->members("c_general").value().empty());
}

TEST(ClientRequests, BootstrapRefusesClearTextUnlessAllowedAndBadUrls) {
  auto strict = open_client([](ClientOptions& o) { o.allow_insecure_transport = false; });
  ASSERT_TRUE(strict);
  auto credential = [] { return Result<std::string>(std::string("token-alice")); };
  EXPECT_EQ(strict->connect_with_credential("http://127.0.0.1:8701", credential).error().code,
            ErrorCode::invalid_argument);
  EXPECT_EQ(strict->connect_with_credential("wss://chat.example.org", credential).error().code,
            ErrorCode::invalid_argument)
      << "the bootstrap URL is http(s)";
  EXPECT_EQ(strict->connect_with_credential("https://chat.example.org/api?x=1", credential).error().code,
            ErrorCode::invalid_argument);
  EXPECT_EQ(strict->connect_with_credential("https://chat.example.org", nullptr).error().code,
            ErrorCode::invalid_argument);
  EXPECT_EQ(strict->connection_state(), ConnectionState::initialized) << "nothing was started";
}

TEST(ClientRequests, OpenRefusesABadPlatformOrRequestTimeout) {
  for (auto tune : std::vector<std::function<void(ClientOptions&)>>{
           [](ClientOptions& o) { o.platform = "my phone"; },
           [](ClientOptions& o) { o.platform = std::string(33, 'p'); },
           [](ClientOptions& o) { o.request_timeout = 0ms; },
       }) {
    ClientOptions options;
    options.device_id = "d";
    options.database_path = ":memory:";
    tune(options);
    auto opened = Client::open(options);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, ErrorCode::invalid_argument);
  }
}

}  // namespace
}  // namespace confab
