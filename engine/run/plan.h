// What a round draws, as pure functions of the experiment's seed: the seeds of samples, the
// pool subset, the few-shot examples. The runner and the exporters share them, so an export
// rebuilds exactly the prompts the run used. Torch-free.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "config/experiment_config.h"
#include "core/hash.h"
#include "store/records.h"
#include "text/prompt_format.h"

namespace tpt::run {

// A seed for the draw named `what` ("think/1/train-0a1b2c3d4e5f/0"): a resumed run draws what
// the lost one would have.
inline uint64_t derive_seed(int64_t seed, const std::string& what) {
  return fnv1a64(what, mix64(static_cast<uint64_t>(seed)));
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

}  // namespace tpt::run
