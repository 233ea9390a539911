// Supervised fine-tuning (Train in Think, Prune, Train): full fine-tuning or LoRA on
// (prompt, completion) token-id pairs, the loss on completion tokens only.
//
// One optimizer step = `grad_accum_steps` micro-batches. Each micro-batch's summed loss is
// divided by the completion tokens of the whole step before backward, so k micro-batches give
// the gradient of one batch of the same samples (not a mean of per-batch means). Then: global
// gradient norm, clipping, AdamW with the scheduled rate.
//
// A non-finite loss or gradient norm stops the run with TrainingError before the update, so
// the weights stay those of the last good step. Data order is a pure function of (seed, step),
// so a checkpoint needs only the step, the optimizer state and the trained weights.
//
//   SftTrainer trainer(model, examples, options);
//   auto summary = trainer.train([](const StepReport& r) { ... }, &cancel);
//   trainer.lora()->save(dir);  or  save_model(*model, dir);
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "model/decoder.h"
#include "train/adamw.h"
#include "train/lora.h"
#include "train/schedule.h"
#include "train/sft_batch.h"
#include "train/trainer.h"

namespace tpt::train {

struct TrainOptions {
  int64_t epochs = 1;
  int64_t max_steps = 0;  // > 0: exactly this many steps (epochs repeat as needed); 0: `epochs` decide
  int micro_batch_size = 8;
  int grad_accum_steps = 1;
  int bucket_window = 16;  // micro-batches per length-sorting window (plan_epoch)
  LrSchedule schedule;     // total_steps 0: the run's length
  AdamWOptions adamw;
  double max_grad_norm = 1.0;  // 0: no clipping
  uint64_t seed = 0;           // batch order and LoRA init/dropout
  std::optional<LoraConfig> lora;  // set: LoRA on these targets; unset: full fine-tune

  // Test hook: called with (step, 1-based; micro-batch, 0-based; the micro-batch's summed loss)
  // and returns the loss to use, e.g. a NaN to exercise the stop.
  std::function<torch::Tensor(int64_t step, int micro_batch, const torch::Tensor& loss_sum)> loss_hook;
};

using StepCallback = std::function<void(const StepReport&)>;

struct TrainSummary {
  int64_t steps = 0;  // completed by the end of train(), resumed ones included
  bool cancelled = false;
  double last_loss = 0.0;
  int64_t tokens = 0;  // real tokens processed by this call
  double seconds = 0.0;
};

// A run stopped by a non-finite loss or gradient: step (1-based) and what was non-finite.
class TrainingError : public Error {
 public:
  TrainingError(int64_t step, const std::string& message) : Error(message), step_(step) {}
  int64_t step() const { return step_; }

 private:
  int64_t step_;
};

// The options SftTrainer runs with for `settings` over `examples` examples: the schedule's
// length and warmup come from the run's step count, computed as the trainer computes it.
TrainOptions sft_options(const TrainSettings& settings, int64_t examples);

class SftTrainer {
 public:
  // Validates the data (every example needs a completion token to learn) and, for LoRA,
  // attaches adapters to `model`. Throws Error naming the example or option at fault.
  SftTrainer(model::CausalLm model, std::vector<SftExample> data, TrainOptions options);

  // Runs the remaining steps; `cancel` is checked between steps.
  TrainSummary train(const StepCallback& on_step = {}, const std::atomic<bool>* cancel = nullptr);
  // One optimizer step (the next of the plan). Throws TrainingError, leaving weights intact.
  StepReport train_step();

  // What one accumulation pass saw: the batches count their own tokens, so a step's report
  // takes them from here rather than counting again.
  struct Accumulated {
    double loss = 0.0;              // mean loss per completion token
    int64_t tokens = 0;             // real (non-padding) tokens
    int64_t completion_tokens = 0;  // tokens the loss is taken over (the normaliser)
  };
  // Forward + backward over these micro-batches (indices into the data), normalised by their
  // total completion tokens, leaving the gradients in the parameters (not applied). For tests
  // of accumulation; train_step uses it.
  Accumulated accumulate_gradients(const std::vector<std::vector<int64_t>>& micro_batches, int64_t step_for_hooks = 0);
  // Parameters being trained: HF names (full) or PEFT keys (LoRA).
  const std::vector<std::pair<std::string, torch::Tensor>>& trainable() const { return optimizer_->params(); }
  void zero_grad() { optimizer_->zero_grad(); }

  int64_t step() const { return step_; }
  int64_t total_steps() const { return total_steps_; }
  int64_t steps_per_epoch() const { return steps_per_epoch_; }
  bool done() const { return step_ >= total_steps_; }
  // The micro-batches of step `step` (0-based), as indices into the data.
  std::vector<std::vector<int64_t>> micro_batches_of(int64_t step);

  LoraAdapters* lora() { return lora_.get(); }
  model::CausalLm model() const { return model_; }

  // trainer_state.json (step, the options that fix the data order, a data fingerprint) and
  // optimizer.safetensors (fp32 master weights and moments of every trained parameter).
  void save_checkpoint(const std::string& folder) const;
  // Restores a checkpoint of the same data and options into this trainer (weights included).
  // Throws FileError naming the field that differs.
  void load_checkpoint(const std::string& folder);

 private:
  model::CausalLm model_;
  std::vector<SftExample> data_;
  std::vector<int64_t> lengths_;
  TrainOptions options_;
  std::unique_ptr<LoraAdapters> lora_;
  std::unique_ptr<AdamW> optimizer_;
  int64_t step_ = 0, total_steps_ = 0, steps_per_epoch_ = 0, micro_per_epoch_ = 0;
  int64_t planned_epoch_ = -1;
  std::vector<std::vector<int64_t>> plan_;  // micro-batches of planned_epoch_
  uint64_t data_fingerprint_ = 0;
};

}  // namespace tpt::train
