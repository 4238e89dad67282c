// The chaos run's fault schedule, drawn from a seed before the run starts, so that a run
// can be replayed with the same faults at the same offsets (`confab_chaos --seed S`).
// The faults follow Toxiproxy's toxics and the reference server's fault endpoint.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace confab::chaos {

enum class FaultKind {
  latency,      // a device's proxy delays every chunk, with jitter
  slicing,      // a device's proxy forwards in tiny segments
  reset,        // a device's proxy (or every proxy) resets its connections
  blackhole,    // a device's proxy swallows everything, connections stay open (half-open)
  server_kill,  // kill -9 the server, restart it on the same database after `length`
  device_kill,  // kill -9 a device's process, restart it on the same database after `length`
  lost_acks,    // the server drops its next `amount` acks
  duplicates,   // the server delivers every event twice for `length`
};

struct Fault {
  std::chrono::milliseconds at{0};      // from the start of the run
  std::chrono::milliseconds length{0};  // how long it lasts (or the downtime of a kill)
  FaultKind kind = FaultKind::reset;
  int device = -1;                      // -1: every device (resets only)
  int amount = 0;                       // latency ms, slice bytes, acks dropped
};

// Faults over [0, duration), each one over before `duration` ends. Devices are 0..devices-1.
std::vector<Fault> plan_faults(std::uint64_t seed, std::chrono::milliseconds duration, int devices);

std::string describe(const Fault& fault);

}  // namespace confab::chaos
