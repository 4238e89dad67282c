// The C API as the C API tests use it: a client handle freed when the test ends, strings
// taken from the library (and freed with confab_free), and events recorded from the callback.
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "confab/confab.h"
#include "recorder.h"

namespace confab::test {

using Json = nlohmann::json;

// Takes a string the library returned: its text, and the string freed.
inline std::string take(char* text) {
  std::string out = text ? text : "";
  confab_free(text);
  return out;
}

inline Json take_json(char* text) { return Json::parse(take(text)); }

// One event as the callback received it.
struct CEvent {
  int kind = 0;
  Json event;
};

// Records every event the callback is given; the C callback's payload.
struct EventLog {
  Recorder<CEvent> events;

  static void record(int kind, const char* event_json, void* payload) {
    static_cast<EventLog*>(payload)->events.add(CEvent{kind, Json::parse(event_json)});
  }

  // Waits for an event for which `match(event)` holds, and returns it (null on timeout).
  template <class Match>
  Json wait_for(Match match, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    Json found;
    events.wait_until(
        [&](const std::vector<CEvent>& seen) {
          for (const auto& e : seen) {
            if (match(e.event)) {
              found = e.event;
              return true;
            }
          }
          return false;
        },
        timeout);
    return found;
  }
};

// Polls until an event for which `match(event)` holds comes, or the deadline passes (then
// null). Events that do not match are dropped.
template <class Match>
Json poll_for(confab_client* client, Match match, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    char* text = nullptr;
    int status = confab_poll_event(&text, client, 100);
    if (status == CONFAB_E_TIMEOUT) continue;
    EXPECT_EQ(status, CONFAB_OK) << confab_errmsg(client);
    if (status != CONFAB_OK) return nullptr;
    Json event = take_json(text);
    if (match(event)) return event;
  }
  return nullptr;
}

// A client opened through the C API, freed when it goes out of scope.
class CClient {
 public:
  explicit CClient(const std::string& device_id, confab_client_options options = CONFAB_CLIENT_OPTIONS_INIT)
      : device_id_(device_id) {
    options.device_id = device_id_.c_str();
    if (options.database_path == nullptr) options.database_path = ":memory:";
    options.allow_insecure_transport = 1;
    options.connect_step_timeout_ms = 5000;
    int status = confab_client_new(&handle_, &options);
    EXPECT_EQ(status, CONFAB_OK) << confab_errmsg(nullptr);
  }
  ~CClient() { EXPECT_EQ(confab_client_free(handle_), CONFAB_OK); }
  CClient(const CClient&) = delete;
  CClient& operator=(const CClient&) = delete;

  confab_client* get() const { return handle_; }
  operator confab_client*() const { return handle_; }  // NOLINT: reads as the C handle
  std::string errmsg() const { return confab_errmsg(handle_); }

 private:
  std::string device_id_;
  confab_client* handle_ = nullptr;
};

// The kind of an event, and whether it is that kind with `field` == `value` in its data.
inline bool is(const Json& event, const char* kind) { return event.value("kind", "") == kind; }

}  // namespace confab::test
