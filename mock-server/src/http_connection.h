// One connection of the HTTP front (http_front.h): its requests, one after the other,
// each read whole under its deadlines before the handler sees it, and each answer written
// under its own. Kept apart from the listener (admission, threads) so that the same code
// serves a TCP socket and the local socket pair of HttpFront::serve_raw(). Included by
// http_front.cpp only.
#pragma once

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "http_message.h"

namespace confab::server::front {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using Clock = std::chrono::steady_clock;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// A window of a file, [offset, offset + length), as Beast's file body sees a whole file:
// how a range of an attachment is served without reading it into memory.
class WindowFile {
 public:
  using native_handle_type = beast::file::native_handle_type;

  void set_window(std::uint64_t offset, std::optional<std::uint64_t> length) {
    offset_ = offset;
    length_ = length;
  }
  bool is_open() const { return file_.is_open(); }
  void close(beast::error_code& ec) { file_.close(ec); }
  void open(const char* path, beast::file_mode mode, beast::error_code& ec) {
    file_.open(path, mode, ec);
    if (ec) return;
    auto whole = file_.size(ec);
    if (ec) return;
    if (offset_ > whole) offset_ = whole;
    if (!length_ || *length_ > whole - offset_) length_ = whole - offset_;
    file_.seek(offset_, ec);
  }
  std::uint64_t size(beast::error_code& ec) const {
    ec = {};
    return length_.value_or(0);
  }
  std::uint64_t pos(beast::error_code& ec) const { return file_.pos(ec) - offset_; }
  void seek(std::uint64_t offset, beast::error_code& ec) { file_.seek(offset_ + offset, ec); }
  std::size_t read(void* buffer, std::size_t n, beast::error_code& ec) const { return file_.read(buffer, n, ec); }
  std::size_t write(const void* buffer, std::size_t n, beast::error_code& ec) { return file_.write(buffer, n, ec); }

 private:
  beast::file file_;
  std::uint64_t offset_ = 0;
  std::optional<std::uint64_t> length_;
};

constexpr std::size_t kMaxHeadBytes = 16 * 1024;
constexpr std::size_t kMaxTargetBytes = 8 * 1024;
// What one read of a body takes at most.
constexpr std::size_t kChunkBytes = 16 * 1024;
// After an answer given before the request was read whole (an error), what the client
// still sends is read and dropped for this long, so that closing does not reset the
// connection before the client has read the answer.
constexpr std::chrono::seconds kLinger{5};
// A refusal (503) is small; the client has this long to take it.
constexpr std::chrono::seconds kRefusalDeadline{5};

struct Limits {
  std::chrono::milliseconds head_timeout;
  std::chrono::milliseconds body_timeout;
  std::uint64_t min_rate;  // bytes a second

  // How long `bytes` of a body (or an answer) may take: the grace, then the minimum rate.
  Clock::duration allowance(std::uint64_t bytes) const {
    auto whole_seconds = std::min<std::uint64_t>(bytes / min_rate, 10 * 365 * 86400ULL);
    auto rest_ms = (bytes % min_rate) * 1000 / min_rate;
    return body_timeout + std::chrono::seconds(whole_seconds) + std::chrono::milliseconds(rest_ms);
  }
};

inline Error front_error(ErrorCode code, bool retryable, std::string message) {
  return Error{code, retryable, std::move(message), 0};
}

// Why a request's framing cannot be trusted, or "" when it can. Beast already refuses
// two lengths that differ, a length that is not a number and chunked with a length; what
// it tolerates (the same length twice, a list, a coding other than chunked beside a
// length) is refused here, so that no two readers can disagree on where a request ends.
inline std::string framing_problem(const http::request_header<>& head) {
  std::size_t lengths = head.count(http::field::content_length);
  std::size_t codings = head.count(http::field::transfer_encoding);
  if (lengths > 1) return "more than one Content-Length";
  if (codings > 1) return "more than one Transfer-Encoding";
  if (lengths == 1 && codings == 1) return "both Content-Length and Transfer-Encoding";
  if (lengths == 1) {
    auto value = head[http::field::content_length];
    if (value.empty() || value.size() > 19 || value.find_first_not_of("0123456789") != beast::string_view::npos) {
      return "Content-Length must be one decimal number";
    }
  }
  if (codings == 1) {
    if (head.version() < 11) return "Transfer-Encoding in an HTTP/1.0 request";
    if (!beast::iequals(head[http::field::transfer_encoding], "chunked")) {
      return "the only transfer coding accepted is chunked";
    }
  }
  return {};
}

// A deadline over a socket's operations: when it passes, they are cancelled (the socket
// stays open, so that a 408 can still be written). `due` is asked again when the timer
// fires, so that a deadline that moves with progress (a chunked body) is followed.
class Deadline {
 public:
  template <class Executor>
  explicit Deadline(Executor executor) : timer_(executor) {}
  // A wait that completed just before its deadline was cancelled finds it gone.
  ~Deadline() { state_->due = nullptr; }

  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  template <class Socket>
  void start(Socket& socket, std::function<Clock::time_point()> due) {
    state_->expired = false;
    state_->due = std::move(due);
    arm(socket);
  }
  void cancel() {
    state_->due = nullptr;
    timer_.cancel();
  }
  bool expired() const { return state_->expired; }

