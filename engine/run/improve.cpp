#include "run/improve.h"

namespace tpt::run {

bool answer_draws(const std::vector<Draw>& draws, think::Sampler& sampler, const think::SamplingSettings& settings,
                  const AnswerSink& sink, const think::SamplingProgressFn& progress, const WorkControl& control) {
  return sampler.sample(
      sample_requests(draws), settings,
      [&](const std::vector<think::Sample>& samples) {
        std::vector<Answer> answers;
        answers.reserve(samples.size());
        for (const auto& s : samples) {
          const Draw& draw = draws[s.request];
          answers.push_back({&draw, s, eval::judge(s.text, draw.gold)});
        }
        sink(answers);
      },
      progress, control);
}

}  // namespace tpt::run
