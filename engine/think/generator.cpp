#include "think/generator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "text/model_tokenizer.h"

namespace tpt::think {

namespace {

// One running sequence's state outside the tensors.
struct Running {
  size_t request = 0;  // index into the caller's requests
  text::StreamDecoder decoder;
  Generation out;
  bool finished = false;
  int max_new_tokens = 0;  // the request's own limit, or the options'
};

// Ends `run` at the first stop string in its text, if one has appeared. Only the tail that the
// newest piece could have completed is searched.
bool cut_at_stop_string(Running& run, size_t new_piece_size, const std::vector<std::string>& stops) {
  std::string& text = run.out.text;
  size_t best = std::string::npos;
  const std::string* matched = nullptr;
  for (const std::string& stop : stops) {
    const size_t from = text.size() >= new_piece_size + stop.size() ? text.size() - new_piece_size - stop.size() : 0;
    const size_t at = text.find(stop, from);
    if (at != std::string::npos && at < best) {
      best = at;
      matched = &stop;
    }
  }
  if (best == std::string::npos) return false;
  text.resize(best);
  run.out.stop_string = *matched;
  return true;
}

void check_requests(const std::vector<GenerationRequest>& requests, const GenerationOptions& options) {
  if (options.batch_size < 1) throw Error("generation batch_size must be >= 1");
  if (options.top_logprobs < 0) throw Error("generation top_logprobs must be >= 0");
  for (size_t i = 0; i < requests.size(); ++i)
    if (requests[i].prompt_ids.empty()) throw Error("generation request " + std::to_string(i) + " has an empty prompt");
}

// Longest prompts first: batches of similar length waste little on padding. The order does
// not change any sample (per-sequence seeds).
std::vector<size_t> longest_prompts_first(const std::vector<GenerationRequest>& requests) {
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return requests[a].prompt_ids.size() > requests[b].prompt_ids.size();
  });
  return order;
}

// The `count` sequences of the batch that starts at `order[first]`.
std::vector<Running> start_batch(const std::vector<GenerationRequest>& requests, const GenerationOptions& options,
                                 const std::vector<size_t>& order, size_t first, size_t count,
                                 const text::Tokenizer& tokenizer) {
  std::vector<Running> runs;
  runs.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const size_t request = order[first + i];
    const int limit = requests[request].max_new_tokens > 0 ? requests[request].max_new_tokens : options.max_new_tokens;
    runs.push_back({request, text::StreamDecoder(tokenizer, /*skip_special_tokens=*/true), {}, false, limit});
  }
  return runs;
}

struct PaddedPrompts {
  torch::Tensor ids;   // [B, T0]
  torch::Tensor mask;  // [B, T0], false on padding
};

// The batch's prompts, left-padded: B = batch rows, T0 = longest prompt.
PaddedPrompts left_pad_prompts(const std::vector<GenerationRequest>& requests, const std::vector<Running>& runs,
                               const torch::Device& device) {
  const size_t count = runs.size();
  int64_t longest = 0;
  for (const Running& run : runs)
    longest = std::max<int64_t>(longest, static_cast<int64_t>(requests[run.request].prompt_ids.size()));
  std::vector<int64_t> ids_flat(count * static_cast<size_t>(longest), 0);
  std::vector<uint8_t> mask_flat(count * static_cast<size_t>(longest), 0);
  for (size_t i = 0; i < count; ++i) {
    const auto& prompt = requests[runs[i].request].prompt_ids;
    const size_t pad = static_cast<size_t>(longest) - prompt.size();
    for (size_t t = 0; t < prompt.size(); ++t) {
      ids_flat[i * static_cast<size_t>(longest) + pad + t] = prompt[t];
      mask_flat[i * static_cast<size_t>(longest) + pad + t] = 1;
    }
  }
  const auto batch = static_cast<int64_t>(count);
  PaddedPrompts padded;
  padded.ids = torch::tensor(ids_flat, torch::kInt64).view({batch, longest}).to(device);
  padded.mask = torch::tensor(mask_flat, torch::kUInt8).view({batch, longest}).to(torch::kBool).to(device);
  return padded;
}

bool is_stop_id(const GenerationOptions& options, int32_t id) {
  return std::find(options.stop_ids.begin(), options.stop_ids.end(), id) != options.stop_ids.end();
}

