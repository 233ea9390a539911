// experiment.json's settings turned into what each phase's backend takes: small pure functions,
// one per phase, so that a phase reads as its steps and a setting is translated in one place.
#pragma once

#include "config/experiment_config.h"
#include "model/checkpoint.h"
#include "text/prompt_format.h"
#include "think/sampler.h"
#include "train/trainer.h"

namespace tpt::run {

// model.device and model.dtype ("auto": CUDA when present; bf16 on CUDA, fp32 on the CPU).
model::LoadOptions load_options(const config::ModelSource& model);

// Think's sampling: think.* plus the prompt format's stop strings.
think::SamplingSettings think_sampling(const config::ExperimentConfig& config, const text::PromptFormat& format);
// Improve's sampling: eval.* (no top-k cut), the same stop strings as Think.
think::SamplingSettings eval_sampling(const config::ExperimentConfig& config, const text::PromptFormat& format);

// Round `round`'s training settings: train.*, with the round's seed.
train::TrainSettings train_settings(const config::ExperimentConfig& config, int round);

}  // namespace tpt::run
