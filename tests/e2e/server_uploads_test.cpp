// The reference server's resumable uploads over real sockets: sessions appended to in
// pieces, resumed after a cut or a restart, checked against their SHA-256, expired; ranged
// downloads; and the attachment metadata a message carries.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "http_client.h"
#include "server_process.h"
#include "temp_dir.h"
#include "ws_probe.h"

namespace confab::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string some_bytes(std::size_t size, int seed = 1) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i * 31 + seed * 7 + (i >> 9));
  return bytes;
}

// The files in `dir`, less a session description being rewritten at that moment (its
// `.json.tmp`, which the server writes after it answers, when it lets the session go).
std::size_t files_in(const std::filesystem::path& dir) {
  std::size_t files = 0;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    files += entry.is_regular_file(ec) && entry.path().extension() != ".tmp";
  }
  return files;
}

class ServerUploads : public testing::Test {
 protected:
  ServerProcess& server() {
    if (!server_) server_ = std::make_unique<ServerProcess>(dir_.path(), config_);
    return *server_;
  }
  void restart() {
    server_.reset();
    server();
  }

  HttpClient http() { return HttpClient(server().http_port()); }

  // Checks `condition` until it holds or `within` passes, a round trip to the server (a
  // status request for no session) between two looks.
  template <class Condition>
  bool eventually(Condition condition, std::chrono::milliseconds within = 10s) {
    auto deadline = std::chrono::steady_clock::now() + within;
    while (!condition()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      static_cast<void>(http().get("/v1/uploads/u_none", bearer("token-alice")));
    }
    return true;
  }
  std::filesystem::path attachments() const { return dir_.path() / "server-attachments"; }
  std::filesystem::path uploads() const { return attachments() / "uploads"; }

  json create(const std::string& bytes, const std::string& token = "token-alice",
              const std::string& content_type = "image/png") {
    auto res = http().post("/v1/uploads", bearer(token),
                           json{{"size", bytes.size()}, {"sha256", sha256_hex(bytes)}, {"contentType", content_type}}.dump(),
                           "application/json");
    EXPECT_TRUE(res);
    if (!res) return {};
    EXPECT_EQ(res->status, 201) << res->body;
    return res->json();
  }

  std::optional<HttpReply> patch(const std::string& id, std::size_t offset, const std::string& bytes,
                                 const std::string& token = "token-alice") {
    auto headers = bearer(token);
    headers.emplace_back("Upload-Offset", std::to_string(offset));
    return http().request("PATCH", "/v1/uploads/" + id, headers, bytes, "application/offset+octet-stream");
  }

  json status(const std::string& id, const std::string& token = "token-alice") {
    auto res = http().get("/v1/uploads/" + id, bearer(token));
    EXPECT_TRUE(res);
    return res && res->status == 200 ? res->json() : json();
  }

  // A head that promises `declared` bytes and only `sent` of them, on a connection left open.
  RawHttpConnection start_patch(const std::string& id, std::size_t offset, const std::string& bytes,
                                std::size_t declared) {
    RawHttpConnection connection(server().http_port());
    std::string head = "PATCH /v1/uploads/" + id + " HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer token-alice\r\n" +
                       "Upload-Offset: " + std::to_string(offset) + "\r\nContent-Type: application/offset+octet-stream\r\n" +
                       "Content-Length: " + std::to_string(declared) + "\r\n\r\n";
    EXPECT_TRUE(connection.write(head + bytes));
    return connection;
  }

  // Uploads `bytes` whole through a session; returns the attachment id.
  std::string upload(const std::string& bytes, const std::string& content_type = "image/png") {
    std::string id = create(bytes, "token-alice", content_type)["uploadId"];
    auto done = patch(id, 0, bytes);
    EXPECT_TRUE(done);
    if (!done) return {};
    EXPECT_EQ(done->status, 200) << done->body;
    return done->json().value("attachmentId", "");
  }

