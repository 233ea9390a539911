// Next-token sampling: greedy, temperature, top-k, top-p, and draws that depend only on each
// sequence's own seed.
#include <cmath>
#include <map>

#include "check.h"
#include "think/next_token.h"

using tpt::think::SamplingOptions;
using tpt::think::sample_next;

namespace {
// Logits whose softmax is exactly `probs`.
torch::Tensor logits_for(std::vector<float> probs) {
  return torch::log(torch::tensor(probs)).unsqueeze(0);
}
}  // namespace

TPT_TEST(sampler, greedy_takes_the_most_likely_token_and_reports_its_logprob) {
  auto logits = logits_for({0.2f, 0.5f, 0.3f});
  auto out = sample_next(logits, {0.0, 1.0, 0}, {7}, {0});
  COMPARE(out.ids.item<int64_t>(), int64_t{1});
  COMPARE_NEAR(out.logprobs.item<float>(), std::log(0.5), 1e-6);
}

TPT_TEST(sampler, a_draw_depends_on_seed_and_step_not_on_the_rest_of_the_batch) {
  auto row = torch::randn({1, 50});
  SamplingOptions hot{1.0, 1.0, 0};
  for (uint64_t seed : {1ull, 2ull, 99ull}) {
    const int64_t alone = sample_next(row, hot, {seed}, {5}).ids.item<int64_t>();
    auto batch = torch::cat({torch::randn({1, 50}), row, torch::randn({1, 50})});
    auto in_batch = sample_next(batch, hot, {1234, seed, 4321}, {0, 5, 17}).ids;
    COMPARE(in_batch[1].item<int64_t>(), alone);
  }
}

TPT_TEST(sampler, sampled_frequencies_follow_the_distribution) {
  // 20,000 independent seeds from [0.5, 0.3, 0.2]: each frequency within 0.015 (> 4 sigma).
  auto logits = logits_for({0.5f, 0.3f, 0.2f}).expand({20000, 3}).contiguous();
  std::vector<uint64_t> seeds(20000);
  std::vector<int64_t> steps(20000, 3);
  for (size_t i = 0; i < seeds.size(); ++i) seeds[i] = i;
  auto ids = sample_next(logits, {1.0, 1.0, 0}, seeds, steps).ids;
  const double expected[] = {0.5, 0.3, 0.2};
  for (int64_t token = 0; token < 3; ++token) {
    const double freq = (ids == token).sum().item<int64_t>() / 20000.0;
    COMPARE_NEAR(freq, expected[token], 0.015);
  }
}

TPT_TEST(sampler, top_k_and_top_p_cut_the_tail) {
  auto logits = logits_for({0.5f, 0.3f, 0.2f}).expand({2000, 3}).contiguous();
  std::vector<uint64_t> seeds(2000);
  std::vector<int64_t> steps(2000, 0);
  for (size_t i = 0; i < seeds.size(); ++i) seeds[i] = 1000 + i;
  // top-k 1 is greedy
  COMPARE((sample_next(logits, {1.0, 1.0, 1}, seeds, steps).ids != 0).sum().item<int64_t>(), int64_t{0});
  // top-p 0.75: 0.5 + 0.3 reaches it, so token 2 (mass before it 0.8) is never drawn
  auto ids = sample_next(logits, {1.0, 0.75, 0}, seeds, steps).ids;
  COMPARE((ids == 2).sum().item<int64_t>(), int64_t{0});
  VERIFY((ids == 1).sum().item<int64_t>() > 500);  // 0.3 / 0.8 of 2000 = 750 expected
}

TPT_TEST(sampler, low_temperature_sharpens_towards_greedy) {
  auto logits = logits_for({0.4f, 0.35f, 0.25f}).expand({1000, 3}).contiguous();
  std::vector<uint64_t> seeds(1000);
  std::vector<int64_t> steps(1000, 0);
  for (size_t i = 0; i < seeds.size(); ++i) seeds[i] = i;
  auto ids = sample_next(logits, {0.05, 1.0, 0}, seeds, steps).ids;
  VERIFY((ids == 0).sum().item<int64_t>() > 900);
}

TPT_TEST(sampler, step_uniforms_are_in_range_and_differ_by_step_and_seed) {
  std::map<double, int> seen;
  for (uint64_t seed = 0; seed < 50; ++seed)
    for (int64_t step = 0; step < 50; ++step) {
      const double u = tpt::think::step_uniform(seed, step);
      VERIFY(u >= 0.0 && u < 1.0);
      ++seen[u];
    }
  COMPARE(seen.size(), size_t{2500});
}
