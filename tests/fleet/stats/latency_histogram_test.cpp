// LatencyHistogram against a plain reference: the samples sorted, the nearest rank read
// off exactly. The histogram promises count, min, max and mean exactly, and a percentile
// no lower than the true one and at most 1/64 (under 1.6%) above it, up to its top bucket.
#include "fleet/stats/latency_histogram.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

using lampi::fleet::LatencyHistogram;

namespace {

// The largest value still kept to the histogram's precision; above it, values clamp.
constexpr std::int64_t kTop = (std::int64_t{1} << (LatencyHistogram::kMaxExponent + 1)) - 1;

// Quantiles in parts per 10,000, so the reference rank is exact integer arithmetic.
// 0.07, 0.14, 0.28 and 0.56 times 100 are not whole in double (0.07 * 100 is
// 7.000000000000001), the trap a ceil() of the product falls into.
constexpr std::int64_t kQuantiles[] = {0,    1,    100,  700,  1400, 2500, 2800, 5000,
                                       5600, 9000, 9500, 9900, 9990, 9999, 10000};

struct Reference {
  std::vector<std::int64_t> sorted;  // negative samples count as 0, as the histogram says
  explicit Reference(std::vector<std::int64_t> samples) : sorted(std::move(samples)) {
    for (auto& v : sorted) v = std::max<std::int64_t>(v, 0);
    std::sort(sorted.begin(), sorted.end());
  }
  std::int64_t nearest_rank(std::int64_t per_10k) const {
    auto n = static_cast<std::int64_t>(sorted.size());
    std::int64_t rank = std::max<std::int64_t>(1, (per_10k * n + 9999) / 10000);
    return sorted[static_cast<std::size_t>(rank - 1)];
  }
  double mean() const {
    std::int64_t sum = 0;
    for (auto v : sorted) sum += v;
    return static_cast<double>(sum) / static_cast<double>(sorted.size());
  }
};

LatencyHistogram fed(const std::vector<std::int64_t>& samples) {
  LatencyHistogram h;
  for (auto v : samples) h.record(v);
  return h;
}

void check_against_reference(const LatencyHistogram& h, const std::vector<std::int64_t>& samples) {
  REQUIRE(h.count() == samples.size());
  if (samples.empty()) {
    CHECK(h.min() == 0);
    CHECK(h.max() == 0);
    CHECK(h.mean() == 0.0);
    for (auto q : kQuantiles) CHECK(h.percentile(static_cast<double>(q) / 10000.0) == 0);
    return;
  }
  Reference ref(samples);
  CHECK(h.min() == ref.sorted.front());
  CHECK(h.max() == ref.sorted.back());
  CHECK(h.mean() == doctest::Approx(ref.mean()).epsilon(1e-12));
  for (auto q : kQuantiles) {
    CAPTURE(q);
    std::int64_t truth = ref.nearest_rank(q);
    std::int64_t got = h.percentile(static_cast<double>(q) / 10000.0);
    CAPTURE(truth);
    CAPTURE(got);
    CHECK(got <= h.max());
    if (truth > kTop) {
      CHECK(got == kTop);  // the documented clamp: beyond ~152 hours, one last bucket
    } else {
      CHECK(got >= truth);
      CHECK((got - truth) * 64 <= truth);  // within 1/64 above
    }
  }
}

struct SampleSet {
  std::string name;
  std::vector<std::int64_t> samples;
};

std::vector<SampleSet> sample_sets() {
  std::mt19937_64 rng(20261201);
  std::vector<SampleSet> sets;
  sets.push_back({"empty", {}});
  sets.push_back({"single value", {1234}});
  sets.push_back({"single zero", {0}});
  sets.push_back({"one value many times", std::vector<std::int64_t>(1000, 777)});
  sets.push_back({"negatives count as zero", {-5, -1, 0, 3, 10}});

  SampleSet every;
  every.name = "every value 0..9999 once";
  for (std::int64_t v = 0; v < 10000; ++v) every.samples.push_back(v);
  sets.push_back(every);

  SampleSet wide;
  wide.name = "100 samples far apart (a rank off by one shows)";
  for (std::int64_t i = 1; i <= 100; ++i) wide.samples.push_back(i * 1000);
  std::shuffle(wide.samples.begin(), wide.samples.end(), rng);
  sets.push_back(wide);

  SampleSet uniform;
  uniform.name = "uniform 0..1 s";
  std::uniform_int_distribution<std::int64_t> micro(0, 1'000'000);
  for (int i = 0; i < 50000; ++i) uniform.samples.push_back(micro(rng));
  sets.push_back(uniform);

  SampleSet skewed;
  skewed.name = "skewed: lognormal around 0.5 ms with a 1% tail of seconds";
  std::lognormal_distribution<double> body(6.2, 0.5);
  std::uniform_int_distribution<std::int64_t> tail(1'000'000, 9'000'000);
  for (int i = 0; i < 20000; ++i)
    skewed.samples.push_back(i % 100 == 0 ? tail(rng) : static_cast<std::int64_t>(body(rng)));
  sets.push_back(skewed);

  SampleSet edges;
  edges.name = "bucket boundaries in every octave";
  for (int e = LatencyHistogram::kSubBits; e <= LatencyHistogram::kMaxExponent; ++e) {
    std::int64_t octave = std::int64_t{1} << e;
    std::int64_t width = octave >> LatencyHistogram::kSubBits;
    for (std::int64_t sub : {0, 1, 31, 62, 63, 64}) {
      std::int64_t lower = octave + sub * width;
      for (std::int64_t v : {lower - 1, lower, lower + 1}) edges.samples.push_back(v);
    }
  }
  for (std::int64_t v = 0; v < 2 * LatencyHistogram::kSub; ++v) edges.samples.push_back(v);
  sets.push_back(edges);

  SampleSet top;
  top.name = "the top octave and beyond the clamp";
  for (std::int64_t v : {kTop - 1, kTop, kTop + 1, std::int64_t{1} << 40, std::int64_t{1} << 50,
                         std::int64_t{1} << 38, (std::int64_t{1} << 38) - 1})
    top.samples.push_back(v);
  for (int i = 0; i < 10; ++i) top.samples.push_back(500);
  sets.push_back(top);
  return sets;
}

}  // namespace

