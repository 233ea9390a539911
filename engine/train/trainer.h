// What Train asks of whatever fine-tunes the model: given the round's examples, the settings and
// the folder to start from, produce an HF-format model folder (a PEFT adapter beside it for
// LoRA), reporting each optimizer step. The in-process SFT trainer (engine_trainer.h) is the
// first implementation; CommandTrainer (command_trainer.h) runs an external one (TRL, `tpt sft`).
//
// A trainer owns the round's work folder: it may leave checkpoints there and must resume from
// them, so that Train survives a kill; the output folder appears (by rename) only once complete.
// Torch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/work_control.h"
#include "train/lora_config.h"
#include "train/schedule.h"

namespace tpt::train {

// One (prompt, completion) pair, as text for trainers that tokenize themselves and as the
// engine's token ids (the completion ends with the token that ends a turn).
struct TrainingExample {
  std::string prompt;      // as the model reads it (chat template applied when there is one)
  std::string completion;
  // The user turn's content when `prompt` went through a chat template (an external trainer is
  // given the conversation and applies the template itself); empty for a raw prompt.
  std::string user_text;
  std::vector<int32_t> prompt_ids;
  std::vector<int32_t> completion_ids;
};

struct TrainSettings {
  int64_t epochs = 1;
  int64_t max_steps = 0;  // > 0: exactly this many steps (epochs repeat as needed); 0: `epochs` decide
  int micro_batch_size = 8;
  int grad_accum_steps = 1;
  double learning_rate = 1e-5;
  double min_learning_rate = 0.0;  // where the decay ends
  double warmup_ratio = 0.0;  // of the run's optimizer steps, rounded up (warmup_schedule)
  LrDecay decay = LrDecay::Cosine;
  double max_grad_norm = 1.0;  // 0: no clipping
  double weight_decay = 0.0;
  uint64_t seed = 0;           // batch order, LoRA initialisation and dropout
  int64_t checkpoint_steps = 0;  // a resumable checkpoint every this many steps; 0 = never
  std::optional<LoraConfig> lora;  // set: LoRA; unset: full fine-tune
};

struct TrainJob {
  std::string init_dir;    // the model folder training starts from
  std::string work_dir;    // checkpoints and work in progress; kept across a kill
  std::string output_dir;  // the trained model; must appear only once complete
  std::vector<TrainingExample> examples;
  TrainSettings settings;
};

struct StepReport {
  int64_t step = 0;         // 1-based: steps completed including this one
  int64_t total_steps = 0;
  int64_t epoch = 0;        // 0-based
  double loss = 0.0;        // mean CE per completion token over the step's micro-batches
  double lr = 0.0;
  double grad_norm = 0.0;   // global L2 norm before clipping
  int64_t completion_tokens = 0;
  int64_t tokens = 0;       // real (prompt + completion) tokens processed
  double seconds = 0.0;     // this step's wall time
};

struct TrainCallbacks {
  // Before the first step: the step training starts from, the run's total, and whether it
  // resumes from a checkpoint in the work folder.
  std::function<void(int64_t step, int64_t total_steps, bool resumed)> on_start;
  std::function<void(const StepReport&)> on_step;
  // Points a crash test may stop at: "checkpoint_written", "saved" (the model folder is
  // written, not yet renamed into place).
  std::function<void(const char* milestone)> on_milestone;
};

struct TrainOutcome {
  bool cancelled = false;  // stopped by the control; resumable from the work folder
  int64_t steps = 0;       // completed, resumed ones included
};

class Trainer {
 public:
  virtual ~Trainer() = default;
  virtual TrainOutcome train(const TrainJob& job, const TrainCallbacks& callbacks, const WorkControl& control) = 0;
};

}  // namespace tpt::train
