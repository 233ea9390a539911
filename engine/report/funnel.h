// What a rule set does to a round, rule by rule: the Pruning panel's live funnel. Computed by
// applying the rule set to the round's samples in memory (nothing is written), so a rule edit
// shows its effect before the next Prune. Torch-free.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "code/sandbox.h"
#include "prune/rule_set.h"
#include "store/store.h"

namespace tpt::report {

struct FunnelStep {
  std::string rule;      // the rule's name
  int64_t dropped = 0;   // samples this rule was the first to drop
  int64_t failed = 0;    // samples it failed, first or not (per-sample rules judge every sample)
  int64_t remaining = 0; // samples still kept after this rule
};

struct Funnel {
  int64_t samples = 0;
  std::vector<FunnelStep> steps;  // enabled rules, in order
  int64_t kept = 0;
  int64_t problems = 0;           // problems with samples
  int64_t problems_kept = 0;      // problems with at least one kept sample
  int64_t tokens_kept = 0;        // completion tokens of the kept samples
  int64_t truncated = 0;          // samples cut off at max_new_tokens (finish_reason "length")
  int64_t truncated_kept = 0;     // ... of which kept
  std::map<int64_t, int64_t> kept_per_problem;  // kept count -> problems with that many
  // Code problems: dropped samples by their program's verdict ("wrong_answer" -> 312, ...),
  // so a user sees whether time limits or wrong answers remove most traces.
  std::map<std::string, int64_t> dropped_by_verdict;
  std::map<std::string, int64_t> verdicts;  // every code sample by verdict
};

// Code samples run in `sandbox` (the experiment's section; judgements already made in this
// process with the same limits are reused, so a rule edit does not run programs again).
Funnel compute_funnel(const std::vector<prune::PruneSample>& samples, const prune::RuleSet& rules,
                      const code::SandboxConfig& sandbox = {});

// The samples of round `round_index` of the experiment in `dir_or_file`, as Prune sees them
// (read-only).
std::vector<prune::PruneSample> round_prune_inputs(const std::string& dir_or_file, int round_index);

// Prunes round `round_index` again with `rules`, replacing its decisions (one transaction), and
// stores the rule set as the round's. Refused (Error saying why) once the round's Train has
// begun — its kept traces are then what the model is learning from — or while a run holds the
// experiment. Returns the new funnel.
Funnel reprune_round(const std::string& dir_or_file, int round_index, const prune::RuleSet& rules);

}  // namespace tpt::report
