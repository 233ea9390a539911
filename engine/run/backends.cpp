#include "run/backends.h"

#include "run/options.h"
#include "think/engine_sampler.h"
#include "think/openai_sampler.h"
#include "train/command_trainer.h"
#include "train/engine_trainer.h"

namespace tpt::run {

OpenedSampler open_sampler(const config::ExperimentConfig& config, const ServerJob& job,
                           const text::ModelTokenizer& tokenizer, const ModelServer::StatusFn& on_status,
                           const ModelServer::LogFn& log, const std::atomic<bool>* cancel) {
  OpenedSampler opened;
  if (config.sampler.backend == config::SamplerBackend::Engine) {
    model::CausalLm model = model::load_model(job.model_dir, load_options(config.model));
    model->eval();
    opened.sampler = std::make_unique<think::EngineSampler>(std::move(model), tokenizer);
    opened.origin.backend = "engine";
    return opened;
  }
  think::OpenAiSettings settings;
  settings.chat = config.sampler.api == config::SamplerApi::Chat;
  settings.concurrency = config.sampler.concurrency;
  settings.request_timeout_s = config.sampler.request_timeout_s;
  settings.retries = config.sampler.retries;
  settings.api_key = ModelServer::api_key(config.sampler);
  settings.stop_token_ids = tokenizer.stop_ids;
  std::shared_ptr<const text::Tokenizer> counter = tokenizer.tokenizer;
  settings.count_tokens = [counter](const std::string& text) {
    return static_cast<int64_t>(counter->encode(text, /*add_special_tokens=*/false).size());
  };
  opened.server = ModelServer::open(config.sampler, job, on_status, log, cancel);
  if (!opened.server) return opened;
  opened.origin = opened.server->origin();
  settings.model_name = opened.origin.model_name;
  opened.sampler = std::make_unique<think::OpenAiSampler>(*opened.server, std::move(settings));
  return opened;
}

std::unique_ptr<train::Trainer> open_trainer(const config::ExperimentConfig& config, const TrainerHooks& hooks) {
  if (config.trainer.backend == config::TrainerBackend::Engine)
    return std::make_unique<train::EngineTrainer>(load_options(config.model));
  train::CommandTrainerOptions options;
  options.command_template = config::trainer_command_template(config.trainer.command);
  options.llama_factory = config::runs_llama_factory(config.trainer.command);
  options.gpus = config.trainer.gpus;
  options.stall_timeout_s = config.trainer.stall_timeout_s;
  options.log_file = hooks.log_file;
  options.load = load_options(config.model);
  const int round = hooks.round;
  const std::string log_file = hooks.log_file;
  auto on_status = hooks.on_status;
  auto on_event = [round, log_file, on_status](const train::CommandTrainerEvent& e) {
    if (on_status) on_status({round, e.state, e.command, log_file, e.pid, e.log_lines, e.state_changed});
  };
  return std::make_unique<train::CommandTrainer>(std::move(options), std::move(on_event), hooks.log);
}

}  // namespace tpt::run
