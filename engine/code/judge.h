// Judging a completion: extract its program, run it on the problem's tests in the sandbox,
// compare outputs with CodeContests' checker, and record a CodeJudgement.
//
// Tests run in parallel on SandboxConfig::workers. Results never depend on timing: with
// StopPolicy::FirstFailure tests are started in index order, and the judgement keeps exactly
// the tests up to the lowest failing index (tests after it that were already running are
// stopped and left out), so it is the same judgement a one-worker run in order would give.
//
// Torch-free.
#pragma once

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "code/code_problem.h"
#include "code/sandbox.h"

namespace tpt::code {

enum class StopPolicy {
  RunAll,        // every test runs: the counts say how many pass (soft pruning: "passes >= 1 test")
  FirstFailure,  // stop at the first failing test: enough for pass/fail (hard pruning, Pass@k)
};

// One sample to judge. Both must outlive the call.
struct JudgeTask {
  std::string_view completion;
  const CodeSpec* spec = nullptr;
};

// The most of a test's stdout (TestOutcome::actual) and message a judgement keeps.
constexpr size_t kOutcomeTextCap = 4096;

// `stop`, when given and set, stops judging soon (running programs are killed) and the call
// throws tpt::Error("judging stopped"). Throws tpt::Error when the sandbox cannot start
// (check_sandbox says why ahead of time); never for what a program does.
CodeJudgement judge_completion(const SandboxConfig& config, std::string_view completion, const CodeSpec& spec,
                               StopPolicy policy, const std::atomic<bool>* stop = nullptr);

// The program given directly (no extraction): for reference solutions.
CodeJudgement judge_program(const SandboxConfig& config, const std::string& program, const CodeSpec& spec,
                            StopPolicy policy, const std::atomic<bool>* stop = nullptr);

// Many samples at once, all workers busy across samples (a round of Prune judges thousands).
// Returns one judgement per task, in order.
std::vector<CodeJudgement> judge_many(const SandboxConfig& config, const std::vector<JudgeTask>& tasks,
                                      StopPolicy policy, const std::atomic<bool>* stop = nullptr);

}  // namespace tpt::code
