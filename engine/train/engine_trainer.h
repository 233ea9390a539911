// The in-process trainer: SftTrainer (full fine-tuning or LoRA) on the model folder the job
// starts from, with resumable checkpoints in the job's work folder:
//
//   work_dir/checkpoint/   trainer_state.json + optimizer.safetensors, replaced atomically
//   work_dir/model/        the trained model being written, renamed to output_dir when complete
#pragma once

#include "model/checkpoint.h"
#include "train/trainer.h"

namespace tpt::train {

class EngineTrainer final : public Trainer {
 public:
  explicit EngineTrainer(model::LoadOptions load = {});

  TrainOutcome train(const TrainJob& job, const TrainCallbacks& callbacks, const WorkControl& control) override;

 private:
  model::LoadOptions load_;
};

}  // namespace tpt::train
