#include "run/improve.h"

namespace tpt::run {

bool answer_draws(const std::vector<Draw>& draws, think::Sampler& sampler, const think::SamplingSettings& settings,
                  const AnswerSink& sink, const think::SamplingProgressFn& progress, const WorkControl& control,
                  const code::SandboxConfig& sandbox) {
  return sampler.sample(
      sample_requests(draws), settings,
      [&](const std::vector<think::Sample>& samples) {
        std::vector<eval::Answered> batch;
        batch.reserve(samples.size());
        for (const auto& s : samples) batch.push_back({s.text, draws[s.request].gold});
        std::vector<eval::Judged> judged = eval::judge_all(batch, sandbox);
        std::vector<Answer> answers;
        answers.reserve(samples.size());
        for (size_t i = 0; i < samples.size(); ++i)
          answers.push_back({&draws[samples[i].request], samples[i], std::move(judged[i])});
        sink(answers);
      },
      progress, control);
}

}  // namespace tpt::run
