// What an experiment shows people who do not run it: the rounds' scores, what pruning removed
// in the last pruned round, and test problems the run taught the model, each with an answer of
// the base model and one of the last round's. The presentation mode and the one-click report
// (ui/report.h) read it; both open the database read-only. Torch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "report/problems.h"
#include "report/status.h"

namespace tpt::report {

// A short, readable name for a problem: the first words of its question, at most `max_chars`
// characters (UTF-8 bytes) with "…" when cut — "Natalia sold clips to 48 of her…". Whitespace
// (newlines included) is collapsed to single spaces.
std::string problem_title(const std::string& question, std::size_t max_chars = 36);

// What Prune did to a round, read from its stored decisions (not recomputed with today's rules).
struct StoredFunnelStep {
  std::string rule;
  int64_t dropped = 0;    // samples this rule was the first to drop
  int64_t remaining = 0;  // samples still kept after it
};

struct StoredFunnel {
  int round = -1;        // -1: no round has been pruned
  int64_t samples = 0;   // the round's samples
  std::vector<StoredFunnelStep> steps;  // in the order of the round's rule set
  int64_t kept = 0;
};

// `round_index` -1: the last round with decisions.
StoredFunnel stored_funnel(const std::string& dir_or_file, int round_index = -1);

// A problem in the order worth showing: learned problems first — those solved in every round
// since they were first solved before those that went back and forth, the earliest learned
// first — then always solved, forgotten and never solved ones.
std::vector<ProblemTrajectory> problems_for_showing(const ProblemSummary& summary);

// One scored round's answers to a problem, as one card: whether the round solved it (as in
// problems.h: at least half its answers right, strict checker) and an answer that agrees with
// that verdict, so a card marked right shows a right answer.
struct RoundAnswer {
  int round = 0;
  bool solved = false;
  int answers = 0;
  int correct = 0;  // strict
  std::string text;
  std::optional<std::string> extracted;  // the strict checker's reading; nullopt: none found
};

// Every scored round's card for the problem, in round order.
std::vector<RoundAnswer> problem_answers(const std::string& dir_or_file, int64_t problem_id);

struct LearnedExample {
  ProblemTrajectory problem;
  RoundAnswer before;  // the first scored round (the base model): wrong
  RoundAnswer after;   // the last scored round: right
};

struct ExperimentReport {
  ExperimentStatus status;
  std::string created_at;  // when the experiment was created (ISO-8601 UTC), "" when unknown
  StoredFunnel funnel;     // of the last pruned round
  ProblemSummary problems;
  std::vector<LearnedExample> learned;  // up to the `examples` asked for, best first
};

// Throws Error naming the folder when it holds no experiment.
ExperimentReport read_experiment_report(const std::string& dir_or_file, std::size_t examples = 3);

}  // namespace tpt::report
