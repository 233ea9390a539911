#include "model/kv_cache.h"

#include "core/error.h"

namespace tpt::model {

int64_t KVCache::memory_bytes() const {
  int64_t bytes = 0;
  for (const auto* list : {&keys_, &values_})
    for (const auto& t : *list)
      if (t.defined()) bytes += t.numel() * static_cast<int64_t>(t.element_size());
  return bytes;
}

void KVCache::select_rows(const torch::Tensor& rows) {
  if (rows.dim() != 1) throw Error("KVCache::select_rows: rows must be a 1-D index tensor");
  for (auto* list : {&keys_, &values_})
    for (auto& t : *list)
      if (t.defined()) t = t.index_select(0, rows.to(t.device(), torch::kLong));
}

void KVCache::clear() {
  keys_.clear();
  values_.clear();
  length_ = 0;
}

std::pair<torch::Tensor, torch::Tensor> KVCache::append(int64_t layer, const torch::Tensor& k,
                                                        const torch::Tensor& v) {
  const auto index = static_cast<size_t>(layer);
  if (keys_.size() <= index) {
    keys_.resize(index + 1);
    values_.resize(index + 1);
  }
  torch::Tensor& keys = keys_[index];
  torch::Tensor& values = values_[index];
  const int64_t tokens = k.size(2);
  const int64_t needed = length_ + tokens;
  if (keys.defined() && keys.size(0) != k.size(0))
    throw Error("KVCache: the batch has " + std::to_string(k.size(0)) + " rows but the cache holds " +
                std::to_string(keys.size(0)) + " (drop rows with select_rows)");
  if (!keys.defined() || keys.size(2) < needed) {
    // Doubling keeps one-token decode steps amortised O(1) in copies.
    const int64_t capacity = std::max<int64_t>(needed, keys.defined() ? 2 * keys.size(2) : needed);
    auto grown_k = torch::empty({k.size(0), k.size(1), capacity, k.size(3)}, k.options());
    auto grown_v = torch::empty({v.size(0), v.size(1), capacity, v.size(3)}, v.options());
    if (length_ > 0) {
      grown_k.narrow(2, 0, length_).copy_(keys.narrow(2, 0, length_));
      grown_v.narrow(2, 0, length_).copy_(values.narrow(2, 0, length_));
    }
    keys = grown_k;
    values = grown_v;
  }
  keys.narrow(2, length_, tokens).copy_(k);
  values.narrow(2, length_, tokens).copy_(v);
  return {keys.narrow(2, 0, needed), values.narrow(2, 0, needed)};
}

}  // namespace tpt::model