// Appends one sampled token to `run`, which finishes on an end-of-turn id, a stop string or
// max_new_tokens. Returns the text the token completed (before any stop-string cut).
std::string take_token(Running& run, int32_t token, float logprob, const GenerationOptions& options) {
  run.out.token_ids.push_back(token);
  run.out.logprob_sum += logprob;
  if (is_stop_id(options, token)) {
    run.out.finish_reason = FinishReason::Eos;
    run.finished = true;
    return {};
  }
  std::string piece = run.decoder.step(token);
  run.out.text += piece;
  if (!options.stop_strings.empty() && cut_at_stop_string(run, piece.size(), options.stop_strings)) {
    run.out.finish_reason = FinishReason::StopString;
    run.finished = true;
  } else if (static_cast<int>(run.out.token_ids.size()) >= run.max_new_tokens) {
    run.out.finish_reason = FinishReason::Length;
    run.finished = true;
  }
  return piece;
}

// What a step callback needs beyond the sampled ids: the top tokens of each live row.
struct StepDetail {
  const SequenceStepFn* on_step = nullptr;
  torch::Tensor top_ids;       // [B, K] int64 on the CPU, when options.top_logprobs > 0
  torch::Tensor top_logprobs;  // [B, K] fp32
};

// The step's detail for `on_step`: with top_logprobs > 0, each row's most likely tokens under
// the same distribution as the sampled logprobs (softmax of the raw logits [B, V]).
StepDetail step_detail(const SequenceStepFn& on_step, const torch::Tensor& logits, int top_logprobs) {
  StepDetail detail;
  detail.on_step = &on_step;
  if (on_step && top_logprobs > 0) {
    const int64_t k = std::min<int64_t>(top_logprobs, logits.size(1));
    const auto top = torch::log_softmax(logits.to(torch::kFloat32), -1).topk(k, -1);
    detail.top_logprobs = std::get<0>(top).to(torch::kCPU).contiguous();
    detail.top_ids = std::get<1>(top).to(torch::kCPU).contiguous();
  }
  return detail;
}

// Finished rows leave the batch: the cache and every per-row tensor shrink to the rows `keep`.
void keep_rows(const std::vector<int64_t>& keep, model::KVCache& cache, torch::Tensor& mask, torch::Tensor& positions,
               torch::Tensor& next, const torch::Device& device) {
  const torch::Tensor rows = torch::tensor(keep, torch::kInt64).to(device);
  cache.select_rows(rows);
  mask = mask.index_select(0, rows);
  positions = positions.index_select(0, rows);
  next = next.index_select(0, rows);
}

// One step's bookkeeping: each live row takes its sampled token (or, once cancelled, ends).
// Returns the rows still running.
std::vector<int64_t> advance_runs(std::vector<Running>& runs, const std::vector<size_t>& live,
                                  const torch::Tensor& next_cpu, const torch::Tensor& logprob_cpu, bool cancelled,
                                  const GenerationOptions& options, const StepDetail& detail,
                                  GenerationProgress& report) {
  std::vector<int64_t> keep;
  for (size_t row = 0; row < live.size(); ++row) {
    Running& run = runs[live[row]];
    if (cancelled) {
      run.out.finish_reason = FinishReason::Cancelled;
      run.finished = true;
      continue;
    }
    const auto r = static_cast<int64_t>(row);
    const auto token = static_cast<int32_t>(next_cpu[r].item<int64_t>());
    const float logprob = logprob_cpu[r].item<float>();
    std::string piece = take_token(run, token, logprob, options);
    ++report.tokens_generated;
    if (run.finished) {
      if (run.out.finish_reason != FinishReason::StopString) {
        const std::string rest = run.decoder.flush();
        run.out.text += rest;
        piece += rest;
      }
    } else {
      keep.push_back(r);
    }
    if (detail.on_step && *detail.on_step) {
      SequenceStep step;
      step.request = run.request;
      step.token = token;
      step.logprob = logprob;
      step.piece = std::move(piece);
      if (detail.top_ids.defined()) {
        const auto k = detail.top_ids.size(1);
        const int64_t* ids = detail.top_ids[r].data_ptr<int64_t>();
        const float* lps = detail.top_logprobs[r].data_ptr<float>();
        for (int64_t j = 0; j < k; ++j) step.top_logprobs.emplace_back(static_cast<int32_t>(ids[j]), lps[j]);
      }
      if (run.finished) step.finished = &run.out;
      (*detail.on_step)(step);
    }
  }
  return keep;
}

