// Supervised fine-tuning data as the model sees it: (prompt, completion) token-id pairs,
// grouped into right-padded batches whose labels mark the completion tokens only, and the
// loss that counts only those.
//
// Shapes: B = rows, T = longest row (prompt + completion) of the batch, V = vocab.
//
//   ids     [B, T] int64   prompt ++ completion, then padding (id 0)
//   mask    [B, T] bool    true on real tokens
//   pos     [B, T] int64   0..T-1 on every row (right padding keeps real positions at 0..len-1)
//   labels  [B, T] int64   = ids on completion tokens, -100 on prompt and padding
//
// logits[:, t] predicts token t+1, so the loss pairs logits[:, :-1] with labels[:, 1:].
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace tpt::train {

constexpr int64_t kIgnoreLabel = -100;

struct SftExample {
  std::vector<int32_t> prompt_ids;
  std::vector<int32_t> completion_ids;
  int64_t length() const { return static_cast<int64_t>(prompt_ids.size() + completion_ids.size()); }
};

struct SftBatch {
  torch::Tensor input_ids, key_padding_mask, positions, labels;  // see the file comment
  int64_t completion_tokens = 0;  // labels != -100 after the shift: the loss's denominator share
  int64_t real_tokens = 0;        // prompt + completion tokens, padding excluded
};

// Right-pads `examples` (indices into `data`) into one batch on `device`.
SftBatch make_batch(const std::vector<SftExample>& data, const std::vector<int64_t>& examples,
                    const torch::Device& device = torch::kCPU);

// Sum (not mean) of the cross-entropy over completion tokens: logits [B, T, V] fp32, labels
// [B, T]. Callers divide by the step's total completion tokens, so micro-batches add up to
// the loss of one big batch.
torch::Tensor completion_loss_sum(const torch::Tensor& logits, const torch::Tensor& labels);

// One epoch's micro-batches (indices into the data), length-bucketed and shuffled, a pure
// function of (lengths, seed, epoch): examples are shuffled, sorted by length within windows
// of `window_batches` micro-batches (so a batch pads little but the order still mixes), cut
// into micro-batches, and the micro-batches shuffled. window_batches <= 1: no sorting.
std::vector<std::vector<int64_t>> plan_epoch(const std::vector<int64_t>& lengths, int micro_batch_size,
                                             int window_batches, uint64_t seed, int64_t epoch);

}  // namespace tpt::train
