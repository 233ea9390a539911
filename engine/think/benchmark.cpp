#include "think/benchmark.h"

#include <chrono>
#include <cstdio>

#include "core/error.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "runtime/torch_runtime.h"
#include "text/byte_tokenizer.h"
#include "think/generator.h"

namespace tpt::think {

nlohmann::json bench_model_config(const std::string& size) {
  // Shapes of a small Llama: 4 layers x 256 wide (3.9M parameters) and 8 x 512 (27M).
  int64_t hidden = 0, layers = 0, heads = 0, kv_heads = 0, intermediate = 0, vocab = 0;
  if (size == "4M") {
    hidden = 256, layers = 4, heads = 4, kv_heads = 2, intermediate = 688, vocab = 4096;
  } else if (size == "30M") {
    hidden = 512, layers = 8, heads = 8, kv_heads = 4, intermediate = 1376, vocab = 8192;
  } else {
    throw Error("unknown benchmark model size \"" + size + "\" (expected \"4M\" or \"30M\")");
  }
  return {{"architectures", {"LlamaForCausalLM"}},
          {"model_type", "llama"},
          {"vocab_size", vocab},
          {"hidden_size", hidden},
          {"intermediate_size", intermediate},
          {"num_hidden_layers", layers},
          {"num_attention_heads", heads},
          {"num_key_value_heads", kv_heads},
          {"max_position_embeddings", 2048},
          {"rms_norm_eps", 1e-5},
          {"rope_theta", 10000.0},
          {"hidden_act", "silu"},
          {"tie_word_embeddings", true},
          {"torch_dtype", "float32"}};
}

namespace {

// FLOPs to generate one token: 2 per matmul weight (model/config.h), plus QK^T and AV over
// `context` keys.
double flops_per_token(const model::ModelConfig& c, double context) {
  const double q_out = static_cast<double>(c.num_heads * c.head_dim);
  const double attention = 4.0 * static_cast<double>(c.num_layers) * context * q_out;
  return 2.0 * matmul_weights(c) + attention;
}

}  // namespace

GenerationBenchReport run_generation_bench(const GenerationBenchOptions& options,
                                           const std::function<void(const std::string&)>& log) {
  GenerationBenchReport report;
  const runtime::RuntimeInfo runtime = runtime::runtime_info();
  report.threads = runtime.intra_op_threads;
  report.device = options.device;
  torch::Device device(options.device == "cuda" ? torch::kCUDA : torch::kCPU);
  if (device.is_cuda() && !runtime.cuda_available) throw Error("--device cuda: this libtorch has no CUDA device");
  const runtime::GemmPeak peak = runtime::measure_gemm_peak(device.is_cuda(), log);
  report.gemm_gflops = peak.gflops;
  report.gemm_size = peak.size;

  const text::Tokenizer tokenizer = text::byte_tokenizer();
  for (const std::string& size : options.models) {
    const model::ModelConfig config = model::parse_model_config(bench_model_config(size), "benchmark model " + size);
    model::CausalLm model(config, torch::TensorOptions().dtype(torch::kFloat32).device(device));
    model::randomize_weights(*model, 1234);
    const int64_t parameters = model::summarize(*model).parameters;
    Generator generator(model, tokenizer);
    GenerationOptions gen;
    gen.sampling.temperature = 1.0;
    gen.max_new_tokens = options.new_tokens;
    for (int batch : options.batch_sizes) {
      gen.batch_size = batch;
      std::vector<GenerationRequest> requests(static_cast<size_t>(batch));
      for (int i = 0; i < batch; ++i) {
        for (int t = 0; t < options.prompt_tokens; ++t) requests[static_cast<size_t>(i)].prompt_ids.push_back((i * 31 + t * 7) % 256);
        requests[static_cast<size_t>(i)].seed = static_cast<uint64_t>(i);
      }
      // Warm-up (allocator, thread pools), then the timed run.
      gen.max_new_tokens = 4;
      generator.generate(requests, gen);
      gen.max_new_tokens = options.new_tokens;
      const auto start = std::chrono::steady_clock::now();
      auto out = generator.generate(requests, gen);
      if (device.is_cuda()) torch::cuda::synchronize();
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      int64_t tokens = 0;
      for (const auto& g : out) tokens += static_cast<int64_t>(g.token_ids.size());
      GenerationBenchCase c;
      c.model = size;
      c.parameters = parameters;
      c.batch = batch;
      c.seconds = seconds;
      c.tokens_per_second = static_cast<double>(tokens) / seconds;
      c.flops_per_token = flops_per_token(config, options.prompt_tokens + options.new_tokens / 2.0);
      c.fraction_of_gemm = c.tokens_per_second * c.flops_per_token / (report.gemm_gflops * 1e9);
      report.cases.push_back(c);
      if (log) {
        char line[160];
        std::snprintf(line, sizeof line, "generate %-4s batch %3d: %9.1f tokens/s (%.1f%% of GEMM)", size.c_str(), batch,
                      c.tokens_per_second, 100.0 * c.fraction_of_gemm);
        log(line);
      }
    }
  }
  return report;
}

nlohmann::json GenerationBenchReport::to_json() const {
  nlohmann::json cases_json = nlohmann::json::array();
  for (const auto& c : cases) {
    cases_json.push_back({{"model", c.model},
                          {"parameters", c.parameters},
                          {"batch", c.batch},
                          {"seconds", c.seconds},
                          {"tokens_per_second", c.tokens_per_second},
                          {"flops_per_token", c.flops_per_token},
                          {"fraction_of_gemm", c.fraction_of_gemm}});
  }
  return {{"gemm_gflops", gemm_gflops}, {"gemm_size", gemm_size}, {"threads", threads}, {"device", device}, {"generation", cases_json}};
}

std::string GenerationBenchReport::to_table() const {
  std::string out;
  char line[200];
  std::snprintf(line, sizeof line, "fp32 GEMM rate (best, at %dx%d): %.1f GFLOP/s, %d threads, %s\n\n", gemm_size,
                gemm_size, gemm_gflops, threads, device.c_str());
  out += line;
  out += "generation   params  batch   tokens/s  GFLOP/s  of GEMM\n";
  for (const auto& c : cases) {
    std::snprintf(line, sizeof line, "%-10s %8.1fM %6d %10.1f %8.2f %7.1f%%\n", c.model.c_str(), c.parameters / 1e6,
                  c.batch, c.tokens_per_second, c.tokens_per_second * c.flops_per_token / 1e9, 100.0 * c.fraction_of_gemm);
    out += line;
  }
  return out;
}

}  // namespace tpt::think
