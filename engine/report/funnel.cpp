#include "report/funnel.h"

#include <filesystem>
#include <set>
#include <unordered_map>

#include "core/error.h"
#include "prune/code_verifier.h"
#include "run/paths.h"

namespace tpt::report {

Funnel compute_funnel(const std::vector<prune::PruneSample>& samples, const prune::RuleSet& rules,
                      const code::SandboxConfig& sandbox) {
  Funnel f;
  f.samples = static_cast<int64_t>(samples.size());
  for (const auto& rule : rules.rules())
    if (rule.enabled) f.steps.push_back({rule.name.empty() ? prune::to_string(rule.type) : rule.name, 0, 0, 0});
  if (samples.empty()) return f;
  const auto decisions = rules.apply(samples, prune::ProblemVerifier(rules.verifier(), sandbox));
  std::unordered_map<std::string, int64_t> kept_by_problem;
  for (size_t i = 0; i < decisions.size(); ++i) {
    const auto& d = decisions[i];
    kept_by_problem.emplace(samples[i].problem_key, 0);
    if (samples[i].truncated) {
      ++f.truncated;
      if (d.kept) ++f.truncated_kept;
    }
    if (d.judgement.code) {
      const char* verdict = code::to_string(d.judgement.code->verdict);
      ++f.verdicts[verdict];
      if (!d.kept) ++f.dropped_by_verdict[verdict];
    }
    for (size_t r = 0; r < d.verdicts.size() && r < f.steps.size(); ++r) {
      if (d.verdicts[r].outcome == prune::Outcome::Fail) ++f.steps[r].failed;
    }
    if (d.kept) {
      ++f.kept;
      ++kept_by_problem[samples[i].problem_key];
      if (samples[i].token_count > 0) f.tokens_kept += samples[i].token_count;
    } else {
      for (auto& step : f.steps)
        if (step.rule == d.dropped_by) {
          ++step.dropped;
          break;
        }
    }
  }
  int64_t remaining = f.samples;
  for (auto& step : f.steps) {
    remaining -= step.dropped;
    step.remaining = remaining;
  }
  f.problems = static_cast<int64_t>(kept_by_problem.size());
  for (const auto& [key, kept] : kept_by_problem) {
    ++f.kept_per_problem[kept];
    if (kept > 0) ++f.problems_kept;
  }
  return f;
}

namespace {
std::int64_t find_round(store::Store& store, int round_index, const std::string& dir) {
  const auto experiments = store.list_experiments();
  if (experiments.empty()) throw Error(dir + ": no experiment has run here yet");
  for (const auto& r : store.list_rounds(experiments.front().id))
    if (r.round_index == round_index) return r.id;
  throw Error(dir + ": round " + std::to_string(round_index) + " has not been run");
}
}  // namespace

std::vector<prune::PruneSample> round_prune_inputs(const std::string& dir_or_file, int round_index) {
  const run::ExperimentPaths paths = run::ExperimentPaths::locate(dir_or_file);
  if (!std::filesystem::exists(paths.store_file)) throw Error(paths.dir + ": no experiment database here");
  store::Store store(paths.store_file, store::OpenMode::read_only);
  return store.prune_inputs(find_round(store, round_index, paths.dir));
}

Funnel reprune_round(const std::string& dir_or_file, int round_index, const prune::RuleSet& rules) {
  const run::ExperimentPaths paths = run::ExperimentPaths::locate(dir_or_file);
  if (!std::filesystem::exists(paths.store_file)) throw Error(paths.dir + ": no experiment database here");
  run::RunLock lock(paths);  // no run may prune or train this round meanwhile
  store::Store store(paths.store_file);
  const std::int64_t round_id = find_round(store, round_index, paths.dir);
  const auto round = *store.get_round(round_id);
  const bool trained = !store.list_train_steps(round_id).empty() || round.state == store::RoundState::Eval || round.state == store::RoundState::Done;
  if (round.round_index == 0 || round.state == store::RoundState::Pending || round.state == store::RoundState::Think)
    throw Error(paths.dir + ": round " + std::to_string(round_index) + " has no finished Think to prune");
  if (trained)
    throw Error(paths.dir + ": round " + std::to_string(round_index) +
                " has already trained on its kept traces; a new rule set applies from the next round's Prune");
  const auto inputs = store.prune_inputs(round_id);
  // Programs run under the limits the round ran with (a code round's settings hold them).
  auto config = nlohmann::json::parse(round.config_json);
  const code::SandboxConfig sandbox =
      config.contains("sandbox") ? code::SandboxConfig::from_json(config.at("sandbox"), paths.dir) : code::SandboxConfig();
  const auto decisions = rules.apply(inputs, prune::ProblemVerifier(rules.verifier(), sandbox));
  std::vector<store::DecisionRecord> records;
  records.reserve(decisions.size());
  for (const auto& d : decisions)
    records.push_back(store::decision_record(d));
  {
    auto transaction = store.transaction();
    store.clear_decisions(round_id);
    store.write_decisions(records);
    config["prune"] = rules.to_json();
    store.set_round_config(round_id, config.dump());
    // Pruned: the run goes on with Train.
    store.set_round_state(round_id, store::RoundState::Train);
    transaction.commit();
  }
  const Funnel funnel = compute_funnel(inputs, rules, sandbox);
  store.put_metrics(round_id, {{"prune.kept", static_cast<double>(funnel.kept)},
                               {"prune.problems_kept", static_cast<double>(funnel.problems_kept)}});
  return funnel;
}

}  // namespace tpt::report
