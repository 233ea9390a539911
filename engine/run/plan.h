// What a round draws, as pure functions of the experiment's seed: the seeds of samples, the
// pool subset, the few-shot examples, and which samples are still to draw. The runner, tpt eval
// and the exporters share them, so an export rebuilds exactly the prompts the run used and a
// resumed run draws exactly what the lost one would have. Torch-free.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/experiment_config.h"
#include "core/hash.h"
#include "store/records.h"
#include "text/prompt_format.h"
#include "think/sampler.h"

namespace tpt::run {

// A seed for the draw named `what`: a resumed run draws what the lost one would have. The
// names below are the only ones: each draw of a run has its function, so no two parts of the
// code can disagree on a seed (tpt eval and Improve, the runner and the exporters).
inline uint64_t derive_seed(int64_t seed, const std::string& what) {
  return fnv1a64(what, mix64(static_cast<uint64_t>(seed)));
}

// Think: sample `sample_index` of problem `problem_key` in round `round`.
inline uint64_t think_sample_seed(int64_t seed, int round, const std::string& problem_key, int sample_index) {
  return derive_seed(seed, "think/" + std::to_string(round) + "/" + problem_key + "/" + std::to_string(sample_index));
}
// Improve (and tpt eval): answer `sample_index` to problem `problem_key`. The same in every
// round: rounds differ by their model, not by their luck.
inline uint64_t eval_sample_seed(int64_t seed, const std::string& problem_key, int sample_index) {
  return derive_seed(seed, "eval/" + problem_key + "/" + std::to_string(sample_index));
}
// The subset of the training pool Think draws from in round `round` (think.pool_size).
inline uint64_t pool_seed(int64_t seed, int round) { return derive_seed(seed, "pool/" + std::to_string(round)); }
// The subset of the evaluation split every round is scored on (eval.subset_size).
inline uint64_t eval_subset_seed(int64_t seed) { return derive_seed(seed, "eval-subset"); }
// The few-shot examples (think.prompt_format "few-shot").
inline uint64_t few_shot_seed(int64_t seed) { return derive_seed(seed, "few-shot"); }
// Round `round`'s cap on kept traces (train.max_examples).
inline uint64_t train_subset_seed(int64_t seed, int round) {
  return derive_seed(seed, "train-subset/" + std::to_string(round));
}
// Round `round`'s training: batch order, LoRA initialisation and dropout.
// Kept below 2^32: external trainers seed NumPy with it (transformers' set_seed), which refuses
// larger seeds, and the engine must train with the very seed they are given.
inline uint64_t train_seed(int64_t seed, int round) {
  return derive_seed(seed, "train/" + std::to_string(round)) & 0xffffffffULL;
}

// The first `count` items of a seeded shuffle, in shuffled order (all of them when count is 0
// or too large). Each item's place depends only on its own key, so adding problems to a file
// does not reshuffle the others.
template <typename T, typename KeyOf>
std::vector<T> seeded_subset(std::vector<T> items, uint64_t seed, int64_t count, KeyOf key_of) {
  std::vector<std::pair<uint64_t, size_t>> order;
  order.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) order.push_back({seeded_key(seed, fnv1a64(key_of(items[i]))), i});
  std::sort(order.begin(), order.end());
  if (count > 0 && static_cast<size_t>(count) < order.size()) order.resize(static_cast<size_t>(count));
  std::vector<T> out;
  out.reserve(order.size());
  for (const auto& entry : order) out.push_back(std::move(items[entry.second]));
  return out;
}

struct TrainingPool {
  std::vector<store::ProblemRecord> pool;        // problems Think may draw
  std::vector<text::WorkedExample> examples;  // few-shot examples (left out of the pool)
};

// Splits the training problems into few-shot examples (prompt_format "few-shot": the first
// few_shot_examples of a seeded shuffle) and the pool. A problem shown in every prompt with its
// worked solution would be no test of the model, hence it leaves the pool.
TrainingPool split_training_pool(const config::ExperimentConfig& config, const std::vector<store::ProblemRecord>& train);

// One sample to draw (Think) or answer to give (Improve): where it goes and its seed.
struct Draw {
  int64_t problem_id = 0;
  std::string problem_key;
  std::string gold;
  int sample_index = 0;
  uint64_t seed = 0;
  std::shared_ptr<const think::Prompt> prompt;  // shared by a problem's draws
};

struct DrawPlan {
  std::vector<Draw> draws;  // problem by problem, sample index ascending
  int64_t stored = 0;       // draws already in the journal
  int64_t total = 0;        // stored + still to draw
};

// The draws still to make: `per_problem` for each problem, less the (problem id, sample index)
// keys already stored. `seed_of` gives a draw's seed; `prompt_of` builds a problem's prompt
// from its question, once per problem that still has draws to make.
DrawPlan plan_draws(const std::vector<store::ProblemRecord>& problems, int per_problem,
                    const std::vector<store::SampleKey>& stored_keys,
                    const std::function<uint64_t(const store::ProblemRecord&, int)>& seed_of,
                    const std::function<think::Prompt(const std::string& question)>& prompt_of);

// A problem's prompt as `format` builds it, as text and as ids: what plan_draws's `prompt_of`
// gives for the runner and tpt eval alike.
think::Prompt prompt_for(const text::PromptFormat& format, const std::string& question);

// The sampler's requests for `draws`, in the same order.
std::vector<think::SampleRequest> sample_requests(const std::vector<Draw>& draws);

}  // namespace tpt::run
