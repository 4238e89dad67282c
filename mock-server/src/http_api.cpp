#include "http_api.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "http_front.h"
#include "http_message.h"
#include "message_store.h"
#include "protocol/ids.h"

namespace confab::server {
namespace {

using Json = nlohmann::json;

// Bootstrap, history and faults take small JSON bodies.
constexpr std::uint64_t kMaxJsonBody = 64 * 1024;

constexpr std::array<std::string_view, 9> kInlineTypes = {
    "image/png", "image/jpeg", "image/gif", "image/webp", "audio/mpeg",
    "audio/ogg", "audio/webm", "video/mp4", "video/webm",
};

HttpResponse fail(ErrorCode code, std::string message) { return error_response(Error::make(code, std::move(message))); }

HttpResponse json_response(const Json& body, int status = 200) {
  HttpResponse res;
  res.status = status;
  res.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return res;
}

std::string bearer(const HttpRequest& req) {
  constexpr std::string_view kPrefix = "Bearer ";
  return req.authorization.starts_with(kPrefix) ? req.authorization.substr(kPrefix.size()) : std::string();
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding (and '+' as a space in a query); nothing when an escape is broken.
std::optional<std::string> decode(std::string_view text, bool query) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int high = hex_digit(text[i + 1]);
      int low = hex_digit(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(query && text[i] == '+' ? ' ' : text[i]);
    }
  }
  return out;
}

// The query's parameters; nothing when one is malformed or given twice (which one a
// proxy in front would have read is anyone's guess).
std::optional<std::map<std::string, std::string>> parse_query(std::string_view query) {
  std::map<std::string, std::string> params;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto name = decode(pair.substr(0, eq), true);
    auto value = decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    if (!params.emplace(std::move(*name), std::move(*value)).second) return std::nullopt;
  }
  return params;
}

// Reads an optional non-negative integer query parameter.
bool query_integer(const std::map<std::string, std::string>& params, const char* name,
                   std::optional<std::int64_t>& out) {
  auto it = params.find(name);
  if (it == params.end()) return true;
  const std::string& text = it->second;
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  out = std::stoll(text);
  return true;
}