  TempDir dir_;
  std::string config_ = default_server_config();
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServerUploads, AnUploadSentInPiecesBecomesAnAttachmentWithItsSha256) {
  std::string bytes = some_bytes(300 * 1024);
  auto created = create(bytes);
  std::string id = created["uploadId"];
  EXPECT_TRUE(id.starts_with("u_")) << id;
  EXPECT_EQ(created["offset"], 0);
  EXPECT_EQ(created["size"], bytes.size());
  EXPECT_GT(created["expiresAtMs"].get<std::int64_t>(), 0);

  auto first = patch(id, 0, bytes.substr(0, 100 * 1024));
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->body;
  EXPECT_EQ(first->json()["offset"], 100 * 1024);
  EXPECT_FALSE(first->json().contains("attachmentId"));
  EXPECT_EQ(status(id)["offset"], 100 * 1024);
  auto second = patch(id, 100 * 1024, bytes.substr(100 * 1024, 150 * 1024));
  ASSERT_EQ(second->status, 200) << second->body;
  auto last = patch(id, 250 * 1024, bytes.substr(250 * 1024));
  ASSERT_TRUE(last);
  ASSERT_EQ(last->status, 200) << last->body;
  std::string attachment = last->json()["attachmentId"];
  EXPECT_TRUE(attachment.starts_with("a_")) << attachment;
  EXPECT_EQ(last->json()["offset"], bytes.size());

  auto again = status(id);
  EXPECT_EQ(again["attachmentId"], attachment) << "a client whose answer was lost learns the id";
  auto downloaded = http().get("/v1/attachments/" + attachment, bearer("token-alice"));
  ASSERT_EQ(downloaded->status, 200);
  EXPECT_EQ(downloaded->body, bytes);
  EXPECT_EQ(downloaded->header("X-Confab-Sha256"), sha256_hex(bytes));
  EXPECT_EQ(downloaded->header("Accept-Ranges"), "bytes");
  EXPECT_EQ(downloaded->header("Content-Type"), "image/png");

  // The single-request upload records its SHA-256 too.
  auto whole = http().post("/v1/attachments", bearer("token-alice"), bytes, "image/png");
  ASSERT_EQ(whole->status, 201) << whole->body;
  EXPECT_EQ(whole->json()["sha256"], sha256_hex(bytes));
  auto served = http().get("/v1/attachments/" + whole->json()["attachmentId"].get<std::string>(), bearer("token-alice"));
  EXPECT_EQ(served->header("X-Confab-Sha256"), sha256_hex(bytes));
}

TEST_F(ServerUploads, AWrongOffsetIsAnsweredWithTheOffsetTheServerHolds) {
  std::string bytes = some_bytes(1000);
  std::string id = create(bytes)["uploadId"];
  ASSERT_EQ(patch(id, 0, bytes.substr(0, 400))->status, 200);
  for (std::size_t wrong : {0u, 300u, 500u}) {
    auto res = patch(id, wrong, bytes.substr(wrong, 100));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 409) << res->body;
    EXPECT_EQ(res->json()["code"], "invalid_field");
    EXPECT_EQ(res->json()["offset"], 400) << res->body;
  }
  EXPECT_EQ(status(id)["offset"], 400) << "nothing of a refused PATCH is kept";
  auto missing = http().request("PATCH", "/v1/uploads/" + id, bearer("token-alice"), "x", "application/offset+octet-stream");
  EXPECT_EQ(missing->status, 400) << "Upload-Offset is required";
  auto rest = patch(id, 400, bytes.substr(400));
  ASSERT_EQ(rest->status, 200) << rest->body;
  EXPECT_TRUE(rest->json().contains("attachmentId"));
  auto after = patch(id, 400, "x");
  EXPECT_EQ(after->status, 409) << "a complete upload takes no more";
  EXPECT_EQ(after->json()["attachmentId"], rest->json()["attachmentId"]);
}

TEST_F(ServerUploads, BytesThatArrivedBeforeTheConnectionWasCutAreKeptAndTheUploadResumes) {
  std::string bytes = some_bytes(2 * 1024 * 1024, 3);
  std::string id = create(bytes)["uploadId"];
  const std::size_t sent = 1800 * 1024;  // 90% of it, then the connection goes
  {
    auto connection = start_patch(id, 0, bytes.substr(0, sent), bytes.size());
    ASSERT_TRUE(eventually([&] { return status(id)["offset"] == sent; })) << "the bytes are appended as they come";
  }  // closed mid-body
  // Once the server has seen the cut, the session is free again and resumes where it was.
  std::optional<HttpReply> resumed;
  ASSERT_TRUE(eventually([&] {
    resumed = patch(id, sent, bytes.substr(sent));
    return resumed && resumed->status != 409;
  }));
  ASSERT_EQ(resumed->status, 200) << resumed->body;
  std::string attachment = resumed->json()["attachmentId"];
  EXPECT_EQ(http().get("/v1/attachments/" + attachment, bearer("token-alice"))->body, bytes);
}

