// The local store against the real server: catch-up after being offline, a reset when too
// far behind and scrolling back, identical logs on every device under lost acks, duplicated
// deliveries and dropped connections, read cursors shared between a user's devices, and a
// damaged cache rebuilt from the server.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "http_client.h"
#include "sdk_device.h"
#include "server_process.h"
#include "temp_dir.h"

namespace confab::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kGeneral = "c_general";

// Short timers, so that faults heal within a test.
void quick(ClientOptions& options) {
  options.outbox.ack_timeout = 500ms;
  options.outbox.retry_base = 20ms;
  options.outbox.retry_cap = 200ms;
  options.connection.retry_base = 50ms;
  options.connection.retry_cap = 300ms;
}

class SyncE2e : public testing::Test {
 protected:
  ServerProcess& server() {
    if (!server_) server_ = std::make_unique<ServerProcess>(dir_.path() / "server", config_);
    return *server_;
  }

  std::unique_ptr<Device> device(const std::string& id, const std::string& token, std::filesystem::path db = {}) {
    if (db.empty()) db = dir_.path() / (id + ".db");
    auto d = std::make_unique<Device>(id, db, quick);
    EXPECT_TRUE(d->client->connect(server().url(), token).ok());
    EXPECT_TRUE(d->wait_for_state(ConnectionState::connected)) << id;
    return d;
  }

  void faults(const json& request) {
    auto res = HttpClient(server().http_port()).post("/v1/admin/faults", request.dump(), "application/json");
    ASSERT_TRUE(res) << "fault injection unreachable";
    ASSERT_EQ(res->status, 200) << res->body;
  }

  static Seq synced(Device& d, const std::string& conversation = kGeneral) {
    auto info = d.client->conversation(conversation);
    return info.ok() ? info->synced_seq : -1;
  }

