#include "run/options.h"

#include "run/plan.h"
#include "runtime/torch_runtime.h"

namespace tpt::run {

model::LoadOptions load_options(const config::ModelSource& model) {
  model::LoadOptions options;
  runtime::require_device(model.device, "model.device");
  if (model.device == "cuda") options.device = torch::Device(torch::kCUDA);
  else if (model.device == "cpu") options.device = torch::Device(torch::kCPU);
  else options.device = model::best_device();
  if (model.dtype == "float32") options.dtype = torch::kFloat32;
  if (model.dtype == "bfloat16") options.dtype = torch::kBFloat16;
  if (model.dtype == "float16") options.dtype = torch::kFloat16;
  return options;
}

namespace {

std::vector<std::string> stop_strings(const config::ExperimentConfig& config, const text::PromptFormat& format) {
  std::vector<std::string> stops = format.stop_strings();
  stops.insert(stops.end(), config.think.stop.begin(), config.think.stop.end());
  return stops;
}

}  // namespace

think::SamplingSettings think_sampling(const config::ExperimentConfig& config, const text::PromptFormat& format) {
  think::SamplingSettings s;
  s.temperature = config.think.temperature;
  s.top_p = config.think.top_p;
  s.top_k = config.think.top_k;
  s.max_new_tokens = config.think.max_new_tokens;
  s.batch_size = config.think.batch_size;
  s.stop_strings = stop_strings(config, format);
  return s;
}

think::SamplingSettings eval_sampling(const config::ExperimentConfig& config, const text::PromptFormat& format) {
  think::SamplingSettings s;
  s.temperature = config.eval.temperature;
  s.top_p = config.eval.top_p;
  s.max_new_tokens = config.eval.max_new_tokens;
  s.batch_size = config.eval.batch_size;
  s.stop_strings = stop_strings(config, format);
  return s;
}

train::TrainSettings train_settings(const config::ExperimentConfig& experiment, int round) {
  const config::TrainConfig& t = experiment.train;
  train::TrainSettings s;
  s.epochs = t.epochs;
  s.micro_batch_size = t.micro_batch_size;
  s.grad_accum_steps = t.gradient_accumulation;
  s.learning_rate = t.learning_rate;
  s.warmup_ratio = t.warmup_ratio;
  // experiment.json and the trainer name the schedules alike.
  s.decay = train::parse_lr_decay(config::to_string(t.schedule));
  s.max_grad_norm = t.max_grad_norm;
  s.weight_decay = t.weight_decay;
  s.seed = train_seed(experiment.seed, round);
  s.checkpoint_steps = t.checkpoint_steps;
  if (t.method == config::TrainMethod::Lora) {
    train::LoraConfig lora;
    lora.rank = t.lora.rank;
    lora.alpha = t.lora.alpha;
    lora.dropout = t.lora.dropout;
    lora.target_modules = t.lora.targets;
    s.lora = lora;
  }
  return s;
}

}  // namespace tpt::run
