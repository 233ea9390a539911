#include "runtime/torch_runtime.h"

#include <dlfcn.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <thread>
#include <vector>

#include <torch/version.h>

#include "core/error.h"

namespace tpt::runtime {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string basename_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string resolve(const char* path) {
  char buffer[PATH_MAX];
  if (path && ::realpath(path, buffer)) return buffer;
  return path ? path : "";
}

}  // namespace

BlasKind classify_blas_library(const std::string& resolved_path) {
  const std::string path = lower(resolved_path);
  const std::string name = basename_of(path);
  if (path.find("openblas") != std::string::npos) return BlasKind::OpenBlas;
  if (name.find("mkl") != std::string::npos) return BlasKind::Mkl;
  if (path.find("blis") != std::string::npos) return BlasKind::Blis;
  // Debian installs netlib's reference implementation as .../blas/libblas.so.3.
  if (path.find("/blas/libblas.so") != std::string::npos) return BlasKind::Reference;
  if (name.find("blas") != std::string::npos) return BlasKind::Other;
  return BlasKind::Unknown;
}

std::string blas_kind_name(BlasKind kind) {
  switch (kind) {
    case BlasKind::Reference: return "reference BLAS (netlib)";
    case BlasKind::OpenBlas: return "OpenBLAS";
    case BlasKind::Mkl: return "Intel MKL";
    case BlasKind::Blis: return "BLIS";
    case BlasKind::Other: return "BLAS";
    case BlasKind::Unknown: break;
  }
  return "unknown";
}

BlasInfo detect_blas() {
  BlasInfo info;
  // Ask the dynamic linker which library serves the GEMM symbol libtorch calls. Several BLAS
  // libraries can be loaded at once (Debian's libtorch links libblas.so.3 and libopenblas.so.0);
  // the one that wins symbol lookup is the one that does the work.
  if (void* gemm = dlsym(RTLD_DEFAULT, "sgemm_")) {
    Dl_info where{};
    if (dladdr(gemm, &where) && where.dli_fname) {
      info.library_path = resolve(where.dli_fname);
      info.kind = classify_blas_library(info.library_path);
    }
  }
  if (info.library_path.empty() || info.library_path.find("libtorch") != std::string::npos) {
    // Official libtorch builds link their BLAS (MKL, or OpenBLAS on some platforms) into
    // libtorch itself; its build configuration names it.
    const std::string config = at::show_config();
    const auto pos = config.find("BLAS_INFO=");
    const std::string blas = pos == std::string::npos ? "" : config.substr(pos + 10, config.find_first_of(", \n", pos + 10) - pos - 10);
    info.kind = blas == "mkl" ? BlasKind::Mkl : blas == "open" ? BlasKind::OpenBlas : BlasKind::Other;
    info.detail = "linked into libtorch (BLAS_INFO=" + blas + ")";
  }
  if (info.kind == BlasKind::OpenBlas && info.detail.empty()) {
    using ConfigFn = char* (*)();
    using ParallelFn = int (*)();
    if (auto config = reinterpret_cast<ConfigFn>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) info.detail = config();
    if (auto parallel = reinterpret_cast<ParallelFn>(dlsym(RTLD_DEFAULT, "openblas_get_parallel"))) {
      const int mode = parallel();
      info.detail += mode == 0 ? ", sequential" : mode == 1 ? ", pthreads" : ", OpenMP";
    }
  }
  info.name = blas_kind_name(info.kind);
  return info;
}

namespace {

// The last cap init_runtime applied (0: none), for runtime_info().
std::atomic<int> capped_from{0};

int machine_cores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

}  // namespace

RuntimeInfo runtime_info() {
  RuntimeInfo info;
#ifdef TPT_VERSION
  info.engine_version = TPT_VERSION;
#endif
  info.torch_version = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                       std::to_string(TORCH_VERSION_PATCH);
  info.blas = detect_blas();
  info.intra_op_threads = at::get_num_threads();
  info.threads_asked = capped_from.load();
  info.cores = machine_cores();
  info.cuda_available = torch::cuda::is_available();
  info.cuda_devices = info.cuda_available ? static_cast<int>(torch::cuda::device_count()) : 0;
  return info;
}

