#include "http_api.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "protocol/ids.h"
#include "message_store.h"

namespace confab::server {
namespace {

using Json = nlohmann::json;

int status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_field:
    case ErrorCode::bad_frame: return 400;
    case ErrorCode::unauthorized:
    case ErrorCode::token_expired: return 401;
    case ErrorCode::forbidden: return 403;
    case ErrorCode::not_member:
    case ErrorCode::not_found: return 404;
    case ErrorCode::frame_too_large: return 413;
    case ErrorCode::rate_limited: return 429;
    case ErrorCode::unavailable: return 503;
    default: return 500;
  }
}

void fail(httplib::Response& res, const Error& error) {
  res.status = status_of(error.code);
  Json body{{"code", std::string(to_string(error.code))}, {"retryable", error.retryable}, {"message", error.message}};
  res.set_content(body.dump(), "application/json");
}

void fail(httplib::Response& res, ErrorCode code, std::string message) { fail(res, Error::make(code, std::move(message))); }

std::string bearer(const httplib::Request& req) {
  auto header = req.get_header_value("Authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  return header.starts_with(kPrefix) ? header.substr(kPrefix.size()) : std::string();
}

// Reads an optional non-negative integer query parameter.
bool query_integer(const httplib::Request& req, const char* name, std::optional<std::int64_t>& out) {
  if (!req.has_param(name)) return true;
  const std::string text = req.get_param_value(name);
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  out = std::stoll(text);
  return true;
}

// What httplib answers by itself (no route, a malformed request, a body over the limit)
// gets the same typed body as the handlers' errors.
Error error_for_status(int status) {
  switch (status) {
    case 400: return Error::make(ErrorCode::bad_frame, "malformed HTTP request");
    case 404: return Error::make(ErrorCode::not_found, "no such endpoint");
    case 405: return Error::make(ErrorCode::not_found, "no such endpoint for this method");
    case 413: return Error::make(ErrorCode::frame_too_large, "the request body is too large");
    case 414: return Error::make(ErrorCode::frame_too_large, "the request URI is too long");
    case 416: return Error::make(ErrorCode::invalid_field, "the requested range cannot be served");
    default:
      return status >= 500 ? Error::make(ErrorCode::internal, "internal error")
                           : Error::make(ErrorCode::invalid_field, "the request cannot be served");
  }
}

// One request's bytes in, the response's bytes out: no socket.
class BufferStream final : public httplib::Stream {
 public:
  explicit BufferStream(std::string_view in) : in_(in) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    size = std::min(size, in_.size() - read_);
    std::memcpy(ptr, in_.data() + read_, size);
    read_ += size;
    return static_cast<ssize_t>(size);
  }
  ssize_t write(const char* ptr, size_t size) override {
    out_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 0;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 0;
  }
  socket_t socket() const override { return INVALID_SOCKET; }
  std::string take() { return std::move(out_); }

 private:
  std::string_view in_;
  std::size_t read_ = 0;
  std::string out_;
};

// httplib keeps its request processing for subclasses; the fuzz target and the tests
// reach it through HttpApi::handle_raw().
class Server : public httplib::Server {
 public:
  std::string handle_raw(std::string_view request) {
    BufferStream stream(request);
    bool closed = false;
    process_request(stream, true, closed, nullptr);
    return stream.take();
  }
};

}  // namespace

