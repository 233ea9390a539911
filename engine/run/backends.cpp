#include "run/backends.h"

#include "run/options.h"
#include "think/engine_sampler.h"
#include "train/engine_trainer.h"

namespace tpt::run {

std::unique_ptr<think::Sampler> open_sampler(const config::ExperimentConfig& config, const std::string& model_dir,
                                             const text::ModelTokenizer& tokenizer) {
  model::CausalLm model = model::load_model(model_dir, load_options(config.model));
  model->eval();
  return std::make_unique<think::EngineSampler>(std::move(model), tokenizer);
}

std::unique_ptr<train::Trainer> open_trainer(const config::ExperimentConfig& config) {
  return std::make_unique<train::EngineTrainer>(load_options(config.model));
}

}  // namespace tpt::run
