// Training speed benchmark: tokens/s of full fine-tuning and LoRA for the ~4M and ~30M
// parameter benchmark models, each as a fraction of the fp32 GEMM rate measured in the same
// run. The training half of `tpt bench`; run on demand, never as a test.
//
//   ./build/bench_training [--json] [--threads N] [--steps N]
#include <cstdio>
#include <cstring>
#include <iostream>

#include "runtime/torch_runtime.h"
#include "train/benchmark.h"

int main(int argc, char** argv) {
  bool json = false;
  int threads = 0;
  tpt::train::TrainingBenchOptions options;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json")) json = true;
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--steps") && i + 1 < argc) options.steps = std::atoi(argv[++i]);
  }
  const auto runtime = tpt::runtime::init_runtime(threads);
  std::fprintf(stderr, "%s\n", tpt::runtime::runtime_summary(runtime).c_str());
  const tpt::runtime::GemmPeak peak = tpt::runtime::measure_gemm_peak(false, [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
  auto report = tpt::train::run_training_bench(options, peak.gflops, [&](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
  if (json) std::cout << report.to_json().dump(2) << "\n";
  else std::cout << report.to_table();
  return 0;
}
