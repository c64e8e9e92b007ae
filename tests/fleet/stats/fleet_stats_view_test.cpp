// The read-only view reporting reads, and the one handle that empties the mailboxes.
#include <doctest/doctest.h>

#include <atomic>
#include <type_traits>
#include <utility>
#include <vector>

#include "fleet/stats/fleet_stats_view.hpp"
#include "tests/support/hand_filled_fleet.hpp"

using namespace lampi::fleet;
using lampi::testing::HandFilledFleet;

namespace {

template <typename Stats>
concept CanTakeInterval = requires(Stats& s) {
  s.take_interval();
};

// Only the IntervalReader reaches the mailbox: not a const FleetStats (what the view hands
// out), nor a non-const one outside the reader.
static_assert(!CanTakeInterval<const FleetStats>);
static_assert(!CanTakeInterval<FleetStats>);
static_assert(std::is_same_v<decltype(std::declval<const FleetStatsView&>().shards()),
                             std::span<const FleetStats* const>>);
// A view points at what it is given: it refuses temporaries, and a temporary view will
// not hand out a span that would dangle.
static_assert(!std::is_constructible_v<FleetStatsView, FleetConfig, std::vector<const FleetStats*>,
                                       const std::atomic<bool>&>);
static_assert(!std::is_constructible_v<FleetStatsView, const FleetConfig&,
                                       std::vector<const FleetStats*>, bool>);
template <typename View>
concept HasShards = requires(View&& v) {
  std::forward<View>(v).shards();
};
static_assert(HasShards<const FleetStatsView&>);
static_assert(!HasShards<FleetStatsView>);
// One owner: the reader moves, it does not copy.
static_assert(!std::is_copy_constructible_v<IntervalReader>);
static_assert(!std::is_copy_assignable_v<IntervalReader>);
static_assert(std::is_nothrow_move_constructible_v<IntervalReader>);

}  // namespace

TEST_CASE("the view shows each shard's stats in order, with the config and the live flag") {
  HandFilledFleet fleet(3);
  fleet.config.lamps = 42;
  auto view = fleet.view();
  REQUIRE(view.shards().size() == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(view.shards()[i] == &fleet.shard(i));
  CHECK(view.config().lamps == 42);

  // The view reads, it does not copy: later counts and the flag show through.
  bump(fleet.shard(2).connects, 5);
  CHECK(read(view.shards()[2]->connects) == 5);
  CHECK_FALSE(view.generator_saturated());
  fleet.generator_saturated = true;
  CHECK(view.generator_saturated());
  auto copy = view;
  CHECK(copy.shards()[0] == view.shards()[0]);
}

TEST_CASE("the interval reader merges every shard's mailbox and empties it") {
  HandFilledFleet fleet(2);
  auto reader = fleet.interval_reader();
  HandFilledFleet::publish(fleet.shard(0), {1000, 2000}, {10});
  HandFilledFleet::publish(fleet.shard(0), {3000});  // a second before the reader came by
  HandFilledFleet::publish(fleet.shard(1), {9000}, {20, 30});
  auto first = reader.take();
  CHECK(first.response.count() == 4);
  CHECK(first.response.max() == 9000);
  CHECK(first.response.min() == 1000);
  CHECK(first.schedule_lag.count() == 3);

  auto empty = reader.take();
  CHECK(empty.response.count() == 0);
  CHECK(empty.schedule_lag.count() == 0);

  HandFilledFleet::publish(fleet.shard(1), {500});
  auto moved = std::move(reader);
  auto later = moved.take();
  CHECK(later.response.count() == 1);
  CHECK(later.response.max() == 500);
}

TEST_CASE("publishing hands the shard's second over and starts it afresh") {
  HandFilledFleet fleet(1);
  FleetStats::Interval fresh;
  fresh.response.record(700);
  fleet.shard(0).publish_interval(fresh);
  CHECK(fresh.response.count() == 0);  // the shard's next second starts empty
  auto taken = IntervalReader({&fleet.shard(0)}).take();
  CHECK(taken.response.count() == 1);
}
