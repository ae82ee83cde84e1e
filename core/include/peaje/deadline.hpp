// A point in time past which a call's work stops: checked between slices of work, never per item.
#pragma once

#include <chrono>
#include <cstdint>

namespace peaje {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  Deadline() = default;  // never expires
  // Expires `seconds` from now; a negative or NaN timeout has already expired.
  static Deadline after(double seconds) noexcept {
    Deadline d;
    d.set_ = true;
    if (!(seconds > 0)) {
      d.at_ = Clock::now();
    } else if (seconds > 1e9) {  // longer than any call: no overflow of the time point
      d.set_ = false;
    } else {
      d.at_ = Clock::now() +
              std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    }
    return d;
  }

  bool is_set() const noexcept { return set_; }
  bool expired() const noexcept { return set_ && Clock::now() >= at_; }
  // Throws Error(kDeadlineExceeded) once expired.
  void check() const;

 private:
  bool set_ = false;
  Clock::time_point at_{};
};

// Searches run between two deadline checks (and, in the bindings, between two GIL releases):
// about 100 us of work on the data modes over native memory, so a check costs nothing measurable.
inline constexpr std::int64_t kSearchesPerSlice = 4096;

}  // namespace peaje