TEST_F(ServerUploads, OnlyOnePatchOfAnUploadIsInProgressAtATime) {
  std::string bytes = some_bytes(64 * 1024);
  std::string id = create(bytes)["uploadId"];
  auto connection = start_patch(id, 0, bytes.substr(0, 1000), bytes.size());
  ASSERT_TRUE(eventually([&] { return status(id)["offset"] == 1000; }));
  auto second = patch(id, 1000, bytes.substr(1000));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 409) << second->body;
  EXPECT_EQ(second->json()["code"], "unavailable");
  EXPECT_EQ(second->json()["retryable"], true);
  EXPECT_EQ(second->json()["retryAfterMs"], 200);
  // The first one finishes; then the upload is whole.
  ASSERT_TRUE(connection.write(bytes.substr(1000)));
  auto answer = connection.read_reply();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200) << answer->body;
  EXPECT_TRUE(answer->json().contains("attachmentId"));
}

TEST_F(ServerUploads, BytesThatDoNotMatchTheirSha256ResetTheUpload) {
  std::string bytes = some_bytes(5000);
  std::string id = create(bytes)["uploadId"];
  std::string corrupted = bytes;
  corrupted[4000] ^= 0x55;
  ASSERT_EQ(patch(id, 0, corrupted.substr(0, 3000))->status, 200);
  auto last = patch(id, 3000, corrupted.substr(3000));
  ASSERT_TRUE(last);
  EXPECT_EQ(last->status, 400) << last->body;
  EXPECT_EQ(last->json()["code"], "invalid_field");
  EXPECT_EQ(status(id)["offset"], 0) << "the upload starts again";
  auto redone = patch(id, 0, bytes);
  ASSERT_EQ(redone->status, 200) << redone->body;
  EXPECT_TRUE(redone->json().contains("attachmentId"));
}

TEST_F(ServerUploads, UploadsOverTheLimitOrMalformedAreRefusedAndNothingIsKept) {
  auto ask = [&](const json& body) {
    return http().post("/v1/uploads", bearer("token-alice"), body.dump(), "application/json");
  };
  std::string sha(64, 'a');
  auto huge = ask({{"size", 26214401}, {"sha256", sha}});
  EXPECT_EQ(huge->status, 413) << huge->body;
  EXPECT_EQ(huge->json()["code"], "frame_too_large");
  EXPECT_EQ(huge->json()["retryable"], false);
  EXPECT_EQ(ask({{"size", 0}, {"sha256", sha}})->status, 400);
  EXPECT_EQ(ask({{"sha256", sha}})->status, 400);
  EXPECT_EQ(ask({{"size", 10}, {"sha256", std::string(64, 'A')}})->status, 400);
  EXPECT_EQ(ask({{"size", 10}})->status, 400);
  EXPECT_EQ(ask({{"size", 10}, {"sha256", sha}, {"contentType", "bad\ntype"}})->status, 400);
  EXPECT_EQ(http().post("/v1/uploads", {}, json{{"size", 10}, {"sha256", sha}}.dump(), "application/json")->status, 401);
  EXPECT_EQ(ask({{"size", 26214400}, {"sha256", sha}})->status, 201) << "exactly the limit is taken";
  EXPECT_EQ(files_in(uploads()), 2u) << "one session: its bytes and its description";

  // A PATCH longer than what is left is refused at its head.
  std::string bytes = some_bytes(100);
  std::string id = create(bytes)["uploadId"];
  auto over = patch(id, 0, bytes + "more");
  EXPECT_EQ(over->status, 413) << over->body;
  EXPECT_EQ(status(id)["offset"], 0);
}

TEST_F(ServerUploads, AtMost32UploadsAreOpenPerUser) {
  std::string bytes = some_bytes(10);
  for (int i = 0; i < 32; ++i) ASSERT_FALSE(create(bytes)["uploadId"].is_null());
  auto refused = http().post("/v1/uploads", bearer("token-alice"),
                             json{{"size", 10}, {"sha256", sha256_hex(bytes)}}.dump(), "application/json");
  EXPECT_EQ(refused->status, 429) << refused->body;
  EXPECT_EQ(refused->json()["code"], "rate_limited");
  EXPECT_GT(refused->json()["retryAfterMs"].get<std::int64_t>(), 0);
  EXPECT_FALSE(create(bytes, "token-bob")["uploadId"].is_null()) << "the limit is per user";
}

