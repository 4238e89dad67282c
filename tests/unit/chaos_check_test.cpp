// The chaos run's checker must catch each anomaly it counts, or a clean chaos run proves
// nothing; and its fault plan must replay from the seed.
#include <gtest/gtest.h>

#include "chaos_files.h"
#include "fault_plan.h"
#include "history_check.h"

namespace confab::chaos {
namespace {

using std::chrono::milliseconds;

// alice (two devices) and bob (one) share c1; alice sent a1 and a2, bob sent b1.
class HistoryCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    attempts_ = {{"alice-1", "c1", "a1", true}, {"alice-2", "c1", "a2", true}, {"bob-1", "c1", "b1", true}};
    server_.members["c1"] = {"alice", "bob"};
    server_.committed["c1"] = {{1, "m-a1", "alice", "a1"}, {2, "m-b1", "bob", "b1"}, {3, "m-a2", "alice", "a2"}};
    for (auto [device, user] : {std::pair{"alice-1", "alice"}, {"alice-2", "alice"}, {"bob-1", "bob"}}) {
      DeviceReport report;
      report.device = device;
      report.user = user;
      report.reported = true;
      report.stored = server_.committed;
      devices_.push_back(report);
    }
  }
  Counts check() const { return check_history(attempts_, server_, devices_); }

  std::vector<Attempt> attempts_;
  ServerState server_;
  std::vector<DeviceReport> devices_;
};

TEST_F(HistoryCheck, AHealedHistoryIsClean) {
  auto counts = check();
  EXPECT_TRUE(counts.clean()) << (counts.examples.empty() ? "" : counts.examples.front());
}

TEST_F(HistoryCheck, AMessageMissingFromTheServerIsLost) {
  server_.committed["c1"].pop_back();
  for (auto& d : devices_) d.stored = server_.committed;
  auto counts = check();
  EXPECT_EQ(counts.lost, 1u);
  EXPECT_EQ(counts.divergent, 0u);
}

TEST_F(HistoryCheck, AMessageMissingFromOneMembersDeviceIsLostAndDivergent) {
  devices_[2].stored["c1"].erase(devices_[2].stored["c1"].begin() + 1);
  auto counts = check();
  EXPECT_EQ(counts.lost, 1u);
  EXPECT_EQ(counts.divergent, 1u);
}

TEST_F(HistoryCheck, ASendThatNeverReturnedMayBeMissing) {
  attempts_.push_back({"bob-1", "c1", "b2", false});
  EXPECT_TRUE(check().clean());
}

TEST_F(HistoryCheck, ATextCommittedTwiceIsDuplicated) {
  server_.committed["c1"].push_back({4, "m-a1-again", "alice", "a1"});
  for (auto& d : devices_) d.stored = server_.committed;
  auto counts = check();
  EXPECT_GE(counts.duplicated, 1u);
}

TEST_F(HistoryCheck, AnEventStoredOrHeardTwiceOnADeviceIsDuplicated) {
  devices_[0].stored["c1"].insert(devices_[0].stored["c1"].begin() + 1, devices_[0].stored["c1"][0]);
  devices_[1].heard_twice = 1;
  auto counts = check();
  EXPECT_GE(counts.duplicated, 3u);  // seq and text twice on alice-1, heard twice on alice-2
}

TEST_F(HistoryCheck, AMessageNobodySentIsUnexpected) {
  server_.committed["c1"].push_back({4, "m-x", "bob", "never-sent"});
  for (auto& d : devices_) d.stored = server_.committed;
  EXPECT_EQ(check().unexpected, 1u);

  devices_[0].stored["c1"].push_back({5, "m-y", "bob", "b1-ghost"});
  EXPECT_EQ(check().unexpected, 2u);
}

TEST_F(HistoryCheck, AConversationStoredByANonMemberIsUnexpected) {
  server_.members["c2"] = {"bob"};
  devices_[0].stored["c2"] = {};
  EXPECT_EQ(check().unexpected, 1u);
}

TEST_F(HistoryCheck, ADeviceWithAnotherOrderIsReordered) {
  auto& mine = devices_[1].stored["c1"];
  std::swap(mine[0].text, mine[1].text);
  std::swap(mine[0].client_message_id, mine[1].client_message_id);
  std::swap(mine[0].sender, mine[1].sender);
  devices_[2].heard_out_of_order = 1;
  auto counts = check();
  EXPECT_EQ(counts.reordered, 3u);
  EXPECT_EQ(counts.divergent, 1u);
}

