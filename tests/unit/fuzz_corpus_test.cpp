// The fuzz targets' properties, replayed on the seed corpus and on every input that once
// broke them (fuzz/regressions/), with whatever compiler builds the tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "protocol/protocol.h"
#include "properties.h"

namespace confab::fuzz {
namespace {

std::vector<std::filesystem::path> inputs(const std::string& target) {
  std::vector<std::filesystem::path> out;
  for (const char* kind : {"corpus", "regressions"}) {
    std::filesystem::path dir = std::filesystem::path(CONFAB_FUZZ_DIR) / kind / target;
    if (!std::filesystem::exists(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(FuzzCorpus, ClientFramesDecodeOrAreRefusedAndRoundTrip) {
  auto files = inputs("client_frame");
  ASSERT_GE(files.size(), 15u);
  for (const auto& f : files) EXPECT_EQ(check_client_frame(read(f)), "") << f;
}

TEST(FuzzCorpus, ServerFramesDecodeOrAreRefusedAndRoundTrip) {
  auto files = inputs("server_frame");
  ASSERT_GE(files.size(), 10u);
  for (const auto& f : files) EXPECT_EQ(check_server_frame(read(f)), "") << f;
}

TEST(FuzzCorpus, TheFrameHandlerAnswersOnlyWithDecodableFrames) {
  auto files = inputs("frame_handler");
  ASSERT_GE(files.size(), 10u);
  FrameHandlerHarness harness;
  for (const auto& f : files) EXPECT_EQ(harness.check(read(f)), "") << f;
}

TEST(FuzzCorpus, TheHttpHandlersAnswerEveryRequestWithAStatusAndErrorsWithATypedBody) {
  auto files = inputs("http");
  ASSERT_GE(files.size(), 20u);
  HttpHarness harness;
  int served = 0;
  for (const auto& f : files) {
    EXPECT_EQ(harness.check(read(f)), "") << f;
    served += harness.last_status() >= 200 && harness.last_status() < 300;
  }
  // Seeds that all fail would fuzz nothing past the first check.
  EXPECT_GE(served, 5);
}

TEST(FuzzCorpus, TheCorpusReallyDecodes) {
  // Seeds that all fail to decode would test nothing but the refusal path.
  int decoded = 0;
  for (const auto& f : inputs("client_frame")) {
    if (f.string().find("/corpus/") != std::string::npos) decoded += protocol::decode_client_frame(read(f)).ok();
  }
  EXPECT_GE(decoded, 15);
}

}  // namespace
}  // namespace confab::fuzz
