#include "fleet/stats/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace lampi::fleet {

std::size_t LatencyHistogram::bucket_of(std::uint64_t v) {
  if (v < static_cast<std::uint64_t>(kSub)) return static_cast<std::size_t>(v);
  int exponent = static_cast<int>(std::bit_width(v)) - 1;  // >= kSubBits
  if (exponent > kMaxExponent) return kBuckets - 1;
  auto sub = (v >> (exponent - kSubBits)) & static_cast<std::uint64_t>(kSub - 1);
  return static_cast<std::size_t>(exponent - kSubBits + 1) * kSub + static_cast<std::size_t>(sub);
}

std::uint64_t LatencyHistogram::upper_edge(std::size_t bucket) {
  if (bucket < static_cast<std::size_t>(kSub)) return bucket;
  int exponent = static_cast<int>(bucket / kSub) + kSubBits - 1;
  std::uint64_t width = 1ULL << (exponent - kSubBits);
  std::uint64_t lower = (1ULL << exponent) + (bucket % kSub) * width;
  return lower + width - 1;
}

LatencyHistogram LatencyHistogram::from_raw(std::span<const Bucket> buckets, std::int64_t sum_us,
                                            std::int64_t min_us, std::int64_t max_us) {
  LatencyHistogram h;
  for (const auto& b : buckets) {
    if (b.upper_us < 0) throw std::invalid_argument("a bucket's upper bound is negative");
    const std::size_t i = bucket_of(static_cast<std::uint64_t>(b.upper_us));
    if (upper_edge(i) != static_cast<std::uint64_t>(b.upper_us))
      throw std::invalid_argument("upper bound " + std::to_string(b.upper_us) +
                                  " us is not a bucket of this histogram's layout");
    h.counts_[i] += b.count;
    h.count_ += b.count;
  }
  if (h.count_ == 0) return h;
  if (min_us < 0 || min_us > max_us || sum_us < 0)
    throw std::invalid_argument("min_us, max_us and sum_us do not fit together");
  h.sum_ = sum_us;
  h.min_ = min_us;
  h.max_ = max_us;
  return h;
}

void LatencyHistogram::record(std::int64_t micros) {
  if (micros < 0) micros = 0;
  ++counts_[bucket_of(static_cast<std::uint64_t>(micros))];
  ++count_;
  sum_ += micros;
  min_ = std::min(min_, micros);
  max_ = std::max(max_, micros);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

std::int64_t LatencyHistogram::percentile(double q) const {
  if (count_ == 0) return 0;
  // Nearest rank, ceil(q * count). The product is off by an ulp or two when q has no exact
  // double (0.07 * 100 is 7.000000000000001), which must not push a whole rank to the next
  // sample: four epsilons cover that error and move no rank short of 2^50 samples.
  double exact = std::clamp(q, 0.0, 1.0) * static_cast<double>(count_);
  constexpr double kSlack = 1.0 - 4 * std::numeric_limits<double>::epsilon();
  auto rank = static_cast<std::uint64_t>(std::ceil(exact * kSlack));
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(static_cast<std::int64_t>(upper_edge(i)), max_);
  }
  return max_;
}

std::vector<LatencyHistogram::Bucket> LatencyHistogram::nonempty_buckets() const {
  std::vector<Bucket> out;
  for (std::size_t i = 0; i < kBuckets; ++i)
    if (counts_[i] > 0) out.push_back({static_cast<std::int64_t>(upper_edge(i)), counts_[i]});
  return out;
}

}  // namespace lampi::fleet
