// Typed errors shared by the SDK's public API and the wire protocol.
//
// Every failure the SDK reports is an `Error` value: a code a program can switch on,
// whether trying again can help, and a message for people. The same codes travel on the
// wire in `error` frames (see docs/protocol.md); `to_string(code)` is the wire name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "confab/export.h"

namespace confab {

enum class ErrorCode {
  // Sent by the server in `error` frames.
  bad_frame,            // not a JSON object, malformed JSON, binary frame
  unknown_type,         // a `type` this peer does not know
  invalid_field,        // a field is missing, of the wrong type or out of its limits
  frame_too_large,      // the frame exceeds the negotiated maximum size
  not_authenticated,    // a request arrived before `auth` succeeded
  unauthorized,         // the token was refused
  token_expired,        // the session token has expired: get a new one and connect again
  unsupported_version,  // no protocol version in common
  not_member,           // the user is not a member of that conversation (or it does not exist)
  not_found,            // the message (or reaction) a change applies to does not exist, or was deleted
  forbidden,            // the user may not do this (e.g. edit someone else's message)
  internal,             // the server failed; the same request may succeed later
  unavailable,          // the server is shutting down or overloaded; try again later
  rate_limited,         // too many requests; `retry_after_ms` says when to try again

  // Raised by the SDK itself.
  invalid_argument,     // the caller passed a value the API cannot accept
  transport,            // the connection could not be made or was lost
  timeout,              // a step did not finish within its deadline
  closed,               // the connection or the client was closed on request
  storage,              // the device's database could not be opened, read or written
  too_old,              // an outgoing message was not delivered within the outbox's maximum age
  offline,              // a request needs the server, and the client is not connected nor trying
                        // to connect (never connected, disconnect() called, or `failed`)
  cancelled,            // the app cancelled the transfer (cancel_upload(), cancel_download())

  unknown,              // a code this SDK version does not know (from a newer server)
};

// The wire name of a code, e.g. "not_member".
CONFAB_API std::string_view to_string(ErrorCode code) noexcept;

// Parses a wire name; unknown names give ErrorCode::unknown.
CONFAB_API ErrorCode error_code_from_string(std::string_view name) noexcept;

// Whether an error with this code is worth retrying when the peer did not say.
CONFAB_API bool is_retryable_by_default(ErrorCode code) noexcept;

struct Error {
  ErrorCode code = ErrorCode::unknown;
  bool retryable = false;
  std::string message;
  // How long to wait before trying again, when the server said (0 when it did not).
  std::int64_t retry_after_ms = 0;

  // An error whose `retryable` flag is the code's default.
  static Error make(ErrorCode code, std::string message) {
    return Error{code, is_retryable_by_default(code), std::move(message), 0};
  }

  friend bool operator==(const Error&, const Error&) = default;
};

// "not_member: not a member of c_general" — for logs and test failures.
CONFAB_API std::string describe(const Error& error);

}  // namespace confab
