#pragma once
// The wall clock the security core reads: the S/MIME signingTime attribute,
// MIKEY's T payload and replay window, test certificates' validity, and the
// time certificate chains are checked at.
//
// It is the system clock, unless a ScopedWallClock supplies another. A
// simulation supplies simulated time: then a message signed at simulated
// second 12 says so, MIKEY's replay window runs on the simulation's clock,
// and (with DeterministicRandom) a point-run repeats byte for byte, pcaps
// included, however fast or slow the host ran it.
#include <chrono>
#include <ctime>
#include <functional>

namespace sipim::security {

using WallClockSource = std::function<std::chrono::system_clock::time_point()>;

std::chrono::system_clock::time_point WallClockNow();
std::time_t WallClockSeconds();
// True while a ScopedWallClock is in force.
bool WallClockReplaced();

// Replaces the clock until destroyed, then restores the one before. Not for
// multi-threaded use (a simulation is single-threaded).
class ScopedWallClock {
 public:
  explicit ScopedWallClock(WallClockSource now);
  ~ScopedWallClock();
  ScopedWallClock(const ScopedWallClock&) = delete;
  ScopedWallClock& operator=(const ScopedWallClock&) = delete;

 private:
  WallClockSource previous_;
};

}  // namespace sipim::security
