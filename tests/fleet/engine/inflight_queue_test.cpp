// InFlightQueue against a plain std::deque: random sequences of sends, in-order and
// out-of-order PUBACKs, PUBACKs for entries already taken, and timeout sweeps that mark
// entries late (they stay until their PUBACK), from fixed seeds.
#include "fleet/engine/inflight_queue.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

using lampi::fleet::InFlight;
using lampi::fleet::InFlightQueue;
namespace model = lampi::model;

namespace {

model::VirtualTime at_us(std::int64_t us) {
  return model::VirtualTime{} + model::Duration{us};
}

bool same(const InFlight& a, const InFlight& b) {
  return a.mid == b.mid && a.topic == b.topic && a.scheduled == b.scheduled &&
         a.from_command == b.from_command && a.late == b.late;
}

// Tens of thousands of steps: a failure stops the case; a pass costs no assertion count.
void expect(bool ok, const char* what) {
  if (!ok) FAIL(what);
}

// The queue and its reference, driven together the way Shard drives the queue: a send
// is refused at the per-lamp cap, mids count up and wrap like libmosquitto's.
struct Harness {
  InFlightQueue queue;
  std::deque<InFlight> ref;
  std::size_t cap;
  int next_mid = 1;
  std::int64_t now_us = 0;
  std::size_t refused = 0, acked = 0, acked_late = 0, stray = 0, expired = 0, peak = 0;
  std::vector<int> gone;  // mids acked, whose PUBACK may come again

  explicit Harness(std::size_t cap_) : cap(cap_) {}

  void send(std::mt19937& rng) {
    if (ref.size() >= cap) {
      ++refused;
      return;
    }
    InFlight f{next_mid, static_cast<model::Topic>(rng() % model::kTopicCount), at_us(now_us),
               rng() % 4 == 0};
    next_mid = next_mid == 65535 ? 1 : next_mid + 1;
    queue.push(f);
    ref.push_back(f);
    peak = std::max(peak, ref.size());
  }

  void ack(int mid) {
    InFlight got{};
    bool taken = queue.take(mid, got);
    auto it =
        std::find_if(ref.begin(), ref.end(), [mid](const InFlight& f) { return f.mid == mid; });
    expect(taken == (it != ref.end()), "take() found what the reference has, and only that");
    if (!taken) {
      ++stray;
      return;
    }
    expect(same(got, *it), "take() hands out the entry sent with that mid, late or not");
    acked_late += it->late ? 1 : 0;
    ref.erase(it);
    gone.push_back(mid);
    ++acked;
  }

  void sweep(std::int64_t timeout_us) {
    std::vector<InFlight> got;
    queue.expire(at_us(now_us), model::Duration{timeout_us},
                 [&](const InFlight& f) { got.push_back(f); });
    std::vector<InFlight> want;
    for (auto& f : ref) {
      if (f.late) continue;
      if (at_us(now_us) - f.scheduled <= model::Duration{timeout_us}) break;
      f.late = true;
      want.push_back(f);
    }
    expect(got.size() == want.size(), "expire() marks exactly the entries past the timeout");
    for (std::size_t i = 0; i < got.size(); ++i)
      expect(same(got[i], want[i]), "expire() hands them out oldest first, marked late");
    expired += got.size();
  }

  void check_same() {
    expect(queue.size() == ref.size(), "size() as the reference");
    expect(queue.empty() == ref.empty(), "empty() as the reference");
    if (!ref.empty()) expect(same(queue.front(), ref.front()), "front() as the reference");
    expect(queue.size() <= cap, "never above the cap");
  }
};

}  // namespace

