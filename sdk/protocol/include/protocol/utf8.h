// UTF-8 checks for text that crosses the API or the wire.
#pragma once

#include <string>
#include <string_view>

namespace confab::utf8 {

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool is_valid(std::string_view s) noexcept;

// `s` with each byte that starts no well-formed character replaced by U+FFFD.
std::string sanitize(std::string_view s);

// The longest prefix of `s` of at most max_bytes that does not split a character.
std::string truncate(std::string_view s, std::size_t max_bytes);

}  // namespace confab::utf8
