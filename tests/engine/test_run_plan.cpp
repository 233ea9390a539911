// The loop's plan and its interfaces without a model: which draws are still to make, the seeds
// a stored experiment depends on, Improve's judging through any sampler, and the training
// schedule's arithmetic.
#include <string>
#include <vector>

#include "check.h"
#include "run/improve.h"
#include "run/plan.h"
#include "train/schedule.h"

using namespace tpt;

namespace {

std::vector<store::ProblemRecord> two_problems() {
  return {{11, 1, "train", "train-a", "What is 2+2?", "2+2=4\n#### 4", "4"},
          {12, 1, "train", "train-b", "What is 3*3?", "3*3=9\n#### 9", "9"}};
}

// A second Sampler: answers from a table, one per request, in groups of two.
class TableSampler : public think::Sampler {
 public:
  explicit TableSampler(std::vector<std::string> texts) : texts_(std::move(texts)) {}
  bool sample(const std::vector<think::SampleRequest>& requests, const think::SamplingSettings&,
              const think::SampleSink& sink, const think::SamplingProgressFn& progress,
              const WorkControl& control) override {
    for (size_t begin = 0; begin < requests.size(); begin += 2) {
      if (!control.go_on()) return false;
      std::vector<think::Sample> group;
      for (size_t i = begin; i < std::min(requests.size(), begin + 2); ++i)
        group.push_back({i, texts_.at(i), 5, think::FinishReason::Eos});
      sink(group);
      if (progress) progress({static_cast<int64_t>(begin + group.size()), 0});
    }
    return true;
  }

 private:
  std::vector<std::string> texts_;
};

}  // namespace

TPT_TEST(plan, draws_only_what_the_journal_lacks_and_builds_each_prompt_once) {
  int prompts_built = 0;
  const run::DrawPlan plan = run::plan_draws(
      two_problems(), 3, {{11, 0}, {11, 1}, {11, 2}, {12, 1}},
      [](const store::ProblemRecord& p, int i) { return run::think_sample_seed(5, 2, p.problem_key, i); },
      [&](const std::string& question) {
        ++prompts_built;
        return think::Prompt{"Q: " + question, {1, 2, 3}, question};
      });
  COMPARE(plan.total, int64_t{6});
  COMPARE(plan.stored, int64_t{4});
  COMPARE(plan.draws.size(), size_t{2});
  // Problem 11 is complete: its prompt is never built.
  COMPARE(prompts_built, 1);
  COMPARE(plan.draws[0].problem_id, int64_t{12});
  COMPARE(plan.draws[0].sample_index, 0);
  COMPARE(plan.draws[1].sample_index, 2);
  COMPARE(plan.draws[0].prompt->text, std::string("Q: What is 3*3?"));
  VERIFY(plan.draws[0].prompt == plan.draws[1].prompt);
  COMPARE(plan.draws[1].seed, run::think_sample_seed(5, 2, "train-b", 2));
}

TPT_TEST(plan, seeds_keep_the_names_stored_experiments_were_drawn_with) {
  // A resumed experiment written by an earlier version draws with these names; changing one
  // would silently change the samples a resume adds.
  COMPARE(run::think_sample_seed(7, 3, "train-x", 1), run::derive_seed(7, "think/3/train-x/1"));
  COMPARE(run::eval_sample_seed(7, "test-y", 0), run::derive_seed(7, "eval/test-y/0"));
  COMPARE(run::pool_seed(7, 2), run::derive_seed(7, "pool/2"));
  COMPARE(run::eval_subset_seed(7), run::derive_seed(7, "eval-subset"));
  COMPARE(run::few_shot_seed(7), run::derive_seed(7, "few-shot"));
  COMPARE(run::train_subset_seed(7, 4), run::derive_seed(7, "train-subset/4"));
  COMPARE(run::train_seed(7, 4), run::derive_seed(7, "train/4") & 0xffffffffULL);
  // transformers' set_seed hands it to NumPy, which takes seeds below 2^32 only.
  for (int round = 1; round <= 50; ++round) VERIFY(run::train_seed(123456789, round) < (uint64_t{1} << 32));
  // Draws differ by round, problem, index and experiment seed; Improve's do not depend on the round.
  VERIFY(run::think_sample_seed(7, 1, "a", 0) != run::think_sample_seed(7, 2, "a", 0));
  VERIFY(run::think_sample_seed(7, 1, "a", 0) != run::think_sample_seed(7, 1, "b", 0));
  VERIFY(run::think_sample_seed(7, 1, "a", 0) != run::think_sample_seed(7, 1, "a", 1));
  VERIFY(run::think_sample_seed(7, 1, "a", 0) != run::think_sample_seed(8, 1, "a", 0));
}

