// The small files of a chaos run. Each one's bytes follow from the text of the message
// that carries it, so that the checker knows what every file must hold, and a device that
// downloads one can say what it got, without anyone keeping the files.
#pragma once

#include <string>
#include <string_view>

namespace confab::chaos {

// The bytes of the file that goes with the message `text`: 256 to 4096 of them, a
// function of the text alone (the same on every platform and in every process).
std::string file_bytes(std::string_view text);

// SHA-256, as 64 lowercase hex digits (as the server and Attachment::sha256 give it).
std::string sha256_hex(std::string_view bytes);

}  // namespace confab::chaos
