// A log-linear histogram in the spirit of HdrHistogram: 64 sub-buckets per power of
// two (under 1.6% relative error) from 1 us up, constant-time record, mergeable.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace lampi::fleet {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 6;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kMaxExponent = 38;  // 2^38 us = ~76 hours; values above clamp
  static constexpr std::size_t kBuckets =
      static_cast<std::size_t>((kMaxExponent - kSubBits + 2) * kSub);

  // Values from the previous bucket's upper bound + 1 up to `upper_us`, both whole
  // microseconds; the top bucket also holds every value above it (clamped).
  struct Bucket {
    std::int64_t upper_us = 0;
    std::uint64_t count = 0;
    friend bool operator==(const Bucket&, const Bucket&) = default;
  };

  // A histogram again from its raw counts (nonempty_buckets() and the rest, as the summary
  // JSON writes them), for merging runs. Throws std::invalid_argument when an upper bound is
  // not one of this layout's or the figures cannot belong together.
  static LatencyHistogram from_raw(std::span<const Bucket> buckets, std::int64_t sum_us,
                                   std::int64_t min_us, std::int64_t max_us);

  void record(std::int64_t micros);
  void merge(const LatencyHistogram& other);
  void reset() { *this = LatencyHistogram{}; }

  std::uint64_t count() const { return count_; }
  std::int64_t min() const { return count_ ? min_ : 0; }
  std::int64_t max() const { return max_; }
  std::int64_t sum() const { return sum_; }
  double mean() const {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0;
  }
  // The value at quantile q in [0, 1] by nearest rank (upper edge of its bucket, clamped
  // to max): never below the true sample, at most 1/64 above it up to 2^39 - 1 us.
  std::int64_t percentile(double q) const;
  // The buckets that hold a value, lowest first: the raw counts, so that histograms of
  // different runs (same layout: the same upper bounds) can be added up later.
  std::vector<Bucket> nonempty_buckets() const;

 private:
  static std::size_t bucket_of(std::uint64_t v);
  static std::uint64_t upper_edge(std::size_t bucket);

  // 64-bit: a whole-run histogram of a long soak (schedule lag is recorded on every timer
  // of every lamp, and the summary merges every shard's) passes 2^32 in its busiest bucket.
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::int64_t sum_ = 0;
  std::int64_t min_ = INT64_MAX;
  std::int64_t max_ = 0;
};

}  // namespace lampi::fleet
