// A small seeded generator kept inside each lamp so its sessions replay exactly.
#pragma once

#include <cstdint>

namespace lampi::model {

// SplitMix64: 8 bytes of state, good enough statistics for workload sampling.
class Rng {
 public:
  explicit constexpr Rng(std::uint64_t seed = 0) : state_(seed) {}

  constexpr std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  constexpr double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  constexpr double between(double lo, double hi) { return lo + (hi - lo) * unit(); }
  // Uniform integer in [lo, hi].
  constexpr std::int64_t between(std::int64_t lo, std::int64_t hi) {
    if (hi <= lo) return lo;
    auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<std::int64_t>(next() % span);
  }
  constexpr bool chance(double p) { return unit() < p; }

  // A seed for lamp `index` of a fleet seeded with `fleet_seed`.
  static constexpr std::uint64_t derive(std::uint64_t fleet_seed, std::uint64_t index) {
    Rng r(fleet_seed ^ (index * 0xD1B54A32D192ED03ULL));
    r.next();
    return r.next();
  }

 private:
  std::uint64_t state_;
};

}  // namespace lampi::model
