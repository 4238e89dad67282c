// Micro-benchmarks of the SDK's inner loops, each on its own: the outbox's enqueue (the
// commit send() waits for), the local store applying a batch of events, and the sync
// engine taking events in order. The codec has its own (codec_bench.cpp).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/sync_engine.h"
#include "store/cache_store.h"
#include "store/outbox_store.h"

namespace confab {
namespace {

std::filesystem::path scratch(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("confab-core-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  return path;
}

protocol::Event event(Seq seq) {
  protocol::Event e;
  e.conversation_id = "c_general";
  e.conversation_seq = seq;
  e.message_id = "m-" + std::to_string(seq);
  e.sender_id = "alice";
  e.client_message_id = "cm-" + std::to_string(seq);
  e.body = protocol::Body{"a typical chat line, about this long"};
  e.created_at_ms = 1'763'800'000'000 + seq;
  return e;
}

// One send(): the outbox row's insert and commit, on a file database (WAL), at each of
// the two durability levels an app can pick.
void OutboxEnqueue(benchmark::State& state) {
  auto synchronous = state.range(0) == 0 ? store::Synchronous::normal : store::Synchronous::full;
  auto outbox = store::OutboxStore::open(scratch("outbox.db"), synchronous).value();
  std::int64_t n = 0;
  for (auto _ : state) {
    core::OutboxRow row;
    row.message.client_message_id = "cm-" + std::to_string(++n);
    row.message.conversation_id = "c_general";
    row.message.text = "a typical chat line, about this long";
    row.message.created_at_ms = 1'763'800'000'000 + n;
    benchmark::DoNotOptimize(outbox->insert(std::move(row)));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(synchronous == store::Synchronous::normal ? "NORMAL" : "FULL");
}

std::unique_ptr<store::CacheStore> open_cache(benchmark::State& state) {
  auto cache = store::CacheStore::open(scratch("cache.db"), store::Synchronous::normal).value().store;
  protocol::ConversationSummary listed;
  listed.conversation_id = "c_general";
  listed.kind = "channel";
  if (!cache->update_conversations({&listed, 1}, true).ok() || !cache->index_for_search(1).ok()) {
    state.SkipWithError("cannot set up the cache");
    return nullptr;
  }
  return cache;
}

// The local store applying a batch of message events in one transaction (what the
// client's writer does every millisecond under a stream, and per page in a catch-up).
// A batch of one is indexed for search as it is stored; a batch of 100 (a page) waits
// for the search index (StoreIndexStep).
void StoreApplyBatch(benchmark::State& state) {
  const auto batch = static_cast<Seq>(state.range(0));
  auto cache = open_cache(state);
  if (!cache) return;
  Seq next = 1;
  for (auto _ : state) {
    std::vector<protocol::Event> events;
    for (Seq i = 0; i < batch; ++i) events.push_back(event(next++));
    benchmark::DoNotOptimize(cache->apply("c_general", events, store::ApplyMode::forward));
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

// Adding 500 stored messages to the search index, as the client does after a catch-up.
void StoreIndexStep(benchmark::State& state) {
  auto cache = open_cache(state);
  if (!cache) return;
  Seq next = 1;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<protocol::Event> events;
    for (int i = 0; i < 500; ++i) events.push_back(event(next++));
    bool stored = cache->apply("c_general", events, store::ApplyMode::forward).ok();
    state.ResumeTiming();
    auto more = cache->index_for_search(500);
    if (!stored || !more || *more) {
      state.SkipWithError("the step did not index the page");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * 500);
}

// The sync engine taking live events in order: each one is applied at once.
void SyncEngineInOrder(benchmark::State& state) {
  core::SyncEngine engine;
  engine.restore("c_general", 0);
  engine.connected(0);
  engine.take_actions();
  Seq next = 1;
  std::vector<protocol::Event> events;
  for (Seq i = 1; i <= 1024; ++i) events.push_back(event(i));
  for (auto _ : state) {
    auto e = events[static_cast<std::size_t>((next - 1) % 1024)];
    e.conversation_seq = next++;
    engine.on_event(e, 0);
    benchmark::DoNotOptimize(engine.take_actions());
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(OutboxEnqueue)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(StoreApplyBatch)->Arg(1)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(StoreIndexStep)->Unit(benchmark::kMicrosecond);
BENCHMARK(SyncEngineInOrder)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace confab

BENCHMARK_MAIN();
