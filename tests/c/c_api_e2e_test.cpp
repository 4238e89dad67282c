// The C API against the real reference server: messages go out and come back through both
// event modes, a bootstrap asks the app's credential provider, requests are answered by
// events carrying the caller's request id, and files go with a message and come back.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
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

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_F(CApiExchange, FilesGoWithAMessageAndAnotherDeviceDownloadsThemByteForByte) {
  const std::string files_url = bootstrap_url();
  confab_client_options options = CONFAB_CLIENT_OPTIONS_INIT;
  options.files_http_url = files_url.c_str();
  options.files_retry_base_ms = 50;
  options.files_retry_cap_ms = 200;

  EventLog alice_events;  // outlives the client, whose callbacks write to it
  CClient alice("alice-files", options);
  ASSERT_EQ(confab_set_event_callback(alice, CONFAB_EVENT_CONNECTION | CONFAB_EVENT_OUTBOX | CONFAB_EVENT_UPLOAD,
                                      EventLog::record, &alice_events),
            CONFAB_OK);
  ASSERT_EQ(confab_connect(alice, server_.url().c_str(), "token-alice"), CONFAB_OK) << alice.errmsg();
  CClient bob("bob-files", options);
  ASSERT_EQ(confab_set_poll_kinds(bob, CONFAB_EVENT_CONNECTION | CONFAB_EVENT_MESSAGE | CONFAB_EVENT_REQUEST |
                                           CONFAB_EVENT_DOWNLOAD),
            CONFAB_OK);
  ASSERT_EQ(confab_connect(bob, server_.url().c_str(), "token-bob"), CONFAB_OK) << bob.errmsg();
  ASSERT_FALSE(alice_events.wait_for(connected).is_null()) << "alice did not connect";
  ASSERT_FALSE(poll_for(bob, connected).is_null()) << "bob did not connect";

  // One file given as bytes, one as a path (which the app may delete once send() returns).
  const std::string bytes("\x00\x01\x02\xfe\xff" "bytes from C\n", 18);
  const std::string notes = "notes, read from the device's disk\n";
  const auto notes_path = dir_.path() / "notes.txt";
  { std::ofstream(notes_path, std::ios::binary) << notes; }
  Json files = Json::array({{{"bytesBase64", "AAEC/v9ieXRlcyBmcm9tIEMK"}, {"name", "raw.bin"}},
                            {{"path", notes_path.string()}, {"contentType", "text/plain"}}});
  const std::string files_json = files.dump();
  confab_send_options send = CONFAB_SEND_OPTIONS_INIT;
  send.attachments_json = files_json.c_str();
  char* out = nullptr;
  ASSERT_EQ(confab_send(&out, alice, "c_general", "two files", &send), CONFAB_OK) << alice.errmsg();
  std::filesystem::remove(notes_path);
  Json echo = take_json(out);
  ASSERT_EQ(echo["attachments"].size(), 2u) << echo.dump();
  EXPECT_TRUE(echo["attachments"][0]["attachmentId"].is_null()) << "not uploaded yet";
  EXPECT_EQ(echo["attachments"][0]["name"], "raw.bin");
  EXPECT_EQ(echo["attachments"][0]["size"], bytes.size());
  EXPECT_EQ(echo["attachments"][1]["name"], "notes.txt");
  EXPECT_EQ(echo["attachments"][1]["contentType"], "text/plain");
  EXPECT_EQ(echo["attachments"][1]["size"], notes.size());
  const std::int64_t local_id = echo["localId"];
  const std::string sent_id = echo["clientMessageId"];

  // Alice hears each upload end in `done`, then the message go.
  for (int index : {0, 1}) {
    Json done = alice_events.wait_for([&](const Json& e) {
      return is(e, "upload") && e["data"]["index"] == index && e["data"]["state"] == "done";
    });
    ASSERT_FALSE(done.is_null()) << "upload " << index << " did not finish";
    EXPECT_EQ(done["data"]["localId"], local_id);
    EXPECT_EQ(done["data"]["sentBytes"], done["data"]["totalBytes"]);
    EXPECT_TRUE(done["data"]["error"].is_null());
  }
  EXPECT_FALSE(alice_events
                   .wait_for([&](const Json& e) {
                     return is(e, "outbox") && e["data"]["clientMessageId"] == sent_id && e["data"]["state"] == "sent";
                   })
                   .is_null());
  ASSERT_EQ(confab_uploads(&out, alice, local_id), CONFAB_OK);
  EXPECT_EQ(take_json(out), Json::array()) << "none once the message is sent";

  // Bob receives the message with the files' metadata, as the server stored them.
  Json message = poll_for(bob, [&](const Json& e) { return is(e, "message") && e["data"]["clientMessageId"] == sent_id; });
  ASSERT_FALSE(message.is_null()) << "bob did not receive it";
  const Json attachments = message["data"]["attachments"];
  ASSERT_EQ(attachments.size(), 2u) << message.dump();
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(attachments[i]["attachmentId"].is_string()) << attachments.dump();
    EXPECT_EQ(attachments[i]["name"], echo["attachments"][i]["name"]);
    EXPECT_EQ(attachments[i]["size"], echo["attachments"][i]["size"]);
    EXPECT_EQ(attachments[i]["sha256"], echo["attachments"][i]["sha256"]);
  }

  // He downloads the one sent by path to a path of his, and is answered by a request event.
  const auto copy = dir_.path() / "notes-at-bob.txt";
  const std::string notes_attachment = attachments[1].dump();
  ASSERT_EQ(confab_download(bob, notes_attachment.c_str(), copy.string().c_str(), 77), CONFAB_OK) << bob.errmsg();
  Json answered;
  Json progress;  // the newest download event
  poll_for(bob, [&](const Json& e) {
    if (is(e, "download")) progress = e["data"];
    if (is(e, "request") && e["requestId"] == 77) answered = e;
    return !answered.is_null() && progress.value("state", "") == "done";
  });
  ASSERT_FALSE(answered.is_null()) << "no answer to the download";
  EXPECT_EQ(answered["request"], "download");
  ASSERT_EQ(answered["ok"], true) << answered.dump();
  EXPECT_EQ(answered["data"]["path"], copy.string());
  EXPECT_EQ(read_file(copy), notes);
  ASSERT_FALSE(progress.is_null()) << "no download event";
  EXPECT_EQ(progress["attachmentId"], attachments[1]["attachmentId"]);
  EXPECT_EQ(progress["state"], "done");
  EXPECT_EQ(progress["receivedBytes"], notes.size());
  EXPECT_TRUE(progress["error"].is_null());

  // The one sent as bytes, into the cache alone; the cache then answers at once.
  const std::string raw_attachment = attachments[0].dump();
  ASSERT_EQ(confab_download(bob, raw_attachment.c_str(), nullptr, 78), CONFAB_OK) << bob.errmsg();
  Json cached = poll_for(bob, [](const Json& e) { return is(e, "request") && e["requestId"] == 78; });
  ASSERT_FALSE(cached.is_null());
  ASSERT_EQ(cached["ok"], true) << cached.dump();
  EXPECT_EQ(read_file(cached["data"]["path"].get<std::string>()), bytes);
  ASSERT_EQ(confab_cached_file(&out, bob, raw_attachment.c_str()), CONFAB_OK) << bob.errmsg();
  EXPECT_EQ(take(out), cached["data"]["path"]);

  // Nothing is being downloaded: there is nothing to cancel.
  EXPECT_EQ(confab_cancel_download(bob, attachments[0]["attachmentId"].get<std::string>().c_str()),
            CONFAB_E_INVALID_ARGUMENT);
  EXPECT_EQ(confab_cancel_download(bob, "a_nothing"), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_EQ(bob.errmsg().rfind("invalid_argument: ", 0), 0u) << bob.errmsg();
}

}  // namespace
}  // namespace confab::test