class HttpApi::Impl {
 public:
  Impl(const ServerConfig& config, const TokenAuthority& tokens, Committer& committer, Hub& hub, Faults& faults,
       Clock clock)
      : config_(config), tokens_(tokens), committer_(committer), hub_(hub), faults_(faults), clock_(std::move(clock)) {
    server_.set_payload_max_length(config_.max_attachment_bytes);
    server_.set_read_timeout(30, 0);
    server_.set_write_timeout(30, 0);
    server_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return;
      int status = res.status;
      fail(res, error_for_status(status));
      res.status = status;
    });
    server_.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr e) {
      std::string what = "unknown exception";
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        what = ex.what();
      } catch (...) {
      }
      spdlog::error("http: {} {} threw: {}", req.method, req.path, what);
      fail(res, ErrorCode::internal, "internal error");
    });
    server_.Post("/v1/sessions/bootstrap", [this](const httplib::Request& req, httplib::Response& res) {
      bootstrap(req, res);
    });
    server_.Get(R"(/v1/conversations/([A-Za-z0-9._:-]{1,128})/messages)",
                [this](const httplib::Request& req, httplib::Response& res) { messages(req, res); });
    server_.Post("/v1/attachments", [this](const httplib::Request& req, httplib::Response& res,
                                           const httplib::ContentReader& reader) { upload(req, res, reader); });
    server_.Get(R"(/v1/attachments/([A-Za-z0-9._:-]{1,128}))",
                [this](const httplib::Request& req, httplib::Response& res) { download(req, res); });
    if (config_.fault_injection) {
      server_.Post("/v1/admin/faults", [this](const httplib::Request& req, httplib::Response& res) {
        inject(req, res);
      });
    }
  }

  Result<void> bind() {
    std::error_code ec;
    std::filesystem::create_directories(config_.attachments_dir, ec);
    if (ec) {
      return Error::make(ErrorCode::internal,
                         "cannot create the attachments directory " + config_.attachments_dir.string() + ": " + ec.message());
    }
    if (config_.http_port == 0) {
      int port = server_.bind_to_any_port(config_.listen_address);
      if (port <= 0) return Error::make(ErrorCode::internal, "cannot listen for HTTP on " + config_.listen_address);
      port_ = static_cast<std::uint16_t>(port);
    } else {
      if (!server_.bind_to_port(config_.listen_address, config_.http_port)) {
        return Error::make(ErrorCode::internal, "cannot listen for HTTP on " + config_.listen_address + ":" +
                                                    std::to_string(config_.http_port));
      }
      port_ = config_.http_port;
    }
    return {};
  }

  std::uint16_t port() const { return port_; }

  std::string handle_raw(std::string_view request) { return server_.handle_raw(request); }

  void start() {
    thread_ = std::thread([this] {
      server_.listen_after_bind();
      listen_ended_ = true;
    });
    // httplib's stop() does nothing until the listen loop runs, and then that loop would
    // never end: wait for it, so that a stop right after start cannot be missed.
    while (!server_.is_running() && !listen_ended_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  void stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  void set_websocket_url(std::string url) { websocket_url_ = std::move(url); }

 private:
  // Runs `f` on the committer thread and waits for it.
  template <class T>
  Result<T> with_store(std::function<Result<T>(MessageStore&, std::int64_t)> f) {
    std::promise<Result<T>> done;
    auto result = done.get_future();
    committer_.run([&](MessageStore* store, std::int64_t now_ms) {
      done.set_value(store == nullptr ? Result<T>(Error::make(ErrorCode::unavailable, "the server is shutting down"))
                                      : f(*store, now_ms));
    });
    return result.get();
  }

  // The user a request's bearer token names, or the error already written to `res`.
  std::optional<TokenClaims> authenticate(const httplib::Request& req, httplib::Response& res) {
    auto claims = tokens_.verify(bearer(req), clock_());
    if (!claims) {
      fail(res, claims.error());
      return std::nullopt;
    }
    return std::move(claims).value();
  }

  void bootstrap(const httplib::Request& req, httplib::Response& res) {
    auto user = tokens_.verify_development(bearer(req));
    if (!user) return fail(res, user.error());
    Json body;
    try {
      body = Json::parse(req.body);
    } catch (const Json::exception&) {
      return fail(res, ErrorCode::invalid_field, "the body must be a JSON object with deviceId and platform");
    }
    if (!body.is_object() || !body.contains("deviceId") || !body["deviceId"].is_string() ||
        !protocol::is_identifier(body["deviceId"].get_ref<const std::string&>())) {
      return fail(res, ErrorCode::invalid_field, "deviceId must be 1-128 characters from A-Z a-z 0-9 . _ : -");
    }
    std::string platform = body.value("platform", std::string());
    if (platform.empty() || platform.size() > 32 || !protocol::is_identifier(platform)) {
      return fail(res, ErrorCode::invalid_field, "platform must name the device's platform (e.g. linux, ios)");
    }
    std::string device = body["deviceId"];
    auto now = clock_();
    Json out{{"userId", *user},
             {"deviceId", device},
             {"websocketUrl", websocket_url_},
             {"sessionToken", tokens_.issue(*user, device, now)},
             {"expiresAtMs", tokens_.expiry_ms(now)}};
    spdlog::info("http: bootstrap user={} device={} platform={}", *user, device, platform);
    res.set_content(out.dump(), "application/json");
  }

  void messages(const httplib::Request& req, httplib::Response& res) {
    auto claims = authenticate(req, res);
    if (!claims) return;
    protocol::HistoryRequest request;
    request.id = "http";
    request.conversation_id = req.matches[1];
    std::optional<std::int64_t> after;
    std::optional<std::int64_t> before;
    std::optional<std::int64_t> limit;
    if (!query_integer(req, "afterSeq", after) || !query_integer(req, "beforeSeq", before) ||
        !query_integer(req, "limit", limit)) {
      return fail(res, ErrorCode::invalid_field, "afterSeq, beforeSeq and limit must be non-negative integers");
    }
    if (after.has_value() == before.has_value()) {
      return fail(res, ErrorCode::invalid_field, "give exactly one of afterSeq and beforeSeq");
    }
    if (before && *before < 1) return fail(res, ErrorCode::invalid_field, "beforeSeq must be at least 1");
    if (limit && (*limit < 1 || *limit > protocol::kMaxHistoryPage)) {
      return fail(res, ErrorCode::invalid_field, "limit must be 1-" + std::to_string(protocol::kMaxHistoryPage));
    }
    request.after_seq = after;
    request.before_seq = before;
    request.limit = static_cast<int>(limit.value_or(protocol::kDefaultHistoryPage));
    auto page = with_store<protocol::History>([&](MessageStore& store, std::int64_t) {
      return store.history(claims->user_id, request, config_.max_difference, config_.max_frame_bytes);
    });
    if (!page) return fail(res, page.error());
    page->id.clear();
    res.set_content(protocol::encode(protocol::ServerFrame{std::move(page).value()}), "application/json");
  }

  void upload(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    auto claims = authenticate(req, res);
    if (!claims) return;
    if (req.is_multipart_form_data()) {
      return fail(res, ErrorCode::invalid_field, "send the file as the request body, not as a form");
    }
    std::string content_type = req.get_header_value("Content-Type");
    if (content_type.empty()) content_type = "application/octet-stream";
    if (content_type.size() > 255) return fail(res, ErrorCode::invalid_field, "Content-Type is too long");
    // It is stored, echoed in JSON and served back as a header: printable ASCII only.
    if (!std::all_of(content_type.begin(), content_type.end(), [](char c) { return c >= 0x20 && c < 0x7f; })) {
      return fail(res, ErrorCode::invalid_field, "Content-Type must be printable ASCII");
    }
    std::string id = "a_" + ids::new_uuid_v7();
    auto final_path = config_.attachments_dir / id;
    auto partial_path = config_.attachments_dir / (id + ".partial");
    std::int64_t size = 0;
    bool too_large = false;
    {
      std::ofstream out(partial_path, std::ios::binary);
      // The limit is enforced as the bytes arrive: nothing past it is read or kept.
      bool complete = reader([&](const char* data, std::size_t length) {
        size += static_cast<std::int64_t>(length);
        if (static_cast<std::size_t>(size) > config_.max_attachment_bytes) {
          too_large = true;
          return false;
        }
        out.write(data, static_cast<std::streamsize>(length));
        return static_cast<bool>(out);
      });
      out.close();
      // The reader also fails when the declared length is over the limit (nothing is read).
      std::string declared = req.get_header_value("Content-Length");
      if (!complete && !declared.empty() && declared.size() < 20 &&
          declared.find_first_not_of("0123456789") == std::string::npos &&
          std::stoull(declared) > config_.max_attachment_bytes) {
        too_large = true;
      }
      if (!complete && !too_large) {
        std::filesystem::remove(partial_path);
        return fail(res, ErrorCode::invalid_field, "the upload ended before its last byte");
      }
      if (!too_large && !out) {
        std::filesystem::remove(partial_path);
        return fail(res, ErrorCode::internal, "cannot store the file");
      }
    }
    if (too_large) {
      std::filesystem::remove(partial_path);
      return fail(res, ErrorCode::frame_too_large,
                  "attachments are limited to " + std::to_string(config_.max_attachment_bytes) + " bytes");
    }
    std::error_code ec;
    std::filesystem::rename(partial_path, final_path, ec);
    AttachmentInfo info{id, claims->user_id, size, content_type};
    auto recorded = ec ? Result<void>(Error::make(ErrorCode::internal, "cannot store the file: " + ec.message()))
                       : with_store<void>([&](MessageStore& store, std::int64_t now_ms) {
                           return store.add_attachment(info, now_ms);
                         });
    if (!recorded) {
      std::filesystem::remove(final_path, ec);
      std::filesystem::remove(partial_path, ec);
      return fail(res, recorded.error());
    }
    res.status = 201;
    res.set_content(Json{{"attachmentId", id}, {"size", size}, {"contentType", content_type}}.dump(),
                    "application/json");
  }

  void download(const httplib::Request& req, httplib::Response& res) {
    auto claims = authenticate(req, res);
    if (!claims) return;
    std::string id = req.matches[1];
    auto info = with_store<AttachmentInfo>([&](MessageStore& store, std::int64_t) {
      return store.readable_attachment(id, claims->user_id);
    });
    if (!info) return fail(res, info.error());
    std::ifstream in(config_.attachments_dir / id, std::ios::binary);
    if (!in) return fail(res, ErrorCode::internal, "the file is missing");
    std::ostringstream bytes;
    bytes << in.rdbuf();
    res.set_content(bytes.str(), info->content_type);
  }

  void inject(const httplib::Request& req, httplib::Response& res) {
    // Everything is checked before anything applies: a bad field changes nothing.
    Json body = Json::parse(req.body, nullptr, false);
    if (!body.is_object()) return fail(res, ErrorCode::invalid_field, "bad fault request: the body must be a JSON object");
    auto flag = [&](const char* name) -> std::optional<bool> {
      auto it = body.find(name);
      if (it == body.end()) return false;
      if (!it->is_boolean()) return std::nullopt;
      return it->get<bool>();
    };
    auto number = [&](const char* name, std::int64_t max, std::optional<std::int64_t>& out) {
      auto it = body.find(name);
      if (it == body.end()) return true;
      if (!it->is_number_integer() || it->get<std::int64_t>() < 0 || it->get<std::int64_t>() > max) return false;
      out = it->get<std::int64_t>();
      return true;
    };
    auto clear = flag("clear"), drop = flag("dropConnections"), duplicate = flag("duplicateEvents");
    std::optional<std::int64_t> drop_acks, delay_ms, refuse_ms;
    if (!clear || !drop || !duplicate) {
      return fail(res, ErrorCode::invalid_field, "bad fault request: clear, dropConnections and duplicateEvents are booleans");
    }
    if (!number("dropAcks", 1'000'000, drop_acks) || !number("delayMs", 60'000, delay_ms) ||
        !number("refuseConnectionsMs", 86'400'000, refuse_ms)) {
      return fail(res, ErrorCode::invalid_field,
                  "bad fault request: dropAcks (0-1000000), delayMs (0-60000) and refuseConnectionsMs (0-86400000) "
                  "are integers");
    }
    if (*clear) faults_.clear();
    if (drop_acks) faults_.drop_acks = static_cast<int>(*drop_acks);
    if (delay_ms) faults_.delay_ms = *delay_ms;
    if (body.contains("duplicateEvents")) faults_.duplicate_events = *duplicate;
    if (refuse_ms) faults_.refuse_until_ms = clock_() + *refuse_ms;
    if (*drop) hub_.drop_all();
    spdlog::warn("http: faults injected: {}", body.dump());
    res.set_content(Json{{"dropAcks", faults_.drop_acks.load()},
                         {"delayMs", faults_.delay_ms.load()},
                         {"duplicateEvents", faults_.duplicate_events.load()},
                         {"refuseUntilMs", faults_.refuse_until_ms.load()}}
                        .dump(),
                    "application/json");
  }

  const ServerConfig& config_;
  const TokenAuthority& tokens_;
  Committer& committer_;
  Hub& hub_;
  Faults& faults_;
  Clock clock_;
  Server server_;
  std::uint16_t port_ = 0;
  std::string websocket_url_;
  std::thread thread_;
  std::atomic<bool> listen_ended_{false};
};

HttpApi::HttpApi(const ServerConfig& config, const TokenAuthority& tokens, Committer& committer, Hub& hub,
                 Faults& faults, Clock clock)
    : impl_(std::make_unique<Impl>(config, tokens, committer, hub, faults, std::move(clock))) {}
HttpApi::~HttpApi() { impl_->stop(); }
Result<void> HttpApi::bind() { return impl_->bind(); }
std::uint16_t HttpApi::port() const { return impl_->port(); }
void HttpApi::start() { impl_->start(); }
void HttpApi::stop() { impl_->stop(); }
void HttpApi::set_websocket_url(std::string url) { impl_->set_websocket_url(std::move(url)); }
std::string HttpApi::handle_raw(std::string_view request) { return impl_->handle_raw(request); }

}  // namespace confab::server
