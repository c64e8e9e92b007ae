// The shards of one fleet, each run by its own process, added up into one summary: what
// `lampi-fleet merge` prints, writes and judges. Counts add, response times merge from
// the shards' raw histograms (exact percentiles, never averaged), and the verdict is
// judged again on the whole, as if one process had run every lamp.
#pragma once

#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fleet/report/run_summary.hpp"

namespace lampi::fleet {

// what(): "<source>: <field>: <problem>", or "<source>: <problem>" for the file as a whole.
class SummaryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A summary JSON (render_json's) read back. Only what merging needs is required; a field
// this build does not know, in a place it adds up, is an error (it would be lost).
RunSummary read_summary_json(std::string_view text, std::string_view source);

struct ShardSummary {
  std::string source;  // the file it came from, for messages and merged_from
  RunSummary summary;
};

// Every shard of one fleet, once each, in any order: throws SummaryError when they are not
// (a shard missing or given twice, configs that differ where a fleet's must not, an input
// that is a merge itself). Keys each process may set for itself (outputs, metrics,
// threads, its state file, source addresses, the broker's address) may differ.
RunSummary merge_summaries(std::span<const ShardSummary> shards);

}  // namespace lampi::fleet