 private:
  // Shared with the wait in flight, which may complete after the deadline is cancelled.
  struct State {
    std::function<Clock::time_point()> due;  // null: cancelled
    bool expired = false;
  };

  template <class Socket>
  void arm(Socket& socket) {
    timer_.expires_at(state_->due());
    timer_.async_wait([this, state = state_, &socket](beast::error_code ec) {
      if (ec || !state->due) return;  // cancelled: the socket may be gone, `this` too
      if (Clock::now() < state->due()) return arm(socket);
      state->expired = true;
      beast::error_code ignored;
      socket.cancel(ignored);
    });
  }

  asio::steady_timer timer_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// How a connection ends.
enum class Ending {
  keep_alive,  // not yet: read the next request
  close,       // the request was read whole (or the client is gone): close now
  linger,      // an early answer: read and drop what still comes for a while, then close
  drain,       // a refusal: drop what has already arrived, then close
};

// One connection: its requests, one after the other, each read whole before the handler
// sees it. `Socket` is a TCP socket, or a local one for serve_raw().
template <class Socket>
class Connection {
 public:
  Connection(Socket socket, const Limits& limits, HttpHandler& handler)
      : socket_(std::move(socket)), limits_(limits), handler_(handler), deadline_(socket_.get_executor()) {}

  Socket& socket() { return socket_; }

  awaitable<void> run() {
    Ending ending = Ending::keep_alive;
    for (bool first = true; ending == Ending::keep_alive; first = false) ending = co_await serve_one(first);
    co_await finish(ending);
  }

  awaitable<void> refuse(HttpResponse response) {
    co_await write(response, false, true, Clock::now() + kRefusalDeadline);
    co_await finish(Ending::drain);
  }

 private:
  awaitable<Ending> serve_one(bool first) {
    http::request_parser<http::buffer_body> parser;
    parser.header_limit(kMaxHeadBytes);
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    auto head_due = Clock::now() + limits_.head_timeout;
    deadline_.start(socket_, [head_due] { return head_due; });
    auto [ec, unused] = co_await http::async_read_header(socket_, buffer_, parser, kTuple);
    deadline_.cancel();
    if (ec) {
      if (deadline_.expired()) {
        // An idle kept-alive connection is closed quietly; a request that started is told.
        if (!first && !parser.got_some() && buffer_.size() == 0) co_return Ending::close;
        co_return co_await fail(408, front_error(ErrorCode::bad_frame, true,
                                                 "the request head did not arrive whole within " +
                                                     std::to_string(limits_.head_timeout.count()) + " ms"));
      }
      if (gone(ec)) co_return Ending::close;
      if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
        co_return co_await fail(431, Error::make(ErrorCode::frame_too_large, "the request head is over 16 KiB"));
      }
      co_return co_await fail(400, Error::make(ErrorCode::bad_frame, "malformed HTTP request: " + ec.message()));
    }
    const auto& head = parser.get().base();
    if (auto problem = framing_problem(head); !problem.empty()) {
      co_return co_await fail(400, Error::make(ErrorCode::bad_frame, "ambiguous request framing: " + problem));
    }
    HttpRequest request;
    request.method = std::string(head.method_string());
    request.target = std::string(head.target());
    request.authorization = std::string(head[http::field::authorization]);
    request.content_type = std::string(head[http::field::content_type]);
    request.range = std::string(head[http::field::range]);
    request.upload_offset = std::string(head["Upload-Offset"]);
    if (request.target.size() > kMaxTargetBytes) {
      co_return co_await fail(414, Error::make(ErrorCode::frame_too_large, "the request target is over 8 KiB"));
    }
    const bool head_only = head.method() == http::verb::head;
    const bool keep_alive = parser.keep_alive();

