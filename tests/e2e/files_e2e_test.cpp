// Files against the real server, some through the fault proxy: a message waits for its
// uploads and goes once, in its place; an upload cut by resets resumes where the server
// stopped; a download resumes with a range and is checked; refusals and cancels leave
// nothing behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>

#include "child_process.h"
#include "fault_proxy.h"
#include "http_client.h"
#include "printers.h"
#include "sdk_device.h"
#include "server_log.h"
#include "server_process.h"
#include "temp_dir.h"

namespace confab {
namespace {

using test::Device;
namespace fs = std::filesystem;

std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(random() & 0xff);
  return out;
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A 24-bit BMP of `width` x `height`, a colour gradient.
std::string bmp(int width, int height) {
  const int row = (width * 3 + 3) / 4 * 4;
  const int size = 54 + row * height;
  std::string out(static_cast<std::size_t>(size), '\0');
  auto put32 = [&](int at, int v) {
    for (int i = 0; i < 4; ++i) out[static_cast<std::size_t>(at + i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  out[0] = 'B';
  out[1] = 'M';
  put32(2, size);
  put32(10, 54);
  put32(14, 40);
  put32(18, width);
  put32(22, height);
  out[26] = 1;
  out[28] = 24;
  put32(34, row * height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      auto at = static_cast<std::size_t>(54 + y * row + x * 3);
      out[at] = static_cast<char>(x * 255 / width);
      out[at + 1] = static_cast<char>(y * 255 / height);
      out[at + 2] = static_cast<char>(128);
    }
  }
  return out;
}

std::size_t files_in(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return 0;
  std::size_t n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) n += entry.is_regular_file(ec) ? 1 : 0;
  return n;
}

// Within each attempt of each upload (from `running` to the next `queued` or the end), the
// bytes the server holds never go back.
bool monotonic_within_attempts(const std::vector<UploadProgress>& seen) {
  std::map<std::pair<std::int64_t, std::size_t>, std::int64_t> last;
  for (const auto& p : seen) {
    auto& before = last.try_emplace({p.local_id, p.index}, -1).first->second;
    if (p.state == TransferState::queued) {
      before = -1;
      continue;
    }
    if (p.state == TransferState::running && p.sent_bytes < before) return false;
    before = std::max(before, p.sent_bytes);
  }
  return true;
}

struct Watch {
  explicit Watch(Client& client) {
    subscriptions.push_back(client.on_upload([this](const UploadProgress& p) { uploads.add(p); }));
    subscriptions.push_back(client.on_download([this](const DownloadProgress& p) { downloads.add(p); }));
  }
  bool sent_at_least(std::int64_t bytes) {
    return uploads.wait_until([bytes](const std::vector<UploadProgress>& seen) {
      return !seen.empty() && seen.back().sent_bytes >= bytes;
    });
  }
  test::Recorder<UploadProgress> uploads;
  test::Recorder<DownloadProgress> downloads;
  std::vector<Subscription> subscriptions;
};

class FilesE2e : public testing::Test {
 protected:
  std::function<void(ClientOptions&)> via(std::uint16_t http_port, const fs::path& files = {}) {
    return [http_port, files](ClientOptions& o) {
      o.files.http_url = "http://127.0.0.1:" + std::to_string(http_port);
      o.files.retry_base = std::chrono::milliseconds(50);
      o.files.retry_cap = std::chrono::milliseconds(200);
      if (!files.empty()) o.files.directory = files;
    };
  }

  // Waits until `device` stores a message with files in `conversation` and returns it.
  static std::optional<TimelineMessage> wait_for_file_message(Device& device, const std::string& conversation) {
    std::optional<TimelineMessage> found;
    device.wait_for_store([&] {
      for (auto& m : device.stored(conversation)) {
        if (!m.attachments.empty()) found = m;
      }
      return found.has_value();
    });
    return found;
  }

  test::TempDir dir_;
};

TEST_F(FilesE2e, AnImageGoesWithItsMessageAndComesBackCheckedWithItsSizeAndPreview) {
  test::ServerProcess server(dir_ / "server");
  Device alice("alice-phone", dir_ / "alice.db", via(server.http_port()));
  Device bob("bob-phone", ":memory:", via(server.http_port()));
  Watch watch(*alice.client);
  ASSERT_TRUE(alice.client->connect(server.url(), "token-alice").ok());
  ASSERT_TRUE(bob.client->connect(server.url(), "token-bob").ok());

  const auto image = bmp(96, 48);
  const auto report = random_bytes(300 * 1024, 1);
  write_file(dir_ / "chart.bmp", image);
  SendOptions options;
  options.attachments = {FileToSend{dir_ / "chart.bmp", {}, {}, {}}, FileToSend{{}, report, "report.bin", {}}};
  auto sent = alice.client->send("c_general", "", options);
  ASSERT_TRUE(sent.ok()) << describe(sent.error());
  fs::remove(dir_ / "chart.bmp");  // the app's copy may go at once
  ASSERT_EQ(sent->attachments.size(), 2u);
  EXPECT_EQ(sent->attachments[0].name, "chart.bmp");
  EXPECT_EQ(sent->attachments[0].content_type, "image/bmp");
  EXPECT_EQ(sent->attachments[0].width, 96);
  EXPECT_EQ(sent->attachments[0].height, 48);
  EXPECT_FALSE(sent->attachments[0].preview.empty());
  EXPECT_TRUE(sent->attachments[0].attachment_id.empty());
  ASSERT_TRUE(alice.wait_for_outbox(1));
  EXPECT_TRUE(monotonic_within_attempts(watch.uploads.items()));

  auto received = wait_for_file_message(bob, "c_general");
  ASSERT_TRUE(received.has_value());
  ASSERT_EQ(received->attachments.size(), 2u);
  const auto& chart = received->attachments[0];
  EXPECT_EQ(chart.name, "chart.bmp");
  EXPECT_EQ(chart.size, static_cast<std::int64_t>(image.size()));
  EXPECT_EQ(chart.width, 96);
  EXPECT_EQ(chart.height, 48);
  EXPECT_EQ(chart.preview, sent->attachments[0].preview);
  EXPECT_EQ(chart.sha256, sent->attachments[0].sha256);
  EXPECT_EQ(received->attachments[1].size, static_cast<std::int64_t>(report.size()));

  Watch bob_watch(*bob.client);
  auto got = bob.client->download(received->attachments[1], dir_ / "report-copy.bin").wait();
  ASSERT_TRUE(got.ok()) << describe(got.error());
  EXPECT_EQ(*got, dir_ / "report-copy.bin");
  EXPECT_EQ(read_file(*got), report);
  ASSERT_TRUE(bob.client->cached_file(received->attachments[1]).has_value());
  // The second time comes from the cache.
  auto again = bob.client->download(received->attachments[1]).wait();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(read_file(*again), report);
  // Alice's copies are gone once the server has them.
  EXPECT_EQ(files_in(dir_ / "alice.db.files" / "outgoing"), 0u);
}

TEST_F(FilesE2e, FilesTooLargeUnreadableOrTooManyAreRefusedBeforeAnythingIsQueued) {
  test::ServerProcess server(dir_ / "server");
  Device alice("alice-phone", dir_ / "alice.db", via(server.http_port()));
  auto refused = [&](std::vector<FileToSend> files) {
    SendOptions options;
    options.attachments = std::move(files);
    auto sent = alice.client->send("c_general", "x", options);
    return !sent.ok() && sent.error().code == ErrorCode::invalid_argument;
  };
  {
    std::ofstream big(dir_ / "big.bin", std::ios::binary);
    big.seekp(26214400);
    big.put('x');  // 25 MiB + 1
  }
  EXPECT_TRUE(refused({FileToSend{dir_ / "big.bin", {}, {}, {}}}));
  EXPECT_TRUE(refused({FileToSend{dir_ / "missing.bin", {}, {}, {}}}));
  EXPECT_TRUE(refused({FileToSend{{}, "", "empty.txt", {}}}));
  EXPECT_TRUE(refused({FileToSend{{}, "x", "bad\nname", {}}}));
  EXPECT_TRUE(refused(std::vector<FileToSend>(11, FileToSend{{}, "x", "a.txt", {}})));
  EXPECT_TRUE(refused({FileToSend{{}, "ok", "a.txt", {}}, FileToSend{dir_ / "missing.bin", {}, {}, {}}}));
  EXPECT_TRUE(alice.client->unsent_messages().empty());
  EXPECT_EQ(files_in(dir_ / "alice.db.files" / "outgoing"), 0u) << "no copy is left of a refused send";
}

TEST_F(FilesE2e, A25MiBUploadCutThreeTimesByResetsCompletesWithLittleSentTwice) {
  test::ServerProcess server(dir_ / "server");
  test::FaultProxy proxy(server.http_port());
  proxy.set_toxics(test::Toxics{.bytes_per_second = 40 * 1024 * 1024});
  Device alice("alice-phone", dir_ / "alice.db", via(proxy.port()));
  Watch watch(*alice.client);
  ASSERT_TRUE(alice.client->connect(server.url(), "token-alice").ok());

  const std::int64_t size = 25LL * 1024 * 1024;
  const auto bytes = random_bytes(static_cast<std::size_t>(size), 2);
  write_file(dir_ / "video.mp4", bytes);
  SendOptions options;
  options.attachments = {FileToSend{dir_ / "video.mp4", {}, {}, {}}};
  auto sent = alice.client->send("c_general", "the demo", options);
  ASSERT_TRUE(sent.ok()) << describe(sent.error());
  for (int cut = 1; cut <= 3; ++cut) {
    ASSERT_TRUE(watch.sent_at_least(size * cut / 4)) << "cut " << cut;
    proxy.reset_all();
  }
  ASSERT_TRUE(alice.wait_for_outbox(1));
  std::printf("25 MiB upload cut three times: %zu bytes through the proxy (%.3f x the file), %zu connections\n",
              proxy.bytes_forwarded(), static_cast<double>(proxy.bytes_forwarded()) / static_cast<double>(size),
              proxy.connections_accepted());
  EXPECT_LT(proxy.bytes_forwarded(), static_cast<std::size_t>(size) * 3 / 2)
      << "resumed from the server's offset, not from zero";
  EXPECT_TRUE(monotonic_within_attempts(watch.uploads.items()));
  auto done = watch.uploads.items().back();
  EXPECT_EQ(done.state, TransferState::done);
  EXPECT_EQ(done.sent_bytes, size);

  Device bob("bob-phone", ":memory:", via(server.http_port()));
  ASSERT_TRUE(bob.client->connect(server.url(), "token-bob").ok());
  auto received = wait_for_file_message(bob, "c_general");
  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(received->text, "the demo");
  EXPECT_EQ(received->attachments[0].sha256, sent->attachments[0].sha256);
  auto got = bob.client->download(received->attachments[0]).wait();
  ASSERT_TRUE(got.ok()) << describe(got.error());
  EXPECT_TRUE(read_file(*got) == bytes);
}

TEST_F(FilesE2e, ADownloadCutByAResetResumesWithARangeAndIsChecked) {
  test::ServerProcess server(dir_ / "server");
  Device alice("alice-phone", ":memory:", via(server.http_port()));
  ASSERT_TRUE(alice.client->connect(server.url(), "token-alice").ok());
  const auto bytes = random_bytes(8 * 1024 * 1024, 3);
  SendOptions options;
  options.attachments = {FileToSend{{}, bytes, "logs.tar", {}}};
  ASSERT_TRUE(alice.client->send("c_general", "logs", options).ok());
  ASSERT_TRUE(alice.wait_for_outbox(1));

  test::FaultProxy proxy(server.http_port());
  proxy.set_toxics(test::Toxics{.bytes_per_second = 8 * 1024 * 1024});
  Device bob("bob-phone", ":memory:", via(proxy.port()));
  Watch watch(*bob.client);
  ASSERT_TRUE(bob.client->connect(server.url(), "token-bob").ok());
  auto received = wait_for_file_message(bob, "c_general");
  ASSERT_TRUE(received.has_value());
  auto pending = bob.client->download(received->attachments[0], dir_ / "logs.tar");
  ASSERT_TRUE(watch.downloads.wait_until([](const std::vector<DownloadProgress>& seen) {
    return !seen.empty() && seen.back().received_bytes >= 4 * 1024 * 1024;
  }));
  proxy.reset_all();
  auto got = pending.wait();
  ASSERT_TRUE(got.ok()) << describe(got.error());
  EXPECT_TRUE(read_file(dir_ / "logs.tar") == bytes);
  std::printf("8 MiB download cut once: %zu bytes through the proxy (%.3f x the file)\n", proxy.bytes_forwarded(),
              static_cast<double>(proxy.bytes_forwarded()) / static_cast<double>(bytes.size()));
  EXPECT_LT(proxy.bytes_forwarded(), bytes.size() * 3 / 2) << "resumed with a range";
  auto seen = watch.downloads.items();
  EXPECT_EQ(seen.back().state, TransferState::done);
  EXPECT_GE(proxy.connections_accepted(), 2u) << "the drop was seen and the rest asked for again";
}

TEST_F(FilesE2e, OnlyMembersMayDownloadAndOthersGetTypedErrors) {
  test::ServerProcess server(dir_ / "server");
  Device alice("alice-phone", ":memory:", via(server.http_port()));
  ASSERT_TRUE(alice.client->connect(server.url(), "token-alice").ok());
  SendOptions options;
  options.attachments = {FileToSend{{}, "plans", "plans.txt", {}}};
  auto sent = alice.client->send("c_release", "", options);  // carol is not in c_release
  ASSERT_TRUE(sent.ok());
  ASSERT_TRUE(alice.wait_for_outbox(1));
  auto stored = wait_for_file_message(alice, "c_release");
  ASSERT_TRUE(stored.has_value());

  Device carol("carol-phone", ":memory:", via(server.http_port()));
  ASSERT_TRUE(carol.client->connect(server.url(), "token-carol").ok());
  ASSERT_TRUE(carol.wait_for_state(ConnectionState::connected));
  auto refused = carol.client->download(stored->attachments[0]).wait();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::not_found);
  Attachment unknown = stored->attachments[0];
  unknown.attachment_id = "a_no_such_file";
  auto missing = carol.client->download(unknown).wait();
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  auto no_id = carol.client->download(Attachment{}).wait();
  ASSERT_FALSE(no_id.ok());
  EXPECT_EQ(no_id.error().code, ErrorCode::invalid_argument);
}

TEST_F(FilesE2e, AMessageBehindAnUploadKeepsItsPlaceWhileAnotherConversationGoesOn) {
  test::ServerProcess server(dir_ / "server");
  test::FaultProxy proxy(server.http_port());
  proxy.set_toxics(test::Toxics{.bytes_per_second = 1024 * 1024});
  Device alice("alice-phone", ":memory:", via(proxy.port()));
  Watch watch(*alice.client);
  ASSERT_TRUE(alice.client->connect(server.url(), "token-alice").ok());
  ASSERT_TRUE(alice.wait_for_state(ConnectionState::connected));

  SendOptions options;
  options.attachments = {FileToSend{{}, random_bytes(6 * 1024 * 1024, 4), "big.bin", {}}};
  auto with_file = alice.client->send("c_general", "first, with a file", options).value();
  auto behind = alice.client->send("c_general", "second, behind it").value();
  auto elsewhere = alice.client->send("c_release", "meanwhile elsewhere").value();

  // The other conversation's message is acknowledged while the upload still runs.
  ASSERT_TRUE(alice.outbox.wait_until([&](const std::vector<LocalMessage>& seen) {
    return std::any_of(seen.begin(), seen.end(), [&](const LocalMessage& m) {
      return m.local_id == elsewhere.local_id && m.state == OutboxState::sent;
    });
  }));
  auto progress = alice.client->uploads(with_file.local_id);
  ASSERT_EQ(progress.size(), 1u);
  EXPECT_NE(progress[0].state, TransferState::done) << "still uploading";
  for (const auto& m : alice.outbox.items()) {
    if (m.local_id == behind.local_id) {
      EXPECT_NE(m.state, OutboxState::sent) << "it waits for the one before it";
    }
  }
  proxy.set_toxics(test::Toxics{});
  ASSERT_TRUE(alice.wait_for_outbox(3));
  EXPECT_EQ(test::read_server_texts(server.database(), "c_general"),
            (std::vector<std::string>{"first, with a file", "second, behind it"}));
}

TEST_F(FilesE2e, AFileTheServerRefusesForGoodFailsItsMessageAloneAndRetryIsPossible) {
  test::ServerProcess server(dir_ / "server", test::server_config_with(R"("maxAttachmentBytes": 1048576)"));
  Device alice("alice-phone", ":memory:", via(server.http_port()));
  ASSERT_TRUE(alice.client->connect(server.url(), "token-alice").ok());
  SendOptions options;
  options.attachments = {FileToSend{{}, random_bytes(2 * 1024 * 1024, 7), "too-big-here.bin", {}}};
  auto refused = alice.client->send("c_general", "with a file this server will not take", options).value();
  auto after = alice.client->send("c_general", "behind it").value();
  ASSERT_TRUE(alice.wait_for_outbox(1, 1)) << "the refused one fails, the next one goes";
  auto unsent = alice.client->unsent_messages();
  ASSERT_EQ(unsent.size(), 1u);
  EXPECT_EQ(unsent[0].local_id, refused.local_id);
  ASSERT_TRUE(unsent[0].last_error.has_value());
  EXPECT_EQ(unsent[0].last_error->code, ErrorCode::frame_too_large);
  EXPECT_EQ(test::read_server_texts(server.database(), "c_general"), std::vector<std::string>{"behind it"});
  EXPECT_NE(after.local_id, refused.local_id);
  // Its copy stays for retry(), which tries the upload again (and is refused again here).
  ASSERT_TRUE(alice.client->retry(refused.local_id).ok());
  ASSERT_TRUE(alice.outbox.wait_until([&](const std::vector<LocalMessage>& seen) {
    return std::count_if(seen.begin(), seen.end(), [&](const LocalMessage& m) {
             return m.local_id == refused.local_id && m.state == OutboxState::failed;
           }) >= 2;
  }));
}

TEST_F(FilesE2e, CancelLeavesNothingOnTheDeviceNorOnTheServerAfterExpiry) {
  test::ServerProcess server(dir_ / "server", test::server_config_with(R"("uploadTtlMs": 500)"));
  test::FaultProxy proxy(server.http_port());
  proxy.set_toxics(test::Toxics{.bytes_per_second = 512 * 1024});
  Device alice("alice-phone", dir_ / "alice.db", via(proxy.port()));
  Watch watch(*alice.client);
  ASSERT_TRUE(alice.client->connect(server.url(), "token-alice").ok());
  SendOptions options;
  options.attachments = {FileToSend{{}, random_bytes(4 * 1024 * 1024, 5), "big.bin", {}}};
  auto sent = alice.client->send("c_general", "never mind", options).value();
  auto behind = alice.client->send("c_general", "this one goes").value();
  ASSERT_TRUE(watch.sent_at_least(256 * 1024));
  ASSERT_TRUE(alice.client->cancel_upload(sent.local_id).ok());
  EXPECT_FALSE(alice.client->cancel_upload(sent.local_id).ok()) << "nothing left to cancel";
  ASSERT_TRUE(alice.outbox.wait_until([&](const std::vector<LocalMessage>& seen) {
    return std::any_of(seen.begin(), seen.end(), [&](const LocalMessage& m) {
      return m.local_id == behind.local_id && m.state == OutboxState::sent;
    });
  })) << "the cancelled message no longer holds up its conversation";
  EXPECT_EQ(files_in(dir_ / "alice.db.files" / "outgoing"), 0u);
  EXPECT_TRUE(alice.client->uploads(sent.local_id).empty());
  EXPECT_EQ(test::read_server_texts(server.database(), "c_general"), std::vector<std::string>{"this one goes"});
  // The server's bytes go by expiry (the client's DELETE may beat it); a round trip to the
  // server between two looks.
  const auto server_files = dir_ / "server" / "server-attachments";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  test::HttpClient http(server.http_port());
  while (files_in(server_files) > 0 && std::chrono::steady_clock::now() < deadline) {
    static_cast<void>(http.get("/v1/uploads/u_none", {{"Authorization", "Bearer token-alice"}}));
  }
  EXPECT_EQ(files_in(server_files), 0u) << "nothing of the cancelled upload is kept";
}

TEST_F(FilesE2e, KilledMidUploadTheRestartedAppFinishesItAndTheMessageIsThereOnce) {
  test::ServerProcess server(dir_ / "server");
  test::FaultProxy proxy(server.http_port());
  proxy.set_toxics(test::Toxics{.bytes_per_second = 4 * 1024 * 1024});
  const auto bytes = random_bytes(12 * 1024 * 1024, 6);
  write_file(dir_ / "film.mp4", bytes);
  auto child = [&](const std::string& file) {
    return std::make_unique<test::ChildProcess>(
        std::vector<std::string>{CONFAB_UPLOAD_CHILD_BINARY, server.url(), "token-alice",
                                 "http://127.0.0.1:" + std::to_string(proxy.port()), (dir_ / "alice.db").string(), file},
        dir_ / "child.log");
  };
  {
    auto first = child((dir_ / "film.mp4").string());
    for (;;) {
      auto line = first->read_line(std::chrono::seconds(30));
      ASSERT_TRUE(line.has_value()) << "the child stopped answering";
      if (line->starts_with("progress ") && std::stoll(line->substr(9)) >= 4 * 1024 * 1024) break;
    }
    first->kill_and_wait(SIGKILL);
  }
  proxy.set_toxics(test::Toxics{});
  auto second = child("-");
  std::optional<std::string> line;
  while ((line = second->read_line(std::chrono::seconds(60))) && !line->starts_with("sent ")) {
  }
  ASSERT_TRUE(line.has_value()) << "the restarted app did not finish the upload";
  std::printf("12 MiB upload killed with SIGKILL and resumed: %zu bytes through the proxy (%.3f x the file)\n",
              proxy.bytes_forwarded(), static_cast<double>(proxy.bytes_forwarded()) / static_cast<double>(bytes.size()));
  EXPECT_LT(proxy.bytes_forwarded(), bytes.size() * 3 / 2) << "it resumed from the server's offset";

  EXPECT_EQ(test::read_server_texts(server.database(), "c_general"), std::vector<std::string>{"the film"});
  Device bob("bob-phone", ":memory:", via(server.http_port()));
  ASSERT_TRUE(bob.client->connect(server.url(), "token-bob").ok());
  auto received = wait_for_file_message(bob, "c_general");
  ASSERT_TRUE(received.has_value());
  auto got = bob.client->download(received->attachments[0]).wait();
  ASSERT_TRUE(got.ok()) << describe(got.error());
  EXPECT_TRUE(read_file(*got) == bytes) << "the right bytes, checked against their SHA-256";
}

}  // namespace
}  // namespace confab
