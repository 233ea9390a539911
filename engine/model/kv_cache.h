// The key/value cache that lets a decoder generate one token at a time without recomputing the
// prompt.
//
// Layout: every row of the batch holds the same number of key columns, length(). Rows are
// left-padded: a prompt shorter than the longest one starts with padding columns, which the
// caller masks with key_padding_mask (see CausalLmImpl::forward). Each forward appends T columns
// to every row. Storage grows by doubling, so appending one column per decode step costs no
// copy of the past.
//
// Rows whose sequence has finished can be dropped with select_rows(), after which row i of the
// cache is the old row rows[i]: the batch shrinks and finished sequences stop costing compute.
// The caller drops the same rows from its own per-row state (positions, padding mask).
//
// A cache belongs to one model; it is filled on that model's device and dtype. Build it outside
// c10::InferenceMode if its tensors must later meet autograd.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace tpt::model {

class KVCache {
 public:
  KVCache() = default;

  // Key columns held per row (padding included): the S_past of the next forward.
  int64_t length() const { return length_; }
  // Rows held; 0 before the first forward.
  int64_t batch_size() const { return keys_.empty() || !keys_[0].defined() ? 0 : keys_[0].size(0); }
  bool empty() const { return length_ == 0; }
  // Bytes of key/value storage allocated (capacity, not just length).
  int64_t memory_bytes() const;

  // Keeps rows `rows` (int64 [B'], indices into the current batch, in the new order).
  void select_rows(const torch::Tensor& rows);
  // Forgets everything (storage too).
  void clear();

  // --- used by the model's forward ---

  // Writes k, v ([B, H_kv, T, D]) for `layer` at columns [length(), length() + T) and returns
  // views of all columns so far, [B, H_kv, length() + T, D]. Every layer of one forward
  // appends at the same columns; advance(T) then commits them.
  std::pair<torch::Tensor, torch::Tensor> append(int64_t layer, const torch::Tensor& k, const torch::Tensor& v);
  void advance(int64_t tokens) { length_ += tokens; }

 private:
  std::vector<torch::Tensor> keys_;    // per layer [B, H_kv, capacity, D]
  std::vector<torch::Tensor> values_;  // per layer [B, H_kv, capacity, D]
  int64_t length_ = 0;
};

}  // namespace tpt::model
