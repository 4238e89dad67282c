// The C API against the real reference server: messages go out and come back through both
// event modes, a bootstrap asks the app's credential provider, and requests are answered
// by events carrying the caller's request id.
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "c_client.h"
#include "confab/confab.h"
#include "server_process.h"
#include "temp_dir.h"

namespace confab::test {
namespace {

class CApiExchange : public testing::Test {
 protected:
  std::string bootstrap_url() const { return "http://127.0.0.1:" + std::to_string(server_.http_port()); }

  TempDir dir_;
  ServerProcess server_{dir_.path()};
};

bool connected(const Json& e) { return is(e, "connection") && e["data"]["state"] == "connected"; }

// The app's credential store, as a C provider sees it: counts how often it is asked.
struct Credentials {
  std::string credential;
  std::atomic<int> asked{0};

  static int provide(confab_secret* out, void* payload) {
    auto* self = static_cast<Credentials*>(payload);
    ++self->asked;
    return confab_secret_set(out, self->credential.c_str());
  }
};

TEST_F(CApiExchange, AMessageComesBackToTheSenderByCallbackAndToAnotherDeviceByPoll) {
  // Alice hears events through the callback; she connects with a token. (The log outlives
  // the client: callbacks may come until the client is freed.)
  EventLog alice_events;
  CClient alice("alice-c");
  ASSERT_EQ(confab_set_event_callback(alice, CONFAB_EVENT_ALL, EventLog::record, &alice_events), CONFAB_OK);
  ASSERT_EQ(confab_connect(alice, server_.url().c_str(), "token-alice"), CONFAB_OK) << alice.errmsg();

  // Bob polls, as an event loop would; he connects through the bootstrap, with a provider.
  CClient bob("bob-c");
  Credentials bobs{"token-bob"};
  ASSERT_EQ(confab_set_poll_kinds(bob, CONFAB_EVENT_CONNECTION | CONFAB_EVENT_MESSAGE), CONFAB_OK);
  ASSERT_EQ(confab_connect_with_credential_provider(bob, bootstrap_url().c_str(), Credentials::provide, &bobs),
            CONFAB_OK)
      << bob.errmsg();
  ASSERT_FALSE(alice_events.wait_for(connected).is_null()) << "alice did not connect";
  ASSERT_FALSE(poll_for(bob, connected).is_null()) << "bob did not connect";
  EXPECT_GE(bobs.asked.load(), 1);

  char* out = nullptr;
  ASSERT_EQ(confab_send(&out, alice, "c_general", "hello from C", nullptr), CONFAB_OK) << alice.errmsg();
  std::string sent_id = take_json(out)["clientMessageId"];

  auto is_sent_message = [&](const Json& e) { return is(e, "message") && e["data"]["clientMessageId"] == sent_id; };
  Json own = alice_events.wait_for(is_sent_message);
  ASSERT_FALSE(own.is_null()) << "alice's own message did not come back";
  EXPECT_EQ(own["data"]["kind"], "message.created");
  EXPECT_EQ(own["data"]["senderId"], "alice");
  EXPECT_EQ(own["data"]["conversationSeq"], 1);
  Json acked = alice_events.wait_for([&](const Json& e) {
    return is(e, "outbox") && e["data"]["clientMessageId"] == sent_id && e["data"]["state"] == "sent";
  });
  ASSERT_FALSE(acked.is_null());
  EXPECT_EQ(acked["data"]["messageId"], own["data"]["messageId"]);

  Json at_bob = poll_for(bob, is_sent_message);
  ASSERT_FALSE(at_bob.is_null()) << "bob did not receive it";
  EXPECT_EQ(at_bob["data"]["text"], "hello from C");

  // Bob reacts to it by the server's id; alice hears the reaction, and both stores show it.
  std::string message_id = at_bob["data"]["messageId"];
  confab_message_ref target{"c_general", message_id.c_str(), 0};
  ASSERT_EQ(confab_react(nullptr, bob, &target, "👍"), CONFAB_OK) << bob.errmsg();
  Json reaction = alice_events.wait_for([](const Json& e) { return is(e, "message") && e["data"]["kind"] == "reaction.added"; });
  ASSERT_FALSE(reaction.is_null());
  EXPECT_EQ(reaction["data"]["emoji"], "👍");
  EXPECT_EQ(reaction["data"]["senderId"], "bob");
  ASSERT_EQ(confab_messages(&out, alice, "c_general", 0, 50), CONFAB_OK) << alice.errmsg();
  Json page = take_json(out);
  ASSERT_EQ(page["messages"].size(), 1u) << page.dump();
  EXPECT_EQ(page["messages"][0]["reactions"], (Json::array({{{"emoji", "👍"}, {"userIds", {"bob"}}}})));

  char* user_id = nullptr;
  ASSERT_EQ(confab_user_id(&user_id, bob), CONFAB_OK);
  EXPECT_EQ(take(user_id), "bob");
}

TEST_F(CApiExchange, ARequestIsAnsweredByAnEventWithTheCallersRequestIdAndTheStoreAgrees) {
  EventLog events;  // outlives the client, whose callbacks write to it
  CClient alice("alice-requests");
  ASSERT_EQ(confab_set_event_callback(alice, CONFAB_EVENT_CONNECTION | CONFAB_EVENT_REQUEST, EventLog::record, &events),
            CONFAB_OK);
  ASSERT_EQ(confab_connect_with_credential(alice, bootstrap_url().c_str(), "token-alice"), CONFAB_OK) << alice.errmsg();
  ASSERT_FALSE(events.wait_for(connected).is_null());

  ASSERT_EQ(confab_create_channel(alice, nullptr, "c-api", "made in C", 0, 9007199254740991), CONFAB_OK) << alice.errmsg();
  Json created = events.wait_for([](const Json& e) { return is(e, "request"); });
  ASSERT_FALSE(created.is_null());
  EXPECT_EQ(created["requestId"], 9007199254740991) << "2^53 - 1 comes back whole";
  EXPECT_EQ(created["request"], "create_channel");
  ASSERT_EQ(created["ok"], true) << created.dump();
  EXPECT_EQ(created["data"]["name"], "c-api");
  EXPECT_EQ(created["data"]["topic"], "made in C");
  EXPECT_EQ(created["data"]["kind"], "channel");
  std::string id = created["data"]["conversationId"];

  char* out = nullptr;
  ASSERT_EQ(confab_conversation(&out, alice, id.c_str()), CONFAB_OK) << "stored before the event: " << alice.errmsg();
  EXPECT_EQ(take_json(out)["name"], "c-api");

  // A refusal by the server comes the same way, with its code.
  ASSERT_EQ(confab_leave(alice, "c_nowhere", 2), CONFAB_OK);
  Json refused = events.wait_for([](const Json& e) { return is(e, "request") && e["requestId"] == 2; });
  ASSERT_FALSE(refused.is_null());
  EXPECT_EQ(refused["ok"], false);
  EXPECT_TRUE(refused["error"]["code"].is_string()) << refused.dump();
  EXPECT_FALSE(refused.contains("data"));
}

}  // namespace
}  // namespace confab::test
