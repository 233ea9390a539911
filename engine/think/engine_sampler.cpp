#include "think/engine_sampler.h"

#include <algorithm>

#include "think/generator.h"

namespace tpt::think {

EngineSampler::EngineSampler(model::CausalLm model, const text::ModelTokenizer& tokenizer)
    : model_(std::move(model)), tokenizer_(tokenizer) {}

bool EngineSampler::sample(const std::vector<SampleRequest>& requests, const SamplingSettings& settings,
                           const SampleSink& sink, const SamplingProgressFn& progress, const WorkControl& control) {
  GenerationOptions options;
  options.sampling.temperature = settings.temperature;
  options.sampling.top_p = settings.top_p;
  options.sampling.top_k = settings.top_k;
  options.max_new_tokens = settings.max_new_tokens;
  options.batch_size = settings.batch_size;
  options.stop_ids = tokenizer_.stop_ids;
  options.stop_strings = settings.stop_strings;

  Generator generator(model_, *tokenizer_.tokenizer);
  const size_t chunk = static_cast<size_t>(std::max(16, options.batch_size * 2));
  SamplingProgress total;
  for (size_t begin = 0; begin < requests.size(); begin += chunk) {
    if (!control.go_on()) return false;
    const size_t end = std::min(requests.size(), begin + chunk);
    std::vector<GenerationRequest> batch;
    batch.reserve(end - begin);
    for (size_t i = begin; i < end; ++i) batch.push_back({requests[i].prompt->ids, requests[i].seed});
    const SamplingProgress before = total;
    auto generations = generator.generate(
        batch, options,
        [&](const GenerationProgress& p) {
          if (progress) progress({before.samples_done + p.sequences_done, before.tokens + p.tokens_generated});
        },
        control.cancel);
    // Sequences cut short by the cancel did not finish: the chunk is dropped whole.
    if (control.cancelled()) return false;
    std::vector<Sample> samples;
    samples.reserve(generations.size());
    for (size_t i = 0; i < generations.size(); ++i) {
      auto& g = generations[i];
      total.tokens += static_cast<int64_t>(g.token_ids.size());
      samples.push_back({begin + i, std::move(g.text), static_cast<int64_t>(g.token_ids.size()), g.finish_reason});
    }
    sink(samples);
    total.samples_done += static_cast<int64_t>(samples.size());
    if (progress) progress(total);
  }
  return true;
}

}  // namespace tpt::think