TPT_TEST(improve, judges_each_answer_with_both_checkers_whatever_sampler_drew_it) {
  const run::DrawPlan plan = run::plan_draws(
      two_problems(), 2, {}, [](const store::ProblemRecord&, int i) { return uint64_t(i); },
      [](const std::string& q) { return think::Prompt{q, {1}, q}; });
  // 2+2: right (strict), right but unformatted (flexible only); 3*3: wrong, no answer at all.
  TableSampler sampler({"2+2=4\n#### 4", "The answer is 4.", "#### 10", "I do not know"});
  std::vector<run::Answer> answers;
  const bool finished = run::answer_draws(
      plan.draws, sampler, {}, [&](const std::vector<run::Answer>& got) {
        answers.insert(answers.end(), got.begin(), got.end());
      }, {}, WorkControl{});
  VERIFY(finished);
  COMPARE(answers.size(), size_t{4});
  COMPARE(answers[0].draw->problem_key, std::string("train-a"));
  VERIFY(answers[0].judged.correct_strict && answers[0].judged.correct_flexible);
  VERIFY(!answers[1].judged.correct_strict && answers[1].judged.correct_flexible);
  COMPARE(answers[2].draw->problem_key, std::string("train-b"));
  COMPARE(answers[2].judged.extracted_strict.value_or(""), std::string("10"));
  VERIFY(!answers[2].judged.correct_strict && !answers[2].judged.correct_flexible);
  VERIFY(!answers[3].judged.extracted_strict.has_value());

  store::ProblemResult a;
  eval::tally(a, answers[0].draw->sample_index, answers[0].judged);
  eval::tally(a, answers[1].draw->sample_index, answers[1].judged);
  COMPARE(a.samples, 2);
  COMPARE(a.correct_strict, 1);
  COMPARE(a.correct_flexible, 2);
  COMPARE(a.strict_mask, uint64_t{0b01});
  COMPARE(a.flexible_mask, uint64_t{0b11});
}

TPT_TEST(improve, a_stop_between_groups_hands_over_nothing_more) {
  const run::DrawPlan plan = run::plan_draws(
      two_problems(), 2, {}, [](const store::ProblemRecord&, int i) { return uint64_t(i); },
      [](const std::string& q) { return think::Prompt{q, {1}, q}; });
  TableSampler sampler({"#### 4", "#### 4", "#### 9", "#### 9"});
  int groups = 0;
  WorkControl control;
  control.wait_or_stop = [&] { return groups == 0; };
  size_t received = 0;
  const bool finished = run::answer_draws(
      plan.draws, sampler, {}, [&](const std::vector<run::Answer>& got) {
        ++groups;
        received += got.size();
      }, {}, control);
  VERIFY(!finished);
  COMPARE(received, size_t{2});
}

TPT_TEST(train_schedule, steps_and_warmup_follow_the_hand_computed_arithmetic) {
  // 10 examples, micro-batches of 2 -> 5 a epoch; 4 per step -> 2 steps (4 + 1); 3 epochs -> 6.
  COMPARE(train::sft_steps(10, 2, 4, 3), int64_t{6});
  COMPARE(train::sft_steps(1, 8, 1, 1), int64_t{1});
  // Warmup 10% of 6 steps = 0.6, rounded up to 1 (HF's ceil); 25% of 8 = 2 exactly.
  const train::LrSchedule s = train::warmup_schedule(1e-3, 1e-5, train::LrDecay::Linear, 0.1, 6);
  COMPARE(s.warmup_steps, int64_t{1});
  COMPARE(s.total_steps, int64_t{6});
  COMPARE(s.peak_lr, 1e-3);
  COMPARE(s.min_lr, 1e-5);
  COMPARE(train::warmup_schedule(1e-3, 0, train::LrDecay::Cosine, 0.25, 8).warmup_steps, int64_t{2});
  COMPARE(train::warmup_schedule(1e-3, 0, train::LrDecay::Cosine, 0.0, 8).warmup_steps, int64_t{0});
}
