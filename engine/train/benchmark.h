// Training speed for `tpt bench` and tests/bench: tokens/s of full fine-tuning and LoRA on the
// benchmark models (think::bench_model_config), each also as a fraction of the fp32 GEMM rate
// measured in the same run.
//
// FLOPs per token, T = sequence length, N = weights of the matrix products (output projection
// included, embedding lookup not), L layers, Q = heads x head_dim:
//   full: 6N (forward 2N, backward 2N for activations + 2N for weights) + 12·L·T·Q attention
//         (QK^T and AV over all T keys, as our attention computes them, forward and backward);
//   LoRA: 4N (no weight gradients for the frozen base) + 6·N_lora + the same attention term.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tpt::train {

struct TrainingBenchOptions {
  std::vector<std::string> models = {"4M", "30M"};
  std::vector<std::string> modes = {"full", "lora"};
  int batch = 8;
  int seq_len = 128;  // prompt 32 + completion, every row full length
  int steps = 2;      // timed, after one warm-up step
  int lora_rank = 16;  // on all seven projections
  std::string device = "cpu";
};

struct TrainingBenchCase {
  std::string model, mode;
  int64_t parameters = 0, trainable_parameters = 0;
  int batch = 0, seq_len = 0, steps = 0;
  double seconds = 0.0;            // the timed steps: forward, backward, clipping, AdamW
  double tokens_per_second = 0.0;  // real tokens (prompt + completion) per second
  double flops_per_token = 0.0;
  double fraction_of_gemm = 0.0;
};

struct TrainingBenchReport {
  std::vector<TrainingBenchCase> cases;
  nlohmann::json to_json() const;  // an array of cases
  std::string to_table() const;
};

// `gemm_gflops`: the rate measured in the same run (think::run_generation_bench's).
TrainingBenchReport run_training_bench(const TrainingBenchOptions& options, double gemm_gflops,
                                       const std::function<void(const std::string&)>& log = {});

}  // namespace tpt::train
