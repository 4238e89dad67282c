#include "properties.h"

#include <filesystem>
#include <vector>

#include <unistd.h>

#include "core/protocol.h"
#include "frame_handler.h"
#include "message_store.h"

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
  state_->dir = std::filesystem::temp_directory_path() / ("confab-fuzz-" + std::to_string(::getpid()));
  std::filesystem::create_directories(state_->dir);
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
