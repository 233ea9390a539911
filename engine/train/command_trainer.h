// Train handed to an external trainer run as a child process (TRL through accelerate,
// LLaMA-Factory, `tpt sft`): the workbench keeps owning the round's data, settings, progress,
// resume and resulting folder. In the job's work folder:
//
//   train.jsonl          the examples, TRL's prompt/completion JSONL (train/sft_recipe.h)
//   sft.yaml             TRL's SFT config, or llamafactory.yaml + dataset_info.json
//   output/              the trainer's output_dir; its checkpoint-N/ folders survive a kill
//   model/               the checked model being assembled, renamed to the job's output_dir
//
// The trainer's output goes to a log file; its `{'loss': ...}` lines (one per step) become
// step reports, `Total optimization steps = N` and tqdm's `k/N [` its total. A run that left a
// checkpoint is restarted with resume_from_checkpoint. The result counts only once it loads:
// a full model of the init model's family (checked from the safetensors headers), or a PEFT
// adapter whose tensors fit the init model (then merged, as the engine trainer's LoRA rounds
// are); missing tokenizer files are copied from the init folder.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "model/checkpoint.h"
#include "train/trainer.h"

namespace tpt::train {

struct CommandTrainerOptions {
  // With placeholders {config} {gpus} {tpt} {data} {output} {model}, run by /bin/sh.
  std::string command_template;
  bool llama_factory = false;  // write LLaMA-Factory's config instead of TRL's
  int gpus = 1;
  double stall_timeout_s = 3600.0;  // no output for this long: stopped as hung; 0 = never
  std::string log_file;             // the trainer's stdout and stderr, appended
  model::LoadOptions load;          // for merging a PEFT adapter into the init model
  std::vector<std::string> environment;  // "NAME=value" added to the trainer's environment
};

// What the trainer is doing, for a Run panel: its state ("starting", "running", "paused",
// "finished", "failed", "stopped"), the command line, and the log lines since the last call.
struct CommandTrainerEvent {
  std::string state;
  std::string command;
  long pid = 0;  // the trainer's process (its group's leader); 0 before it starts
  std::vector<std::string> log_lines;
  bool state_changed = true;
};

class CommandTrainer final : public Trainer {
 public:
  using EventFn = std::function<void(const CommandTrainerEvent&)>;
  using NoteFn = std::function<void(const std::string& level, const std::string& message)>;

  CommandTrainer(CommandTrainerOptions options, EventFn on_event = {}, NoteFn note = {});

  // Throws Error when the trainer cannot start, exits non-zero, falls silent past the stall
  // timeout, or leaves a folder that does not load; the message quotes the log's last lines.
  TrainOutcome train(const TrainJob& job, const TrainCallbacks& callbacks, const WorkControl& control) override;

 private:
  CommandTrainerOptions options_;
  EventFn on_event_;
  NoteFn note_;
};

// One parsed line of a trainer's output.
struct TrainerLogLine {
  enum class Kind { Other, Step, Total, Progress };
  Kind kind = Kind::Other;
  double loss = 0.0, learning_rate = 0.0, grad_norm = 0.0, epoch = 0.0;  // Kind::Step
  double num_tokens = -1.0;  // TRL's running count of tokens trained on; < 0 when not logged
  int64_t step = 0, total = 0;  // Kind::Progress (step of total), Kind::Total (total)
};

// Reads HF Trainer's log dict (`{'loss': 1.2, 'grad_norm': 0.5, 'learning_rate': 1e-05,
// 'epoch': 0.5}`, values possibly quoted), the `Total optimization steps = N` line and tqdm's
// ` 3/25 [` progress. The final summary dict (train_loss, train_runtime) is not a step.
TrainerLogLine parse_trainer_log_line(const std::string& line);

}  // namespace tpt::train
