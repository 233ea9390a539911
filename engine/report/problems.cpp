#include "report/problems.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "run/paths.h"
#include "store/store.h"

namespace tpt::report {

const char* to_string(ProblemFate fate) {
  switch (fate) {
    case ProblemFate::Learned: return "learned";
    case ProblemFate::Forgotten: return "forgotten";
    case ProblemFate::AlwaysSolved: return "always solved";
    case ProblemFate::Unstable: return "unstable";
    case ProblemFate::NeverSolved: return "never solved";
  }
  return "";
}

ProblemSummary summarize_problems(const std::string& dir_or_file) {
  const run::ExperimentPaths paths = run::ExperimentPaths::locate(dir_or_file);
  if (!std::filesystem::exists(paths.store_file)) throw Error(paths.dir + ": no experiment database here");
  store::Store store(paths.store_file, store::OpenMode::read_only);
  ProblemSummary summary;
  const auto experiments = store.list_experiments();
  if (experiments.empty()) return summary;
  std::map<int64_t, ProblemTrajectory> by_id;
  std::vector<int> scored_rounds;
  for (const auto& round : store.list_rounds(experiments.front().id)) {
    const auto results = store.problem_results(round.id);
    if (results.empty() || round.state != store::RoundState::Done) continue;
    scored_rounds.push_back(round.round_index);
    for (const auto& r : results) {
      ProblemTrajectory& t = by_id[r.problem_id];
      t.problem_id = r.problem_id;
      t.problem_key = r.problem_key;
      t.rounds.push_back(round.round_index);
      t.accuracy.push_back(static_cast<double>(r.correct_strict) / r.samples);
    }
  }
  for (auto& [id, t] : by_id) {
    if (auto p = store.get_problem(id)) {
      t.question = p->question;
      t.gold = p->gold;
    }
    const bool first = t.accuracy.front() >= 0.5, last = t.accuracy.back() >= 0.5;
    const bool ever = std::any_of(t.accuracy.begin(), t.accuracy.end(), [](double a) { return a >= 0.5; });
    t.fate = first  ? (last ? ProblemFate::AlwaysSolved : ProblemFate::Forgotten)
             : last ? ProblemFate::Learned
             : ever ? ProblemFate::Unstable
                    : ProblemFate::NeverSolved;
    switch (t.fate) {
      case ProblemFate::Learned: ++summary.learned; break;
      case ProblemFate::Forgotten: ++summary.forgotten; break;
      case ProblemFate::AlwaysSolved: ++summary.always_solved; break;
      case ProblemFate::Unstable: ++summary.unstable; break;
      case ProblemFate::NeverSolved: ++summary.never_solved; break;
    }
    summary.problems.push_back(std::move(t));
  }
  return summary;
}

}  // namespace tpt::report
