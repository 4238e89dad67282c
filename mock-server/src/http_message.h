// An HTTP request as the handlers see it once it has arrived whole, their answer, and the
// contract between the HTTP front (http_front.h), which owns the sockets, and the handlers
// (http_api.h), which never see one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "confab/error.h"

namespace confab::server {

struct HttpRequest {
  std::string method;         // as sent: "GET", "POST", …
  std::string target;         // as sent: the path and the query, percent-encoded
  std::string authorization;  // the Authorization header, "" when absent
  std::string content_type;   // the Content-Type header, "" when absent
  std::string range;          // the Range header, "" when absent
  std::string upload_offset;  // the Upload-Offset header, "" when absent
  // The body: in memory, or (for a request whose BodyPlan said so) in `body_file`, which
  // the handler owns from then on (keeps or removes it).
  std::string body;
  std::filesystem::path body_file;
  std::uint64_t body_bytes = 0;
  // What the BodyPlan held while the body was read (see BodyPlan::hold), handed on to the
  // handler when the body arrived whole, and released when the handler lets it go.
  std::shared_ptr<void> hold;

  std::string_view path() const;   // the target up to '?'
  std::string_view query() const;  // what follows '?', without it
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type and Content-Length
  std::string body;
  std::filesystem::path file;  // when set, the body is this file's bytes, streamed
  // Of `file`, only this many bytes from `file_offset` (a range); nothing: to its end.
  std::uint64_t file_offset = 0;
  std::optional<std::uint64_t> file_length;
};

// The status the HTTP side answers an error with (400, 401, 403, 404, 413, 429, 503; 500
// for the rest). Other statuses (408, 409, 416, …) are given by who answers.
int http_status_of(ErrorCode code) noexcept;
// An error response with the protocol's typed body {"code", "retryable", "message"}, and
// "retryAfterMs" when the error says when to try again.
HttpResponse error_response(const Error& error);
HttpResponse error_response(int status, const Error& error);

// Where the body of a request goes, decided once its head has arrived.
struct BodyPlan {
  enum class Kind {
    memory,  // into HttpRequest::body
    file,    // streamed into `file` as it arrives (an upload); removed if it does not arrive whole
    // Appended to `file` (which exists) as it arrives; what arrived is kept whatever
    // happens, a cut or a refusal midway included (a resumable upload).
    append,
    refuse,  // answered with `refusal` without reading the body; the connection then closes
  };
  Kind kind = Kind::memory;
  std::uint64_t limit = 0;  // a body longer than this is answered 413 and nothing of it kept
  std::filesystem::path file;
  HttpResponse refusal;
  // Held while the body is read, then handed to the request (HttpRequest::hold); let go
  // when the request is refused, cut or over its limit, when the server stops, or once
  // the handler has done with the request. Whatever it owns is released on every path.
  std::shared_ptr<void> hold;
};

// The handlers, as the front calls them (on the front's thread).
class HttpHandler {
 public:
  using Respond = std::function<void(HttpResponse)>;

  virtual ~HttpHandler() = default;
  // The head has arrived (the body not yet): where the body goes.
  virtual BodyPlan plan(const HttpRequest& head) = 0;
  // The request has arrived whole. The handler calls `respond` exactly once, from any
  // thread, without waiting for anything on the front's thread (work that needs the store
  // answers from the committer thread).
  virtual void handle(HttpRequest request, Respond respond) = 0;
};

}  // namespace confab::server
