#include "http_api.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include "http_front.h"
#include "http_message.h"
#include "message_store.h"
#include "protocol/ids.h"
#include "upload_sessions.h"

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

// The SHA-256 of a file's bytes, as 64 lowercase hex digits; nothing when it cannot be read.
std::optional<std::string> sha256_of_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) return std::nullopt;
  std::vector<char> buffer(256 * 1024);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (!in.eof()) return std::nullopt;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context.get(), digest, &length) != 1) return std::nullopt;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

// A decimal number of at most 18 digits (no sign, no spaces); nothing otherwise.
std::optional<std::uint64_t> decimal(std::string_view text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  return std::stoull(std::string(text));
}

// What a Range header asks of a file of `size` bytes (RFC 9110, one range of bytes).
struct ByteRange {
  enum class Kind { whole, part, unsatisfiable };
  Kind kind = Kind::whole;
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};

ByteRange byte_range(std::string_view header, std::uint64_t size) {
  ByteRange whole;
  constexpr std::string_view kUnit = "bytes=";
  // No range, another unit, several ranges or a malformed one: the whole file, which
  // RFC 9110 allows for all of them.
  if (!header.starts_with(kUnit)) return whole;
  auto spec = header.substr(kUnit.size());
  while (!spec.empty() && spec.front() == ' ') spec.remove_prefix(1);
  while (!spec.empty() && spec.back() == ' ') spec.remove_suffix(1);
  auto dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) return whole;
  auto first_text = spec.substr(0, dash);
  auto last_text = spec.substr(dash + 1);
  ByteRange range{ByteRange::Kind::part, 0, 0};
  if (first_text.empty()) {  // bytes=-N: the last N bytes
    auto suffix = decimal(last_text);
    if (!suffix) return whole;
    if (*suffix == 0 || size == 0) return {ByteRange::Kind::unsatisfiable};
    range.first = size - std::min(*suffix, size);
    range.last = size - 1;
    return range;
  }
  auto first = decimal(first_text);
  if (!first) return whole;
  std::optional<std::uint64_t> last = last_text.empty() ? std::optional<std::uint64_t>(size) : decimal(last_text);
  if (!last || (!last_text.empty() && *last < *first)) return whole;
  if (*first >= size) return {ByteRange::Kind::unsatisfiable};
  range.first = *first;
  range.last = std::min(*last, size - 1);
  return range;
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
        uploads_(config_.attachments_dir, config_.upload_ttl),
        front_(config_, *this) {}

  Result<void> bind() {
    std::error_code ec;
    std::filesystem::create_directories(config_.attachments_dir, ec);
    if (ec) {
      return Error::make(ErrorCode::internal,
                         "cannot create the attachments directory " + config_.attachments_dir.string() + ": " + ec.message());
    }
    // Single-request uploads cut short by a stop or a crash: nothing of them is kept. (Upload
    // sessions, in uploads/, are kept to be resumed.)
    for (const auto& entry : std::filesystem::directory_iterator(config_.attachments_dir, ec)) {
      if (entry.path().extension() == ".partial") std::filesystem::remove(entry.path(), ec);
    }
    if (auto prepared = uploads_.prepare(); !prepared) return prepared;
    return front_.bind();
  }

  std::uint16_t port() const { return front_.port(); }
  void start() {
    front_.start();
    std::lock_guard lock(sweep_mutex_);
    if (sweeper_.joinable()) return;
    sweeper_ = std::thread([this] { sweep_loop(); });
  }
  void stop() {
    {
      std::lock_guard lock(sweep_mutex_);
      stopping_ = true;
    }
    sweep_wake_.notify_all();
    if (sweeper_.joinable() && sweeper_.get_id() != std::this_thread::get_id()) sweeper_.join();
    front_.stop();
  }
  std::string handle_raw(std::string_view request) { return front_.serve_raw(request); }
  void set_websocket_url(std::string url) { websocket_url_ = std::move(url); }

  BodyPlan plan(const HttpRequest& head) override {
    BodyPlan plan;
    plan.limit = kMaxJsonBody;
    if (head.method == "PATCH") return plan_append(head);
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
    } else if (is({"uploads"})) {
      if (only("POST")) respond(create_upload(request));
    } else if (is({"uploads", "{id}"})) {
      const std::string& id = (*route)[1];
      if (method == "GET") {
        respond(upload_status(id, request));
      } else if (method == "PATCH") {
        appended(id, std::move(request), std::move(respond));
      } else if (method == "DELETE") {
        respond(delete_upload(id, request));
      } else {
        respond(fail(ErrorCode::not_found, "no such endpoint for this method"));
      }
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
    AttachmentInfo info{id, claims->user_id, static_cast<std::int64_t>(req.body_bytes), content_type, {}};
    with_store(
        [info, final_path](MessageStore& store, std::int64_t now_ms) mutable {
          // Hashed here, off the HTTP front's thread.
          auto digest = sha256_of_file(final_path);
          if (!digest) {
            std::error_code ignored;
            std::filesystem::remove(final_path, ignored);
            return fail(ErrorCode::internal, "cannot read back the stored file");
          }
          info.sha256 = *digest;
          if (auto recorded = store.add_attachment(info, now_ms); !recorded) {
            std::error_code ignored;
            std::filesystem::remove(final_path, ignored);
            return error_response(recorded.error());
          }
          return json_response({{"attachmentId", info.id},
                                {"size", info.size},
                                {"contentType", info.content_type},
                                {"sha256", info.sha256}},
                               201);
        },
        std::move(respond));
  }

  void download(const std::string& id, const HttpRequest& req, Respond respond) {
    auto claims = tokens_.verify(bearer(req), clock_());
    if (!claims) return respond(error_response(claims.error()));
    with_store(
        [this, id, user = claims->user_id, range_header = req.range](MessageStore& store, std::int64_t) {
          auto info = store.readable_attachment(id, user);
          if (!info) return error_response(info.error());
          auto serving = attachment_serving(info->content_type);
          HttpResponse res;
          res.file = config_.attachments_dir / id;
          std::error_code ec;
          auto size = std::filesystem::file_size(res.file, ec);
          if (ec) return fail(ErrorCode::internal, "the file is missing");
          auto range = byte_range(range_header, size);
          if (range.kind == ByteRange::Kind::unsatisfiable) {
            res = error_response(416, Error::make(ErrorCode::invalid_field,
                                                  "the range is outside the file's " + std::to_string(size) + " bytes"));
            res.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
          } else if (range.kind == ByteRange::Kind::part) {
            res.status = 206;
            res.file_offset = range.first;
            res.file_length = range.last - range.first + 1;
            res.headers.emplace_back("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                                          std::to_string(range.last) + "/" + std::to_string(size));
          }
          res.headers.emplace_back("Accept-Ranges", "bytes");
          if (!info->sha256.empty()) res.headers.emplace_back("X-Confab-Sha256", info->sha256);
          if (res.status == 416) return res;
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

  // ---- upload sessions (upload_sessions.h) ----

  Json session_json(const UploadSession& s) const {
    Json j{{"uploadId", s.id}, {"offset", s.offset}, {"size", s.size}, {"expiresAtMs", uploads_.expires_at_ms(s)}};
    if (s.complete()) j["attachmentId"] = s.attachment_id;
    return j;
  }

  // 409: the offset the client gave is not the server's; the answer carries the server's.
  HttpResponse offset_conflict(const UploadSession& s, std::string message) const {
    auto res = error_response(409, Error::make(ErrorCode::invalid_field, std::move(message)));
    Json body = Json::parse(res.body);
    body["offset"] = s.offset;
    if (s.complete()) body["attachmentId"] = s.attachment_id;
    res.body = body.dump();
    return res;
  }

  HttpResponse create_upload(const HttpRequest& req) {
    auto claims = tokens_.verify(bearer(req), clock_());
    if (!claims) return error_response(claims.error());
    Json body = Json::parse(req.body, nullptr, false);
    if (!body.is_object()) return fail(ErrorCode::invalid_field, "the body must be a JSON object");
    auto size = body.find("size");
    if (size == body.end() || !size->is_number_integer() || size->get<std::int64_t>() < 1) {
      return fail(ErrorCode::invalid_field, "size must be a positive integer (bytes)");
    }
    if (size->get<std::int64_t>() > static_cast<std::int64_t>(config_.max_attachment_bytes)) {
      return fail(ErrorCode::frame_too_large,
                  "size is over the attachment limit of " + std::to_string(config_.max_attachment_bytes) + " bytes");
    }
    auto sha = body.find("sha256");
    if (sha == body.end() || !sha->is_string() || !protocol::is_sha256_hex(sha->get_ref<const std::string&>())) {
      return fail(ErrorCode::invalid_field, "sha256 must be 64 lowercase hex digits");
    }
    std::string content_type = "application/octet-stream";
    if (auto type = body.find("contentType"); type != body.end()) {
      if (!type->is_string() || type->get_ref<const std::string&>().empty() ||
          !printable_ascii(type->get_ref<const std::string&>(), 255)) {
        return fail(ErrorCode::invalid_field, "contentType must be 1-255 printable ASCII characters");
      }
      content_type = type->get<std::string>();
    }
    auto created = uploads_.create(claims->user_id, size->get<std::int64_t>(), sha->get<std::string>(), content_type,
                                   clock_());
    if (!created) return error_response(created.error());
    spdlog::info("http: upload {} of {} bytes opened by {}", created->id, created->size, claims->user_id);
    return json_response(session_json(*created), 201);
  }

  HttpResponse upload_status(const std::string& id, const HttpRequest& req) {
    auto claims = tokens_.verify(bearer(req), clock_());
    if (!claims) return error_response(claims.error());
    auto session = uploads_.find(id, claims->user_id, clock_());
    if (!session) return error_response(session.error());
    return json_response(session_json(*session));
  }

  HttpResponse delete_upload(const std::string& id, const HttpRequest& req) {
    auto claims = tokens_.verify(bearer(req), clock_());
    if (!claims) return error_response(claims.error());
    auto session = uploads_.find(id, claims->user_id, clock_());
    if (!session) return error_response(session.error());
    uploads_.remove(id);
    HttpResponse res;
    res.status = 204;
    res.content_type.clear();
    return res;
  }

  // A PATCH is checked at its head, before any of its body is read: who asks, whether the
  // session is free, and whether the client's offset is the server's. Its body is then
  // appended to the session's bytes as it arrives (see BodyPlan::Kind::append); the busy
  // mark is held by the plan, then by the request, until the answer.
  BodyPlan plan_append(const HttpRequest& head) {
    BodyPlan plan;
    plan.limit = kMaxJsonBody;
    auto route = route_of(head.path());
    if (!route || route->size() != 2 || (*route)[0] != "uploads" || !protocol::is_identifier((*route)[1])) return plan;
    const std::string& id = (*route)[1];
    auto refuse = [&](HttpResponse response) {
      plan.kind = BodyPlan::Kind::refuse;
      plan.refusal = std::move(response);
      return plan;
    };
    auto now = clock_();
    auto claims = tokens_.verify(bearer(head), now);
    if (!claims) return refuse(error_response(claims.error()));
    if (auto session = uploads_.find(id, claims->user_id, now); !session) return refuse(error_response(session.error()));
    auto offset = decimal(head.upload_offset);
    if (!offset) return refuse(fail(ErrorCode::invalid_field, "Upload-Offset must be a decimal number of bytes"));
    auto hold = uploads_.acquire(id, clock_);
    if (!hold) {
      auto busy = Error::make(ErrorCode::unavailable, "another PATCH of this upload is in progress");
      busy.retryable = true;
      busy.retry_after_ms = 200;
      return refuse(error_response(409, busy));
    }
    // Read again now that no other PATCH can move it.
    auto session = uploads_.find(id, claims->user_id, now);
    if (!session) return refuse(error_response(session.error()));
    if (session->complete()) return refuse(offset_conflict(*session, "the upload is complete"));
    if (static_cast<std::int64_t>(*offset) != session->offset) {
      return refuse(offset_conflict(*session, "the server holds " + std::to_string(session->offset) +
                                                  " bytes of this upload; send from there"));
    }
    plan.kind = BodyPlan::Kind::append;
    plan.file = uploads_.part_path(id);
    plan.limit = static_cast<std::uint64_t>(session->size - session->offset);
    plan.hold = std::move(hold);
    return plan;
  }

  // The PATCH's body is in the session's file. When that makes it whole, its bytes are
  // checked against the declared SHA-256 (on the committer thread, off the front's) and
  // become an attachment.
  void appended(const std::string& id, HttpRequest req, Respond respond) {
    auto hold = std::move(req.hold);
    if (!hold) return respond(fail(ErrorCode::internal, "the upload was not planned"));
    auto claims = tokens_.verify(bearer(req), clock_());
    if (!claims) return respond(error_response(claims.error()));
    auto session = uploads_.find(id, claims->user_id, clock_());
    if (!session) return respond(error_response(session.error()));
    if (session->offset < session->size) {
      hold.reset();  // moves the expiry on, before the client can ask again
      session = uploads_.find(id, claims->user_id, clock_());
      if (!session) return respond(error_response(session.error()));
      return respond(json_response(session_json(*session)));
    }
    with_store(
        [this, s = *session, hold = std::move(hold)](MessageStore& store, std::int64_t now_ms) mutable {
          auto part = uploads_.part_path(s.id);
          auto digest = sha256_of_file(part);
          if (!digest) return fail(ErrorCode::internal, "cannot read the upload back");
          if (*digest != s.sha256) {
            // The bytes are wrong somewhere: nothing of them can be trusted, so all go.
            std::error_code ignored;
            std::filesystem::resize_file(part, 0, ignored);
            spdlog::warn("http: upload {} did not match its sha256; reset to 0", s.id);
            return fail(ErrorCode::invalid_field, "the bytes do not match sha256; the upload starts again at offset 0");
          }
          std::string attachment_id = "a_" + ids::new_uuid_v7();
          auto stored = config_.attachments_dir / attachment_id;
          std::error_code ec;
          std::filesystem::rename(part, stored, ec);
          if (ec) return fail(ErrorCode::internal, "cannot store the file: " + ec.message());
          AttachmentInfo info{attachment_id, s.owner, s.size, s.content_type, s.sha256};
          if (auto recorded = store.add_attachment(info, now_ms); !recorded) {
            std::filesystem::rename(stored, part, ec);  // still whole: the client can try once more
            return error_response(recorded.error());
          }
          s.attachment_id = attachment_id;
          s.offset = s.size;
          s.touched_at_ms = now_ms;
          if (auto saved = uploads_.save(s); !saved) spdlog::warn("http: {}", saved.error().message);
          spdlog::info("http: upload {} complete as {}", s.id, attachment_id);
          hold.reset();
          return json_response(session_json(s));
        },
        std::move(respond));
  }

  // Every min(ttl / 4, 60 s), at least every 100 ms: expired upload sessions go, and so do
  // attachments older than the ttl that no message references (a message cancelled after
  // its upload leaves nothing behind).
  void sweep_loop() {
    auto period = std::clamp<std::chrono::milliseconds>(config_.upload_ttl / 4, std::chrono::milliseconds(100),
                                                         std::chrono::milliseconds(60'000));
    std::unique_lock lock(sweep_mutex_);
    while (!sweep_wake_.wait_for(lock, period, [this] { return stopping_; })) {
      lock.unlock();
      auto now = clock_();
      if (int swept = uploads_.sweep(now); swept > 0) spdlog::info("http: {} expired uploads deleted", swept);
      committer_.run([this, cutoff = now - config_.upload_ttl.count()](MessageStore* store, std::int64_t) {
        if (store == nullptr) return;
        for (const auto& id : store->expire_attachments(cutoff)) {
          std::error_code ignored;
          std::filesystem::remove(config_.attachments_dir / id, ignored);
          spdlog::info("http: attachment {} deleted: no message references it", id);
        }
      });
      lock.lock();
    }
  }

  static bool printable_ascii(const std::string& text, std::size_t max) {
    return text.size() <= max && std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  }

  const ServerConfig& config_;
  const TokenAuthority& tokens_;
  Committer& committer_;
  Hub& hub_;
  Faults& faults_;
  Clock clock_;
  std::string websocket_url_;
  UploadSessions uploads_;
  // The sweep of expired uploads and unreferenced attachments (sweep_loop()).
  std::mutex sweep_mutex_;
  std::condition_variable sweep_wake_;
  bool stopping_ = false;
  std::thread sweeper_;
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
