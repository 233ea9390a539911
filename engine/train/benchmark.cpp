#include "train/benchmark.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "think/benchmark.h"
#include "train/sft_trainer.h"

namespace tpt::train {

namespace {

double attention_flops(const model::ModelConfig& c, double seq_len) {
  return 12.0 * static_cast<double>(c.num_layers) * seq_len * static_cast<double>(c.num_heads * c.head_dim);
}

}  // namespace

TrainingBenchReport run_training_bench(const TrainingBenchOptions& options, double gemm_gflops,
                                       const std::function<void(const std::string&)>& log) {
  TrainingBenchReport report;
  const torch::Device device(options.device == "cuda" ? torch::kCUDA : torch::kCPU);
  const int prompt = std::min(32, options.seq_len / 2);
  for (const std::string& size : options.models) {
    const model::ModelConfig config = model::parse_model_config(think::bench_model_config(size), "benchmark model " + size);
    // Random token rows, every one seq_len long (no padding: the rate is of real tokens).
    std::vector<SftExample> data;
    for (int i = 0; i < options.batch * (options.steps + 1); ++i) {
      SftExample ex;
      for (int t = 0; t < options.seq_len; ++t) {
        const int32_t id = static_cast<int32_t>((i * 131 + t * 17 + t * t) % config.vocab_size);
        (t < prompt ? ex.prompt_ids : ex.completion_ids).push_back(id);
      }
      data.push_back(std::move(ex));
    }
    for (const std::string& mode : options.modes) {
      if (mode != "full" && mode != "lora") throw Error("training benchmark mode \"" + mode + "\": expected full or lora");
      model::CausalLm model(config, torch::TensorOptions().dtype(torch::kFloat32).device(device));
      model::randomize_weights(*model, 1234);
      TrainOptions o;
      o.micro_batch_size = options.batch;
      o.max_steps = options.steps + 1;
      o.bucket_window = 1;
      o.schedule = {1e-4, 0, 0, LrDecay::Constant, 0.0};
      if (mode == "lora")
        o.lora = LoraConfig{options.lora_rank, 2.0 * options.lora_rank, 0.0,
                            {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}, ""};
      SftTrainer trainer(model, data, o);
      TrainingBenchCase c;
      c.model = size;
      c.mode = mode;
      c.parameters = model::summarize(*model).parameters;
      for (const auto& [name, p] : trainer.trainable()) c.trainable_parameters += p.numel();
      c.batch = options.batch;
      c.seq_len = options.seq_len;
      c.steps = options.steps;
      int64_t tokens = 0;
      trainer.train([&](const StepReport& r) {
        if (device.is_cuda()) torch::cuda::synchronize();
        if (r.step == 1) return;  // warm-up: allocator, thread pools
        c.seconds += r.seconds;
        tokens += r.tokens;
      });
      c.tokens_per_second = static_cast<double>(tokens) / c.seconds;
      const double n = model::matmul_weights(config);
      c.flops_per_token = (mode == "full" ? 6.0 * n : 4.0 * n + 6.0 * static_cast<double>(c.trainable_parameters)) +
                          attention_flops(config, options.seq_len);
      c.fraction_of_gemm = gemm_gflops > 0 ? c.tokens_per_second * c.flops_per_token / (gemm_gflops * 1e9) : 0.0;
      report.cases.push_back(c);
      if (log) {
        char line[160];
        std::snprintf(line, sizeof line, "train %-4s %-4s batch %d x %d: %9.1f tokens/s (%.1f%% of GEMM)", size.c_str(),
                      mode.c_str(), c.batch, c.seq_len, c.tokens_per_second, 100.0 * c.fraction_of_gemm);
        log(line);
      }
    }
  }
  return report;
}

nlohmann::json TrainingBenchReport::to_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : cases) {
    out.push_back({{"model", c.model},
                   {"mode", c.mode},
                   {"parameters", c.parameters},
                   {"trainable_parameters", c.trainable_parameters},
                   {"batch", c.batch},
                   {"seq_len", c.seq_len},
                   {"steps", c.steps},
                   {"seconds", c.seconds},
                   {"tokens_per_second", c.tokens_per_second},
                   {"flops_per_token", c.flops_per_token},
                   {"fraction_of_gemm", c.fraction_of_gemm}});
  }
  return out;
}

std::string TrainingBenchReport::to_table() const {
  std::string out = "training     mode    params  trainable  batch x len   tokens/s  GFLOP/s  of GEMM\n";
  char line[200];
  for (const auto& c : cases) {
    std::snprintf(line, sizeof line, "%-10s %6s %8.1fM %9.2fM %6d x %-4d %10.1f %8.2f %7.1f%%\n", c.model.c_str(),
                  c.mode.c_str(), c.parameters / 1e6, c.trainable_parameters / 1e6, c.batch, c.seq_len,
                  c.tokens_per_second, c.tokens_per_second * c.flops_per_token / 1e9, 100.0 * c.fraction_of_gemm);
    out += line;
  }
  out += "(FLOPs/token: full 6N + attention; LoRA 4N + 6·N_lora + attention, N = matmul weights)\n";
  return out;
}

}  // namespace tpt::train