  TempDir dir_;
  std::string config_ = default_server_config();
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(SyncE2e, ADeviceCatchesUpOnEverythingMissedWhileOfflineAndOnlyThat) {
  auto bob = device("bob-phone", "token-bob");
  for (int i = 0; i < 600; ++i) ASSERT_TRUE(bob->client->send(kGeneral, "before " + std::to_string(i)).ok());
  ASSERT_TRUE(bob->wait_for_outbox(600));

  auto alice_db = dir_.path() / "alice.db";
  {
    auto alice = device("alice-phone", "token-alice", alice_db);
    ASSERT_TRUE(alice->sync.wait_until([](const auto& p) { return !p.empty() && p.back().finished; }));
    EXPECT_GE(alice->sync.items().back().behind, 1u);
    ASSERT_TRUE(alice->wait_for_store([&] { return synced(*alice) == 600; }));
    auto log = alice->stored(kGeneral);
    ASSERT_EQ(log.size(), 600u);
    for (std::size_t i = 0; i < log.size(); ++i) {
      EXPECT_EQ(log[i].seq, static_cast<Seq>(i + 1));
      EXPECT_EQ(log[i].text, "before " + std::to_string(i));
    }
    EXPECT_EQ(alice->messages.items().size(), 600u) << "each caught-up event reaches the app once";
    EXPECT_EQ(alice->client->conversation(kGeneral)->unread_count, 600);
  }

  // Offline again while 50 more arrive; the restarted device fetches only those.
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(bob->client->send(kGeneral, "after " + std::to_string(i)).ok());
  ASSERT_TRUE(bob->wait_for_outbox(650));
  auto alice = device("alice-phone", "token-alice", alice_db);
  ASSERT_TRUE(alice->wait_for_store([&] { return synced(*alice) == 650; }));
  auto seen = alice->messages.items();
  ASSERT_EQ(seen.size(), 50u);
  EXPECT_EQ(seen.front().conversation_seq, 601);
  EXPECT_EQ(alice->stored(kGeneral).size(), 650u);
}

TEST_F(SyncE2e, TooFarBehindStartsFromTheNewestPageAndScrollsBackToTheStart) {
  config_ = server_config_with(R"("maxDifference": 100)");
  auto bob = device("bob-phone", "token-bob");
  for (int i = 0; i < 450; ++i) ASSERT_TRUE(bob->client->send(kGeneral, "n" + std::to_string(i)).ok());
  ASSERT_TRUE(bob->wait_for_outbox(450));

  auto alice = device("alice-phone", "token-alice");
  ASSERT_TRUE(alice->wait_for_store([&] { return synced(*alice) == 450; }));
  bool reset = false;
  for (const auto& c : alice->changes.items()) reset |= c.reset;
  EXPECT_TRUE(reset);
  auto newest = alice->client->messages(kGeneral, 0, 500);
  ASSERT_TRUE(newest.ok());
  ASSERT_FALSE(newest->messages.empty());
  EXPECT_EQ(newest->messages.back().seq, 450);
  EXPECT_LT(newest->messages.size(), 450u);
  EXPECT_TRUE(newest->more_on_server);

  // Scrolling back: each load_older() stores a page, until the store reaches seq 1.
  for (int round = 0; round < 10; ++round) {
    auto before = alice->stored(kGeneral).size();
    auto asked = alice->client->load_older(kGeneral, 100);
    ASSERT_TRUE(asked.ok());
    if (!*asked) break;
    ASSERT_TRUE(alice->wait_for_store([&] { return alice->stored(kGeneral).size() > before; })) << "round " << round;
  }
  auto log = alice->stored(kGeneral);
  ASSERT_EQ(log.size(), 450u);
  for (std::size_t i = 0; i < log.size(); ++i) EXPECT_EQ(log[i].seq, static_cast<Seq>(i + 1));
  EXPECT_FALSE(alice->client->messages(kGeneral, 1, 10)->more_on_server);
  EXPECT_FALSE(*alice->client->load_older(kGeneral, 100));
}

TEST_F(SyncE2e, EveryDeviceEndsWithTheSameLogDespiteLostAcksDuplicatesAndDrops) {
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(device("alice-phone", "token-alice"));
  devices.push_back(device("alice-laptop", "token-alice"));
  devices.push_back(device("bob-phone", "token-bob"));
  devices.push_back(device("carol-phone", "token-carol"));
  constexpr int kEach = 40;

  faults({{"duplicateEvents", true}, {"dropAcks", 6}});
  std::set<std::string> sent;
  for (int round = 0; round < kEach; ++round) {
    for (auto& d : devices) {
      auto echo = d->client->send(kGeneral, "round " + std::to_string(round));
      ASSERT_TRUE(echo.ok());
      sent.insert(echo->client_message_id);
    }
    if (round == 10 || round == 25) faults({{"dropConnections", true}});
  }
  for (auto& d : devices) ASSERT_TRUE(d->wait_for_outbox(kEach)) << "stuck in the outbox";
  faults({{"clear", true}});
  std::size_t resent = 0;
  for (auto& d : devices) {
    for (const auto& m : d->outbox.items()) resent += m.state == OutboxState::sent && m.attempts > 1;
  }
  EXPECT_GT(resent, 0u) << "the faults should have cost some messages a second attempt";

  const Seq total = static_cast<Seq>(sent.size());
  for (auto& d : devices) {
    ASSERT_TRUE(d->wait_for_store([&] { return synced(*d) == total; })) << "behind: " << synced(*d);
  }
  auto reference = devices[0]->stored(kGeneral);
  ASSERT_EQ(reference.size(), sent.size());
  std::set<std::string> seen;
  for (std::size_t i = 0; i < reference.size(); ++i) {
    EXPECT_EQ(reference[i].seq, static_cast<Seq>(i + 1));
    EXPECT_TRUE(seen.insert(reference[i].client_message_id).second) << "duplicated";
  }
  EXPECT_EQ(seen, sent) << "lost or unexpected messages";
  for (auto& d : devices) {
    auto log = d->stored(kGeneral);
    ASSERT_EQ(log.size(), reference.size());
    for (std::size_t i = 0; i < log.size(); ++i) {
      EXPECT_EQ(log[i].message_id, reference[i].message_id);
      EXPECT_EQ(log[i].client_message_id, reference[i].client_message_id);
    }
    // What the app heard: each event once, in order.
    Seq last = 0;
    for (const auto& m : d->messages.items()) {
      EXPECT_GT(m.conversation_seq, last) << "an event reached the app twice or out of order";
      last = m.conversation_seq;
    }
    auto page = d->client->messages(kGeneral, 0, 500);
    for (const auto& m : page->messages) EXPECT_FALSE(m.local) << "an echo outlived its stored copy";
  }
}

TEST_F(SyncE2e, ReadCursorsAndChangesConvergeAcrossAUsersDevices) {
  auto phone = device("alice-phone", "token-alice");
  auto laptop = device("alice-laptop", "token-alice");
  auto bob = device("bob-phone", "token-bob");
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(bob->client->send(kGeneral, "news " + std::to_string(i)).ok());
  ASSERT_TRUE(bob->wait_for_outbox(5));
  for (auto* d : {phone.get(), laptop.get()}) {
    ASSERT_TRUE(d->wait_for_store([&] { return synced(*d) == 5; }));
    EXPECT_EQ(d->client->conversation(kGeneral)->unread_count, 5);
  }
  auto first = phone->stored(kGeneral).front();
  ASSERT_TRUE(bob->client->edit(MessageRef::server(kGeneral, first.message_id), "news, corrected").ok());
  ASSERT_TRUE(phone->client->react(MessageRef::server(kGeneral, first.message_id), "👀").ok());

  for (Seq seq = 1; seq <= 3; ++seq) ASSERT_TRUE(phone->client->mark_read(kGeneral, seq).ok());
  EXPECT_EQ(phone->client->conversation(kGeneral)->unread_count, 2) << "at once, on the device that read";
  ASSERT_TRUE(laptop->wait_for_store([&] { return laptop->client->conversation(kGeneral)->read_seq == 3; }));
  EXPECT_EQ(laptop->client->conversation(kGeneral)->unread_count, 2);
  ASSERT_TRUE(phone->client->mark_read(kGeneral, 1).ok());
  EXPECT_EQ(phone->client->conversation(kGeneral)->read_seq, 3) << "never backward";

  for (auto* d : {phone.get(), laptop.get(), bob.get()}) {
    ASSERT_TRUE(d->wait_for_store([&] { return synced(*d) == 7; }));
    auto stored = d->stored(kGeneral).front();
    EXPECT_EQ(stored.text, "news, corrected");
    EXPECT_TRUE(stored.edited);
    ASSERT_EQ(stored.reactions.size(), 1u);
    EXPECT_EQ(stored.reactions[0].user_ids, std::vector<std::string>{"alice"});
    auto hits = d->client->search("corrected");
    ASSERT_TRUE(hits.ok());
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ((*hits)[0].message_id, first.message_id);
  }
}

TEST_F(SyncE2e, ADamagedCacheIsRebuiltFromTheServerAndTheAppIsTold) {
  auto bob = device("bob-phone", "token-bob");
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(bob->client->send(kGeneral, "kept " + std::to_string(i)).ok());
  ASSERT_TRUE(bob->wait_for_outbox(20));
  auto db = dir_.path() / "alice.db";
  {
    auto alice = device("alice-phone", "token-alice", db);
    ASSERT_TRUE(alice->wait_for_store([&] { return synced(*alice) == 20; }));
    alice->client->disconnect();
    // Unsent when the cache is damaged: it must survive, since the outbox is another file.
    ASSERT_TRUE(alice->client->send(kGeneral, "written offline").ok());
  }
  {
    std::ofstream junk(db.string() + ".cache", std::ios::binary | std::ios::trunc);
    for (int i = 0; i < 2000; ++i) junk << "garbage ";
  }
  Device alice("alice-phone", db, quick);
  auto recovery = alice.client->recovery();
  EXPECT_TRUE(recovery.cache_rebuilt) << recovery.detail;
  EXPECT_FALSE(recovery.outbox_rebuilt);
  EXPECT_TRUE(alice.stored(kGeneral).empty());
  ASSERT_TRUE(alice.client->connect(server().url(), "token-alice").ok());
  ASSERT_TRUE(alice.wait_for_store([&] { return synced(alice) == 21; }));
  auto log = alice.stored(kGeneral);
  ASSERT_EQ(log.size(), 21u);
  EXPECT_EQ(log.back().text, "written offline");
}

TEST_F(SyncE2e, ReadsRefuseBadArguments) {
  Device alice("alice-phone", ":memory:", quick);
  EXPECT_EQ(alice.client->messages(kGeneral, 0, 0).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(alice.client->messages(kGeneral, -1, 10).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(alice.client->search(" ").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(alice.client->mark_read("bad id!", 1).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(alice.client->mark_read(kGeneral, -1).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(alice.client->load_older(kGeneral, 0).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(alice.client->conversation("unknown").error().code, ErrorCode::invalid_argument);
  EXPECT_TRUE(alice.client->messages("unknown", 0, 10)->messages.empty());
}

}  // namespace
}  // namespace confab::test
