// Generation speed, measured against this machine's own fp32 GEMM rate in the same run, for
// `tpt bench` and tests/bench. Models are Llama-architecture with random weights (speed does
// not depend on what they learned): "4M" and "30M" parameters.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tpt::think {

// config.json of a benchmark model: "4M" or "30M".
nlohmann::json bench_model_config(const std::string& size);

struct GenerationBenchOptions {
  std::vector<std::string> models = {"4M", "30M"};
  std::vector<int> batch_sizes = {1, 16, 64};
  int prompt_tokens = 32;
  int new_tokens = 64;
  std::string device = "cpu";  // "cpu" or "cuda"
};

struct GenerationBenchCase {
  std::string model;
  int64_t parameters = 0;
  int batch = 0;
  double seconds = 0.0;            // prefill + decode, the whole generate() call
  double tokens_per_second = 0.0;  // generated tokens (all rows) per second
  double flops_per_token = 0.0;    // 2 x matmul parameters + attention at the mean context
  double fraction_of_gemm = 0.0;   // achieved FLOP/s over the measured GEMM rate
};

struct GenerationBenchReport {
  double gemm_gflops = 0.0;  // fp32 GEMM rate measured in the same run, on the same device
  int gemm_size = 0;         // the matrix size that reached it
  int threads = 0;
  std::string device;
  std::vector<GenerationBenchCase> cases;

  nlohmann::json to_json() const;
  std::string to_table() const;
};

GenerationBenchReport run_generation_bench(const GenerationBenchOptions& options,
                                           const std::function<void(const std::string&)>& log = {});

}  // namespace tpt::think
