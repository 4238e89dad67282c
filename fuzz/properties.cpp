#include "properties.h"

#include <cctype>
#include <filesystem>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "committer.h"
#include "confab/error.h"
#include "protocol/protocol.h"
#include "faults.h"
#include "frame_handler.h"
#include "http_api.h"
#include "hub.h"
#include "message_store.h"
#include "tokens.h"

namespace confab::fuzz {
namespace {

template <class Decode>
std::string check_round_trip(std::string_view text, Decode decode, const char* side) {
  auto first = decode(text);
  if (!first) return {};
  auto encoded = protocol::encode(*first);
  auto second = decode(encoded);
  if (!second) return std::string(side) + " frame re-encoded does not decode: " + encoded;
  if (!(*second == *first)) return std::string(side) + " frame changed through encode and decode: " + encoded;
  return {};
}

constexpr std::int64_t kHarnessNow = 1'763'800'000'000;

std::filesystem::path harness_dir(const char* what) {
  auto dir = std::filesystem::temp_directory_path() /
             ("confab-fuzz-" + std::string(what) + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

server::ServerConfig harness_config() {
  server::ServerConfig c;
  c.users = {{"alice", "Alice", {"token-alice"}}, {"bob", "Bob", {"token-bob"}}, {"carol", "Carol", {"token-carol"}}};
  c.conversations = {{"c_general", server::ConversationKind::channel, "general", {"alice", "bob", "carol"}},
                     {"c_launch", server::ConversationKind::private_channel, "launch", {"alice", "bob"}}};
  return c;
}

}  // namespace

std::string check_client_frame(std::string_view text) {
  return check_round_trip(text, [](std::string_view t) { return protocol::decode_client_frame(t); }, "client");
}

std::string check_server_frame(std::string_view text) {
  return check_round_trip(text, [](std::string_view t) { return protocol::decode_server_frame(t); }, "server");
}

struct FrameHandlerHarness::State {
  std::filesystem::path dir;
  std::unique_ptr<server::MessageStore> store;
  server::FrameHandler handler{harness_config()};
};

FrameHandlerHarness::FrameHandlerHarness() : state_(std::make_unique<State>()) {
  state_->dir = harness_dir("frames");
  auto store = server::MessageStore::open(state_->dir / "server.db", server::Durability::normal);
  if (!store || !(*store)->apply_directory(harness_config())) std::abort();
  state_->store = std::move(store).value();
}

FrameHandlerHarness::~FrameHandlerHarness() {
  state_->store.reset();
  std::error_code ec;
  std::filesystem::remove_all(state_->dir, ec);
}

std::string FrameHandlerHarness::check(std::string_view input) {
  auto& s = *state_;
  server::Peer peer;
  peer.connection_id = 1;
  std::int64_t now = 1'763'800'000'000;
  auto decodable = [](const std::string& frame) -> std::string {
    if (frame.size() > protocol::kMaxFrameBytes) {
      return "the server sent a frame of " + std::to_string(frame.size()) + " bytes, over maxFrameBytes: " +
             frame.substr(0, 200);
    }
    if (protocol::decode_server_frame(frame)) return {};
    return "the server sent a frame the SDK cannot decode: " + frame;
  };
  auto run = [&](const server::Reaction& r) -> std::string {
    for (const auto& reply : r.replies) {
      if (auto bad = decodable(reply); !bad.empty()) return bad;
    }
    if (r.submit) {
      std::vector<server::SendRequest> batch{*r.submit};
      for (const auto& result : s.store->append_batch(batch, now)) {
        if (auto bad = decodable(server::FrameHandler::answer(r.submit_id, result)); !bad.empty()) return bad;
        if (result && result->event) {
          if (auto bad = decodable(protocol::encode(protocol::ServerFrame{*result->event})); !bad.empty()) return bad;
        }
      }
    }
    if (r.query) {
      auto out = r.query(s.store.get(), now);
      for (const auto& reply : out.replies) {
        if (auto bad = decodable(reply); !bad.empty()) return bad;
      }
      for (const auto& delivery : out.deliveries) {
        if (auto bad = decodable(delivery.frame); !bad.empty()) return bad;
      }
    }
    return {};
  };
  auto auth = s.handler.on_text(
      peer, R"({"type":"auth","id":"a","token":"token-alice","protocolVersion":1,"deviceId":"fuzz"})", now);
  if (auto bad = run(auth); !bad.empty()) return bad;
  if (!peer.authenticated()) return "the harness's auth was refused";
  std::size_t start = 0;
  while (start <= input.size()) {
    auto end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    auto reaction = s.handler.on_text(peer, input.substr(start, end - start), ++now);
    if (auto bad = run(reaction); !bad.empty()) return bad;
    if (reaction.close) break;
    start = end + 1;
  }
  return {};
}

}  // namespace confab::fuzz

namespace confab::fuzz {

struct HttpHarness::State {
  explicit State(std::filesystem::path d) : dir(std::move(d)), config(make_config(dir)), tokens(config) {}

