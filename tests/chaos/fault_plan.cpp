#include "fault_plan.h"

#include <algorithm>
#include <random>

namespace confab::chaos {
namespace {

using std::chrono::milliseconds;

// Relative weights: network faults are common, process kills rarer (each costs seconds
// of reconnecting, and a run should still move messages most of the time).
struct Weighted {
  FaultKind kind;
  int weight;
};
constexpr Weighted kWeights[] = {
    {FaultKind::latency, 4},   {FaultKind::slicing, 3},     {FaultKind::reset, 4},
    {FaultKind::blackhole, 2}, {FaultKind::server_kill, 1}, {FaultKind::device_kill, 2},
    {FaultKind::lost_acks, 3}, {FaultKind::duplicates, 2},
};

const char* name(FaultKind kind) {
  switch (kind) {
    case FaultKind::latency: return "latency";
    case FaultKind::slicing: return "slicing";
    case FaultKind::reset: return "reset";
    case FaultKind::blackhole: return "blackhole";
    case FaultKind::server_kill: return "server-kill";
    case FaultKind::device_kill: return "device-kill";
    case FaultKind::lost_acks: return "lost-acks";
    case FaultKind::duplicates: return "duplicates";
  }
  return "?";
}

}  // namespace

std::vector<Fault> plan_faults(std::uint64_t seed, milliseconds duration, int devices) {
  std::mt19937_64 random(seed);
  auto between = [&](std::int64_t low, std::int64_t high) {
    return std::uniform_int_distribution<std::int64_t>(low, high)(random);
  };
  int total_weight = 0;
  for (const auto& w : kWeights) total_weight += w.weight;

  std::vector<Fault> plan;
  milliseconds at{between(500, 1500)};
  while (at < duration) {
    Fault f;
    f.at = at;
    int pick = static_cast<int>(between(0, total_weight - 1));
    for (const auto& w : kWeights) {
      if (pick < w.weight) {
        f.kind = w.kind;
        break;
      }
      pick -= w.weight;
    }
    f.device = static_cast<int>(between(0, devices - 1));
    switch (f.kind) {
      case FaultKind::latency:
        f.amount = static_cast<int>(between(20, 250));
        f.length = milliseconds(between(1000, 5000));
        break;
      case FaultKind::slicing:
        f.amount = static_cast<int>(between(1, 64));
        f.length = milliseconds(between(1000, 4000));
        break;
      case FaultKind::reset:
        if (between(0, 3) == 0) f.device = -1;
        break;
      case FaultKind::blackhole: f.length = milliseconds(between(2000, 8000)); break;
      case FaultKind::server_kill:
        f.device = -1;
        f.length = milliseconds(between(100, 2000));
        break;
      case FaultKind::device_kill: f.length = milliseconds(between(100, 3000)); break;
      case FaultKind::lost_acks:
        f.device = -1;
        f.amount = static_cast<int>(between(1, 8));
        break;
      case FaultKind::duplicates:
        f.device = -1;
        f.length = milliseconds(between(1000, 4000));
        break;
    }
    f.length = std::min(f.length, duration - f.at);
    plan.push_back(f);
    at += milliseconds(between(300, 2000));
  }
  return plan;
}

std::string describe(const Fault& fault) {
  std::string text = "+" + std::to_string(fault.at.count()) + "ms " + name(fault.kind);
  text += fault.device < 0 ? " all" : " device " + std::to_string(fault.device);
  if (fault.length.count() > 0) text += " for " + std::to_string(fault.length.count()) + "ms";
  if (fault.amount > 0) text += " amount " + std::to_string(fault.amount);
  return text;
}

}  // namespace confab::chaos
