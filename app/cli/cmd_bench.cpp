// tpt bench: the engine's speed on this machine, against its own measured GEMM rate.
#include <cstdio>
#include <iostream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "runtime/torch_runtime.h"
#include "think/benchmark.h"
#include "train/benchmark.h"

namespace tpt::cli {

int run_bench(const Args& raw) {
  Arguments args(raw, {"device", "new-tokens"}, {"json", "quick", "no-training", "help"});
  if (args.flag("help")) {
    std::printf(
        "usage: tpt bench [--json] [--quick] [--no-training] [--device cpu|cuda] [--new-tokens N]\n\n"
        "Measures this machine's fp32 GEMM rate, then generation tokens/s at batch 1, 16 and 64\n"
        "for a ~4M and a ~30M parameter model, each also as a fraction of the GEMM rate\n"
        "(2 FLOPs per matmul weight per token, plus attention), then training tokens/s (full\n"
        "fine-tune and LoRA, batch 8 x 128 tokens; 6 FLOPs per weight per token for full, 4 plus\n"
        "6 per adapter weight for LoRA, plus attention). --quick: the 4M model only.\n"
        "--json prints one object: {gemm_gflops, threads, device, generation: [...], training: [...]}.\n"
        "Thread count: tpt --threads N bench.\n");
    return 0;
  }
  think::GenerationBenchOptions options;
  options.device = args.choice("device", {"cpu", "cuda"}, "cpu");
  runtime::require_device(options.device, "--device");
  if (args.flag("quick")) options.models = {"4M"};
  if (auto n = args.value("new-tokens")) options.new_tokens = std::stoi(*n);
  const bool json = args.flag("json");
  auto report = think::run_generation_bench(options, [&](const std::string& line) {
    if (!json) std::fprintf(stderr, "%s\n", line.c_str());
  });
  train::TrainingBenchReport training;
  if (!args.flag("no-training")) {
    train::TrainingBenchOptions train_options;
    train_options.device = options.device;
    train_options.models = options.models;
    training = train::run_training_bench(train_options, report.gemm_gflops, [&](const std::string& line) {
      if (!json) std::fprintf(stderr, "%s\n", line.c_str());
    });
  }
  if (json) {
    auto out = report.to_json();
    out["training"] = training.to_json();
    std::cout << out.dump() << "\n";
  } else {
    std::cout << "\n" << report.to_table();
    if (!training.cases.empty()) std::cout << "\n" << training.to_table();
  }
  return 0;
}

}  // namespace tpt::cli
