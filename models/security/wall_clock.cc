#include "security/wall_clock.h"

#include <utility>

namespace sipim::security {
namespace {

WallClockSource& Replacement() {
  static WallClockSource source;
  return source;
}

}  // namespace

std::chrono::system_clock::time_point WallClockNow() {
  const WallClockSource& s = Replacement();
  return s ? s() : std::chrono::system_clock::now();
}

std::time_t WallClockSeconds() { return std::chrono::system_clock::to_time_t(WallClockNow()); }

bool WallClockReplaced() { return static_cast<bool>(Replacement()); }

ScopedWallClock::ScopedWallClock(WallClockSource now) : previous_(std::exchange(Replacement(), std::move(now))) {}

ScopedWallClock::~ScopedWallClock() { Replacement() = std::move(previous_); }

}  // namespace sipim::security
