// tpt info: what the engine runs on.
#include <cstdio>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "runtime/torch_runtime.h"

namespace tpt::cli {

int run_info(const Args& raw) {
  Arguments args(raw, {}, {"gemm", "help"});
  if (args.flag("help")) {
    std::printf("usage: tpt info [--gemm]\n\n"
                "Prints the engine and libtorch versions, the BLAS library libtorch loaded, thread\n"
                "count and devices. --gemm also measures this machine's fp32 GEMM rate.\n");
    return 0;
  }
  const runtime::RuntimeInfo info = runtime::runtime_info();
  std::printf("engine:   TPT engine %s\n", info.engine_version.c_str());
  std::printf("libtorch: %s\n", info.torch_version.c_str());
  std::printf("BLAS:     %s\n", info.blas.name.c_str());
  if (!info.blas.library_path.empty()) std::printf("          %s\n", info.blas.library_path.c_str());
  if (!info.blas.detail.empty()) std::printf("          %s\n", info.blas.detail.c_str());
  std::printf("threads:  %d intra-op%s\n", info.intra_op_threads, runtime::threads_note(info).c_str());
  if (info.threads_asked > 0) std::printf("          (tpt --threads N --force-threads uses N threads all the same)\n");
  std::printf("devices:  %s\n", info.cuda_available
                                    ? ("CPU, CUDA x" + std::to_string(info.cuda_devices)).c_str()
                                    : "CPU (no CUDA in this libtorch or no GPU)");
  if (args.flag("gemm")) {
    for (int n : {256, 512, 1024})
      std::printf("GEMM fp32 %4dx%-4d %8.1f GFLOP/s\n", n, n, runtime::measure_gemm_gflops(n, 0.5));
  }
  if (auto warning = runtime::blas_warning(info)) {
    std::printf("warning:  %s\n", warning->c_str());
  }
  return 0;
}

}  // namespace tpt::cli
