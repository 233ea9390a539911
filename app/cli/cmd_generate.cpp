// tpt generate: sample completions from a model folder, as Think does.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "model/checkpoint.h"
#include "runtime/torch_runtime.h"
#include "text/model_tokenizer.h"
#include "think/generator.h"

namespace tpt::cli {

static int usage() {
  std::printf(
      "usage: tpt generate --model DIR --prompt TEXT [-n N] [--temperature T] [--top-p P]\n"
      "                    [--top-k K] [--max-new-tokens M] [--seed S] [--stop TEXT]\n"
      "                    [--chat] [--batch-size B] [--device cpu|cuda] [--dtype float32|bfloat16]\n"
      "                    [--json]\n\n"
      "Samples N completions of TEXT (default 1, temperature 1; --temperature 0 is greedy).\n"
      "Sample i uses seed S+i, so `--seed S+i -n 1` reproduces it alone. --chat wraps the prompt\n"
      "as one user turn in the model's chat template. --stop may be given once (a stop string).\n"
      "--json prints one JSON object per sample: text, token_ids, finish_reason, logprob_sum.\n"
      "Numbers are finite decimals (not nan, inf or 0x10). --device cuda needs a CUDA build of\n"
      "libtorch and a GPU. Generation stops with an error if the model's logits turn NaN or\n"
      "infinite (NaN weights), and a tokenizer.json with ids the model has no embedding for is\n"
      "refused.\n");
  return 0;
}

int run_generate(const Args& raw) {
  Args rewritten;
  for (const auto& a : raw) rewritten.push_back(a == "-n" ? "--samples" : a);
  Arguments args(rewritten,
                 {"model", "prompt", "samples", "temperature", "top-p", "top-k", "max-new-tokens", "seed", "stop",
                  "batch-size", "device", "dtype"},
                 {"chat", "json", "help"});
  if (args.flag("help")) return usage();
  const std::string folder = args.required("model");
  const std::string prompt = args.required("prompt");
  const int samples = static_cast<int>(args.number("samples", 1));
  if (samples < 1) throw UsageError("-n must be >= 1");

  think::GenerationOptions options;
  options.sampling.temperature = args.number("temperature", 1.0);
  options.sampling.top_p = args.number("top-p", 1.0);
  options.sampling.top_k = static_cast<int>(args.number("top-k", 0));
  options.max_new_tokens = static_cast<int>(args.number("max-new-tokens", 256));
  options.batch_size = static_cast<int>(args.number("batch-size", 16));
  if (options.sampling.temperature < 0 || options.sampling.top_p <= 0 || options.sampling.top_p > 1 ||
      options.sampling.top_k < 0 || options.max_new_tokens < 1 || options.batch_size < 1)
    throw UsageError("out-of-range sampling option (temperature >= 0, 0 < top-p <= 1, top-k >= 0, max-new-tokens >= 1)");
  if (auto stop = args.value("stop")) options.stop_strings.push_back(*stop);
  const auto seed = static_cast<uint64_t>(args.number("seed", 0));

  model::LoadOptions load;
  const std::string device = args.choice("device", {"auto", "cpu", "cuda"}, "auto");
  runtime::require_device(device, "--device");
  if (device == "cuda") load.device = torch::Device(torch::kCUDA);
  if (device == "auto") load.device = model::best_device();
  if (auto dtype = args.value("dtype")) {
    const std::string d = args.choice("dtype", {"float32", "bfloat16", "float16"}, *dtype);
    load.dtype = d == "float32" ? torch::kFloat32 : d == "bfloat16" ? torch::kBFloat16 : torch::kFloat16;
  }
  model::CausalLm model = model::load_model(folder, load);
  const text::ModelTokenizer tokenizer = text::load_model_tokenizer(folder);
  options.stop_ids = tokenizer.stop_ids;
  std::fprintf(stderr, "%s\n", model::summarize(*model).to_string().c_str());

  const std::vector<int32_t> prompt_ids =
      args.flag("chat") ? tokenizer.encode_chat({{"user", prompt}}) : tokenizer.encode_prompt(prompt);
  std::vector<think::GenerationRequest> requests;
  for (int i = 0; i < samples; ++i) requests.push_back({prompt_ids, seed + static_cast<uint64_t>(i)});

  think::Generator generator(model, *tokenizer.tokenizer);
  const bool tty = isatty(STDERR_FILENO);
  double seconds = 0;
  int64_t tokens = 0;
  auto results = generator.generate(requests, options, [&](const think::GenerationProgress& p) {
    seconds = p.seconds;
    tokens = p.tokens_generated;
    if (tty)
      std::fprintf(stderr, "\r%lld/%lld samples, %lld tokens, %.1f tokens/s   ", static_cast<long long>(p.sequences_done),
                   static_cast<long long>(p.sequences_total), static_cast<long long>(p.tokens_generated),
                   p.seconds > 0 ? p.tokens_generated / p.seconds : 0.0);
  });
  if (tty) std::fprintf(stderr, "\n");

  for (size_t i = 0; i < results.size(); ++i) {
    const auto& g = results[i];
    if (args.flag("json")) {
      std::cout << nlohmann::json{{"index", i},
                                  {"seed", requests[i].seed},
                                  {"text", g.text},
                                  {"token_ids", g.token_ids},
                                  {"finish_reason", think::to_string(g.finish_reason)},
                                  {"logprob_sum", g.logprob_sum},
                                  {"prompt_tokens", prompt_ids.size()}}
                       .dump()
                << "\n";
    } else {
      if (samples > 1) std::cout << "--- sample " << i << " (seed " << requests[i].seed << ", " << g.token_ids.size()
                                 << " tokens, " << think::to_string(g.finish_reason) << ")\n";
      std::cout << g.text << "\n";
    }
  }
  std::fprintf(stderr, "%lld tokens in %.2f s (%.1f tokens/s)\n", static_cast<long long>(tokens), seconds,
               seconds > 0 ? tokens / seconds : 0.0);
  return 0;
}

}  // namespace tpt::cli
