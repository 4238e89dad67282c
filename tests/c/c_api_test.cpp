// The C API without a server: its wall (no exception crosses it), its checks of options and
// arguments, the JSON it hands out, and the rules of its two event modes.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

#include "c_client.h"
#include "confab/confab.h"
#include "confab/version.h"
#include "events.h"  // sdk/c/src: the poll queue, tested alone
#include "handle.h"  // sdk/c/src: the wall's test hook
#include "json.h"    // sdk/c/src: the JSON of values a test cannot make through a client

namespace confab::test {
namespace {

// ---- The wall ------------------------------------------------------------------------------

// A failure inside the library (here std::bad_alloc, thrown inside the wall by its test hook
// as an allocation failing there would) comes out of every kind of entry point as
// CONFAB_E_INTERNAL with the exception's text kept on the handle, and the handle still works.
TEST(CApiWall, AnExceptionInsideAnyEntryPointBecomesInternalWithItsMessageKept) {
  CClient client("wall-device");
  auto fails_internally = [&](const char* what, auto call) {
    client.get()->throw_in_next_call = true;
    EXPECT_EQ(call(), CONFAB_E_INTERNAL) << what;
    EXPECT_EQ(confab_errcode(client), CONFAB_E_INTERNAL) << what;
    EXPECT_NE(std::string(confab_errmsg(client)).find("internal: std::bad_alloc"), std::string::npos)
        << what << ": " << confab_errmsg(client);
  };
  char* out = nullptr;
  int state = -1;
  fails_internally("send", [&] { return confab_send(&out, client, "c_general", "hello", nullptr); });
  EXPECT_EQ(out, nullptr) << "no string comes with a failure";
  fails_internally("conversations", [&] { return confab_conversations(&out, client); });
  fails_internally("connection_state", [&] { return confab_connection_state(&state, client); });
  fails_internally("connect", [&] { return confab_connect(client, "ws://127.0.0.1:1/", "token"); });
  fails_internally("open_dm", [&] { return confab_open_dm(client, "bob", 1); });
  fails_internally("poll_event", [&] { return confab_poll_event(&out, client, 0); });
  fails_internally("set_event_callback",
                   [&] { return confab_set_event_callback(client, CONFAB_EVENT_ALL, EventLog::record, nullptr); });
  fails_internally("uploads", [&] { return confab_uploads(&out, client, 1); });
  fails_internally("download", [&] { return confab_download(client, R"({"attachmentId":"a_1"})", nullptr, 1); });

  // The handle is whole: the next call works, and a later failure replaces the message.
  ASSERT_EQ(confab_send(&out, client, "c_general", "after the failure", nullptr), CONFAB_OK) << client.errmsg();
  EXPECT_EQ(take_json(out)["text"], "after the failure");
  EXPECT_EQ(confab_send(nullptr, client, "c_general", "", nullptr), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(confab_errmsg(client)).rfind("invalid_argument: ", 0), 0u) << confab_errmsg(client);
}

TEST(CApiWall, ACallWithoutAClientFailsWithTheMessageKeptForTheThread) {
  char* out = nullptr;
  EXPECT_EQ(confab_send(&out, nullptr, "c_general", "hello", nullptr), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_EQ(confab_errcode(nullptr), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_STREQ(confab_errmsg(nullptr), "invalid_argument: the client is NULL");
  EXPECT_EQ(confab_client_free(nullptr), CONFAB_OK);
  confab_free(nullptr);
}

TEST(CApiWall, NullArgumentsAreInvalidArgumentsNamedInTheMessage) {
  CClient client("null-args");
  char* out = nullptr;
  EXPECT_EQ(confab_send(&out, client, nullptr, "hi", nullptr), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_NE(client.errmsg().find("conversation_id"), std::string::npos) << client.errmsg();
  EXPECT_EQ(confab_conversations(nullptr, client), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_NE(client.errmsg().find("out_json"), std::string::npos) << client.errmsg();
  EXPECT_EQ(confab_edit(&out, client, nullptr, "text"), CONFAB_E_INVALID_ARGUMENT);
  confab_message_ref nameless{nullptr, nullptr, 0};
  EXPECT_EQ(confab_react(&out, client, &nameless, "+1"), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_NE(client.errmsg().find("names no message"), std::string::npos) << client.errmsg();
  const char* ids[] = {"bob", nullptr};
  EXPECT_EQ(confab_create_group_dm(client, ids, 2, 1), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_NE(client.errmsg().find("user_ids[1]"), std::string::npos) << client.errmsg();
  EXPECT_EQ(confab_connect_with_token_provider(client, "ws://127.0.0.1:1/", nullptr, nullptr),
            CONFAB_E_INVALID_ARGUMENT);
  EXPECT_EQ(confab_poll_event(&out, client, -1), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_EQ(confab_set_poll_kinds(client, 1u << 20), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_EQ(out, nullptr);
}

TEST(CApiWall, TheSdksRefusalsKeepTheirStatusAndCode) {
  CClient client("refusals");
  EXPECT_EQ(confab_connect(client, "http://example.com/", "token"), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_EQ(confab_typing(client, "c_general"), CONFAB_E_OFFLINE) << "typing is not queued while offline";
  EXPECT_EQ(client.errmsg().rfind("offline: ", 0), 0u) << client.errmsg();
  char* out = nullptr;
  EXPECT_EQ(confab_user(&out, client, "nobody"), CONFAB_E_NOT_FOUND);
  EXPECT_EQ(confab_conversation(&out, client, "c_unknown"), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_EQ(confab_retry(client, 42), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_STREQ(confab_status_name(CONFAB_E_OFFLINE), "CONFAB_E_OFFLINE");
  EXPECT_STREQ(confab_version(), CONFAB_VERSION_STRING);
}

// ---- Options -------------------------------------------------------------------------------

TEST(CApiOptions, AnUnknownVersionIsRefusedWithAMessage) {
  confab_client_options options = CONFAB_CLIENT_OPTIONS_INIT;
  options.version = 99;
  options.device_id = "d";
  options.database_path = ":memory:";
  confab_client* client = reinterpret_cast<confab_client*>(&options);  // must be overwritten
  EXPECT_EQ(confab_client_new(&client, &options), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_EQ(client, nullptr);
  EXPECT_NE(std::string(confab_errmsg(nullptr)).find("options.version is 99"), std::string::npos)
      << confab_errmsg(nullptr);
  EXPECT_EQ(confab_client_options_init(&options, 3), CONFAB_E_INVALID_ARGUMENT);
}

// An app built against version 1's header passes a shorter struct: neither the init
// function nor the client reads or writes past it.
TEST(CApiOptions, AVersion1StructIsStillTakenAndNothingPastItsEndIsTouched) {
  constexpr std::size_t kVersion1Size = offsetof(confab_client_options, files_http_url);
  confab_client_options options;
  std::memset(&options, 0xab, sizeof options);  // past version 1's end: not the library's
  ASSERT_EQ(confab_client_options_init(&options, 1), CONFAB_OK);
  EXPECT_EQ(options.version, 1u);
  const auto* bytes = reinterpret_cast<const unsigned char*>(&options);
  for (std::size_t i = kVersion1Size; i < sizeof options; ++i) ASSERT_EQ(bytes[i], 0xab) << "byte " << i;
  options.device_id = "version-1";
  options.database_path = ":memory:";
  confab_client* client = nullptr;
  ASSERT_EQ(confab_client_new(&client, &options), CONFAB_OK) << confab_errmsg(nullptr);
  EXPECT_EQ(confab_client_free(client), CONFAB_OK);

  // So is version 1 of confab_send_options, whose struct ends before attachments_json.
  confab_send_options send = CONFAB_SEND_OPTIONS_INIT;
  send.version = 1;
  send.attachments_json = "not read";
  CClient sender("send-options-1");
  char* out = nullptr;
  ASSERT_EQ(confab_send(&out, sender, "c_general", "hi", &send), CONFAB_OK) << sender.errmsg();
  EXPECT_EQ(take_json(out)["attachments"], Json::array());
}

TEST(CApiOptions, FilesOptionsAreCheckedByName) {
  confab_client_options options = CONFAB_CLIENT_OPTIONS_INIT;
  options.device_id = "files";
  options.database_path = ":memory:";
  options.files_cache_bytes = -1;
  confab_client* client = nullptr;
  EXPECT_EQ(confab_client_new(&client, &options), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_STREQ(confab_errmsg(nullptr), "invalid_argument: options.files_cache_bytes is negative");
  options.files_cache_bytes = 0;
  options.files_parallel_uploads = -2;
  EXPECT_EQ(confab_client_new(&client, &options), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_STREQ(confab_errmsg(nullptr), "invalid_argument: options.files_parallel_uploads is negative");
  options.files_parallel_uploads = 0;
  options.files_http_url = "ftp://files.example";  // the SDK's own check
  EXPECT_EQ(confab_client_new(&client, &options), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_EQ(client, nullptr);
}

TEST(CApiOptions, MissingOrBadFieldsAreRefusedByName) {
  confab_client* client = nullptr;
  EXPECT_EQ(confab_client_new(&client, nullptr), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_STREQ(confab_errmsg(nullptr), "invalid_argument: options is NULL");
  EXPECT_EQ(confab_client_new(nullptr, nullptr), CONFAB_E_INVALID_ARGUMENT);

  confab_client_options options = CONFAB_CLIENT_OPTIONS_INIT;
  options.database_path = ":memory:";
  EXPECT_EQ(confab_client_new(&client, &options), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_STREQ(confab_errmsg(nullptr), "invalid_argument: options.device_id is NULL");

  options.device_id = "d";
  options.ping_interval_ms = -5;
  EXPECT_EQ(confab_client_new(&client, &options), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_STREQ(confab_errmsg(nullptr), "invalid_argument: options.ping_interval_ms is negative");

  options.ping_interval_ms = 0;
  options.device_id = "my phone";  // the SDK's own check: a space is not allowed
  EXPECT_EQ(confab_client_new(&client, &options), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(confab_errmsg(nullptr)).rfind("invalid_argument: ", 0), 0u) << confab_errmsg(nullptr);
  EXPECT_EQ(client, nullptr);
}

TEST(CApiOptions, TheInitFunctionGivesWhatTheMacroGives) {
  confab_client_options from_macro = CONFAB_CLIENT_OPTIONS_INIT;
  confab_client_options from_function;
  std::memset(&from_function, 0xff, sizeof from_function);
  ASSERT_EQ(confab_client_options_init(&from_function, CONFAB_CLIENT_OPTIONS_VERSION), CONFAB_OK);
  EXPECT_EQ(std::memcmp(&from_macro, &from_function, sizeof from_macro), 0);
  EXPECT_EQ(from_function.version, static_cast<unsigned>(CONFAB_CLIENT_OPTIONS_VERSION));

  confab_send_options send = CONFAB_SEND_OPTIONS_INIT;
  send.version = 7;
  CClient client("send-options");
  EXPECT_EQ(confab_send(nullptr, client, "c_general", "hi", &send), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_NE(client.errmsg().find("CONFAB_SEND_OPTIONS_INIT"), std::string::npos) << client.errmsg();
}

// ---- JSON ----------------------------------------------------------------------------------

TEST(CApiJson, SendAnswersTheLocalEchoAndTheStoreShowsIt) {
  CClient client("json-device");
  char* out = nullptr;
  ASSERT_EQ(confab_send(&out, client, "c_general", "héllo", nullptr), CONFAB_OK) << client.errmsg();
  Json echo = take_json(out);
  EXPECT_EQ(echo["localId"], 1);
  EXPECT_EQ(echo["conversationId"], "c_general");
  EXPECT_EQ(echo["kind"], "message");
  EXPECT_EQ(echo["text"], "héllo");
  EXPECT_EQ(echo["state"], "pending");
  EXPECT_TRUE(echo["messageId"].is_null()) << "not acknowledged yet";
  EXPECT_TRUE(echo["lastError"].is_null());
  EXPECT_EQ(echo["clientMessageId"].get<std::string>().size(), 36u) << "a UUID";

  // A reply in its thread, to a message named by local id.
  confab_message_ref root{nullptr, nullptr, 1};
  confab_send_options options = CONFAB_SEND_OPTIONS_INIT;
  options.thread_root = &root;
  ASSERT_EQ(confab_send(&out, client, "c_general", "in the thread", &options), CONFAB_OK) << client.errmsg();
  EXPECT_EQ(take_json(out)["threadRootLocalId"], 1);

  ASSERT_EQ(confab_unsent_messages(&out, client), CONFAB_OK);
  Json unsent = take_json(out);
  ASSERT_EQ(unsent.size(), 2u);
  EXPECT_EQ(unsent[0]["clientMessageId"], echo["clientMessageId"]);

  ASSERT_EQ(confab_messages(&out, client, "c_general", 0, 50), CONFAB_OK) << client.errmsg();
  Json page = take_json(out);
  ASSERT_EQ(page["messages"].size(), 1u) << page.dump() << " (the thread reply is not in the main timeline)";
  EXPECT_EQ(page["messages"][0]["local"]["localId"], 1);
  EXPECT_EQ(page["messages"][0]["seq"], 0);
  EXPECT_TRUE(page["moreOnServer"].is_boolean());

  ASSERT_EQ(confab_connection(&out, client), CONFAB_OK);
  EXPECT_EQ(take_json(out), (Json{{"state", "initialized"}, {"error", nullptr}, {"retryInMs", nullptr}}));
  int state = -1;
  ASSERT_EQ(confab_connection_state(&state, client), CONFAB_OK);
  EXPECT_EQ(state, CONFAB_STATE_INITIALIZED);
  ASSERT_EQ(confab_user_id(&out, client), CONFAB_OK);
  EXPECT_EQ(take(out), "");
  ASSERT_EQ(confab_conversations(&out, client), CONFAB_OK);
  EXPECT_EQ(take_json(out), Json::array());
  ASSERT_EQ(confab_typing_users(&out, client, "c_general"), CONFAB_OK);
  EXPECT_EQ(take_json(out), Json::array());
  int presence = -1;
  ASSERT_EQ(confab_presence(&presence, client, "bob"), CONFAB_OK);
  EXPECT_EQ(presence, CONFAB_PRESENCE_OFFLINE);
  ASSERT_EQ(confab_recovery(&out, client), CONFAB_OK);
  EXPECT_EQ(take_json(out)["cacheRebuilt"], false);
}

TEST(CApiJson, ValuesKeepTheirDocumentedShape) {
  Error refused{ErrorCode::rate_limited, true, "slow down", 1500};
  EXPECT_EQ(c::error_json(refused),
            (Json{{"code", "rate_limited"}, {"retryable", true}, {"message", "slow down"}, {"retryAfterMs", 1500}}));

  ConnectionChange down{ConnectionState::disconnected, Error::make(ErrorCode::transport, "reset"),
                        std::chrono::milliseconds(4000)};
  Json connection = c::connection_json(down);
  EXPECT_EQ(connection["state"], "disconnected");
  EXPECT_EQ(connection["error"]["code"], "transport");
  EXPECT_EQ(connection["retryInMs"], 4000);

  Message edited;
  edited.conversation_id = "c_general";
  edited.conversation_seq = 7;
  edited.kind = EventKind::message_edited;
  edited.message_id = "m_1";
  edited.text = "fixed";
  Json message = c::message_json(edited);
  EXPECT_EQ(message["kind"], "message.edited");
  EXPECT_EQ(message["conversationSeq"], 7);
  EXPECT_TRUE(message["replyTo"].is_null());
  EXPECT_EQ(message["attachments"], Json::array());

  ConversationChange change;
  change.conversation_id = "c_general";
  change.appended = {8, 9};
  change.updated.push_back(MessageUpdate{3, 0, "cm", MessageUpdate::text | MessageUpdate::reactions});
  change.merged.push_back(EchoMerged{"cm2", 4, 9});
  Json changed = c::conversation_change_json(change);
  EXPECT_EQ(changed["appended"], (Json{8, 9}));
  EXPECT_EQ(changed["updated"][0]["flags"], (Json{"text", "reactions"}));
  EXPECT_EQ(changed["merged"][0], (Json{{"clientMessageId", "cm2"}, {"localId", 4}, {"seq", 9}}));
  EXPECT_TRUE(changed["threadRootId"].is_null());

  // Text that is not UTF-8 never makes the library throw: it is replaced.
  Message bad;
  bad.text = "\xff\xfe";
  EXPECT_EQ(Json::parse(c::dump(c::message_json(bad)))["text"], "\xEF\xBF\xBD\xEF\xBF\xBD");
}

// ---- Files ---------------------------------------------------------------------------------

TEST(CApiFiles, AttachmentsThatAreNotAListOfFilesAreRefusedAndNothingIsQueued) {
  CClient client("files-refused");
  auto refused = [&](const std::string& attachments, const char* expected) {
    confab_send_options options = CONFAB_SEND_OPTIONS_INIT;
    options.attachments_json = attachments.c_str();
    char* out = nullptr;
    EXPECT_EQ(confab_send(&out, client, "c_general", "x", &options), CONFAB_E_INVALID_ARGUMENT) << attachments;
    EXPECT_EQ(out, nullptr);
    EXPECT_NE(client.errmsg().find(expected), std::string::npos) << attachments << ": " << client.errmsg();
  };
  refused("[{", "options.attachments_json: not JSON");
  refused(R"({"path": "a"})", "not a JSON array");
  refused("[1]", "[0] is not an object");
  refused("[{}]", R"(needs either "path" or "bytesBase64")");
  refused(R"([{"path": "/tmp/a", "bytesBase64": "AA=="}])", "needs either");
  refused(R"([{"bytesBase64": "AA=="}, {"bytesBase64": "not base64!"}])", "[1].bytesBase64 is not base64");
  refused(R"([{"path": 5}])", "not a string");
  // The SDK's own refusals: a file that cannot be read, more than 10 files.
  refused(R"([{"path": "/nonexistent/confab-c-test.bin"}])", "invalid_argument: ");
  Json eleven = Json::array();
  for (int i = 0; i < 11; ++i) eleven.push_back({{"bytesBase64", "AA=="}});
  refused(eleven.dump(), "invalid_argument: ");

  char* out = nullptr;
  ASSERT_EQ(confab_unsent_messages(&out, client), CONFAB_OK);
  EXPECT_EQ(take_json(out), Json::array());
}

// Offline and with no files URL, a message waits for its upload, and cancelling the upload
// discards the message.
TEST(CApiFiles, AMessageWaitsForItsUploadAndCancellingItDiscardsTheMessage) {
  EventLog log;  // outlives the client, whose callbacks write to it
  CClient client("files-waiting");
  ASSERT_EQ(confab_set_event_callback(client, CONFAB_EVENT_OUTBOX, EventLog::record, &log), CONFAB_OK);
  confab_send_options options = CONFAB_SEND_OPTIONS_INIT;
  options.attachments_json = R"([{"bytesBase64": "aGVsbG8=", "name": "hello.txt"}])";
  char* out = nullptr;
  ASSERT_EQ(confab_send(&out, client, "c_general", "", &options), CONFAB_OK) << client.errmsg();
  Json echo = take_json(out);
  ASSERT_EQ(echo["attachments"].size(), 1u) << echo.dump();
  EXPECT_TRUE(echo["attachments"][0]["attachmentId"].is_null());
  EXPECT_EQ(echo["attachments"][0]["name"], "hello.txt");
  EXPECT_EQ(echo["attachments"][0]["contentType"], "text/plain");
  EXPECT_EQ(echo["attachments"][0]["size"], 5);
  EXPECT_EQ(echo["attachments"][0]["sha256"].get<std::string>().size(), 64u);
  std::int64_t local_id = echo["localId"];

  // Not connected, the upload has not been scheduled yet: the list may be empty.
  ASSERT_EQ(confab_uploads(&out, client, local_id), CONFAB_OK) << client.errmsg();
  EXPECT_TRUE(take_json(out).is_array());

  ASSERT_EQ(confab_cancel_upload(client, local_id), CONFAB_OK) << client.errmsg();
  EXPECT_FALSE(log.wait_for([&](const Json& e) {
                    return e["data"]["localId"] == local_id && e["data"]["state"] == "discarded";
                  }).is_null());
  ASSERT_EQ(confab_uploads(&out, client, local_id), CONFAB_OK);
  EXPECT_EQ(take_json(out), Json::array());
  EXPECT_EQ(confab_cancel_upload(client, local_id), CONFAB_E_INVALID_ARGUMENT) << "no longer waiting";
}

TEST(CApiFiles, DownloadCallsCheckTheirArgumentsAndTheSdksRefusalsComeAsTheRequestsEvent) {
  CClient client("files-arguments");
  char* out = reinterpret_cast<char*>(&client);
  EXPECT_EQ(confab_uploads(nullptr, client, 1), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_EQ(confab_download(client, nullptr, nullptr, 1), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_NE(client.errmsg().find("attachment_json"), std::string::npos) << client.errmsg();
  EXPECT_EQ(confab_download(client, "{", nullptr, 1), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_STREQ(confab_errmsg(client), "invalid_argument: attachment_json: not JSON");
  EXPECT_EQ(confab_download(client, R"({"attachmentId": "a_1", "size": "big"})", nullptr, 1),
            CONFAB_E_INVALID_ARGUMENT);
  EXPECT_NE(client.errmsg().find("\"size\""), std::string::npos) << client.errmsg();
  EXPECT_EQ(confab_cancel_download(client, nullptr), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_EQ(confab_cancel_download(client, "a_1"), CONFAB_E_INVALID_ARGUMENT) << "nothing is downloading";
  EXPECT_EQ(confab_cached_file(nullptr, client, R"({"attachmentId": "a_1"})"), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_EQ(confab_cached_file(&out, client, "[]"), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(confab_cached_file(&out, client, R"({"attachmentId": "a_1", "future": true})"), CONFAB_E_NOT_FOUND);
  EXPECT_EQ(client.errmsg(), "not_found: the cache does not hold the attachment a_1");
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(confab_download(nullptr, "{}", nullptr, 1), CONFAB_E_INVALID_ARGUMENT);

  // Under way: an attachment with no id, and one while offline, are answered by events.
  ASSERT_EQ(confab_set_poll_kinds(client, CONFAB_EVENT_REQUEST), CONFAB_OK);
  ASSERT_EQ(confab_download(client, "{}", nullptr, 5), CONFAB_OK) << client.errmsg();
  Json nameless = poll_for(client, [](const Json& e) { return e["requestId"] == 5; });
  EXPECT_EQ(nameless["request"], "download");
  EXPECT_EQ(nameless["ok"], false);
  EXPECT_EQ(nameless["error"]["code"], "invalid_argument") << nameless.dump();
  ASSERT_EQ(confab_download(client, R"({"attachmentId": "a_1", "size": 3})", "/tmp/never", 6), CONFAB_OK);
  Json offline = poll_for(client, [](const Json& e) { return e["requestId"] == 6; });
  EXPECT_EQ(offline["error"]["code"], "offline") << offline.dump();
}

TEST(CApiFiles, ProgressAndAttachmentsKeepTheirDocumentedShape) {
  UploadProgress upload{7, 1, "a.png", 100, 400, TransferState::queued, Error::make(ErrorCode::transport, "reset")};
  EXPECT_EQ(c::upload_json(upload), (Json{{"localId", 7},
                                          {"index", 1},
                                          {"name", "a.png"},
                                          {"sentBytes", 100},
                                          {"totalBytes", 400},
                                          {"state", "queued"},
                                          {"error", c::error_json(*upload.error)}}));
  DownloadProgress download{"a_9", 400, 400, TransferState::done, std::nullopt};
  EXPECT_EQ(c::download_json(download), (Json{{"attachmentId", "a_9"},
                                              {"receivedBytes", 400},
                                              {"totalBytes", 400},
                                              {"state", "done"},
                                              {"error", nullptr}}));
  DownloadProgress cancelled{"a_9", 0, 400, TransferState::cancelled, Error::make(ErrorCode::cancelled, "by the app")};
  EXPECT_EQ(c::download_json(cancelled)["error"]["code"], "cancelled");

  // An attachment goes out and comes back in the same.
  Attachment image{"a_1", "chart.png", "image/png", 1234, std::string(64, 'f'), 96, 48, "/9j/4AAQ"};
  Attachment read;
  ASSERT_EQ(c::attachment_from_json(c::dump(c::attachment_json(image)), read), std::nullopt);
  EXPECT_EQ(read, image);

  EXPECT_EQ(c::decode_base64(""), "");
  EXPECT_EQ(c::decode_base64("aGVsbG8="), "hello");
  EXPECT_EQ(c::decode_base64("aGVsbG8"), "hello") << "padding is optional";
  EXPECT_EQ(c::decode_base64("AAEC/v8="), std::string("\x00\x01\x02\xfe\xff", 5));
  EXPECT_EQ(c::decode_base64("aGVsbG8=="), std::nullopt);
  EXPECT_EQ(c::decode_base64("a"), std::nullopt);
  EXPECT_EQ(c::decode_base64("aGV-bG8="), std::nullopt);
}

// ---- Events --------------------------------------------------------------------------------

TEST(CApiEvents, AFullPollQueueDropsAndCountsWhatComesUntilTheAppTakesTheOverflow) {
  c::PollQueue queue(2);
  queue.push(CONFAB_EVENT_MESSAGE, R"({"n":1})", false);
  queue.push(CONFAB_EVENT_MESSAGE, R"({"n":2})", false);
  queue.push(CONFAB_EVENT_MESSAGE, R"({"n":3})", false);    // dropped
  queue.push(CONFAB_EVENT_TYPING, R"({"n":4})", false);     // dropped
  queue.push(CONFAB_EVENT_REQUEST, R"({"n":5})", true);     // a request's answer is always kept
  std::string event;
  auto next = [&] {
    EXPECT_TRUE(queue.pop(event, std::chrono::milliseconds(0)));
    return Json::parse(event);
  };
  EXPECT_EQ(next()["n"], 1);
  queue.push(CONFAB_EVENT_OUTBOX, R"({"n":6})", false);     // dropped: the marker holds its place
  EXPECT_EQ(next()["n"], 2);
  EXPECT_EQ(next(), (Json{{"kind", "overflow"}, {"data", {{"dropped", 3}, {"kinds", {"message", "outbox", "typing"}}}}}));
  EXPECT_EQ(next()["n"], 5);
  EXPECT_FALSE(queue.pop(event, std::chrono::milliseconds(0)));

  queue.push(CONFAB_EVENT_MESSAGE, R"({"n":7})", false);    // room again: counting starts over
  EXPECT_EQ(next()["n"], 7);
}

// The kinds after `overflow`'s bit are counted by name like the others; `overflow` itself is
// never a kind an app asks a callback for.
TEST(CApiEvents, UploadAndDownloadEventsAreKindsOfTheirOwn) {
  c::PollQueue queue(1);
  queue.push(CONFAB_EVENT_UPLOAD, R"({"n":1})", false);
  queue.push(CONFAB_EVENT_UPLOAD, R"({"n":2})", false);     // dropped
  queue.push(CONFAB_EVENT_DOWNLOAD, R"({"n":3})", false);   // dropped
  std::string event;
  ASSERT_TRUE(queue.pop(event, std::chrono::milliseconds(0)));
  ASSERT_TRUE(queue.pop(event, std::chrono::milliseconds(0)));
  EXPECT_EQ(Json::parse(event)["data"]["kinds"], (Json{"upload", "download"}));
  EXPECT_STREQ(c::kind_name(CONFAB_EVENT_UPLOAD), "upload");
  EXPECT_STREQ(c::kind_name(CONFAB_EVENT_DOWNLOAD), "download");

  EventLog log;  // outlives the client, whose callbacks write to it
  CClient client("new-kinds");
  EXPECT_EQ(confab_set_event_callback(client, CONFAB_EVENT_UPLOAD | CONFAB_EVENT_DOWNLOAD, EventLog::record, &log),
            CONFAB_OK);
  EXPECT_EQ(confab_set_poll_kinds(client, CONFAB_EVENT_ALL), CONFAB_OK);
  EXPECT_EQ(confab_set_poll_kinds(client, CONFAB_EVENT_ALL + 1u), CONFAB_E_INVALID_ARGUMENT);
  EXPECT_EQ(confab_set_event_callback(client, 0, nullptr, nullptr), CONFAB_OK);
}

TEST(CApiEvents, PollTimesOutEmptyHandedAndLeavesTheErrorAlone) {
  CClient client("poll-timeout");
  ASSERT_EQ(confab_set_poll_kinds(client, CONFAB_EVENT_ALL), CONFAB_OK);
  char* out = reinterpret_cast<char*>(&client);
  EXPECT_EQ(confab_poll_event(&out, client, 20), CONFAB_E_TIMEOUT);
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(confab_errcode(client), CONFAB_OK);
}

// Both modes hear what they asked for: an outbox change, and a request answered at once
// (offline), with the caller's request id.
TEST(CApiEvents, CallbackAndPollEachHearTheKindsTheyAskedFor) {
  EventLog log;  // outlives the client, whose callbacks write to it
  CClient client("both-modes");
  ASSERT_EQ(confab_set_event_callback(client, CONFAB_EVENT_OUTBOX | CONFAB_EVENT_REQUEST, EventLog::record, &log),
            CONFAB_OK);
  ASSERT_EQ(confab_set_poll_kinds(client, CONFAB_EVENT_REQUEST), CONFAB_OK);

  char* out = nullptr;
  ASSERT_EQ(confab_send(&out, client, "c_general", "to discard", nullptr), CONFAB_OK);
  std::int64_t local_id = take_json(out)["localId"];
  ASSERT_EQ(confab_discard(client, local_id), CONFAB_OK) << client.errmsg();
  Json discarded = log.wait_for([&](const Json& e) { return is(e, "outbox") && e["data"]["state"] == "discarded"; });
  ASSERT_FALSE(discarded.is_null());
  EXPECT_EQ(discarded["data"]["localId"], local_id);

  ASSERT_EQ(confab_open_dm(client, "bob", 4242), CONFAB_OK) << "under way: the answer comes as an event";
  Json heard = log.wait_for([](const Json& e) { return is(e, "request"); });
  EXPECT_EQ(heard["requestId"], 4242);
  EXPECT_EQ(heard["request"], "open_dm");
  EXPECT_EQ(heard["ok"], false);
  EXPECT_EQ(heard["error"]["code"], "offline") << heard.dump();
  Json polled = poll_for(client, [](const Json& e) { return is(e, "request"); });
  EXPECT_EQ(polled, heard) << "the same event in both modes";

  // Poll mode did not ask for outbox events.
  char* nothing = nullptr;
  EXPECT_EQ(confab_poll_event(&nothing, client, 0), CONFAB_E_TIMEOUT);
  for (const auto& e : log.events.items()) EXPECT_NE(e.kind, CONFAB_EVENT_CONNECTION) << "not asked for";
}

// Freeing the client from its own callback would wait for itself: it is refused, and the
// client goes on working.
TEST(CApiEvents, FreeingTheClientFromItsOwnCallbackIsRefused) {
  CClient client("free-inside");
  struct Probe {
    confab_client* client;
    Recorder<int> statuses;
  } probe{client.get(), {}};
  auto callback = [](int, const char*, void* payload) {
    auto* p = static_cast<Probe*>(payload);
    p->statuses.add(confab_client_free(p->client));
  };
  ASSERT_EQ(confab_set_event_callback(client, CONFAB_EVENT_REQUEST, callback, &probe), CONFAB_OK);
  ASSERT_EQ(confab_join(client, "c_general", 1), CONFAB_OK);
  ASSERT_TRUE(probe.statuses.wait_for_count(1));
  EXPECT_EQ(probe.statuses.items()[0], CONFAB_E_INVALID_ARGUMENT);
  EXPECT_NE(client.errmsg().find("own callback"), std::string::npos) << client.errmsg();
  // Removing the callback returns once it is not running; the client still answers.
  ASSERT_EQ(confab_set_event_callback(client, 0, nullptr, nullptr), CONFAB_OK);
  char* out = nullptr;
  EXPECT_EQ(confab_conversations(&out, client), CONFAB_OK);
  confab_free(out);
}

// A C++ app's callback that throws does not take the SDK's thread down: the exception stays
// in the library, and later events still come.
TEST(CApiEvents, ACallbackThatThrowsDoesNotReachTheSdk) {
  CClient client("throwing-callback");
  struct Count {
    std::atomic<int> calls{0};
  } count;
  auto callback = [](int, const char*, void* payload) {
    ++static_cast<Count*>(payload)->calls;
    throw std::runtime_error("the app's bug");
  };
  ASSERT_EQ(confab_set_event_callback(client, CONFAB_EVENT_REQUEST, callback, &count), CONFAB_OK);
  ASSERT_EQ(confab_set_poll_kinds(client, CONFAB_EVENT_REQUEST), CONFAB_OK);
  ASSERT_EQ(confab_join(client, "c_general", 1), CONFAB_OK);
  ASSERT_EQ(confab_join(client, "c_general", 2), CONFAB_OK);
  EXPECT_FALSE(poll_for(client, [](const Json& e) { return e["requestId"] == 2; }).is_null());
  EXPECT_EQ(count.calls, 2) << "the callback was called for both, though the first threw";
}

// ---- Secret providers ----------------------------------------------------------------------

struct ProviderCase {
  int status;
  bool set_secret;
  bool throws;
};

int misbehaving_provider(confab_secret* out, void* payload) {
  const auto* c = static_cast<const ProviderCase*>(payload);
  if (c->throws) throw std::runtime_error("the credential store is locked");
  if (c->set_secret) confab_secret_set(out, "token-alice");
  return c->status;
}

Json failed_connection(const ProviderCase& provider_case) {
  EventLog log;  // outlives the client, whose callbacks write to it
  CClient client("provider");
  EXPECT_EQ(confab_set_event_callback(client, CONFAB_EVENT_CONNECTION, EventLog::record, &log), CONFAB_OK);
  // Nothing listens on port 1: the client must fail from the provider, before connecting.
  EXPECT_EQ(confab_connect_with_token_provider(client, "ws://127.0.0.1:1/", misbehaving_provider,
                                               const_cast<ProviderCase*>(&provider_case)),
            CONFAB_OK);
  return log.wait_for([](const Json& e) { return e["data"]["state"] == "failed"; });
}

TEST(CApiSecrets, AProviderThatThrowsOrAnswersNothingFailsTheConnectionNotTheProcess) {
  Json threw = failed_connection(ProviderCase{CONFAB_OK, false, true});
  ASSERT_FALSE(threw.is_null());
  EXPECT_EQ(threw["data"]["error"]["code"], "internal");
  EXPECT_NE(threw["data"]["error"]["message"].get<std::string>().find("the credential store is locked"),
            std::string::npos) << threw.dump();

  Json silent = failed_connection(ProviderCase{CONFAB_OK, false, false});
  ASSERT_FALSE(silent.is_null());
  EXPECT_NE(silent["data"]["error"]["message"].get<std::string>().find("without confab_secret_set()"),
            std::string::npos) << silent.dump();

  Json refused = failed_connection(ProviderCase{CONFAB_E_REFUSED, false, false});
  ASSERT_FALSE(refused.is_null());
  EXPECT_EQ(refused["data"]["error"]["code"], "unauthorized");
}

}  // namespace
}  // namespace confab::test