  static server::ServerConfig make_config(const std::filesystem::path& dir) {
    auto c = harness_config();
    c.attachments_dir = dir / "attachments";
    c.max_attachment_bytes = 64 * 1024;  // the limit matters, not its size
    c.session_secret = "fuzz-secret";
    c.fault_injection = true;
    return c;
  }

  std::filesystem::path dir;
  server::ServerConfig config;
  server::TokenAuthority tokens;
  std::unique_ptr<server::MessageStore> store;
  std::unique_ptr<server::Committer> committer;
  server::Hub hub;
  server::Faults faults;
  std::unique_ptr<server::HttpApi> http;
  std::string session;
  int last_status = 0;
};

HttpHarness::HttpHarness() : state_(std::make_unique<State>(harness_dir("http"))) {
  auto& s = *state_;
  std::filesystem::create_directories(s.config.attachments_dir);
  auto store = server::MessageStore::open(s.dir / "server.db", server::Durability::normal);
  if (!store || !(*store)->apply_directory(s.config)) std::abort();
  s.store = std::move(store).value();
  s.committer = std::make_unique<server::Committer>(*s.store, 16, [] { return kHarnessNow; });
  s.http = std::make_unique<server::HttpApi>(s.config, s.tokens, *s.committer, s.hub, s.faults,
                                             [] { return kHarnessNow; });
  s.session = s.tokens.issue("alice", "fuzz", kHarnessNow);
}

HttpHarness::~HttpHarness() {
  state_->http.reset();
  state_->committer.reset();
  state_->store.reset();
  std::error_code ec;
  std::filesystem::remove_all(state_->dir, ec);
}

int HttpHarness::last_status() const { return state_->last_status; }

std::string HttpHarness::check(std::string_view input) {
  std::string request(input);
  constexpr std::string_view kSession = "{session}";
  for (auto at = request.find(kSession); at != std::string::npos; at = request.find(kSession, at)) {
    request.replace(at, kSession.size(), state_->session);
    at += state_->session.size();
  }
  std::string response = state_->http->handle_raw(request);
  state_->faults.clear();
  state_->last_status = 0;
  if (response.empty()) return {};  // a connection that never sent a request line is closed unanswered
  // Whatever else the connection carried (pipelined requests, bytes after a body) is
  // answered after the first answer; none of those may be an internal error either.
  if (response.find("HTTP/1.1 500 ") != std::string::npos) return "an internal error: " + response;
  // An interim 100 Continue comes before the answer.
  constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  std::string_view first(response);
  if (first.starts_with(kContinue)) {
    first.remove_prefix(kContinue.size());
    // Told to go on, the client closed before its body was whole: like a connection gone
    // before its request ended, it is closed unanswered.
    if (first.empty()) return {};
  }
  if (first.size() < 12 || first.compare(0, 9, "HTTP/1.1 ") != 0) return "not an HTTP response: " + response;
  int status = std::atoi(std::string(first.substr(9, 3)).c_str());
  if (status < 100 || status > 599) return "no status: " + response;
  state_->last_status = status;
  if (status == 500) return "an internal error: " + response;
  // Answers to HEAD carry no body, even when the rest of the request line is broken.
  bool head = request.compare(0, 4, "HEAD") == 0 && (request.size() == 4 || !std::isalnum(static_cast<unsigned char>(request[4])));
  if (status < 400 || head) return {};
  auto body_at = first.find("\r\n\r\n");
  if (body_at == std::string_view::npos) return "an error without a body: " + response;
  constexpr std::string_view kLength = "\r\nContent-Length: ";
  auto length_at = first.substr(0, body_at).find(kLength);
  if (length_at == std::string_view::npos) return "an error without a Content-Length: " + response;
  auto length = std::strtoull(std::string(first.substr(length_at + kLength.size(), 20)).c_str(), nullptr, 10);
  auto body = nlohmann::json::parse(first.substr(body_at + 4, length), nullptr, false);
  if (!body.is_object() || !body.contains("code") || !body["code"].is_string() || !body.contains("message") ||
      !body["message"].is_string() || !body.contains("retryable") || !body["retryable"].is_boolean()) {
    return "an error without a typed body: " + response;
  }
  if (error_code_from_string(body["code"].get<std::string>()) == ErrorCode::unknown) {
    return "an error code the SDK does not know: " + response;
  }
  return {};
}

}  // namespace confab::fuzz
