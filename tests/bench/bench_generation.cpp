// Generation speed benchmark: tokens/s at batch 1, 16 and 64 for ~4M and ~30M parameter
// models, each as a fraction of the fp32 GEMM rate measured in the same run. The same
// measurement as `tpt bench`; run on demand, never as a test.
//
//   ./build/bench_generation [--json] [--threads N]
#include <cstdio>
#include <cstring>
#include <iostream>

#include "runtime/torch_runtime.h"
#include "think/benchmark.h"

int main(int argc, char** argv) {
  bool json = false;
  int threads = 0;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json")) json = true;
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
  }
  const auto runtime = tpt::runtime::init_runtime(threads);
  std::fprintf(stderr, "%s\n", tpt::runtime::runtime_summary(runtime).c_str());
  auto report = tpt::think::run_generation_bench({}, [&](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
  if (json) std::cout << report.to_json().dump(2) << "\n";
  else std::cout << report.to_table();
  return 0;
}
