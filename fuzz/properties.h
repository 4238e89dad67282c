// The properties the fuzz targets check, shared with the unit test that replays the seed
// corpus and every input that once broke one of them (fuzz/regressions/).
//
// Each check returns an empty string when the property holds, or says what broke.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace confab::fuzz {

// Decoding any text never crashes; a frame that decodes encodes to text that decodes to
// the same frame.
std::string check_client_frame(std::string_view text);
std::string check_server_frame(std::string_view text);

// The reference server's frame handler, for one connection: `input` is split into lines,
// a valid auth goes first, then each line is one text frame. Every reply and every query
// result must be a frame the SDK can decode, and the store work each frame asks for runs
// against a real (temporary) store.
class FrameHandlerHarness {
 public:
  FrameHandlerHarness();
  ~FrameHandlerHarness();
  std::string check(std::string_view input);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The reference server's HTTP side, the bytes of one connection per input, served through
// the HTTP front over a local socket pair (its parsing, framing rules and limits, then the
// handlers). The text "{session}" in the input stands for a valid session token of
// alice's, so that the fuzzer reaches past authentication. The first answer must carry a
// status; no answer may be a 500; and an error must have the typed JSON body of
// docs/protocol.md with a code the SDK knows.
class HttpHarness {
 public:
  HttpHarness();
  ~HttpHarness();
  std::string check(std::string_view input);
  // The status of the last response checked (0 for none).
  int last_status() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace confab::fuzz