TEST_CASE("percentiles, min, max, mean and count match the sorted samples") {
  for (const auto& set : sample_sets()) {
    CAPTURE(set.name);
    check_against_reference(fed(set.samples), set.samples);
  }
}

TEST_CASE("merging two histograms equals one histogram fed both sample sets") {
  const auto sets = sample_sets();
  for (const auto& a : sets) {
    for (const auto& b : sets) {
      CAPTURE(a.name);
      CAPTURE(b.name);
      std::vector<std::int64_t> both = a.samples;
      both.insert(both.end(), b.samples.begin(), b.samples.end());
      LatencyHistogram merged = fed(a.samples);
      merged.merge(fed(b.samples));
      LatencyHistogram direct = fed(both);
      CHECK(merged.count() == direct.count());
      CHECK(merged.min() == direct.min());
      CHECK(merged.max() == direct.max());
      CHECK(merged.mean() == direct.mean());
      for (auto q : kQuantiles)
        CHECK(merged.percentile(static_cast<double>(q) / 10000.0) ==
              direct.percentile(static_cast<double>(q) / 10000.0));
      check_against_reference(merged, both);
    }
  }
}

TEST_CASE("quantiles outside [0, 1] read as the ends, and reset empties") {
  LatencyHistogram h = fed({10, 20, 30});
  CHECK(h.percentile(-1.0) == h.percentile(0.0));
  CHECK(h.percentile(0.0) == 10);
  CHECK(h.percentile(2.0) == 30);
  h.reset();
  check_against_reference(h, {});
}

TEST_CASE("a bucket holding more than 2^32 samples keeps counting") {
  // A whole-run histogram of a long soak reaches this: schedule lag is recorded on every
  // timer of every lamp, and the summary merges every shard's. Self-merging doubles the
  // counts, so 33 merges stand for ~8.6 billion samples per bucket.
  LatencyHistogram h = fed({10, 1000});
  for (int i = 0; i < 33; ++i) h.merge(h);
  CHECK(h.count() == (std::uint64_t{2} << 33));
  CHECK(h.percentile(0.25) == 10);
  CHECK(h.percentile(0.5) == 10);
  CHECK(h.percentile(0.75) == 1000);
  CHECK(h.mean() == doctest::Approx(505.0));
}

TEST_CASE("the non-empty buckets: raw counts whose bounds enclose their samples") {
  LatencyHistogram h;
  std::vector<std::int64_t> samples;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20'000; ++i) samples.push_back(static_cast<std::int64_t>(rng() % 3'000'000));
  for (std::int64_t v : {0, 1, 63, 64, 65, 127, 128}) samples.push_back(v);
  std::int64_t sum = 0;
  for (auto v : samples) {
    h.record(v);
    sum += v;
  }
  CHECK(h.sum() == sum);
  auto buckets = h.nonempty_buckets();
  REQUIRE_FALSE(buckets.empty());
  // Each sample counts in the first bucket whose upper bound reaches it.
  std::sort(samples.begin(), samples.end());
  std::size_t next = 0;
  std::int64_t previous_upper = -1;
  for (const auto& b : buckets) {
    CHECK(b.upper_us > previous_upper);
    CHECK(b.count > 0);
    std::uint64_t in_bucket = 0;
    while (next < samples.size() && samples[next] <= b.upper_us) {
      CHECK(samples[next] > previous_upper);
      ++in_bucket;
      ++next;
    }
    CHECK(in_bucket == b.count);
    previous_upper = b.upper_us;
  }
  CHECK(next == samples.size());
  // Below 64 us a bucket is one microsecond: the first ones are the values themselves.
  CHECK(buckets[0] == LatencyHistogram::Bucket{0, 1});
  CHECK(buckets[1] == LatencyHistogram::Bucket{1, 1});

  // Above the top, values clamp into the last bucket, whose bound is the top.
  LatencyHistogram far;
  far.record(kTop + 12345);
  far.record(kTop);
  CHECK(far.nonempty_buckets() == std::vector<LatencyHistogram::Bucket>{{kTop, 2}});
  CHECK(LatencyHistogram{}.nonempty_buckets().empty());
}
