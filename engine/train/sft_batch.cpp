#include "train/sft_batch.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "core/error.h"

namespace tpt::train {

SftBatch make_batch(const std::vector<SftExample>& data, const std::vector<int64_t>& examples,
                    const torch::Device& device) {
  if (examples.empty()) throw Error("make_batch: no examples");
  int64_t t = 0;
  for (int64_t i : examples) t = std::max(t, data.at(static_cast<size_t>(i)).length());
  const int64_t b = static_cast<int64_t>(examples.size());
  auto ids = torch::zeros({b, t}, torch::kLong);
  auto mask = torch::zeros({b, t}, torch::kBool);
  auto labels = torch::full({b, t}, kIgnoreLabel, torch::kLong);
  auto ids_a = ids.accessor<int64_t, 2>();
  auto mask_a = mask.accessor<bool, 2>();
  auto labels_a = labels.accessor<int64_t, 2>();
  SftBatch batch;
  for (int64_t r = 0; r < b; ++r) {
    const SftExample& ex = data[static_cast<size_t>(examples[static_cast<size_t>(r)])];
    int64_t col = 0;
    for (int32_t id : ex.prompt_ids) {
      ids_a[r][col] = id;
      mask_a[r][col++] = true;
    }
    for (int32_t id : ex.completion_ids) {
      ids_a[r][col] = id;
      labels_a[r][col] = id;
      mask_a[r][col++] = true;
    }
    batch.real_tokens += col;
    // A completion token at column 0 has nothing before it to predict it from.
    batch.completion_tokens += static_cast<int64_t>(ex.completion_ids.size()) - (ex.prompt_ids.empty() ? 1 : 0);
  }
  batch.input_ids = ids.to(device);
  batch.key_padding_mask = mask.to(device);
  batch.positions = torch::arange(t, torch::kLong).unsqueeze(0).expand({b, t}).contiguous().to(device);
  batch.labels = labels.to(device);
  return batch;
}

torch::Tensor completion_loss_sum(const torch::Tensor& logits, const torch::Tensor& labels) {
  const int64_t v = logits.size(-1), t = logits.size(1);
  const auto predicted = logits.narrow(1, 0, t - 1).reshape({-1, v});   // [B*(T-1), V]
  const auto targets = labels.narrow(1, 1, t - 1).reshape({-1});        // [B*(T-1)]
  return torch::nn::functional::cross_entropy(
      predicted.to(torch::kFloat32), targets,
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnoreLabel).reduction(torch::kSum));
}

std::vector<std::vector<int64_t>> plan_epoch(const std::vector<int64_t>& lengths, int micro_batch_size,
                                             int window_batches, uint64_t seed, int64_t epoch) {
  if (micro_batch_size < 1) throw Error("micro_batch_size must be at least 1, got " + std::to_string(micro_batch_size));
  // std::mt19937_64 and our own index draws (not std::shuffle, whose algorithm the standard
  // leaves open) keep the order identical across standard libraries.
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(epoch) + 1);
  auto shuffle = [&rng](auto& items) {
    for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng() % i]);
  };
  std::vector<int64_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0);
  shuffle(order);
  if (window_batches > 1) {
    const size_t window = static_cast<size_t>(window_batches) * static_cast<size_t>(micro_batch_size);
    for (size_t begin = 0; begin < order.size(); begin += window) {
      const auto end = order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), begin + window));
      std::stable_sort(order.begin() + static_cast<std::ptrdiff_t>(begin), end,
                       [&](int64_t a, int64_t b) { return lengths[static_cast<size_t>(a)] > lengths[static_cast<size_t>(b)]; });
    }
  }
  std::vector<std::vector<int64_t>> batches;
  for (size_t begin = 0; begin < order.size(); begin += static_cast<size_t>(micro_batch_size)) {
    const size_t end = std::min(order.size(), begin + static_cast<size_t>(micro_batch_size));
    batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(begin), order.begin() + static_cast<std::ptrdiff_t>(end));
  }
  shuffle(batches);
  return batches;
}

}  // namespace tpt::train
