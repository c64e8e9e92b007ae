// Nothing lost, nothing invented, nothing stale: what each lamp handed to the broker and
// had acknowledged, set against what the cloud stand-in received, lamp by lamp, at the end
// of a run. LAMPI payloads carry no sequence numbers and are never changed to help: each
// side folds the messages' own topic and bytes into a tally, in order, and the tallies
// are compared.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fleet/config/fleet_config.hpp"
#include "fleet/stats/latency_histogram.hpp"

namespace lampi::fleet {

// A 64-bit digest of one message as the broker carries it (its topic on EC2 and payload).
std::uint64_t message_digest(std::string_view topic, std::string_view payload);

// Messages folded in: how many, their digests summed (the same multiset gives the same sum
// in any order) and chained (the same sequence gives the same chain).
struct MessageTally {
  std::uint64_t count = 0;
  std::uint64_t sum = 0;
  std::uint64_t chain = 0;
  void add(std::uint64_t digest);
  friend bool operator==(const MessageTally&, const MessageTally&) = default;
};

// One lamp's side, kept by its shard.
struct LampLedger {
  std::uint64_t device_id = 0;
  MessageTally acked;  // QoS 1 publishes the broker acknowledged, in PUBACK order
  // QoS 1 publishes that never got a PUBACK (in flight when the run stopped, over the
  // in-flight bound, not sent, queued in the bridge at the stop): the cloud may or may not
  // have them.
  std::uint64_t unconfirmed = 0;
  // In flight when the lamp powered off (its services' last states, closing with it): the
  // same, but every lamp has some, so they explain only what they can (its last view).
  std::uint64_t unconfirmed_at_power_off = 0;
  std::uint64_t commands_received = 0;  // set_config from EC2
  std::uint64_t connects = 0;           // CONNACKs
  // Bridged connections the lamp itself ended without DISCONNECT (a power-off): each is
  // followed by the broker's will "0" on its $SYS state topic.
  std::uint64_t own_drops = 0;
  bool bridged_at_end = false;  // when the stop began
  std::string changed;          // its state as lamp/changed renders it, at the end
};

// The cloud's side of one lamp, kept by the stand-in.
struct CloudLamp {
  std::uint64_t device_id = 0;
  MessageTally received;    // the lamp's QoS 1 messages as they came, not the retained store
  std::uint64_t wills = 0;  // "0" on its $SYS state topic: the broker's, for the lamp
  // Wills that came later than the broker's bound after the drop (1.5 keepalives and a
  // margin), and wills still owed when the stand-in's own connection went (the broker
  // went away, perhaps before it could publish them).
  std::uint64_t wills_late = 0;
  std::uint64_t wills_cut_off = 0;
  std::uint64_t commands_seen = 0;  // set_config on its topic, whoever sent it
  std::uint64_t commands_sent = 0;  // by the stand-in's web users
  std::uint64_t commands_answered = 0;
  std::string last_changed;  // the last lamp/changed it saw (retained or not)
};

// One lamp the two sides disagree on, and whether something already counted explains it.
struct LampDifference {
  std::string lamp;  // device id
  std::string what;  // e.g. "2 acknowledged messages never reached the cloud"
  bool explained = false;
};

struct CloudAccounting {
  CloudMode mode = CloudMode::off;
  std::uint64_t lamps = 0;             // compared: this process's lamps
  std::uint64_t lamps_consistent = 0;  // both sides agree on everything
  std::uint64_t acknowledged = 0;      // QoS 1 messages acknowledged to the lamps
  std::uint64_t received = 0;          // of those lamps', live at the cloud
  std::uint64_t lost = 0;              // acknowledged, never received
  std::uint64_t extra = 0;         // received beyond the acknowledged: duplicates, or a PUBACK lost
  std::uint64_t altered = 0;       // lamps whose messages came changed or out of order
  std::uint64_t views_differ = 0;  // lamps whose last lamp/changed at the cloud is not the lamp's
  std::uint64_t commands_seen = 0, commands_received = 0, commands_lost = 0;
  std::uint64_t commands_sent = 0, commands_answered = 0, commands_unanswered = 0;
  std::uint64_t associations_started = 0, associations_completed = 0;
  std::uint64_t wills_expected = 0, wills_seen = 0, wills_missing = 0;
  std::uint64_t wills_late = 0;         // later than 1.5 keepalives and a margin after the drop
  std::uint64_t cloud_disconnects = 0;  // the stand-in's own connection lost mid-run
  // Of those, the ones the broker forgot its session across (or it was cut off at the
  // end): only these explain what never reached the cloud, because a kept session is the
  // broker's promise to deliver.
  std::uint64_t cloud_sessions_lost = 0;
  bool settled = true;  // the stand-in saw the broker's flush and every expected will in time
  LatencyHistogram round_trip;              // set_config published -> its lamp/changed at the cloud
  LatencyHistogram will_delay;              // a lamp's connection closed -> its will at the cloud
  std::vector<LampDifference> differences;  // the first kMaxListedDifferences
  std::uint64_t differences_total = 0;
  std::uint64_t unexplained = 0;  // differences nothing explains: the verdict fails on them
  std::string first_unexplained;  // "lamp 1e0000000003: 4 acknowledged messages never ..."

