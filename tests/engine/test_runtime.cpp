// The engine names the BLAS library libtorch really loaded, so a slow one can be warned about.
#include <algorithm>
#include <fstream>
#include <string>
#include <thread>

#include "check.h"
#include "runtime/torch_runtime.h"

TPT_TEST(runtime, library_paths_are_classified_by_implementation) {
  using tpt::runtime::BlasKind;
  COMPARE(tpt::runtime::classify_blas_library("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0"), BlasKind::Reference);
  COMPARE(tpt::runtime::classify_blas_library("/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"), BlasKind::OpenBlas);
  COMPARE(tpt::runtime::classify_blas_library("/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblasp-r0.3.21.so"), BlasKind::OpenBlas);
  COMPARE(tpt::runtime::classify_blas_library("/opt/intel/lib/libmkl_rt.so.2"), BlasKind::Mkl);
  COMPARE(tpt::runtime::classify_blas_library("/usr/lib/x86_64-linux-gnu/blis-pthread/libblas.so.3"), BlasKind::Blis);
}

TPT_TEST(runtime, the_detected_blas_is_a_library_mapped_into_this_process) {
  tpt::runtime::BlasInfo info = tpt::runtime::detect_blas();
  if (info.library_path.empty()) SKIP("no separate BLAS library (libtorch with a static BLAS)");
  // Independent reference: the kernel's list of mapped files, by resolved path.
  std::ifstream maps("/proc/self/maps");
  std::string line;
  bool mapped = false;
  while (std::getline(maps, line)) {
    auto slash = line.find('/');
    if (slash != std::string::npos && line.substr(slash) == info.library_path) mapped = true;
  }
  VERIFY(mapped);
  // A BLAS built into libtorch is named by libtorch's build configuration instead.
  if (info.library_path.find("libtorch") == std::string::npos)
    COMPARE(info.kind, tpt::runtime::classify_blas_library(info.library_path));
  VERIFY(info.kind != tpt::runtime::BlasKind::Unknown);
}

TPT_TEST(runtime, the_summary_names_libtorch_blas_and_threads) {
  auto info = tpt::runtime::init_runtime(1);
  COMPARE(info.intra_op_threads, 1);
  const std::string summary = tpt::runtime::runtime_summary(info);
  VERIFY_CONTAINS(summary, "libtorch " + info.torch_version);
  VERIFY_CONTAINS(summary, "BLAS: " + info.blas.name);
  VERIFY_CONTAINS(summary, "1 threads");
}

TPT_TEST(runtime, only_the_reference_blas_draws_the_slow_blas_warning) {
  tpt::runtime::RuntimeInfo info;
  info.blas.kind = tpt::runtime::BlasKind::Reference;
  info.blas.library_path = "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0";
  auto warning = tpt::runtime::blas_warning(info);
  VERIFY(warning.has_value());
  VERIFY_CONTAINS(*warning, "slow reference BLAS");
  VERIFY_CONTAINS(*warning, "libopenblas0-pthread");
  info.blas.kind = tpt::runtime::BlasKind::OpenBlas;
  VERIFY(!tpt::runtime::blas_warning(info).has_value());
}

TPT_TEST(runtime, a_gemm_rate_is_measured) {
  const double gflops = tpt::runtime::measure_gemm_gflops(128, 0.05);
  VERIFY(gflops > 0.0);
}

TPT_TEST(runtime, a_thread_count_beyond_the_cores_is_capped_unless_forced) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  tpt::runtime::RuntimeInfo capped = tpt::runtime::init_runtime(cores + 7);
  COMPARE(capped.intra_op_threads, cores);
  COMPARE(capped.threads_asked, cores + 7);
  COMPARE(capped.cores, cores);
  VERIFY_CONTAINS(tpt::runtime::runtime_summary(capped), std::to_string(cores) + " threads (" + std::to_string(cores + 7) +
                                                             " asked for, capped at the " + std::to_string(cores) + " cores)");
  VERIFY_CONTAINS(tpt::runtime::runtime_summary(tpt::runtime::runtime_info()), "capped at the");
  tpt::runtime::RuntimeInfo forced = tpt::runtime::init_runtime(cores + 1, /*force=*/true);
  COMPARE(forced.intra_op_threads, cores + 1);
  COMPARE(forced.threads_asked, 0);
  tpt::runtime::RuntimeInfo one = tpt::runtime::init_runtime(1);
  COMPARE(one.intra_op_threads, 1);
  VERIFY(tpt::runtime::runtime_summary(one).find("capped") == std::string::npos);
}

TPT_TEST(runtime, a_cuda_device_setting_without_cuda_is_named) {
  tpt::runtime::require_device("cpu", "--device");
  tpt::runtime::require_device("auto", "model.device");
  if (tpt::runtime::runtime_info().cuda_available) {
    tpt::runtime::require_device("cuda", "--device");
    SKIP("this machine has a CUDA device");
  }
  VERIFY_THROWS_WITH(tpt::runtime::require_device("cuda", "--device"),
                     "--device cuda: this build/machine has no CUDA device");
  VERIFY_THROWS_WITH(tpt::runtime::require_device("cuda", "model.device"),
                     "model.device: \"cuda\", but this build/machine has no CUDA device");
  VERIFY_THROWS_WITH(tpt::runtime::require_device("cuda", "model.device"), "use \"cpu\" or \"auto\"");
}
