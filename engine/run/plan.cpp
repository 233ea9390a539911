#include "run/plan.h"

#include <set>

namespace tpt::run {

TrainingPool split_training_pool(const config::ExperimentConfig& config, const std::vector<store::ProblemRecord>& train) {
  TrainingPool out;
  if (config.think.prompt_format != "few-shot") {
    out.pool = train;
    return out;
  }
  const auto shuffled = seeded_subset(train, few_shot_seed(config.seed), 0,
                                      [](const store::ProblemRecord& p) { return p.problem_key; });
  std::set<std::string> used;
  // A code problem may come without a reference solution (APPS, plain files): it cannot serve
  // as a worked example, so the examples are the first problems that have one.
  for (size_t i = 0; i < shuffled.size() && static_cast<int>(out.examples.size()) < config.think.few_shot_examples;
       ++i) {
    if (shuffled[i].solution.empty()) continue;
    out.examples.push_back({shuffled[i].question, shuffled[i].solution});
    used.insert(shuffled[i].problem_key);
  }
  for (const auto& p : train)
    if (!used.count(p.problem_key)) out.pool.push_back(p);
  return out;
}

DrawPlan plan_draws(const std::vector<store::ProblemRecord>& problems, int per_problem,
                    const std::vector<store::SampleKey>& stored_keys,
                    const std::function<uint64_t(const store::ProblemRecord&, int)>& seed_of,
                    const std::function<think::Prompt(const std::string& question)>& prompt_of) {
  const std::set<store::SampleKey> stored(stored_keys.begin(), stored_keys.end());
  DrawPlan plan;
  for (const auto& p : problems) {
    std::shared_ptr<const think::Prompt> prompt;
    for (int i = 0; i < per_problem; ++i) {
      ++plan.total;
      if (stored.count({p.id, i})) {
        ++plan.stored;
        continue;
      }
      if (!prompt) prompt = std::make_shared<const think::Prompt>(prompt_of(p.question));
      plan.draws.push_back({p.id, p.problem_key, p.gold, i, seed_of(p, i), prompt});
    }
  }
  return plan;
}

think::Prompt prompt_for(const text::PromptFormat& format, const std::string& question) {
  return think::Prompt{format.prompt_text(question), format.prompt_ids(question), format.user_text(question)};
}

std::vector<think::SampleRequest> sample_requests(const std::vector<Draw>& draws) {
  std::vector<think::SampleRequest> requests;
  requests.reserve(draws.size());
  for (const auto& d : draws)
    requests.push_back({d.prompt, d.seed, "problem " + d.problem_key + ", sample " + std::to_string(d.sample_index)});
  return requests;
}

}  // namespace tpt::run
