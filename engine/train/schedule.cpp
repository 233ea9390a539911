#include "train/schedule.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace tpt::train {

const char* to_string(LrDecay decay) {
  switch (decay) {
    case LrDecay::Cosine: return "cosine";
    case LrDecay::Linear: return "linear";
    case LrDecay::Constant: return "constant";
  }
  return "?";
}

LrDecay parse_lr_decay(const std::string& name) {
  if (name == "cosine") return LrDecay::Cosine;
  if (name == "linear") return LrDecay::Linear;
  if (name == "constant") return LrDecay::Constant;
  throw Error("learning-rate schedule \"" + name + "\": expected \"cosine\", \"linear\" or \"constant\"");
}

double learning_rate_at(const LrSchedule& s, int64_t step) {
  if (step < s.warmup_steps) return s.peak_lr * static_cast<double>(step + 1) / static_cast<double>(s.warmup_steps);
  if (s.decay == LrDecay::Constant) return s.peak_lr;
  const int64_t span = s.total_steps - s.warmup_steps;
  const double progress = span > 0 ? std::clamp(static_cast<double>(step - s.warmup_steps) / span, 0.0, 1.0) : 1.0;
  const double shape = s.decay == LrDecay::Cosine ? 0.5 * (1.0 + std::cos(M_PI * progress)) : 1.0 - progress;
  return s.min_lr + (s.peak_lr - s.min_lr) * shape;
}

int64_t sft_steps(int64_t examples, int micro_batch_size, int grad_accum_steps, int64_t epochs) {
  const int64_t micro_per_epoch = (examples + micro_batch_size - 1) / micro_batch_size;
  return epochs * ((micro_per_epoch + grad_accum_steps - 1) / grad_accum_steps);
}

LrSchedule warmup_schedule(double peak_lr, double min_lr, LrDecay decay, double warmup_ratio, int64_t total_steps) {
  LrSchedule s;
  s.peak_lr = peak_lr;
  s.min_lr = min_lr;
  s.decay = decay;
  s.total_steps = total_steps;
  s.warmup_steps = static_cast<int64_t>(std::ceil(warmup_ratio * static_cast<double>(total_steps)));
  return s;
}

}  // namespace tpt::train