// Hands the finished sequences of the live rows to the caller's results.
void collect_finished(std::vector<Running>& runs, const std::vector<size_t>& live, std::vector<Generation>& results,
                      GenerationProgress& report) {
  for (size_t row = 0; row < live.size(); ++row) {
    Running& run = runs[live[row]];
    if (run.finished) {
      results[run.request] = std::move(run.out);
      ++report.sequences_done;
    }
  }
}

// The model's name in messages: its folder, when it was loaded from one.
std::string model_name(const model::CausalLmImpl& model) {
  return model.source_dir().empty() ? std::string("the model") : "model " + model.source_dir();
}

// A row whose sampled token has a log-probability that is not finite had logits that were not:
// NaN anywhere in a row makes its whole log-softmax NaN, and +inf makes the token it picks NaN
// or -inf. (A -inf logit alone is a token ruled out, and never picked.) Checking the B values
// already copied to the CPU costs nothing, where a scan of the [B, V] logits would cost a pass
// over the vocabulary per step; without it a broken model (NaN weights, an overflowing dtype)
// samples token 0 forever, NUL bytes as text.
void check_finite_step(const torch::Tensor& logprob_cpu, const model::CausalLmImpl& model, int64_t step) {
  const torch::Tensor values = logprob_cpu.to(torch::kFloat32).contiguous();
  const float* p = values.data_ptr<float>();
  for (int64_t row = 0; row < values.numel(); ++row) {
    if (!std::isfinite(p[row]))
      throw Error(model_name(model) + ": the model's logits are not finite (NaN or infinity) at generation step " +
                  std::to_string(step) + ": its weights hold NaN or infinity, or its dtype overflows; "
                  "generation stopped");
  }
}

}  // namespace

Generator::Generator(model::CausalLm model, const text::Tokenizer& tokenizer) : model_(std::move(model)), tokenizer_(tokenizer) {
  const std::string& folder = model_->source_dir();
  text::check_tokenizer_fits_model(tokenizer_, model_->config().vocab_size,
                                   folder.empty() ? std::string("the model's config") : folder + "/config.json");
}

std::vector<Generation> Generator::generate(const std::vector<GenerationRequest>& requests,
                                            const GenerationOptions& options, const GenerationProgressFn& progress,
                                            const std::atomic<bool>* cancel, const SequenceStepFn& on_step) {
  check_requests(requests, options);
  torch::NoGradGuard no_grad;
  const auto start = std::chrono::steady_clock::now();
  const torch::Device device = model_->device();
  const auto on_device = torch::TensorOptions().device(device);
  std::vector<Generation> results(requests.size());
  GenerationProgress report;
  report.sequences_total = static_cast<int64_t>(requests.size());
  const std::vector<size_t> order = longest_prompts_first(requests);

  for (size_t first = 0; first < order.size(); first += static_cast<size_t>(options.batch_size)) {
    const size_t count = std::min(order.size() - first, static_cast<size_t>(options.batch_size));
    std::vector<Running> runs = start_batch(requests, options, order, first, count, tokenizer_);
    PaddedPrompts prompts = left_pad_prompts(requests, runs, device);
    torch::Tensor mask = std::move(prompts.mask);
    torch::Tensor positions = model::left_padded_positions(mask);  // [B, T0]
    model::KVCache cache;
    torch::Tensor logits = model_->forward(prompts.ids, positions, mask, &cache, model::LogitsFor::Last);  // [B, 1, V]

    std::vector<size_t> live(count);  // rows of the current batch tensors -> index into runs
    std::iota(live.begin(), live.end(), 0);
    for (int step = 0; !live.empty(); ++step) {
      const bool cancelled = cancel && cancel->load();
      std::vector<uint64_t> seeds;
      std::vector<int64_t> steps(live.size(), step);
      for (size_t r : live) seeds.push_back(requests[runs[r].request].seed);
      SampledTokens sampled = sample_next(logits.select(1, 0), options.sampling, seeds, steps);
      const torch::Tensor next_cpu = sampled.ids.to(torch::kCPU);
      const torch::Tensor logprob_cpu = sampled.logprobs.to(torch::kCPU);
      if (!cancelled) check_finite_step(logprob_cpu, *model_, step);
      // No alternatives once cancelled: the rows only end.
      const StepDetail detail = step_detail(on_step, logits.select(1, 0), cancelled ? 0 : options.top_logprobs);

      const std::vector<int64_t> keep =
          advance_runs(runs, live, next_cpu, logprob_cpu, cancelled, options, detail, report);
      collect_finished(runs, live, results, report);
      if (progress) {
        report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        progress(report);
      }
      if (keep.empty()) break;

      torch::Tensor next = sampled.ids;  // [B]
      if (keep.size() < live.size()) {
        keep_rows(keep, cache, mask, positions, next, device);
        std::vector<size_t> still;
        for (int64_t row : keep) still.push_back(live[static_cast<size_t>(row)]);
        live.swap(still);
      }
      const int64_t rows_left = static_cast<int64_t>(live.size());
      mask = torch::cat({mask, torch::ones({rows_left, 1}, on_device.dtype(torch::kBool))}, 1);  // [B', S + 1]
      positions = positions.select(1, -1).unsqueeze(1) + 1;  // [B', 1]
      logits = model_->forward(next.view({rows_left, 1}), positions, mask, &cache, model::LogitsFor::Last);
    }
  }
  return results;
}

