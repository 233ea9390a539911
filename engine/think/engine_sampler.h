// The in-process sampler: a model folder's decoder run by the batched Generator (libtorch, on
// the CPU or a CUDA device). Requests are drawn a few batches at a time and each chunk's samples
// are handed over when the chunk finishes: a chunk is big enough to keep the batches full and
// small enough that a kill loses little.
#pragma once

#include <vector>

#include "model/decoder.h"
#include "text/model_tokenizer.h"
#include "think/sampler.h"

namespace tpt::think {

class EngineSampler final : public Sampler {
 public:
  // `tokenizer` must outlive the sampler; generation stops at its stop ids.
  EngineSampler(model::CausalLm model, const text::ModelTokenizer& tokenizer);

  bool sample(const std::vector<SampleRequest>& requests, const SamplingSettings& settings, const SampleSink& sink,
              const SamplingProgressFn& progress, const WorkControl& control) override;

 private:
  model::CausalLm model_;
  const text::ModelTokenizer& tokenizer_;
};

}  // namespace tpt::think
