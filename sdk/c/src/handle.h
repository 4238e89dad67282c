// What a confab_client is behind its opaque pointer, and the wall every entry point of the
// C API stands behind: no exception leaves it, every failure becomes a status code and a
// message kept with the handle (or, without one, with the calling thread).
#pragma once

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>

#include "confab/client.h"
#include "confab/confab.h"
#include "events.h"

namespace confab::c {

// The last failure of a handle, or of a thread's calls without one. Recording a failure
// never throws: with no memory for the message, a fixed one stands in for it.
class ErrorSlot {
 public:
  // The message is `message` followed by `detail`, joined here so that a caller has no
  // string to build (and no allocation to fail) on its error path.
  int record(int status, std::string_view message, std::string_view detail = {}) noexcept;
  const char* message() const noexcept;
  int code() const noexcept;

 private:
  mutable std::mutex mutex_;
  int code_ = CONFAB_OK;
  std::string message_;
  const char* fixed_ = nullptr;  // set instead of message_ when it could not be stored
};

// The calling thread's slot, for calls that have no client.
ErrorSlot& thread_errors() noexcept;

// A status for an SDK error, and the message recorded with it ("code: message").
int status_of(const Error& error) noexcept;

// While the app's code runs inside a callback or a secret provider of `client` on this
// thread: confab_client_free() refuses to run there (it would wait for itself).
class InCallback {
 public:
  explicit InCallback(const confab_client* client) noexcept;
  ~InCallback();
  InCallback(const InCallback&) = delete;
  InCallback& operator=(const InCallback&) = delete;
  static bool inside(const confab_client* client) noexcept;

 private:
  const confab_client* previous_;
};

// A copy of `text` the caller frees with confab_free(). Throws std::bad_alloc (caught by
// the wall) when there is no memory.
char* copy_out(std::string_view text);

}  // namespace confab::c

struct confab_client {
  explicit confab_client(std::size_t poll_capacity) : events(this, poll_capacity) {}

  // Records a failure on this handle and returns its status.
  int fail(int status, std::string_view message, std::string_view detail = {}) noexcept {
    return errors.record(status, message, detail);
  }
  int fail(const confab::Error& error) noexcept;
  template <class T>
  int status(const confab::Result<T>& result) noexcept {
    return result.ok() ? CONFAB_OK : fail(result.error());
  }

  confab::c::ErrorSlot errors;
  // For the tests of the wall, which link the static library and include this header: set,
  // the next entry point called on this handle throws std::bad_alloc inside the wall, as an
  // allocation that fails there would. Not reachable through the C API.
  std::atomic<bool> throw_in_next_call{false};
  confab::c::EventHub events;  // before `client`: the client's callbacks reach it until the client is gone
  std::unique_ptr<confab::Client> client;
};

namespace confab::c {

// The wall: runs `body` (which returns a status, and records its failures on the handle)
// for a handle that must not be NULL, and turns every exception into CONFAB_E_INTERNAL.
template <class Body>
int guarded(confab_client* client, Body&& body) noexcept {
  if (client == nullptr) {
    return thread_errors().record(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: the client is NULL");
  }
  try {
    if (client->throw_in_next_call.exchange(false)) throw std::bad_alloc();
    return body();
  } catch (const std::exception& e) {
    return client->fail(CONFAB_E_INTERNAL, "internal: ", e.what());
  } catch (...) {
    return client->fail(CONFAB_E_INTERNAL, "internal: an exception that is not a std::exception");
  }
}

// For the arguments every call checks: a required pointer that is NULL fails the call.
inline bool missing(confab_client* client, const void* argument, const char* name) noexcept {
  if (argument != nullptr) return false;
  client->fail(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: a required argument is NULL: ", name);
  return true;
}

// An optional string argument: NULL reads as "".
inline std::string_view text_or_empty(const char* text) noexcept { return text ? std::string_view(text) : std::string_view(); }

}  // namespace confab::c
