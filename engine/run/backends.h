// Which sampler and trainer an experiment's phases use. The loop asks here and nowhere else,
// so a new backend is one more case in this file, not a branch in every phase.
#pragma once

#include <memory>
#include <string>

#include "config/experiment_config.h"
#include "text/model_tokenizer.h"
#include "think/sampler.h"
#include "train/trainer.h"

namespace tpt::run {

// A sampler drawing from the model in `model_dir` (Think and Improve). `tokenizer` is that
// folder's and must outlive the sampler.
std::unique_ptr<think::Sampler> open_sampler(const config::ExperimentConfig& config, const std::string& model_dir,
                                             const text::ModelTokenizer& tokenizer);

// The trainer for Train.
std::unique_ptr<train::Trainer> open_trainer(const config::ExperimentConfig& config);

}  // namespace tpt::run
