// `tpt sft`: the engine's trainer behind TRL's file interface. It reads what `trl sft --config`
// reads (the SFT YAML and prompt-completion JSONL of sft_recipe.h), trains as the in-process
// trainer does (sft_loop.h: the same examples and settings give bitwise the same weights), and
// writes what TRL writes into output_dir:
//
//   checkpoint-N/trainer_state.json    HF's (global_step, max_steps, log_history of every step)
//   checkpoint-N/engine/               SftTrainer's resumable checkpoint (its own trainer_state.json)
//   config.json, model.safetensors, tokenizer files   a full fine-tune, config.json moved in last
//   adapter_config.json, adapter_model.safetensors    LoRA: the PEFT adapter only, its config last
//
// Every checkpoint-N is written beside and renamed into place, the final files are moved in
// from a staging folder: a kill at any instant leaves nothing that looks complete but is not.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/work_control.h"
#include "model/checkpoint.h"
#include "train/hf_trainer_log.h"
#include "train/sft_recipe.h"
#include "train/trainer.h"

namespace tpt::train {

struct SftRunStart {
  int64_t examples = 0;
  int64_t truncated = 0;       // examples cut to max_length
  int64_t epochs = 0;          // as HF counts them: a partial last epoch counts
  int64_t total_steps = 0;
  int64_t start_step = 0;      // the step a resumed run continues after; 0 for a fresh start
  std::string resumed_from;    // the checkpoint folder; "" for a fresh start
  int64_t trainable_parameters = 0;
  int64_t num_tokens = 0;      // tokens trained on before this run (TRL's num_tokens at the checkpoint)
};

struct SftRunCallbacks {
  std::function<void(const SftRunStart&)> on_start;
  // Each optimizer step, with HF's fractional epoch.
  std::function<void(const StepReport& report, double epoch)> on_step;
  // Before a checkpoint-N or the final model is written into `folder`.
  std::function<void(const std::string& folder)> on_save;
  // Points a crash test may stop at: "checkpoint_written" (checkpoint-N.tmp complete, not yet
  // renamed), "saved" (the final files staged, not yet moved into output_dir).
  std::function<void(const char* milestone)> on_milestone;
};

struct SftRunResult {
  bool cancelled = false;    // stopped by the control; resumable from `checkpoint`
  int64_t steps = 0;         // completed, resumed ones included
  int64_t steps_run = 0;     // completed by this call
  std::string checkpoint;    // the last checkpoint-N written by this call; "" for none
  double epoch = 0.0;        // HF's fractional epoch reached
  double train_loss = 0.0;   // mean loss over every step since the start, resumed ones included
  double seconds = 0.0;      // this call's training time (steps and checkpoints, not loading or the final save)
};

// Trains as `recipe` says, loading the model with `load` (the runner's load_options: fp32 on the
// CPU). Throws FileError for bad inputs (naming file, line, field), Error when the checkpoint to
// resume from is of other data or settings, TrainingError when a loss or gradient is not finite.
SftRunResult run_sft(const SftRecipe& recipe, const model::LoadOptions& load, const SftRunCallbacks& callbacks = {},
                     const WorkControl& control = {});

// output_dir's checkpoint-N folder of the highest N that `tpt sft` wrote completely (HF's
// get_last_checkpoint for our checkpoints); nullopt when there is none.
std::optional<std::string> last_sft_checkpoint(const std::string& output_dir);

}  // namespace tpt::train
