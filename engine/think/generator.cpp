#include "think/generator.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "core/error.h"

namespace tpt::think {

const char* to_string(FinishReason reason) {
  switch (reason) {
    case FinishReason::Eos: return "eos";
    case FinishReason::StopString: return "stop_string";
    case FinishReason::Length: return "length";
    case FinishReason::Cancelled: return "cancelled";
  }
  return "length";
}

namespace {

// One running sequence's state outside the tensors.
struct Running {
  size_t request = 0;  // index into the caller's requests
  text::StreamDecoder decoder;
  Generation out;
  bool finished = false;
};

// Ends `run` at the first stop string in its text, if one has appeared. Only the tail that the
// newest piece could have completed is searched.
bool cut_at_stop_string(Running& run, size_t new_piece_size, const std::vector<std::string>& stops) {
  std::string& text = run.out.text;
  size_t best = std::string::npos;
  for (const std::string& stop : stops) {
    const size_t from = text.size() >= new_piece_size + stop.size() ? text.size() - new_piece_size - stop.size() : 0;
    const size_t at = text.find(stop, from);
    if (at != std::string::npos && at < best) best = at;
  }
  if (best == std::string::npos) return false;
  text.resize(best);
  return true;
}

}  // namespace

Generator::Generator(model::CausalLm model, const text::Tokenizer& tokenizer) : model_(std::move(model)), tokenizer_(tokenizer) {}

std::vector<Generation> Generator::generate(const std::vector<GenerationRequest>& requests,
                                            const GenerationOptions& options, const GenerationProgressFn& progress,
                                            const std::atomic<bool>* cancel) {
  if (options.batch_size < 1) throw Error("generation batch_size must be >= 1");
  for (size_t i = 0; i < requests.size(); ++i)
    if (requests[i].prompt_ids.empty()) throw Error("generation request " + std::to_string(i) + " has an empty prompt");

  torch::NoGradGuard no_grad;
  const auto start = std::chrono::steady_clock::now();
  const torch::Device device = model_->device();
  const auto on_device = torch::TensorOptions().device(device);
  std::vector<Generation> results(requests.size());
  GenerationProgress report;
  report.sequences_total = static_cast<int64_t>(requests.size());

  // Longest prompts first: batches of similar length waste little on padding. The order does
  // not change any sample (per-sequence seeds).
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return requests[a].prompt_ids.size() > requests[b].prompt_ids.size();
  });
  auto is_stop_id = [&](int32_t id) {
    return std::find(options.stop_ids.begin(), options.stop_ids.end(), id) != options.stop_ids.end();
  };

  for (size_t first = 0; first < order.size(); first += static_cast<size_t>(options.batch_size)) {
    const size_t count = std::min(order.size() - first, static_cast<size_t>(options.batch_size));
    std::vector<Running> runs;
    runs.reserve(count);
    int64_t longest = 0;
    for (size_t i = 0; i < count; ++i) {
      runs.push_back({order[first + i], text::StreamDecoder(tokenizer_, /*skip_special_tokens=*/true), {}, false});
      longest = std::max<int64_t>(longest, static_cast<int64_t>(requests[order[first + i]].prompt_ids.size()));
    }
    // Left padding: B = batch rows, T0 = longest prompt.
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
    torch::Tensor ids = torch::tensor(ids_flat, torch::kInt64).view({batch, longest}).to(device);  // [B, T0]
    torch::Tensor mask = torch::tensor(mask_flat, torch::kUInt8).view({batch, longest}).to(torch::kBool).to(device);
    torch::Tensor positions = model::left_padded_positions(mask);  // [B, T0]
    model::KVCache cache;
    torch::Tensor logits = model_->forward(ids, positions, mask, &cache, model::LogitsFor::Last);  // [B, 1, V]

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

      std::vector<int64_t> keep;
      for (size_t row = 0; row < live.size(); ++row) {
        Running& run = runs[live[row]];
        if (cancelled) {
          run.out.finish_reason = FinishReason::Cancelled;
          run.finished = true;
          continue;
        }
        const auto token = static_cast<int32_t>(next_cpu[static_cast<int64_t>(row)].item<int64_t>());
        run.out.token_ids.push_back(token);
        run.out.logprob_sum += logprob_cpu[static_cast<int64_t>(row)].item<float>();
        ++report.tokens_generated;
        if (is_stop_id(token)) {
          run.out.finish_reason = FinishReason::Eos;
          run.finished = true;
        } else {
          const std::string piece = run.decoder.step(token);
          run.out.text += piece;
          if (!options.stop_strings.empty() && cut_at_stop_string(run, piece.size(), options.stop_strings)) {
            run.out.finish_reason = FinishReason::StopString;
            run.finished = true;
          } else if (static_cast<int>(run.out.token_ids.size()) >= options.max_new_tokens) {
            run.out.finish_reason = FinishReason::Length;
            run.finished = true;
          }
        }
        if (run.finished) {
          if (run.out.finish_reason != FinishReason::StopString) run.out.text += run.decoder.flush();
        } else {
          keep.push_back(static_cast<int64_t>(row));
        }
      }
      for (size_t row = 0; row < live.size(); ++row) {
        Running& run = runs[live[row]];
        if (run.finished) {
          results[run.request] = std::move(run.out);
          ++report.sequences_done;
        }
      }
      if (progress) {
        report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        progress(report);
      }
      if (keep.empty()) break;

      torch::Tensor next = sampled.ids;  // [B]
      if (keep.size() < live.size()) {
        // Finished rows leave the batch: the cache and every per-row tensor shrink together.
        const torch::Tensor rows = torch::tensor(keep, torch::kInt64).to(device);
        cache.select_rows(rows);
        mask = mask.index_select(0, rows);
        positions = positions.index_select(0, rows);
        next = next.index_select(0, rows);
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

}  // namespace tpt::think
