// Learning-rate schedules for fine-tuning: linear warmup, then cosine, linear or constant
// decay towards a floor. A pure function of the step, so a resumed run needs only its step.
#pragma once

#include <cstdint>
#include <string>

namespace tpt::train {

enum class LrDecay { Cosine, Linear, Constant };

// "cosine", "linear", "constant"
const char* to_string(LrDecay decay);
// Throws Error naming the accepted values.
LrDecay parse_lr_decay(const std::string& name);

struct LrSchedule {
  double peak_lr = 1e-4;
  int64_t warmup_steps = 0;
  int64_t total_steps = 0;  // decay reaches min_lr at this step
  LrDecay decay = LrDecay::Cosine;
  double min_lr = 0.0;
};

// The rate used by optimizer step `step` (0-based). Warmup rises linearly to peak_lr over
// steps 0..warmup-1 as peak·(step+1)/warmup, so the first step already learns (HF's warmup gives
// step 0 a rate of 0); decay then follows HF's shape: progress = (step - warmup) /
// (total - warmup), peak at progress 0, min_lr at progress 1 (the step after the last).
double learning_rate_at(const LrSchedule& schedule, int64_t step);

// Optimizer steps of an SFT run over `examples` examples: ceil(examples / micro_batch_size)
// micro-batches an epoch, grad_accum_steps of them a step (the last step of an epoch may take
// fewer), times `epochs`.
int64_t sft_steps(int64_t examples, int micro_batch_size, int grad_accum_steps, int64_t epochs);

// Warmup over `warmup_ratio` of `total_steps`, rounded up (as HF's get_warmup_steps), then
// `decay` from peak_lr to min_lr at total_steps.
LrSchedule warmup_schedule(double peak_lr, double min_lr, LrDecay decay, double warmup_ratio, int64_t total_steps);

}  // namespace tpt::train
