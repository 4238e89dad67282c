#include "protocol/ids.h"

#include <array>
#include <chrono>

namespace confab::ids {
namespace {

std::mt19937_64 seeded_from_device() {
  std::random_device device;
  std::array<std::uint32_t, 8> words{};
  for (auto& w : words) w = device();
  std::seed_seq seq(words.begin(), words.end());
  return std::mt19937_64(seq);
}

}  // namespace

UuidV7Generator::UuidV7Generator() : random_(seeded_from_device()) {}

UuidV7Generator::UuidV7Generator(std::uint64_t seed) : random_(seed) {}

std::string UuidV7Generator::next(std::int64_t unix_ms) {
  // Within one millisecond, or when the clock goes backwards, keep the previous
  // timestamp and bump the counter; when the counter runs out, borrow the next ms.
  if (unix_ms > last_ms_) {
    last_ms_ = unix_ms;
    counter_ = static_cast<std::uint32_t>(random_() & 0x1FF);  // leave room to count up
  } else if (++counter_ > 0xFFF) {
    ++last_ms_;
    counter_ = 0;
  }
  std::uint64_t high = (static_cast<std::uint64_t>(last_ms_) << 16) | (0x7ULL << 12) | counter_;
  std::uint64_t low = (random_() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;

  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  int pos = 0;
  auto put = [&](std::uint64_t word) {
    for (int shift = 60; shift >= 0; shift -= 4) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      out[static_cast<std::size_t>(pos++)] = kHex[(word >> shift) & 0xF];
    }
  };
  put(high);
  put(low);
  return out;
}

std::string new_uuid_v7() {
  thread_local UuidV7Generator generator;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return generator.next(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

}  // namespace confab::ids
