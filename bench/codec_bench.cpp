// The protocol codec on the frames that dominate traffic: message.send (client -> server)
// and event (server -> client), encode and decode.
#include <benchmark/benchmark.h>

#include "protocol/protocol.h"

namespace confab::protocol {
namespace {

Body body_of(std::size_t bytes) { return Body{std::string(bytes, 'x')}; }

MessageSend send_frame(std::size_t bytes) {
  return MessageSend{"0190a1b2-7c3d-7e4f-9a0b-1c2d3e4f5a6b", "c_general",
                     "0190a1b2-7c3d-7e4f-9a0b-1c2d3e4f5a6b", body_of(bytes)};
}

Event event_frame(std::size_t bytes) {
  return Event{"c_general", 10524, "0190a1b2-7c41-7000-8123-456789abcdef", "alice",
               "0190a1b2-7c3d-7e4f-9a0b-1c2d3e4f5a6b", body_of(bytes), 1763805600123, EventKind::message_created, {}};
}

void EncodeSend(benchmark::State& state) {
  ClientFrame frame = send_frame(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(encode(frame));
  state.SetItemsProcessed(state.iterations());
}

void DecodeSend(benchmark::State& state) {
  std::string text = encode(ClientFrame{send_frame(static_cast<std::size_t>(state.range(0)))});
  for (auto _ : state) benchmark::DoNotOptimize(decode_client_frame(text));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}

void EncodeEvent(benchmark::State& state) {
  ServerFrame frame = event_frame(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(encode(frame));
  state.SetItemsProcessed(state.iterations());
}

void DecodeEvent(benchmark::State& state) {
  std::string text = encode(ServerFrame{event_frame(static_cast<std::size_t>(state.range(0)))});
  for (auto _ : state) benchmark::DoNotOptimize(decode_server_frame(text));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}

// 32 bytes: a typical chat line; 4096: a long paragraph.
BENCHMARK(EncodeSend)->Arg(32)->Arg(4096);
BENCHMARK(DecodeSend)->Arg(32)->Arg(4096);
BENCHMARK(EncodeEvent)->Arg(32)->Arg(4096);
BENCHMARK(DecodeEvent)->Arg(32)->Arg(4096);

}  // namespace
}  // namespace confab::protocol

BENCHMARK_MAIN();
