// Improve's draw, shared by the runner and `tpt eval` so that a model folder scored outside an
// experiment gets the score a round would: each draw's answer comes from the sampler with the
// draw's seed, and is judged with both checkers (eval/metrics.h) as it arrives.
#pragma once

#include <functional>
#include <vector>

#include "eval/metrics.h"
#include "run/plan.h"
#include "think/sampler.h"

namespace tpt::run {

struct Answer {
  const Draw* draw = nullptr;  // points into the draws given to answer_draws
  think::Sample sample;
  eval::Judged judged;
};

using AnswerSink = std::function<void(const std::vector<Answer>&)>;

// Samples one answer per draw and hands the judged answers to `sink` as they finish. Returns
// false when `control` stopped it (see think::Sampler::sample).
// Code answers are judged in `sandbox` (their programs run on the problem's tests).
bool answer_draws(const std::vector<Draw>& draws, think::Sampler& sampler, const think::SamplingSettings& settings,
                  const AnswerSink& sink, const think::SamplingProgressFn& progress, const WorkControl& control,
                  const code::SandboxConfig& sandbox = {});

}  // namespace tpt::run
