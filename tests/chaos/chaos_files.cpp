#include "chaos_files.h"

#include <array>
#include <cstdint>

#include <openssl/evp.h>

namespace confab::chaos {
namespace {

// splitmix64: fully specified, unlike the standard library's distributions.
std::uint64_t next(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::string file_bytes(std::string_view text) {
  std::uint64_t state = 0xcbf29ce484222325ULL;  // FNV-1a of the text, as the seed
  for (unsigned char c : text) state = (state ^ c) * 0x100000001b3ULL;
  const auto size = static_cast<std::size_t>(256 + next(state) % (4096 - 256 + 1));
  std::string bytes;
  bytes.reserve(size);
  while (bytes.size() < size) {
    auto word = next(state);
    for (int i = 0; i < 8 && bytes.size() < size; ++i) bytes.push_back(static_cast<char>((word >> (8 * i)) & 0xff));
  }
  return bytes;
}

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

}  // namespace confab::chaos