// The path's segments after "/v1/", decoded; nothing when an escape is broken.
std::optional<std::vector<std::string>> route_of(std::string_view path) {
  constexpr std::string_view kPrefix = "/v1/";
  if (!path.starts_with(kPrefix)) return std::vector<std::string>{};
  path.remove_prefix(kPrefix.size());
  std::vector<std::string> segments;
  for (;;) {
    auto slash = path.find('/');
    auto segment = decode(path.substr(0, slash), false);
    if (!segment) return std::nullopt;
    segments.push_back(std::move(*segment));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

}  // namespace

AttachmentServing attachment_serving(std::string_view uploaded) {
  auto media = uploaded.substr(0, uploaded.find(';'));
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  std::string lower(media);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (std::find(kInlineTypes.begin(), kInlineTypes.end(), lower) != kInlineTypes.end()) return {lower, true};
  return {"application/octet-stream", false};
}

class HttpApi::Impl final : public HttpHandler {
 public:
  Impl(const ServerConfig& config, const TokenAuthority& tokens, Committer& committer, Hub& hub, Faults& faults,
       Clock clock)
      : config_(config),
        tokens_(tokens),
        committer_(committer),
        hub_(hub),
        faults_(faults),
        clock_(std::move(clock)),
        front_(config_, *this) {}

  Result<void> bind() {
    std::error_code ec;
    std::filesystem::create_directories(config_.attachments_dir, ec);
    if (ec) {
      return Error::make(ErrorCode::internal,
                         "cannot create the attachments directory " + config_.attachments_dir.string() + ": " + ec.message());
    }
    // Uploads cut short by a stop or a crash: nothing of them is kept.
    for (const auto& entry : std::filesystem::directory_iterator(config_.attachments_dir, ec)) {
      if (entry.path().extension() == ".partial") std::filesystem::remove(entry.path(), ec);
    }
    return front_.bind();
  }

  std::uint16_t port() const { return front_.port(); }
  void start() { front_.start(); }
  void stop() { front_.stop(); }
  std::string handle_raw(std::string_view request) { return front_.serve_raw(request); }
  void set_websocket_url(std::string url) { websocket_url_ = std::move(url); }

  BodyPlan plan(const HttpRequest& head) override {
    BodyPlan plan;
    plan.limit = kMaxJsonBody;
    if (head.method != "POST" || head.path() != "/v1/attachments") return plan;
    // An upload is checked at its head, so that a refused one costs no more than that.
    auto refuse = [&](HttpResponse response) {
      plan.kind = BodyPlan::Kind::refuse;
      plan.refusal = std::move(response);
      return plan;
    };
    auto claims = tokens_.verify(bearer(head), clock_());
    if (!claims) return refuse(error_response(claims.error()));
    if (auto problem = content_type_problem(head.content_type); !problem.empty()) {
      return refuse(fail(ErrorCode::invalid_field, problem));
    }
    plan.kind = BodyPlan::Kind::file;
    plan.limit = config_.max_attachment_bytes;
    plan.file = config_.attachments_dir / ("a_" + ids::new_uuid_v7() + ".partial");
    return plan;
  }

  void handle(HttpRequest request, Respond respond) override {
    auto route = route_of(request.path());
    const std::string& method = request.method;
    auto is = [&](std::initializer_list<std::string_view> pattern) {
      if (!route || route->size() != pattern.size()) return false;
      for (std::size_t i = 0; i < pattern.size(); ++i) {
        auto expected = pattern.begin()[i];
        const auto& segment = (*route)[i];
        if (expected == "{id}" ? !protocol::is_identifier(segment) : segment != expected) return false;
      }
      return true;
    };
    auto only = [&](std::string_view allowed) {
      if (method == allowed) return true;
      respond(fail(ErrorCode::not_found, "no such endpoint for this method"));
      return false;
    };
    if (is({"sessions", "bootstrap"})) {
      if (only("POST")) respond(bootstrap(request));
    } else if (is({"conversations", "{id}", "messages"})) {
      if (only("GET")) messages(request, (*route)[1], std::move(respond));
    } else if (is({"attachments"})) {
      if (only("POST")) upload(std::move(request), std::move(respond));
    } else if (is({"attachments", "{id}"})) {
      if (only("GET")) download((*route)[1], request, std::move(respond));
    } else if (config_.fault_injection && is({"admin", "faults"})) {
      if (only("POST")) respond(inject(request));
    } else {
      respond(fail(ErrorCode::not_found, "no such endpoint"));
    }
  }

 private:
  // Runs `work` on the committer thread and answers from there.
  void with_store(std::function<HttpResponse(MessageStore&, std::int64_t)> work, Respond respond) {
    committer_.run([work = std::move(work), respond = std::move(respond)](MessageStore* store, std::int64_t now_ms) {
      if (store == nullptr) return respond(fail(ErrorCode::unavailable, "the server is shutting down"));
      try {
        respond(work(*store, now_ms));
      } catch (const std::exception& e) {
        spdlog::error("http: store work threw: {}", e.what());
        respond(fail(ErrorCode::internal, "internal error"));
      }
    });
  }

  static std::string content_type_problem(const std::string& content_type) {
    if (content_type.size() > 255) return "Content-Type is too long";
    // It is stored, echoed in JSON and reported back: printable ASCII only.
    if (!std::all_of(content_type.begin(), content_type.end(), [](char c) { return c >= 0x20 && c < 0x7f; })) {
      return "Content-Type must be printable ASCII";
    }
    std::string lower(content_type);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower.starts_with("multipart/form-data")) return "send the file as the request body, not as a form";
    return {};
  }

  HttpResponse bootstrap(const HttpRequest& req) {
    auto user = tokens_.verify_development(bearer(req));
    if (!user) return error_response(user.error());
    Json body = Json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("deviceId") || !body["deviceId"].is_string() ||
        !protocol::is_identifier(body["deviceId"].get_ref<const std::string&>())) {
      return fail(ErrorCode::invalid_field, "deviceId must be 1-128 characters from A-Z a-z 0-9 . _ : -");
    }
    auto platform_field = body.find("platform");
    std::string platform =
        platform_field != body.end() && platform_field->is_string() ? platform_field->get<std::string>() : "";
    if (platform.empty() || platform.size() > 32 || !protocol::is_identifier(platform)) {
      return fail(ErrorCode::invalid_field, "platform must name the device's platform (e.g. linux, ios)");
    }
    std::string device = body["deviceId"];
    auto now = clock_();
    spdlog::info("http: bootstrap user={} device={} platform={}", *user, device, platform);
    return json_response({{"userId", *user},
                          {"deviceId", device},
                          {"websocketUrl", websocket_url_},
                          {"sessionToken", tokens_.issue(*user, device, now)},
                          {"expiresAtMs", tokens_.expiry_ms(now)}});
  }

  void messages(const HttpRequest& req, const std::string& conversation, Respond respond) {
    auto claims = tokens_.verify(bearer(req), clock_());
    if (!claims) return respond(error_response(claims.error()));
    auto params = parse_query(req.query());
    std::optional<std::int64_t> after;
    std::optional<std::int64_t> before;
    std::optional<std::int64_t> limit;
    if (!params || !query_integer(*params, "afterSeq", after) || !query_integer(*params, "beforeSeq", before) ||
        !query_integer(*params, "limit", limit)) {
      return respond(fail(ErrorCode::invalid_field,
                          "afterSeq, beforeSeq and limit must be non-negative integers, each given once"));
    }
    if (after.has_value() == before.has_value()) {
      return respond(fail(ErrorCode::invalid_field, "give exactly one of afterSeq and beforeSeq"));
    }
    if (before && *before < 1) return respond(fail(ErrorCode::invalid_field, "beforeSeq must be at least 1"));
    if (limit && (*limit < 1 || *limit > protocol::kMaxHistoryPage)) {
      return respond(fail(ErrorCode::invalid_field, "limit must be 1-" + std::to_string(protocol::kMaxHistoryPage)));
    }
    protocol::HistoryRequest request;
    request.id = "http";
    request.conversation_id = conversation;
    request.after_seq = after;
    request.before_seq = before;
    request.limit = static_cast<int>(limit.value_or(protocol::kDefaultHistoryPage));
    with_store(
        [this, user = claims->user_id, request](MessageStore& store, std::int64_t) {
          auto page = store.history(user, request, config_.max_difference, config_.max_frame_bytes);
          if (!page) return error_response(page.error());
          page->id.clear();
          HttpResponse res;
          res.body = protocol::encode(protocol::ServerFrame{std::move(page).value()});
          return res;
        },
        std::move(respond));
  }

  // The body is already in its file (see plan()), checked against the limit as it came.
  void upload(HttpRequest req, Respond respond) {
    auto partial = req.body_file;
    auto drop = [partial] {
      std::error_code ignored;
      if (!partial.empty()) std::filesystem::remove(partial, ignored);
    };
    auto claims = tokens_.verify(bearer(req), clock_());
    if (!claims) {
      drop();
      return respond(error_response(claims.error()));
    }
    if (partial.empty()) return respond(fail(ErrorCode::internal, "the upload was not stored"));
    std::string content_type = req.content_type.empty() ? "application/octet-stream" : req.content_type;
    std::string id = partial.stem().string();  // a_<uuid>, from a_<uuid>.partial
    auto final_path = config_.attachments_dir / id;
    std::error_code ec;
    std::filesystem::rename(partial, final_path, ec);
    if (ec) {
      drop();
      return respond(fail(ErrorCode::internal, "cannot store the file: " + ec.message()));
    }
    AttachmentInfo info{id, claims->user_id, static_cast<std::int64_t>(req.body_bytes), content_type};
    with_store(
        [info, final_path](MessageStore& store, std::int64_t now_ms) {
          if (auto recorded = store.add_attachment(info, now_ms); !recorded) {
            std::error_code ignored;
            std::filesystem::remove(final_path, ignored);
            return error_response(recorded.error());
          }
          return json_response({{"attachmentId", info.id}, {"size", info.size}, {"contentType", info.content_type}},
                               201);
        },
        std::move(respond));
  }

  void download(const std::string& id, const HttpRequest& req, Respond respond) {
    auto claims = tokens_.verify(bearer(req), clock_());
    if (!claims) return respond(error_response(claims.error()));
    with_store(
        [this, id, user = claims->user_id](MessageStore& store, std::int64_t) {
          auto info = store.readable_attachment(id, user);
          if (!info) return error_response(info.error());
          auto serving = attachment_serving(info->content_type);
          HttpResponse res;
          res.file = config_.attachments_dir / id;
          res.content_type = serving.content_type;
          res.headers.emplace_back("Content-Disposition",
                                   serving.inline_ok ? std::string("inline") : "attachment; filename=\"" + id + "\"");
          // Even shown in place, an attachment is a document of its own with no powers.
          res.headers.emplace_back("Content-Security-Policy", "default-src 'none'; sandbox");
          return res;
        },
        std::move(respond));
  }

  HttpResponse inject(const HttpRequest& req) {
    // Everything is checked before anything applies: a bad field changes nothing.
    Json body = Json::parse(req.body, nullptr, false);
    if (!body.is_object()) return fail(ErrorCode::invalid_field, "bad fault request: the body must be a JSON object");
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
      return fail(ErrorCode::invalid_field, "bad fault request: clear, dropConnections and duplicateEvents are booleans");
    }
    if (!number("dropAcks", 1'000'000, drop_acks) || !number("delayMs", 60'000, delay_ms) ||
        !number("refuseConnectionsMs", 86'400'000, refuse_ms)) {
      return fail(ErrorCode::invalid_field,
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
    return json_response({{"dropAcks", faults_.drop_acks.load()},
                          {"delayMs", faults_.delay_ms.load()},
                          {"duplicateEvents", faults_.duplicate_events.load()},
                          {"refuseUntilMs", faults_.refuse_until_ms.load()}});
  }

  const ServerConfig& config_;
  const TokenAuthority& tokens_;
  Committer& committer_;
  Hub& hub_;
  Faults& faults_;
  Clock clock_;
  std::string websocket_url_;
  HttpFront front_;  // last: it calls the handlers above until it is gone
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
