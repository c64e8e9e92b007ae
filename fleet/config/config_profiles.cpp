// Profiles by name, and profile mixes: the rules every mix obeys, and the command line's
// "touch-drag:80,idle:20" syntax for one.
#include <cmath>
#include <utility>

#include "fleet/config/config_internal.hpp"
#include "fleet/config/config_loader.hpp"

namespace lampi::fleet {

namespace {

using detail::join;
using detail::kProfileNames;
using detail::trim;

std::string profile_problem(std::string_view name, bool name_in_key) {
  std::string p = name_in_key ? "unknown profile" : "unknown profile " + quote_value(name);
  p += "; expected one of " + join(kProfileNames);
  if (auto near = closest_match(name, kProfileNames); !near.empty())
    p += "; did you mean " + near + "?";
  return p;
}

}  // namespace

model::Profile parse_profile(std::string_view name) {
  for (std::size_t i = 0; i < kProfileNames.size(); ++i)
    if (kProfileNames[i] == name) return static_cast<model::Profile>(i);
  throw ConfigError(profile_problem(name, false));
}

std::string_view profile_name(model::Profile profile) {
  return kProfileNames.at(static_cast<std::size_t>(profile));
}

std::string detail::unknown_profile_problem(std::string_view name) {
  return profile_problem(name, true);
}

detail::MixError::MixError(Rule broken, std::string key, std::string problem, double number)
    : ConfigError({}, std::move(key), std::move(problem)), rule(broken), value(number) {}

ProfileMix::ProfileMix(std::initializer_list<ProfileShare> shares)
    : ProfileMix(std::vector<ProfileShare>(shares)) {}

ProfileMix::ProfileMix(std::vector<ProfileShare> shares) : shares_(std::move(shares)) {
  using Rule = detail::MixError::Rule;
  if (shares_.empty())
    throw detail::MixError(Rule::at_least_one, "",
                           "empty; expected at least one profile, e.g. touch-drag: 100", 0);
  double sum = 0;
  for (std::size_t i = 0; i < shares_.size(); ++i) {
    const auto& share = shares_[i];
    std::string name(profile_name(share.profile));
    if (!(share.percent >= 0 && share.percent <= 100))
      throw detail::MixError(
          Rule::percentage, name,
          "must be a percentage from 0 to 100; got " + detail::format_number(share.percent),
          share.percent);
    for (std::size_t j = 0; j < i; ++j)
      if (shares_[j].profile == share.profile)
        throw detail::MixError(Rule::once_each, name, "listed twice", share.percent);
    sum += share.percent;
  }
  // Shares typed as 33.3 + 33.3 + 33.4, or computed as 100 / 3, are 100 to within rounding.
  if (std::abs(sum - 100.0) > 1e-6)
    throw detail::MixError(Rule::add_up_to_100, "",
                           "shares add up to " + detail::format_number(sum) + "; expected 100",
                           sum);
}

ProfileMix parse_profile_mix(std::string_view text) {
  const std::string mix = "profile mix " + quote_value(text);
  const std::string expected = "expected e.g. touch-drag, or touch-drag:80,idle:20";
  auto s = trim(text);
  if (s.empty()) throw ConfigError("empty profile mix; " + expected);
  std::vector<ProfileShare> shares;
  std::size_t with_percent = 0;
  while (true) {
    auto comma = s.find(',');
    auto item = trim(s.substr(0, comma));
    auto colon = item.find(':');
    auto name = trim(item.substr(0, colon));
    if (name.empty()) throw ConfigError(mix + " has an empty entry; " + expected);
    ProfileShare share{parse_profile(name), 0.0};
    if (colon != std::string_view::npos) {
      auto percent = detail::parse_plain_number(trim(item.substr(colon + 1)));
      if (!percent)
        throw ConfigError(mix + ": " + quote_value(item.substr(colon + 1)) +
                          " is not a percentage from 0 to 100");
      share.percent = *percent;
      ++with_percent;
    }
    shares.push_back(share);
    if (comma == std::string_view::npos) break;
    s = s.substr(comma + 1);
  }
  if (with_percent == 0) {
    for (auto& share : shares) share.percent = 100.0 / static_cast<double>(shares.size());
  } else if (with_percent != shares.size()) {
    throw ConfigError(mix + " gives some profiles a percentage and not others; give all or none");
  }
  // ProfileMix checks the rules; only the wording is the command line's.
  using Rule = detail::MixError::Rule;
  try {
    return ProfileMix(std::move(shares));
  } catch (const detail::MixError& e) {
    switch (e.rule) {
      case Rule::percentage:
        throw ConfigError(mix + ": " + quote_value(detail::format_number(e.value)) +
                          " is not a percentage from 0 to 100");
      case Rule::once_each:
        throw ConfigError(mix + " names " + e.key() + " twice");
      case Rule::add_up_to_100:
        throw ConfigError(mix + " adds up to " + detail::format_number(e.value) + "; expected 100");
      case Rule::at_least_one:
        break;  // the text had an entry, or was refused above
    }
    throw;
  }
}

}  // namespace lampi::fleet
