#include "run/plan.h"

#include <set>

namespace tpt::run {

TrainingPool split_training_pool(const config::ExperimentConfig& config, const std::vector<store::ProblemRecord>& train) {
  TrainingPool out;
  if (config.think.prompt_format != "few-shot") {
    out.pool = train;
    return out;
  }
  const auto shuffled = seeded_subset(train, derive_seed(config.seed, "few-shot"), 0,
                                      [](const store::ProblemRecord& p) { return p.problem_key; });
  std::set<std::string> used;
  for (int i = 0; i < config.think.few_shot_examples && i < static_cast<int>(shuffled.size()); ++i) {
    out.examples.push_back({shuffled[i].question, shuffled[i].solution});
    used.insert(shuffled[i].problem_key);
  }
  for (const auto& p : train)
    if (!used.count(p.problem_key)) out.pool.push_back(p);
  return out;
}

}  // namespace tpt::run