namespace {

// `t` ([B, H, S, D] or [B, S]) with `columns` more columns of `fill` on the left.
torch::Tensor pad_left(const torch::Tensor& t, int64_t columns, int64_t dim) {
  if (columns == 0) return t;
  std::vector<int64_t> shape = t.sizes().vec();
  shape[static_cast<size_t>(dim)] = columns;
  return torch::cat({torch::zeros(shape, t.options()), t}, dim);
}

// Rows of `extra` join `cache` (and `mask`) below its own rows. Both batches are left-padded;
// columns that are padding in every old row are dropped first (rows leave, so the batch's
// longest sequence may be shorter than its columns), then the shorter side gets zero keys and
// values on the left, masked out. Each row keeps its real columns in order, so neither
// attention nor the sliding window sees a difference.
void merge_rows(model::KVCache& cache, torch::Tensor& mask, model::KVCache& extra, const torch::Tensor& extra_mask,
                const model::ModelConfig& config, const torch::Device& device) {
  const int64_t old_rows = mask.size(0), new_rows = extra_mask.size(0);
  const int64_t kept = mask.sum(1).max().item<int64_t>();  // real columns of the longest old row
  const int64_t old_len = cache.length(), new_len = extra.length();
  const int64_t columns = std::max(kept, new_len);
  model::KVCache merged;
  for (int64_t layer = 0; layer < config.num_layers; ++layer) {
    // Appending no columns returns views of everything the cache holds.
    const auto nothing_old = torch::empty({old_rows, config.num_kv_heads, 0, config.head_dim}, torch::device(device));
    const auto nothing_new = torch::empty({new_rows, config.num_kv_heads, 0, config.head_dim}, torch::device(device));
    auto [k1, v1] = cache.append(layer, nothing_old, nothing_old);
    auto [k2, v2] = extra.append(layer, nothing_new, nothing_new);
    k1 = k1.narrow(2, old_len - kept, kept);
    v1 = v1.narrow(2, old_len - kept, kept);
    merged.append(layer, torch::cat({pad_left(k1, columns - kept, 2), pad_left(k2, columns - new_len, 2)}, 0),
                  torch::cat({pad_left(v1, columns - kept, 2), pad_left(v2, columns - new_len, 2)}, 0));
  }
  merged.advance(columns);
  mask = torch::cat({pad_left(mask.narrow(1, old_len - kept, kept), columns - kept, 1),
                     pad_left(extra_mask, columns - new_len, 1)},
                    0);
  cache = std::move(merged);
}

}  // namespace

