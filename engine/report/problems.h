// Each evaluated problem across rounds: which rounds solved it, and whether training taught it
// (learned), cost it (forgotten), or never reached it. The per-problem answers are in the
// store; this is the view `tpt status --problems` prints and the Problems panel charts.
// Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tpt::report {

enum class ProblemFate {
  Learned,      // not solved by the base model, solved by the last round's model
  Forgotten,    // solved by the base model, not by the last round's
  AlwaysSolved, // solved by both
  Unstable,     // solved by neither, but by some round between them: learned, then lost again
  NeverSolved,  // solved by no round
};

// "learned", "forgotten", "always solved", "unstable", "never solved"
const char* to_string(ProblemFate fate);

struct ProblemTrajectory {
  int64_t problem_id = 0;
  std::string problem_key;
  std::string question;
  std::string gold;
  // One entry per round that evaluated it, in round order: the fraction of its answers that
  // were correct (strict checker), or -1 when that round has not scored it.
  std::vector<double> accuracy;
  std::vector<int> rounds;  // the round index of each entry
  ProblemFate fate = ProblemFate::NeverSolved;
};

// A problem counts as solved by a round when at least half of its answers are correct (with
// greedy evaluation: its one answer). Compares the first and the last round that scored it.
struct ProblemSummary {
  std::vector<ProblemTrajectory> problems;  // by problem id
  int64_t learned = 0, forgotten = 0, always_solved = 0, unstable = 0, never_solved = 0;
};

// Reads the experiment's evaluation answers (read-only). Rounds not evaluated yet are left out.
ProblemSummary summarize_problems(const std::string& dir_or_file);

}  // namespace tpt::report