TEST_F(ServerUploads, AnotherUsersUploadIsNotFound) {
  std::string bytes = some_bytes(100);
  std::string id = create(bytes)["uploadId"];
  EXPECT_EQ(http().get("/v1/uploads/" + id, bearer("token-bob"))->status, 404);
  EXPECT_EQ(patch(id, 0, bytes, "token-bob")->status, 404);
  EXPECT_EQ(http().request("DELETE", "/v1/uploads/" + id, bearer("token-bob"))->status, 404);
  EXPECT_EQ(http().get("/v1/uploads/u_00000000-0000-7000-8000-000000000000", bearer("token-alice"))->status, 404);
  EXPECT_EQ(http().get("/v1/uploads/" + id)->status, 401);
  EXPECT_EQ(status(id)["offset"], 0) << "still alice's, untouched";
}

TEST_F(ServerUploads, DeletingAnUploadFreesItsBytes) {
  std::string bytes = some_bytes(50'000);
  std::string id = create(bytes)["uploadId"];
  ASSERT_EQ(patch(id, 0, bytes.substr(0, 20'000))->status, 200);
  EXPECT_EQ(files_in(uploads()), 2u);
  auto deleted = http().request("DELETE", "/v1/uploads/" + id, bearer("token-alice"));
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 204);
  EXPECT_EQ(files_in(uploads()), 0u);
  EXPECT_EQ(http().get("/v1/uploads/" + id, bearer("token-alice"))->status, 404);
  EXPECT_EQ(patch(id, 20'000, bytes.substr(20'000))->status, 404);
}

TEST_F(ServerUploads, AHalfDoneUploadSurvivesARestartOfTheServer) {
  std::string bytes = some_bytes(400'000, 5);
  std::string id = create(bytes)["uploadId"];
  ASSERT_EQ(patch(id, 0, bytes.substr(0, 150'000))->status, 200);
  restart();
  EXPECT_EQ(status(id)["offset"], 150'000);
  auto rest = patch(id, 150'000, bytes.substr(150'000));
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->status, 200) << rest->body;
  std::string attachment = rest->json()["attachmentId"];
  EXPECT_EQ(http().get("/v1/attachments/" + attachment, bearer("token-alice"))->body, bytes);
}

TEST_F(ServerUploads, ExpiryDeletesUploadsAndUnreferencedAttachmentsButKeepsReferencedOnes) {
  config_ = server_config_with(R"("uploadTtlMs": 1000)");
  std::string bytes = some_bytes(10'000);
  std::string kept = upload(bytes);
  std::string orphan = upload(some_bytes(7'000, 2));
  WsProbe alice(server().port());
  alice.authenticate("token-alice");
  json send{{"type", "message.send"}, {"id", "s"}, {"conversationId", "c_general"}, {"clientMessageId", "k1"},
            {"body", {{"kind", "text"}, {"text", "kept"}, {"attachments", {{{"id", kept}}}}}}};
  alice.send_text(send.dump());
  ASSERT_EQ(alice.read_json()["type"], "message.ack");
  std::string open = create(bytes)["uploadId"];
  ASSERT_EQ(patch(open, 0, bytes.substr(0, 5000))->status, 200);

  ASSERT_TRUE(eventually([&] {
    return http().get("/v1/uploads/" + open, bearer("token-alice"))->status == 404 && files_in(uploads()) == 0;
  })) << "an expired session and its bytes go";
  ASSERT_TRUE(eventually([&] { return !std::filesystem::exists(attachments() / orphan); }))
      << "an attachment no message references goes";
  EXPECT_EQ(http().get("/v1/attachments/" + orphan, bearer("token-alice"))->status, 404);
  auto referenced = http().get("/v1/attachments/" + kept, bearer("token-bob"));
  ASSERT_TRUE(referenced);
  EXPECT_EQ(referenced->status, 200);
  EXPECT_EQ(referenced->body, bytes);
}

TEST_F(ServerUploads, RangesOfAnAttachmentAreServed) {
  std::string bytes = some_bytes(10'000, 9);
  std::string id = upload(bytes, "application/pdf");
  auto ranged = [&](const std::string& range) {
    auto headers = bearer("token-alice");
    headers.emplace_back("Range", range);
    return http().get("/v1/attachments/" + id, headers);
  };
  auto middle = ranged("bytes=100-199");
  ASSERT_EQ(middle->status, 206);
  EXPECT_EQ(middle->body, bytes.substr(100, 100));
  EXPECT_EQ(middle->header("Content-Range"), "bytes 100-199/10000");
  EXPECT_EQ(middle->header("Accept-Ranges"), "bytes");
  EXPECT_EQ(middle->header("X-Confab-Sha256"), sha256_hex(bytes));
  auto from = ranged("bytes=9000-");
  ASSERT_EQ(from->status, 206);
  EXPECT_EQ(from->body, bytes.substr(9000));
  EXPECT_EQ(from->header("Content-Range"), "bytes 9000-9999/10000");
  auto suffix = ranged("bytes=-500");
  ASSERT_EQ(suffix->status, 206);
  EXPECT_EQ(suffix->body, bytes.substr(9500));
  auto past_end = ranged("bytes=9990-20000");
  ASSERT_EQ(past_end->status, 206);
  EXPECT_EQ(past_end->body, bytes.substr(9990));
  auto outside = ranged("bytes=10000-");
  EXPECT_EQ(outside->status, 416);
  EXPECT_EQ(outside->header("Content-Range"), "bytes */10000");
  auto several = ranged("bytes=0-1,5-6");
  EXPECT_EQ(several->status, 200);
  EXPECT_EQ(several->body, bytes);
}

TEST_F(ServerUploads, AMessageCarriesItsAttachmentsMetadataFromTheServerAndTheSender) {
  std::string bytes = some_bytes(20'000, 4);
  std::string id = upload(bytes, "image/jpeg");
  WsProbe alice(server().port());
  alice.authenticate("token-alice");
  WsProbe bob(server().port());
  bob.authenticate("token-bob");
  auto send = [&](const std::string& client_id, const json& attachment) {
    json frame{{"type", "message.send"}, {"id", "s"}, {"conversationId", "c_release"}, {"clientMessageId", client_id},
               {"body", {{"kind", "text"}, {"text", "photo"}, {"attachments", {attachment}}}}};
    alice.send_text(frame.dump());
    return alice.read_json();
  };
  auto wrong_sha = send("p0", {{"id", id}, {"sha256", sha256_hex("something else")}});
  EXPECT_EQ(wrong_sha["code"], "invalid_field") << wrong_sha;
  auto wrong_size = send("p1", {{"id", id}, {"size", 19'999}});
  EXPECT_EQ(wrong_size["code"], "invalid_field") << wrong_size;

  json declared{{"id", id},          {"name", "beach.jpg"}, {"size", bytes.size()}, {"contentType", "image/png"},
                {"sha256", sha256_hex(bytes)}, {"width", 640},    {"height", 480},     {"preview", "AAAA"}};
  ASSERT_EQ(send("p2", declared)["type"], "message.ack");
  auto expect_metadata = [&](const json& file, const std::string& where) {
    EXPECT_EQ(file["id"], id) << where;
    EXPECT_EQ(file["name"], "beach.jpg") << where;
    EXPECT_EQ(file["size"], bytes.size()) << where;
    EXPECT_EQ(file["contentType"], "image/jpeg") << where << ": the server's record, not the sender's word";
    EXPECT_EQ(file["sha256"], sha256_hex(bytes)) << where;
    EXPECT_EQ(file["width"], 640) << where;
    EXPECT_EQ(file["height"], 480) << where;
    EXPECT_EQ(file["preview"], "AAAA") << where;
  };
  auto own = alice.read_json();
  ASSERT_EQ(own["type"], "event") << own;
  expect_metadata(own["message"]["body"]["attachments"][0], "the sender's own event");
  auto event = bob.read_json();
  ASSERT_EQ(event["message"]["body"]["attachments"].size(), 1u) << event;
  expect_metadata(event["message"]["body"]["attachments"][0], "event");
  auto history = http().get("/v1/conversations/c_release/messages?afterSeq=0", bearer("token-bob"));
  ASSERT_EQ(history->status, 200) << history->body;
  auto events = history->json()["events"];
  ASSERT_EQ(events.size(), 1u) << history->body;
  expect_metadata(events[0]["message"]["body"]["attachments"][0], "history");
  // A resend with the same files (by id) is the same request.
  declared.erase("preview");
  EXPECT_EQ(send("p2", declared)["type"], "message.ack");
}

}  // namespace
}  // namespace confab::test
