// What every engine-side trainer does the same way, so that the in-process trainer
// (engine_trainer.h) and `tpt sft` (sft_run.h) train bitwise alike: the SftTrainer built from a
// job's examples and settings, and the loop of steps with a checkpoint every N steps.
//
//   SftTrainer trainer = make_sft_trainer(init_dir, examples, settings, load);
//   ... trainer.load_checkpoint(folder) to resume ...
//   TrainSummary s = train_with_checkpoints(trainer, settings.checkpoint_steps, on_step, save, control);
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/work_control.h"
#include "model/checkpoint.h"
#include "train/sft_trainer.h"
#include "train/trainer.h"

namespace tpt::train {

// The trainer for `examples` (their token ids, in order) on the model in `init_dir` loaded with
// `load`: sft_options(settings, examples), LoRA adapters naming `init_dir` as their base.
SftTrainer make_sft_trainer(const std::string& init_dir, const std::vector<TrainingExample>& examples,
                            const TrainSettings& settings, const model::LoadOptions& load);

// Runs the trainer's remaining steps. After each: on_step, then save_checkpoint() when the step
// is a multiple of `checkpoint_every` (> 0) and not the last one, then control.go_on() (a pause
// holds the run between two steps; cancel is seen by the trainer itself). A cancelled run calls
// save_checkpoint() once more, so that it resumes from where it stopped.
TrainSummary train_with_checkpoints(SftTrainer& trainer, int64_t checkpoint_every, const StepCallback& on_step,
                                    const std::function<void()>& save_checkpoint, const WorkControl& control);

}  // namespace tpt::train