RuntimeInfo init_runtime(int threads, bool force) {
  capped_from = 0;
  if (threads > machine_cores() && !force) {
    capped_from = threads;
    threads = machine_cores();
  }
  if (threads <= 0) {
    // A threaded OpenBLAS already spreads each GEMM over every core. Torch's own intra-op pool
    // on top of it fights OpenBLAS's threads for the same cores: on 2 cores, generation with a
    // 4M model ran 3-8x slower at 2 torch threads than at 1 (tpt bench). So torch gets one
    // thread there, and one per core otherwise.
    const BlasInfo blas = detect_blas();
    const bool threaded_openblas = blas.kind == BlasKind::OpenBlas && blas.detail.find("sequential") == std::string::npos &&
                                   blas.detail.find("linked into libtorch") == std::string::npos;
    threads = threaded_openblas ? 1 : machine_cores();
  }
  at::set_num_threads(threads);
  return runtime_info();
}

void require_device(const std::string& device, const std::string& setting) {
  if (device != "cuda" || torch::cuda::is_available()) return;
  const std::string why = "this build/machine has no CUDA device (libtorch built without CUDA, or no GPU found)";
  if (setting.rfind("--", 0) == 0) throw Error(setting + " cuda: " + why + "; use " + setting + " cpu");
  throw Error(setting + ": \"cuda\", but " + why + "; use \"cpu\" or \"auto\"");
}

std::string threads_note(const RuntimeInfo& info) {
  if (info.threads_asked <= 0) return "";
  return " (" + std::to_string(info.threads_asked) + " asked for, capped at the " + std::to_string(info.cores) +
         " cores)";
}

std::string runtime_summary(const RuntimeInfo& info) {
  std::string blas = info.blas.name;
  if (!info.blas.detail.empty()) blas += " (" + info.blas.detail + ")";
  std::string text = "TPT engine " + info.engine_version + " | libtorch " + info.torch_version + " | BLAS: " + blas +
                     " | " + std::to_string(info.intra_op_threads) + " threads" + threads_note(info) + " | ";
  text += info.cuda_available ? "CUDA (" + std::to_string(info.cuda_devices) + " device" +
                                    (info.cuda_devices == 1 ? "" : "s") + ")"
                              : std::string("CPU only");
  return text;
}

std::optional<std::string> blas_warning(const RuntimeInfo& info) {
  if (info.blas.kind == BlasKind::Reference) {
    return "libtorch is using the slow reference BLAS (" + info.blas.library_path +
           "): matrix products run ~40x slower than with OpenBLAS. Install libopenblas0-pthread "
           "(packaging/setup-debian.sh does) or select it with update-alternatives --config "
           "libblas.so.3-x86_64-linux-gnu.";
  }
  if (info.blas.kind == BlasKind::Unknown && !info.cuda_available && info.blas.library_path.empty() &&
      info.blas.detail.empty()) {
    return "could not identify the BLAS library libtorch uses; CPU speed may be poor.";
  }
  return std::nullopt;
}

double measure_gemm_gflops(int n, double seconds, bool cuda) {
  torch::NoGradGuard no_grad;
  const auto options = torch::TensorOptions().device(cuda ? torch::kCUDA : torch::kCPU);
  auto a = torch::randn({n, n}, options);
  auto b = torch::randn({n, n}, options);
  auto c = torch::mm(a, b);  // warm-up: thread pools, page faults, kernel selection
  if (cuda) torch::cuda::synchronize();
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  long reps = 0;
  double elapsed = 0.0;
  do {
    c = torch::mm(a, b);
    ++reps;
    if (cuda) torch::cuda::synchronize();  // kernels run asynchronously: time their completion
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < seconds);
  return 2.0 * n * static_cast<double>(n) * n * static_cast<double>(reps) / elapsed / 1e9;
}

GemmPeak measure_gemm_peak(bool cuda, const std::function<void(const std::string&)>& log) {
  GemmPeak peak;
  const std::vector<int> sizes = cuda ? std::vector<int>{2048, 4096, 8192} : std::vector<int>{256, 512, 1024};
  for (int n : sizes) {
    const double rate = measure_gemm_gflops(n, 0.4, cuda);
    if (log) log("fp32 GEMM " + std::to_string(n) + "x" + std::to_string(n) + ": " + std::to_string(rate) + " GFLOP/s");
    if (rate > peak.gflops) peak = {rate, n};
  }
  return peak;
}

}  // namespace tpt::runtime
