// A bare WebSocket client for protocol tests: sends exactly the bytes a test gives it and
// reports exactly what comes back, including close codes. Every call has a deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace confab::test {

struct Received {
  enum class Kind { text, binary, closed, failed, timed_out } kind = Kind::timed_out;
  std::string data;           // the frame for text/binary, the error for failed
  std::uint16_t close_code = 0;
  std::string close_reason;

  nlohmann::json json() const { return nlohmann::json::parse(data); }
};

std::string describe(const Received& r);

class WsProbe {
 public:
  using Duration = std::chrono::milliseconds;
  static constexpr Duration kDefaultTimeout{10'000};

  // Connects and upgrades; throws on failure.
  WsProbe(std::uint16_t port, Duration timeout = kDefaultTimeout);
  ~WsProbe();

  // Throws if the write does not complete in time.
  void send_text(std::string_view text, Duration timeout = kDefaultTimeout);
  void send_binary(std::string_view data, Duration timeout = kDefaultTimeout);
  // False when the write failed (e.g. the server already closed the connection).
  bool try_send_text(std::string_view text, Duration timeout = kDefaultTimeout);

  // The next frame, or how the connection ended.
  Received read(Duration timeout = kDefaultTimeout);
  // Skips frames until the connection ends; returns how it ended.
  Received read_until_closed(Duration timeout = kDefaultTimeout);

  // Sends an auth frame and expects auth.ok; returns it. Throws otherwise.
  nlohmann::json authenticate(const std::string& token, const std::string& device_id = "probe");
  // The next text frame as JSON; throws if something else arrives.
  nlohmann::json read_json(Duration timeout = kDefaultTimeout);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// A message.send frame.
std::string message_send_frame(const std::string& conversation_id, const std::string& client_message_id,
                               const std::string& text, const std::string& request_id = "");

}  // namespace confab::test
