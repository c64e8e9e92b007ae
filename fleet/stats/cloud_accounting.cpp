#include "fleet/stats/cloud_accounting.hpp"

#include <fmt/format.h>

#include <unordered_map>

namespace lampi::fleet {

namespace {

// FNV-1a over the bytes, then a finaliser (splitmix64's), so that sums of digests of
// similar messages do not cancel out in their low bits.
std::uint64_t fnv1a(std::uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::uint64_t finalise(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::uint64_t message_digest(std::string_view topic, std::string_view payload) {
  std::uint64_t h = fnv1a(0xcbf29ce484222325ULL, topic);
  h = fnv1a(h ^ 0xff, payload);  // the separator keeps "a"+"bc" apart from "ab"+"c"
  return finalise(h ^ payload.size());
}

void MessageTally::add(std::uint64_t digest) {
  ++count;
  sum += digest;
  chain = finalise(chain * 31 + digest);
}

namespace {

struct Judge {
  CloudAccounting& out;
  const LampLedger& lamp;
  bool differs = false;

  void note(std::string what, bool explained) {
    differs = true;
    ++out.differences_total;
    if (!explained && out.unexplained++ == 0)
      out.first_unexplained = fmt::format("lamp {}: {}", model_id(), what);
    if (out.differences.size() < kMaxListedDifferences)
      out.differences.push_back({model_id(), std::move(what), explained});
  }
  std::string model_id() const { return fmt::format("{:012x}", lamp.device_id); }
};

void judge_lamp(CloudAccounting& out, const LampLedger& lamp, const CloudLamp& cloud,
                bool cloud_was_away) {
  Judge j{out, lamp};
  // What the lamp could not confirm, and a cloud connection that came and went, both leave
  // room for a difference that is not a loss the broker made.
  const bool unconfirmed = lamp.unconfirmed > 0;
  const bool any_unconfirmed = unconfirmed || lamp.unconfirmed_at_power_off > 0;
  // Power-cycled or cut off during the run (churn, injected faults), not only at its end: a
  // command that came just before may have found lamp_service gone.
  const bool dropped_mid_run = lamp.own_drops > (lamp.bridged_at_end ? 1u : 0u);
  out.acknowledged += lamp.acked.count;
  out.received += cloud.received.count;
  if (cloud.received.count < lamp.acked.count) {
    auto n = lamp.acked.count - cloud.received.count;
    out.lost += n;
    j.note(fmt::format("{} acknowledged message{} never reached the cloud", n, n == 1 ? "" : "s"),
           cloud_was_away);
  } else if (cloud.received.count > lamp.acked.count) {
    // At least once: a publish resent after a reconnect, or one whose PUBACK never came.
    out.extra += cloud.received.count - lamp.acked.count;
  } else if (cloud.received.sum != lamp.acked.sum) {
    ++out.altered;
    j.note("the cloud received other messages than the broker acknowledged",
           any_unconfirmed || cloud_was_away);
  } else if (cloud.received.chain != lamp.acked.chain) {
    ++out.altered;
    // Resent publishes may overtake each other after a reconnect; within one connection
    // MQTT keeps a client's order.
    j.note("the cloud received the lamp's messages out of order", lamp.connects > 1);
  }
  if (cloud.last_changed != lamp.changed && !lamp.changed.empty()) {
    ++out.views_differ;
    j.note(cloud.last_changed.empty() ? std::string("the cloud never saw its state")
                                      : fmt::format("the cloud's last view {} is not the lamp's {}",
                                                    cloud.last_changed, lamp.changed),
           any_unconfirmed || lamp.connects == 0 || cloud_was_away);
  }
  out.commands_seen += cloud.commands_seen;
  out.commands_received += lamp.commands_received;
  if (lamp.commands_received < cloud.commands_seen) {
    auto n = cloud.commands_seen - lamp.commands_received;
    out.commands_lost += n;
    // A persistent session keeps them for a lamp that is away: they are the broker's to
    // deliver when it is back.
    j.note(fmt::format("{} command{} sent to it never arrived", n, n == 1 ? "" : "s"),
           !lamp.bridged_at_end || cloud_was_away);
  }
  out.commands_sent += cloud.commands_sent;
  out.commands_answered += cloud.commands_answered;
  if (cloud.commands_answered < cloud.commands_sent) {
    auto n = cloud.commands_sent - cloud.commands_answered;
    out.commands_unanswered += n;
    j.note(fmt::format("{} web command{} never answered with lamp/changed", n,
                       n == 1 ? " was" : "s were"),
           unconfirmed || dropped_mid_run || !lamp.bridged_at_end || cloud_was_away);
  }
  out.wills_expected += lamp.own_drops;
  out.wills_seen += cloud.wills;
  if (cloud.wills < lamp.own_drops) {
    auto n = lamp.own_drops - cloud.wills;
    out.wills_missing += n;
    j.note(fmt::format("{} power-off{} not followed by the will", n, n == 1 ? "" : "s"),
           cloud_was_away || cloud.wills_cut_off >= n);
  }
  if (cloud.wills_late > 0) {
    out.wills_late += cloud.wills_late;
    j.note(fmt::format("{} will{} came later than 1.5 keepalives and a margin after the drop",
                       cloud.wills_late, cloud.wills_late == 1 ? "" : "s"),
           false);
  }
  if (!j.differs) ++out.lamps_consistent;
}

}  // namespace

CloudAccounting reconcile(CloudMode mode, const std::vector<LampLedger>& lamps,
                          const std::vector<CloudLamp>& cloud, const CloudTotals& totals) {
  CloudAccounting out;
  out.mode = mode;
  out.associations_started = totals.associations_started;
  out.associations_completed = totals.associations_completed;
  out.cloud_disconnects = totals.disconnects;
  out.cloud_sessions_lost = totals.sessions_lost + (totals.reachable_at_end ? 0 : 1);
  out.settled = totals.settled;
  out.round_trip = totals.round_trip;
  out.will_delay = totals.will_delay;
  std::unordered_map<std::uint64_t, const CloudLamp*> by_id;
  by_id.reserve(cloud.size());
  for (const auto& c : cloud) by_id.emplace(c.device_id, &c);
  const CloudLamp nothing{};
  const bool away = out.cloud_sessions_lost > 0;
  for (const auto& lamp : lamps) {
    ++out.lamps;
    auto it = by_id.find(lamp.device_id);
    judge_lamp(out, lamp, it == by_id.end() ? nothing : *it->second, away);
  }
  return out;
}

std::string accounting_failure(const CloudAccounting& a) {
  if (a.passed()) return {};
  return fmt::format(
      "{} difference{} between the lamps and the cloud that nothing explains, "
      "first {} ({} of {} lamps differ; in all {} acknowledged messages lost, {} "
      "commands lost, {} wills missing)",
      a.unexplained, a.unexplained == 1 ? "" : "s", a.first_unexplained,
      a.lamps - a.lamps_consistent, a.lamps, a.lost, a.commands_lost, a.wills_missing);
}

}  // namespace lampi::fleet
