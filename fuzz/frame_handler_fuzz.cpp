// libFuzzer target: the reference server's frame handler and the store work it asks for,
// one authenticated connection per input, one frame per line.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "properties.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static confab::fuzz::FrameHandlerHarness harness;
  auto problem = harness.check({reinterpret_cast<const char*>(data), size});
  if (!problem.empty()) {
    std::fprintf(stderr, "%s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
