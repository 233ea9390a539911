#include "think/next_token.h"

#include "core/hash.h"

namespace tpt::think {

double step_uniform(uint64_t seed, int64_t step) {
  const uint64_t bits = mix64(mix64(seed) ^ mix64(static_cast<uint64_t>(step) + 0x51ed2701f3a5c3b1ULL));
  return static_cast<double>(bits >> 11) * 0x1.0p-53;  // 53 random bits -> [0, 1)
}

SampledTokens sample_next(const torch::Tensor& logits_in, const SamplingOptions& options,
                          const std::vector<uint64_t>& seeds, const std::vector<int64_t>& steps) {
  torch::NoGradGuard no_grad;
  // B = batch rows, V = vocabulary
  const torch::Tensor logits = logits_in.to(torch::kFloat32);  // [B, V]
  const int64_t batch = logits.size(0);
  TORCH_CHECK(static_cast<int64_t>(seeds.size()) == batch && static_cast<int64_t>(steps.size()) == batch,
              "sample_next: one seed and one step per row");
  const torch::Tensor model_logprobs = torch::log_softmax(logits, -1);  // [B, V]

  torch::Tensor ids;
  if (options.temperature <= 0.0) {
    ids = logits.argmax(-1);  // [B]; ties go to the lowest id, as everywhere else
  } else {
    torch::Tensor probs = torch::softmax(logits / options.temperature, -1);  // [B, V]
    const int64_t vocab = probs.size(1);
    const bool cut = (options.top_k > 0 && options.top_k < vocab) || options.top_p < 1.0;
    // Cutting the tail needs tokens in probability order: sort, descending; a stable sort keeps
    // equal probabilities in id order. Without a cut, id order serves as well and saves a sort
    // of the whole vocabulary per row and step.
    torch::Tensor sorted_probs = probs;  // [B, V]
    torch::Tensor sorted_ids;            // [B, V]; undefined: identity
    if (cut) {
      auto sorted = torch::sort(probs, /*stable=*/true, /*dim=*/-1, /*descending=*/true);
      sorted_probs = std::get<0>(sorted);
      sorted_ids = std::get<1>(sorted);
    }
    if (options.top_k > 0 && options.top_k < vocab) {
      sorted_probs.index_put_({torch::indexing::Slice(), torch::indexing::Slice(options.top_k)}, 0.0);
    }
    if (options.top_p < 1.0) {
      // Keep a token while the mass before it is below top_p: the first token always stays.
      torch::Tensor mass_before = sorted_probs.cumsum(-1) - sorted_probs;
      sorted_probs = sorted_probs.masked_fill(mass_before >= options.top_p, 0.0);
    }
    torch::Tensor cdf = sorted_probs.cumsum(-1);          // [B, V]
    torch::Tensor total = cdf.index({torch::indexing::Slice(), -1}).unsqueeze(-1);
    std::vector<double> draws(static_cast<size_t>(batch));
    for (int64_t b = 0; b < batch; ++b) draws[static_cast<size_t>(b)] = step_uniform(seeds[static_cast<size_t>(b)], steps[static_cast<size_t>(b)]);
    torch::Tensor u = torch::tensor(draws, torch::kFloat64).to(logits.device()).to(torch::kFloat32).unsqueeze(-1) * total;
    // The chosen position is the number of CDF entries at or below u; clamp guards rounding
    // at the top end, and the keep-mask guards landing on a zeroed tail.
    torch::Tensor position = (cdf <= u).sum(-1).clamp_max(vocab - 1);  // [B]
    ids = sorted_ids.defined() ? sorted_ids.gather(-1, position.unsqueeze(-1)).squeeze(-1) : position;
  }
  torch::Tensor chosen = model_logprobs.gather(-1, ids.unsqueeze(-1)).squeeze(-1);
  return {ids.to(torch::kInt64), chosen};
}

}  // namespace tpt::think