TEST_CASE("random sends, acks and timeouts: the queue behaves as a deque") {
  struct Case {
    std::string what;
    std::uint32_t seed;
    std::size_t cap;
    int send_weight, in_order_weight, out_of_order_weight, late_weight, sweep_weight;
    std::int64_t timeout_us;
    std::size_t peak_at_least;  // so the case reaches the sizes its name says
    bool refuses;               // whether it runs into the cap
  };
  // Weights out of their sum per step; time moves 0-2 ms a step.
  const Case cases[] = {
      {"a healthy broker: acks in order, a sweep now and then", 1, 1000, 47, 48, 0, 1, 4, 100'000,
       5, false},
      {"a saturated broker: sends outrun acks into the cap", 2, 300, 70, 20, 2, 2, 6, 1'000'000,
       300, true},
      {"out-of-order acks and late ones", 3, 200, 40, 20, 25, 10, 5, 100'000, 5, false},
      {"cap of one", 4, 1, 50, 30, 5, 10, 5, 5'000, 1, true},
      {"a stalled broker: most entries go late and fill the cap", 5, 5000, 50, 10, 5, 5, 30, 3'000,
       3, true},
      {"thousands in flight, compacting as it goes", 6, 20000, 55, 35, 3, 1, 1, 5'000'000, 1000,
       false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    std::mt19937 rng(c.seed);
    Harness h(c.cap);
    const int total =
        c.send_weight + c.in_order_weight + c.out_of_order_weight + c.late_weight + c.sweep_weight;
    for (int step = 0; step < 30000; ++step) {
      h.now_us += static_cast<std::int64_t>(rng() % 2000);
      int pick = static_cast<int>(rng() % static_cast<unsigned>(total));
      if ((pick -= c.send_weight) < 0) {
        h.send(rng);
      } else if ((pick -= c.in_order_weight) < 0) {
        if (!h.ref.empty()) h.ack(h.ref.front().mid);
      } else if ((pick -= c.out_of_order_weight) < 0) {
        if (!h.ref.empty()) h.ack(h.ref[rng() % h.ref.size()].mid);
      } else if ((pick -= c.late_weight) < 0) {
        // Another PUBACK for one of the last 100 taken (fewer than 65,535 sends: no mid
        // reused): it finds nothing.
        if (!h.gone.empty())
          h.ack(h.gone[h.gone.size() - 1 - rng() % std::min<std::size_t>(h.gone.size(), 100)]);
      } else {
        h.sweep(c.timeout_us);
      }
      h.check_same();
    }
    INFO(c.what << ": acked " << h.acked << " (late " << h.acked_late << "), expired "
                << h.expired << ", stray " << h.stray << ", refused at the cap " << h.refused
                << ", peak " << h.peak);
    // Every kind of step happened, so the sequence tested what its name says.
    CHECK(h.acked > 0);
    CHECK(h.acked_late > 0);
    CHECK(h.stray > 0);
    CHECK(h.expired > 0);
    CHECK(h.peak >= c.peak_at_least);
    CHECK((h.refused > 0) == c.refuses);
  }
}

TEST_CASE("bounds: empty, one, and many in flight") {
  InFlightQueue q;
  InFlight out{7, model::Topic::changed, at_us(1), true};
  CHECK(q.empty());
  CHECK(q.size() == 0);
  CHECK_FALSE(q.take(1, out));
  CHECK(out.mid == 7);  // a miss leaves `out` alone
  int calls = 0;
  q.expire(at_us(1'000'000'000), model::Duration{0}, [&](const InFlight&) { ++calls; });
  CHECK(calls == 0);

  // 10,000 in flight behind a stalled broker, then acked in order: the front moves past
  // the compaction threshold many times and the queue ends empty and reusable.
  for (int i = 1; i <= 10000; ++i) q.push({i, model::Topic::changed, at_us(i), false});
  CHECK(q.size() == 10000);
  for (int i = 1; i <= 10000; ++i) {
    REQUIRE(q.front().mid == i);
    REQUIRE(q.take(i, out));
    REQUIRE(q.size() == static_cast<std::size_t>(10000 - i));
  }
  CHECK(q.empty());
  q.push({1, model::Topic::set_config, at_us(5), false});
  CHECK(q.size() == 1);
  CHECK(q.front().topic == model::Topic::set_config);
}

TEST_CASE("timeouts: strictly older than the timeout, oldest first, and a late ack still lands") {
  InFlightQueue q;
  for (int i = 0; i < 5; ++i) q.push({i + 1, model::Topic::changed, at_us(i * 100), false});
  std::vector<int> expired;
  auto record = [&](const InFlight& f) { expired.push_back(f.mid); };
  q.expire(at_us(300), model::Duration{100}, record);  // 300 - 200 is not > 100
  CHECK(expired == std::vector<int>{1, 2});
  q.expire(at_us(300), model::Duration{100}, record);  // nothing more at the same time
  CHECK(expired == std::vector<int>{1, 2});
  CHECK(q.size() == 5);  // late, not gone
  InFlight out{};
  REQUIRE(q.take(2, out));  // its PUBACK after the sweep: late, with its real time
  CHECK(out.late);
  CHECK(out.scheduled == at_us(100));
  REQUIRE(q.take(4, out));  // out of order: the middle one, in time
  CHECK_FALSE(out.late);
  q.expire(at_us(10'000), model::Duration{100}, record);
  CHECK(expired == std::vector<int>{1, 2, 3, 5});  // each marked once
  std::vector<std::pair<int, bool>> left;
  q.drain([&](const InFlight& f) { left.emplace_back(f.mid, f.late); });
  CHECK(left == std::vector<std::pair<int, bool>>{{1, true}, {3, true}, {5, true}});
  CHECK(q.empty());
  q.push({9, model::Topic::changed, at_us(20'000), false});
  q.expire(at_us(20'050), model::Duration{100}, record);
  CHECK(expired.size() == 4);  // drain reset the sweep: the new entry is in time
  REQUIRE(q.take(9, out));
  CHECK_FALSE(out.late);
}
