// The verifier Prune and Improve use on a problem set of either domain: a problem whose gold is
// a code spec (code/code_problem.h) is judged by running the completion's program on its
// tests in the sandbox; any other problem by its answer (VerifierConfig: extractor and
// normalisation). One round may only hold one domain in practice, but nothing here assumes it.
//
//   ProblemVerifier verifier(rules.verifier(), config.sandbox, code::StopPolicy::RunAll);
//   auto decisions = rules.apply(samples, verifier);
//
// Programs are judged many at once (judge_all keeps every sandbox worker busy), and each
// judgement is remembered for the life of the process: re-applying rules to the same samples
// (the Pruning panel's live funnel, a re-prune) does not run the programs again.
// Torch-free.
#pragma once

#include <atomic>
#include <functional>

#include "code/judge.h"
#include "code/sandbox.h"
#include "prune/verifier.h"

namespace tpt::prune {

// The prune view of a code judgement: accepted -> Correct, no code -> NoAnswer, any other
// verdict -> Wrong; `extracted` is the program; `reason` the judgement's message.
Judgement to_judgement(const code::CodeJudgement& judgement);

// Thrown by judge_all when its progress callback or its stop flag ended judging early.
class JudgingStopped : public Error {
 public:
  JudgingStopped() : Error("judging stopped") {}
};

class ProblemVerifier final : public Verifier {
 public:
  // Called after each chunk of programs with (samples judged, samples in all); returning false
  // stops judging (JudgingStopped). It may block (a paused run waits in it).
  using Progress = std::function<bool(size_t done, size_t total)>;

  explicit ProblemVerifier(VerifierConfig math = {}, code::SandboxConfig sandbox = {},
                           code::StopPolicy policy = code::StopPolicy::RunAll,
                           const std::atomic<bool>* stop = nullptr, Progress progress = {});

  Judgement judge(std::string_view completion, std::string_view gold) const override;
  std::vector<Judgement> judge_all(const std::vector<Item>& items) const override;

  const code::SandboxConfig& sandbox() const { return sandbox_; }

 private:
  VerifierConfig math_;
  code::SandboxConfig sandbox_;
  code::StopPolicy policy_;
  const std::atomic<bool>* stop_;
  Progress progress_;
};

// Forgets every remembered code judgement (tests that change the sandbox's programs).
void clear_code_judgement_cache();

}  // namespace tpt::prune
