// The profile mixer against plain arithmetic: after every prefix of the hatch order, each
// profile's count against share * n. A fleet of N lamps is the first N of the order, so
// checking every prefix up to 100,000 checks every fleet size up to it at once.
#include "fleet/engine/profile_mixer.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

using lampi::fleet::ProfileMixer;
using lampi::fleet::ProfileShare;
namespace model = lampi::model;

namespace {

using P = model::Profile;

std::string describe(const std::vector<ProfileShare>& shares) {
  std::string s;
  for (const auto& share : shares)
    s +=
        std::to_string(static_cast<int>(share.profile)) + ":" + std::to_string(share.percent) + " ";
  return s;
}

// The largest |count - share * n| over every prefix n <= lamps and every profile.
double worst_prefix_error(const std::vector<ProfileShare>& shares, std::size_t lamps) {
  double total = 0;
  for (const auto& share : shares) total += share.percent;
  std::array<double, model::kProfileCount> share_of{};
  for (const auto& share : shares)
    share_of[static_cast<std::size_t>(share.profile)] = share.percent / total;
  std::array<std::size_t, model::kProfileCount> count{};
  ProfileMixer mixer(shares);
  double worst = 0;
  for (std::size_t n = 1; n <= lamps; ++n) {
    ++count[static_cast<std::size_t>(mixer.next())];
    for (std::size_t k = 0; k < model::kProfileCount; ++k)
      worst = std::max(
          worst, std::abs(static_cast<double>(count[k]) - share_of[k] * static_cast<double>(n)));
  }
  return worst;
}

}  // namespace

TEST_CASE("every prefix of the hatch order carries the shares to within one lamp") {
  const std::vector<std::vector<ProfileShare>> mixes = {
      {{P::touch_drag, 100}},
      {{P::touch_drag, 80}, {P::idle, 20}},
      {{P::touch_drag, 50}, {P::idle, 50}},
      {{P::idle, 1}, {P::touch_drag, 99}},
      {{P::bluetooth, 0.5}, {P::touch_drag, 99.5}},
      {{P::idle, 99.9}, {P::bluetooth, 0.1}},
      {{P::idle, 12.5}, {P::touch_drag, 87.5}},
      {{P::idle, 33.3}, {P::touch_drag, 33.3}, {P::bluetooth, 33.4}},
      {{P::idle, 100.0 / 3}, {P::touch_drag, 100.0 / 3}, {P::bluetooth, 100.0 / 3}},
      {{P::touch_drag, 70}, {P::idle, 20}, {P::bluetooth, 10}},
      {{P::idle, 25}, {P::touch_drag, 25}, {P::bluetooth, 25}, {P::seed_worst_case, 25}},
      // The dashboard test's mix and the README's.
      {{P::seed_worst_case, 50}, {P::touch_drag, 30}, {P::bluetooth, 10}, {P::idle, 10}},
      {{P::touch_drag, 80}, {P::seed_worst_case, 10}, {P::idle, 5}, {P::bluetooth, 5}},
      {{P::idle, 0.1}, {P::touch_drag, 0.1}, {P::bluetooth, 0.1}, {P::seed_worst_case, 99.7}},
      {{P::idle, 49.9}, {P::touch_drag, 49.9}, {P::bluetooth, 0.1}, {P::seed_worst_case, 0.1}},
      {{P::idle, 0}, {P::touch_drag, 100}},  // a 0% share is never handed out
  };
  for (const auto& mix : mixes) {
    CAPTURE(describe(mix));
    std::size_t profiles = 0;
    for (const auto& share : mix) profiles += share.percent > 0 ? 1 : 0;
    // Tijdeman's bound, 1 - 1/(2K - 2): 1/2 for two profiles, 3/4 for three, 5/6 for four.
    double bound = profiles < 2 ? 0.0 : 1.0 - 1.0 / static_cast<double>(2 * profiles - 2);
    double worst = worst_prefix_error(mix, 100000);
    CAPTURE(worst);
    CHECK(worst < 1.0);
    CHECK(worst <= bound + 1e-6);  // slack: the shares are kept to a millionth of a percent
  }
}

TEST_CASE("the counts of a whole fleet: within one lamp of percent * N") {
  const std::vector<ProfileShare> mix = {
      {P::seed_worst_case, 50}, {P::touch_drag, 30}, {P::bluetooth, 10}, {P::idle, 10}};
  for (std::size_t lamps : {1u, 2u, 7u, 10u, 99u, 1000u, 10007u, 30349u}) {
    CAPTURE(lamps);
    std::array<double, model::kProfileCount> count{};
    ProfileMixer mixer(mix);
    for (std::size_t i = 0; i < lamps; ++i) ++count[static_cast<std::size_t>(mixer.next())];
    for (const auto& share : mix)
      CHECK(std::abs(count[static_cast<std::size_t>(share.profile)] -
                     share.percent / 100 * static_cast<double>(lamps)) < 1.0);
  }
}

TEST_CASE("the ramp-up is mixed: the first 100 of 10,000 lamps already follow the shares") {
  const std::vector<ProfileShare> shares = {{P::touch_drag, 80}, {P::idle, 20}};
  ProfileMixer mixer(shares);
  std::vector<P> order;
  for (int i = 0; i < 10000; ++i) order.push_back(mixer.next());
  auto idle_in = [&](std::size_t from, std::size_t n) {
    return std::count(order.begin() + static_cast<std::ptrdiff_t>(from),
                      order.begin() + static_cast<std::ptrdiff_t>(from + n), P::idle);
  };
  CHECK(idle_in(0, 100) == 20);
  CHECK(idle_in(0, 5) == 1);
  // Any window, not only prefixes: a window is the difference of two prefixes.
  for (std::size_t from = 0; from + 100 <= order.size(); from += 37) {
    CAPTURE(from);
    CHECK(std::abs(static_cast<double>(idle_in(from, 100)) - 20.0) < 2.0);
  }
}

TEST_CASE("the order is deterministic, and no shares means idle") {
  const std::vector<ProfileShare> mix = {
      {P::idle, 33.3}, {P::touch_drag, 33.3}, {P::bluetooth, 33.4}};
  ProfileMixer a(mix), b(mix);
  for (int i = 0; i < 5000; ++i) REQUIRE(a.next() == b.next());
  ProfileMixer none({});
  CHECK(none.next() == P::idle);
  CHECK(none.next() == P::idle);
}