  bool passed() const { return unexplained == 0; }
};

inline constexpr std::size_t kMaxListedDifferences = 20;

// Every count of a CloudAccounting under its name in the summary JSON: what writing it,
// reading it back and adding shards up go through, so none of them can miss one.
struct CloudCountField {
  std::uint64_t CloudAccounting::*member;
  const char* name;
};
inline constexpr std::array<CloudCountField, 24> kCloudCounts{{
    {&CloudAccounting::lamps, "lamps"},
    {&CloudAccounting::lamps_consistent, "lamps_consistent"},
    {&CloudAccounting::acknowledged, "acknowledged"},
    {&CloudAccounting::received, "received"},
    {&CloudAccounting::lost, "lost"},
    {&CloudAccounting::extra, "extra"},
    {&CloudAccounting::altered, "altered"},
    {&CloudAccounting::views_differ, "views_differ"},
    {&CloudAccounting::commands_seen, "commands_seen"},
    {&CloudAccounting::commands_received, "commands_received"},
    {&CloudAccounting::commands_lost, "commands_lost"},
    {&CloudAccounting::commands_sent, "commands_sent"},
    {&CloudAccounting::commands_answered, "commands_answered"},
    {&CloudAccounting::commands_unanswered, "commands_unanswered"},
    {&CloudAccounting::associations_started, "associations_started"},
    {&CloudAccounting::associations_completed, "associations_completed"},
    {&CloudAccounting::wills_expected, "wills_expected"},
    {&CloudAccounting::wills_seen, "wills_seen"},
    {&CloudAccounting::wills_missing, "wills_missing"},
    {&CloudAccounting::wills_late, "wills_late"},
    {&CloudAccounting::cloud_disconnects, "cloud_disconnects"},
    {&CloudAccounting::cloud_sessions_lost, "cloud_sessions_lost"},
    {&CloudAccounting::differences_total, "differences_total"},
    {&CloudAccounting::unexplained, "unexplained"},
}};

// What the stand-in itself counted besides its lamps.
struct CloudTotals {
  std::uint64_t associations_started = 0, associations_completed = 0;
  std::uint64_t disconnects = 0;
  std::uint64_t sessions_lost = 0;  // reconnects that found the broker had not kept its session
  bool reachable_at_end = true;     // connected when the settling began
  bool settled = true;
  LatencyHistogram round_trip;
  LatencyHistogram will_delay;
};

// Both sides of every lamp of this process (ledgers and cloud lamps in any order; a lamp
// the cloud never heard from counts as heard nothing), compared.
CloudAccounting reconcile(CloudMode mode, const std::vector<LampLedger>& lamps,
                          const std::vector<CloudLamp>& cloud, const CloudTotals& totals);

// "2 of 30 lamps differ: 3 acknowledged messages never reached the cloud", or "" when
// every lamp is accounted for: what the verdict says.
std::string accounting_failure(const CloudAccounting& a);

}  // namespace lampi::fleet
