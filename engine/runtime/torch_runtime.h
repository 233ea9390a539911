// What libtorch runs on: its version, the BLAS library that does its matrix products, its
// thread settings and devices. Reported at start-up, because a wrong BLAS (netlib's reference
// implementation instead of OpenBLAS) makes everything ~40x slower without any error.
//
// This header is torch-free so that the CLI and the GUI can include it cheaply.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace tpt::runtime {

enum class BlasKind { Unknown, Reference, OpenBlas, Mkl, Blis, Other };

struct BlasInfo {
  BlasKind kind = BlasKind::Unknown;
  std::string name;          // "OpenBLAS", "reference BLAS (netlib)", ...
  std::string library_path;  // the resolved file the process loaded
  std::string detail;        // e.g. OpenBLAS's own build string, threading model
};

// Classifies a resolved library path (used by detect_blas; exposed for testing).
BlasKind classify_blas_library(const std::string& resolved_path);
std::string blas_kind_name(BlasKind kind);

// Inspects the libraries loaded into this process.
BlasInfo detect_blas();

struct RuntimeInfo {
  std::string engine_version;
  std::string torch_version;
  BlasInfo blas;
  int intra_op_threads = 0;
  // When init_runtime capped a thread count above the machine's cores: the count asked for
  // (0: nothing was capped), and the cores it was capped at.
  int threads_asked = 0;
  int cores = 0;
  bool cuda_available = false;
  int cuda_devices = 0;
};

// Sets libtorch's intra-op thread count and returns the resulting info. 0 chooses: 1 with a
// threaded OpenBLAS (it parallelises GEMMs itself), one per core otherwise. A count above the
// machine's cores (std::thread::hardware_concurrency) is capped at them unless `force`: more
// threads than cores only wait for each other, and a thousand of them took over a minute to
// start and stop on 2 cores (`tpt --threads 1024 info`). The cap shows in runtime_info() and
// runtime_summary().
RuntimeInfo init_runtime(int threads = 0, bool force = false);
RuntimeInfo runtime_info();

// Checks a device setting ("auto", "cpu", "cuda") against this build and machine before any
// tensor is placed: "cuda" where libtorch has no CUDA or finds no GPU throws tpt::Error naming
// the setting (`setting`: "--device" for a flag, "model.device" for a JSON field) and what to
// use instead, rather than libtorch's backtrace from deep inside the first tensor operation.
void require_device(const std::string& device, const std::string& setting);

// One line for logs: "TPT engine 0.1.0 | libtorch 1.13.0 | BLAS: OpenBLAS (pthread) ... | 2 threads | CPU";
// a capped count reads "2 threads (1024 asked for, capped at the 2 cores)".
std::string runtime_summary(const RuntimeInfo& info);
// " (1024 asked for, capped at the 2 cores)" when init_runtime capped the thread count, else "".
std::string threads_note(const RuntimeInfo& info);
// A warning for people when the BLAS is known to be slow, or cannot be identified.
std::optional<std::string> blas_warning(const RuntimeInfo& info);

// Measures the fp32 GEMM rate (GFLOP/s) with n x n matrices for about `seconds`, on the CPU
// or (cuda = true) the first GPU: the machine's own rate against which the engine's speed is
// reported.
double measure_gemm_gflops(int n = 512, double seconds = 0.5, bool cuda = false);

// The machine's fp32 GEMM rate as benchmarks quote it: the best of a few square sizes on the
// device (a GPU needs large matrices to reach its rate, a CPU's caches favour smaller ones).
struct GemmPeak {
  double gflops = 0.0;
  int size = 0;  // the n x n that reached it
};
GemmPeak measure_gemm_peak(bool cuda = false, const std::function<void(const std::string&)>& log = {});

}  // namespace tpt::runtime
