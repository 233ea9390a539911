// Batched generation with a KV cache: Think's workhorse, and Improve's when it samples.
//
// Requests are grouped into batches of similar prompt length, left-padded, prefilled once and
// then decoded one token per step. A sequence that finishes (an end-of-turn token, a stop
// string, or max_new_tokens) leaves the batch at once, so it stops costing compute. Every
// request carries its own seed and every draw depends only on (seed, step) (see sampler.h), so
// a sample can be reproduced from its seed and prompt whatever batch it ran in.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "model/decoder.h"
#include "text/tokenizer.h"
#include "think/next_token.h"
#include "think/sampler.h"

namespace tpt::think {

struct GenerationOptions {
  SamplingOptions sampling;
  int max_new_tokens = 256;
  std::vector<std::string> stop_strings;  // generation ends where one appears in the text
  std::vector<int32_t> stop_ids;          // usually text::ModelTokenizer::stop_ids
  int batch_size = 16;
  // With a step callback, each step also reports this many of the most likely tokens and their
  // log-probabilities (an OpenAI-style `logprobs` answer); 0 skips the extra top-k.
  int top_logprobs = 0;
};

struct GenerationRequest {
  std::vector<int32_t> prompt_ids;
  uint64_t seed = 0;
  // This request's limit when > 0, else options.max_new_tokens: a server batches requests that
  // differ only in their limit (the limit never changes the tokens drawn before it).
  int max_new_tokens = 0;
};

struct Generation {
  std::string text;                // decoded completion, special tokens and any stop string removed
  std::vector<int32_t> token_ids;  // generated ids, the final end-of-turn token included
  FinishReason finish_reason = FinishReason::Length;
  double logprob_sum = 0.0;        // sum over token_ids of the model's log-probabilities
  std::string stop_string;         // FinishReason::StopString: which of the stop strings ended it
};

// One sequence's step, for callers that stream or need per-token detail: the token taken and
// the text it completed. Called on the generating thread, in step order for each sequence.
struct SequenceStep {
  size_t request = 0;   // index into the requests
  int32_t token = 0;
  float logprob = 0.f;  // under the model's own distribution, as Generation::logprob_sum
  // The text this token completed (often empty for a byte token), before any stop-string cut;
  // on a sequence's last step it also holds whatever the decoder flushed.
  std::string piece;
  // options.top_logprobs most likely tokens with their log-probabilities, most likely first.
  std::vector<std::pair<int32_t, float>> top_logprobs;
  // Set on the sequence's last step: its complete result (valid during the call only). A
  // sequence ended by a cancel has no last step: its result comes back from generate() only.
  const Generation* finished = nullptr;
};

using SequenceStepFn = std::function<void(const SequenceStep&)>;

// A request that joins a running batch (continuous batching), under the caller's id: steps
// report it as SequenceStep::request.
struct AdmittedRequest {
  size_t id = 0;
  GenerationRequest request;
};

// Asked before every step for requests to start, at most `free_rows` of them. `idle`: nothing is
// running; returning none then ends generate_continuous.
using AdmitFn = std::function<std::vector<AdmittedRequest>(size_t free_rows, bool idle)>;

struct GenerationProgress {
  int64_t sequences_done = 0;
  int64_t sequences_total = 0;
  int64_t tokens_generated = 0;  // new tokens so far, all sequences
  double seconds = 0.0;          // since generate() started
};

using GenerationProgressFn = std::function<void(const GenerationProgress&)>;

class Generator {
 public:
  // `tokenizer` must outlive the generator.
  Generator(model::CausalLm model, const text::Tokenizer& tokenizer);

  // One Generation per request, in request order. `cancel`, when set, is checked between
  // steps: sequences still running then end with FinishReason::Cancelled. `on_step`, when set,
  // sees every sequence's every token as it is drawn, so a finished sequence can be handed on
  // before the rest of its batch ends.
  std::vector<Generation> generate(const std::vector<GenerationRequest>& requests, const GenerationOptions& options,
                                   const GenerationProgressFn& progress = {},
                                   const std::atomic<bool>* cancel = nullptr, const SequenceStepFn& on_step = {});

  // Continuous batching, for a server: up to options.batch_size sequences run together, and
  // whenever rows are free `admit` is asked for more, which are prefilled and join the running
  // batch at once (their cache rows left-padded to the batch's columns), instead of waiting for
  // the whole batch to end. Every sample is what generate() gives for the same request: draws
  // depend on (seed, step) only, and padding is masked. Results arrive through `on_step` only
  // (a sequence's last step); sequences still running when `cancel` is set end without one.
  void generate_continuous(const GenerationOptions& options, const AdmitFn& admit, const SequenceStepFn& on_step,
                           const std::atomic<bool>* cancel = nullptr);

 private:
  model::CausalLm model_;
  const text::Tokenizer& tokenizer_;
};

}  // namespace tpt::think
