// Choosing the next token from logits: greedy, or temperature with top-k and top-p.
//
// Reproducibility is the point of this design. Each sequence carries its own seed, and each
// step draws exactly one uniform number from a counter-based hash of (seed, step): no shared
// random generator, so a sample depends only on its seed and its prompt, not on which other
// sequences share its batch, how many finished before it, or the device. (Batched matrix
// products may still round differently from unbatched ones, so on rare near-ties a token can
// differ; the draw itself never does.)
//
// The draw is inverse-CDF over the filtered distribution, with tokens in a fixed order (by id,
// or by probability with ties broken by id when top-k/top-p cut the tail), so the same uniform
// always maps to the same token.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace tpt::think {

struct SamplingOptions {
  double temperature = 1.0;  // 0 = greedy
  double top_p = 1.0;        // keep the smallest set of tokens whose probability reaches top_p
  int top_k = 0;             // keep the k most likely tokens; 0 = all
};

// The uniform number in [0, 1) a sequence with `seed` draws at generation step `step`.
double step_uniform(uint64_t seed, int64_t step);

struct SampledTokens {
  torch::Tensor ids;       // [B] int64
  torch::Tensor logprobs;  // [B] fp32: log-probability of each chosen token under the model's
                           // own distribution (softmax of the raw logits, temperature 1)
};

// logits: [B, V] (any float dtype); seeds and steps: one per row.
SampledTokens sample_next(const torch::Tensor& logits, const SamplingOptions& options,
                          const std::vector<uint64_t>& seeds, const std::vector<int64_t>& steps);

}  // namespace tpt::think