    BodyPlan plan = guarded_plan(request);
    if (plan.kind == BodyPlan::Kind::refuse) {
      co_await write(plan.refusal, head_only, true, answer_due(plan.refusal.body.size()));
      co_return parser.is_done() ? Ending::close : Ending::linger;
    }
    if (auto length = parser.content_length(); length && *length > plan.limit) {
      co_return co_await fail(413, too_large(plan.limit));
    }
    if (!parser.is_done() && beast::iequals(head[http::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [write_error, n] = co_await asio::async_write(socket_, asio::buffer(kContinue), kTuple);
      if (write_error) co_return Ending::close;
    }
    if (auto ending = co_await read_body(parser, plan, request)) co_return *ending;

    HttpResponse response = co_await dispatch(std::move(request));
    bool written = co_await write(response, head_only, !keep_alive, answer_due(response_size(response)));
    co_return written && keep_alive ? Ending::keep_alive : Ending::close;
  }

  // Reads the body where the plan says, under the body deadline. Nothing when the body
  // arrived whole; otherwise how the connection ends (the answer already written).
  awaitable<std::optional<Ending>> read_body(http::request_parser<http::buffer_body>& parser, const BodyPlan& plan,
                                             HttpRequest& request) {
    if (parser.is_done() && plan.kind == BodyPlan::Kind::memory) {
      request.hold = plan.hold;
      co_return std::nullopt;
    }
    const bool to_file = plan.kind == BodyPlan::Kind::file || plan.kind == BodyPlan::Kind::append;
    std::ofstream file;  // an upload gets its file even when it is empty
    if (to_file) {
      file.open(plan.file, std::ios::binary | (plan.kind == BodyPlan::Kind::append ? std::ios::app : std::ios::trunc));
      if (!file) {
        spdlog::error("http: cannot open {}", plan.file.string());
        co_return co_await fail(500, Error::make(ErrorCode::internal, "cannot store the file"));
      }
    }
    // A body that does not arrive whole: an upload's file goes; an append keeps what came
    // (closed here, so that it is on disk before the plan's hold is let go).
    auto discard = [&] {
      if (!to_file) return;
      file.close();
      if (plan.kind == BodyPlan::Kind::append) return;
      std::error_code ignored;
      std::filesystem::remove(plan.file, ignored);
    };
    const auto declared = parser.content_length();
    const auto started = Clock::now();
    std::uint64_t received = 0;
    deadline_.start(socket_, [&] { return started + limits_.allowance(declared.value_or(received)); });
    std::vector<char> chunk(kChunkBytes);
    while (!parser.is_done()) {
      auto& body = parser.get().body();
      body.data = chunk.data();
      body.size = chunk.size();
      // Whatever has arrived, not a full chunk: an append keeps what came before a cut.
      auto [ec, unused] = co_await http::async_read_some(socket_, buffer_, parser, kTuple);
      if (ec == http::error::need_buffer) ec = {};
      std::size_t got = chunk.size() - body.size;
      received += got;
      if (received > plan.limit) {
        deadline_.cancel();
        discard();
        co_return co_await fail(413, too_large(plan.limit));
      }
      if (to_file) {
        file.write(chunk.data(), static_cast<std::streamsize>(got));
        // An append keeps each piece as it comes: a cut, even of the server, loses only
        // what had not reached the file yet.
        if (plan.kind == BodyPlan::Kind::append) file.flush();
      } else {
        request.body.append(chunk.data(), got);
      }
      if (ec) {
        deadline_.cancel();
        discard();
        if (deadline_.expired()) {
          co_return co_await fail(408, front_error(ErrorCode::bad_frame, true,
                                                   "the request body did not arrive within its deadline (" +
                                                       std::to_string(limits_.body_timeout.count()) + " ms and " +
                                                       std::to_string(limits_.min_rate) + " bytes a second)"));
        }
        if (gone(ec)) co_return Ending::close;
        co_return co_await fail(400, Error::make(ErrorCode::bad_frame, "malformed request body: " + ec.message()));
      }
    }
    deadline_.cancel();
    request.body_bytes = received;
    request.hold = plan.hold;
    if (to_file) {
      file.close();
      if (!file) {
        discard();
        co_return co_await fail(500, Error::make(ErrorCode::internal, "cannot store the file"));
      }
      request.body_file = plan.file;
    }
    co_return std::nullopt;
  }

  // The handler's answer, waited for without holding the thread: the handler may answer
  // from another thread; the answer comes back to this connection's executor.
  awaitable<HttpResponse> dispatch(HttpRequest request) {
    auto executor = co_await asio::this_coro::executor;
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(HttpResponse)>(
        [this, executor](auto handler, HttpRequest whole) {
          struct Waiting {
            explicit Waiting(decltype(handler) h) : resume(std::move(h)) {}
            decltype(handler) resume;
            std::atomic<bool> answered{false};
          };
          auto waiting = std::make_shared<Waiting>(std::move(handler));
          // Tracked work keeps a serve_raw() loop running while the handler works elsewhere.
          auto tracked = asio::prefer(executor, asio::execution::outstanding_work.tracked);
          // Only the first answer counts, whoever gives it.
          HttpHandler::Respond respond = [waiting, tracked](HttpResponse response) {
            if (waiting->answered.exchange(true)) return;
            asio::post(tracked, [waiting, response = std::move(response)]() mutable {
              waiting->resume(std::move(response));
            });
          };
          try {
            handler_.handle(std::move(whole), respond);
          } catch (const std::exception& e) {
            spdlog::error("http: a handler threw: {}", e.what());
            respond(error_response(Error::make(ErrorCode::internal, "internal error")));
          }
        },
        asio::use_awaitable, std::move(request));
  }

  BodyPlan guarded_plan(const HttpRequest& head) {
    try {
      return handler_.plan(head);
    } catch (const std::exception& e) {
      spdlog::error("http: planning a body threw: {}", e.what());
      BodyPlan refused;
      refused.kind = BodyPlan::Kind::refuse;
      refused.refusal = error_response(Error::make(ErrorCode::internal, "internal error"));
      return refused;
    }
  }

  // Writes an error the front found before the request was read whole, and lingers.
  awaitable<Ending> fail(int status, const Error& error) {
    auto response = error_response(status, error);
    co_await write(response, false, true, answer_due(response.body.size()));
    co_return Ending::linger;
  }

  // Writes `response` by `due`; false when it could not be written whole.
  awaitable<bool> write(const HttpResponse& response, bool head_only, bool close, Clock::time_point due) {
    if (!response.file.empty()) {
      http::response<http::basic_file_body<WindowFile>> res{static_cast<http::status>(response.status), 11};
      beast::error_code ec;
      res.body().file().set_window(response.file_offset, response.file_length);
      res.body().open(response.file.c_str(), beast::file_mode::scan, ec);
      if (!ec) {
        decorate(res, response, close);
        co_return co_await send(res, head_only, due);
      }
      spdlog::error("http: cannot open {}: {}", response.file.string(), ec.message());
      co_return co_await write(error_response(Error::make(ErrorCode::internal, "the file is missing")), head_only,
                               close, due);
    }
    http::response<http::string_body> res{static_cast<http::status>(response.status), 11};
    res.body() = response.body;
    decorate(res, response, close);
    co_return co_await send(res, head_only, due);
  }

  template <class Body>
  static void decorate(http::response<Body>& res, const HttpResponse& response, bool close) {
    res.set(http::field::server, "confab-server");
    if (!response.content_type.empty()) res.set(http::field::content_type, response.content_type);
    res.set("X-Content-Type-Options", "nosniff");
    for (const auto& [name, value] : response.headers) res.set(name, value);
    res.keep_alive(!close);
    res.prepare_payload();
  }

  template <class Body>
  awaitable<bool> send(http::response<Body>& res, bool head_only, Clock::time_point due) {
    http::response_serializer<Body> serializer(res);
    deadline_.start(socket_, [due] { return due; });
    beast::error_code ec;
    if (head_only) {
      std::tie(ec, std::ignore) = co_await http::async_write_header(socket_, serializer, kTuple);
    } else {
      std::tie(ec, std::ignore) = co_await http::async_write(socket_, serializer, kTuple);
    }
    deadline_.cancel();
    co_return !ec;
  }

  awaitable<void> finish(Ending ending) {
    beast::error_code ignored;
    if (ending == Ending::linger) {
      socket_.shutdown(Socket::shutdown_send, ignored);
      auto until = Clock::now() + kLinger;
      deadline_.start(socket_, [until] { return until; });
      std::vector<char> sink(kChunkBytes);
      for (;;) {
        auto [ec, n] = co_await socket_.async_read_some(asio::buffer(sink), kTuple);
        if (ec) break;
      }
      deadline_.cancel();
    } else if (ending == Ending::drain) {
      char sink[4096];
      for (std::size_t left = socket_.available(ignored); !ignored && left > 0; left = socket_.available(ignored)) {
        socket_.read_some(asio::buffer(sink, std::min(left, sizeof sink)), ignored);
      }
    }
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  Clock::time_point answer_due(std::uint64_t bytes) const { return Clock::now() + limits_.allowance(bytes); }

  static std::uint64_t response_size(const HttpResponse& response) {
    if (response.file.empty()) return response.body.size();
    std::error_code ec;
    auto size = std::filesystem::file_size(response.file, ec);
    if (ec) return 0;
    return response.file_length.value_or(size - std::min<std::uint64_t>(size, response.file_offset));
  }

  static Error too_large(std::uint64_t limit) {
    return Error::make(ErrorCode::frame_too_large, "the request body is over its limit of " + std::to_string(limit) +
                                                       " bytes");
  }

  // The client went away (or the server is stopping): nobody to answer.
  static bool gone(const beast::error_code& ec) {
    return ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor;
  }

  Socket socket_;
  const Limits& limits_;
  HttpHandler& handler_;
  beast::flat_buffer buffer_{kMaxHeadBytes + 64 * 1024};
  Deadline deadline_;
};

}  // namespace confab::server::front
