// libFuzzer target: the reference server's HTTP handlers (bootstrap, history, attachments,
// faults), one raw request per input, served without a socket.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "properties.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static confab::fuzz::HttpHarness harness;
  auto problem = harness.check({reinterpret_cast<const char*>(data), size});
  if (!problem.empty()) {
    std::fprintf(stderr, "%s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