TEST_F(HistoryCheck, UnsentRowsAndDevicesThatNeverCaughtUpAreStuck) {
  devices_[0].unsent = 2;
  devices_[2].reported = false;
  EXPECT_EQ(check().stuck, 3u);
}

// bob's b1 went with a file; the server and every device have it as sent.
class HistoryCheckWithFiles : public HistoryCheck {
 protected:
  void SetUp() override {
    HistoryCheck::SetUp();
    attempts_[2].with_file = true;
    auto bytes = file_bytes("b1");
    server_.committed["c1"][1].file = StoredFile{"a_1", static_cast<std::int64_t>(bytes.size()), sha256_hex(bytes)};
    for (auto& d : devices_) d.stored = server_.committed;
    devices_[0].downloads.push_back({"b1", true, static_cast<std::int64_t>(bytes.size()), sha256_hex(bytes), ""});
  }
};

TEST(ChaosFiles, BytesFollowFromTheTextAloneAndStaySmall) {
  EXPECT_EQ(file_bytes("u0-d1.1.6"), file_bytes("u0-d1.1.6"));
  EXPECT_NE(file_bytes("u0-d1.1.6"), file_bytes("u0-d1.1.13"));
  for (const char* text : {"a", "u0-d1.1.6", "u4-d9.12.99999"}) {
    auto size = file_bytes(text).size();
    EXPECT_GE(size, 256u);
    EXPECT_LE(size, 4096u);
  }
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(HistoryCheckWithFiles, FilesAsSentAndDownloadedAsSentAreClean) {
  auto counts = check();
  EXPECT_TRUE(counts.clean()) << (counts.examples.empty() ? "" : counts.examples.front());
}

TEST_F(HistoryCheckWithFiles, AFileWithOtherBytesOnTheServerIsCorrupted) {
  server_.committed["c1"][1].file->sha256 = sha256_hex("something else");
  for (auto& d : devices_) d.stored = server_.committed;
  EXPECT_EQ(check().corrupted, 1u);
}

TEST_F(HistoryCheckWithFiles, AMessageCommittedWithoutItsFileIsCorrupted) {
  server_.committed["c1"][1].file.reset();
  auto counts = check();
  EXPECT_EQ(counts.corrupted, 1u + devices_.size());  // the server, and each device differs from it
  EXPECT_EQ(counts.reordered, 0u);
}

TEST_F(HistoryCheckWithFiles, AFileOnAMessageSentWithoutOneIsUnexpected) {
  server_.committed["c1"][0].file = server_.committed["c1"][1].file;
  for (auto& d : devices_) d.stored = server_.committed;
  EXPECT_EQ(check().unexpected, 1u);
}

TEST_F(HistoryCheckWithFiles, ADeviceWithAnotherFileIsCorruptedAndDivergent) {
  devices_[1].stored["c1"][1].file->size += 1;
  auto counts = check();
  EXPECT_EQ(counts.corrupted, 1u);
  EXPECT_EQ(counts.divergent, 1u);
}

TEST_F(HistoryCheckWithFiles, DownloadedBytesThatDifferAreCorruptedAndAFailedDownloadIsLost) {
  devices_[0].downloads[0].size -= 1;
  devices_[2].downloads.push_back({"b1", false, 0, "", "not_found"});
  auto counts = check();
  EXPECT_EQ(counts.corrupted, 1u);
  EXPECT_EQ(counts.lost, 1u);
}

TEST(FaultPlan, TheSameSeedPlansTheSameFaults) {
  auto a = plan_faults(7, milliseconds(60'000), 6);
  auto b = plan_faults(7, milliseconds(60'000), 6);
  auto c = plan_faults(8, milliseconds(60'000), 6);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(describe(a[i]), describe(b[i]));
  std::string all_a, all_c;
  for (const auto& f : a) all_a += describe(f) + "\n";
  for (const auto& f : c) all_c += describe(f) + "\n";
  EXPECT_NE(all_a, all_c);
}

TEST(FaultPlan, EveryKindAppearsAndEveryFaultEndsInTime) {
  auto plan = plan_faults(1, milliseconds(120'000), 4);
  std::set<FaultKind> kinds;
  for (const auto& f : plan) {
    kinds.insert(f.kind);
    EXPECT_LE(f.at + f.length, milliseconds(120'000)) << describe(f);
    EXPECT_LT(f.device, 4);
  }
  EXPECT_EQ(kinds.size(), 8u);
}

}  // namespace
}  // namespace confab::chaos