void Generator::generate_continuous(const GenerationOptions& options, const AdmitFn& admit,
                                    const SequenceStepFn& on_step, const std::atomic<bool>* cancel) {
  if (options.batch_size < 1) throw Error("generation batch_size must be >= 1");
  if (options.top_logprobs < 0) throw Error("generation top_logprobs must be >= 0");
  torch::NoGradGuard no_grad;
  const torch::Device device = model_->device();
  const auto on_device = torch::TensorOptions().device(device);
  const auto capacity = static_cast<size_t>(options.batch_size);
  GenerationProgress report;  // advance_runs counts into it; nobody reads it here

  std::vector<Running> runs;  // one per row of the tensors below
  std::vector<uint64_t> seeds;
  torch::Tensor mask;       // [B, S]
  torch::Tensor positions;  // [B, 1]: each row's last position fed
  torch::Tensor logits;     // [B, V]: each row's next-token logits
  model::KVCache cache;

  for (;;) {
    if (runs.size() < capacity) {
      std::vector<AdmittedRequest> fresh = admit(capacity - runs.size(), runs.empty());
      if (fresh.size() > capacity - runs.size()) throw Error("generate_continuous: admit returned too many requests");
      if (fresh.empty() && runs.empty()) return;
      if (!fresh.empty()) {
        std::vector<GenerationRequest> requests;
        std::vector<Running> joining;
        for (size_t i = 0; i < fresh.size(); ++i) {
          if (fresh[i].request.prompt_ids.empty()) throw Error("generation request has an empty prompt");
          requests.push_back(fresh[i].request);
          // Index into `requests` for the padding; the caller's id once it runs.
          const int limit = fresh[i].request.max_new_tokens > 0 ? fresh[i].request.max_new_tokens
                                                                : options.max_new_tokens;
          joining.push_back({i, text::StreamDecoder(tokenizer_, /*skip_special_tokens=*/true), {}, false, limit});
        }
        PaddedPrompts prompts = left_pad_prompts(requests, joining, device);
        const torch::Tensor prompt_positions = model::left_padded_positions(prompts.mask);
        model::KVCache fresh_cache;
        const torch::Tensor fresh_logits =
            model_->forward(prompts.ids, prompt_positions, prompts.mask, &fresh_cache, model::LogitsFor::Last)
                .select(1, 0);
        const torch::Tensor fresh_positions = prompt_positions.select(1, -1).unsqueeze(1);
        if (runs.empty()) {
          cache = std::move(fresh_cache);
          mask = prompts.mask;
          positions = fresh_positions;
          logits = fresh_logits;
        } else {
          merge_rows(cache, mask, fresh_cache, prompts.mask, model_->config(), device);
          positions = torch::cat({positions, fresh_positions}, 0);
          logits = torch::cat({logits, fresh_logits}, 0);
        }
        for (size_t i = 0; i < fresh.size(); ++i) {
          joining[i].request = fresh[i].id;
          seeds.push_back(fresh[i].request.seed);
          runs.push_back(std::move(joining[i]));
        }
      }
    }

    // One step for every row: each draws at its own step (rows joined at different times).
    const bool cancelled = cancel && cancel->load();
    if (cancelled) return;
    std::vector<int64_t> steps;
    for (const Running& run : runs) steps.push_back(static_cast<int64_t>(run.out.token_ids.size()));
    SampledTokens sampled = sample_next(logits, options.sampling, seeds, steps);
    const torch::Tensor next_cpu = sampled.ids.to(torch::kCPU);
    const torch::Tensor logprob_cpu = sampled.logprobs.to(torch::kCPU);
    check_finite_step(logprob_cpu, *model_, *std::max_element(steps.begin(), steps.end()));
    const StepDetail detail = step_detail(on_step, logits, options.top_logprobs);
    std::vector<size_t> live(runs.size());
    std::iota(live.begin(), live.end(), 0);
    const std::vector<int64_t> keep =
        advance_runs(runs, live, next_cpu, logprob_cpu, /*cancelled=*/false, options, detail, report);

    if (keep.empty()) {
      runs.clear();
      seeds.clear();
      cache.clear();
      continue;
    }
    torch::Tensor next = sampled.ids;
    if (keep.size() < runs.size()) {
      keep_rows(keep, cache, mask, positions, next, device);
      std::vector<Running> still;
      std::vector<uint64_t> still_seeds;
      for (int64_t row : keep) {
        still.push_back(std::move(runs[static_cast<size_t>(row)]));
        still_seeds.push_back(seeds[static_cast<size_t>(row)]);
      }
      runs.swap(still);
      seeds.swap(still_seeds);
    }
    const auto rows_left = static_cast<int64_t>(runs.size());
    mask = torch::cat({mask, torch::ones({rows_left, 1}, on_device.dtype(torch::kBool))}, 1);
    positions = positions + 1;
    logits = model_->forward(next.view({rows_left, 1}), positions, mask, &cache, model::LogitsFor::Last).select(1, 0);
  }
}

}  // namespace tpt::think
