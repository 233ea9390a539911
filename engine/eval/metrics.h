// Improve's scores: Pass@1 (greedy, or the mean over n sampled answers), the unbiased pass@k
// estimator, and correct@k, each under two checkers kept side by side:
//
//   strict    the paper's checker: the first "#### N" line, compared as written (exact).
//   flexible  format-insensitive: the last number in the answer, compared as numbers
//             ("1,000" = "1000", "$5" = "5"). The paper's own samples hold many answers that
//             are right but fail the strict checker; reporting both shows how much of a gain
//             is format and how much is arithmetic.
//
// Torch-free.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "code/sandbox.h"
#include "prune/verifier.h"
#include "store/records.h"

namespace tpt::eval {

// The probability that at least one of k answers drawn without replacement from n, of which
// c are correct, is correct: 1 - C(n-c, k) / C(n, k) (Chen et al., 2021), computed as a
// product so that large n does not overflow. Requires 1 <= k <= n and 0 <= c <= n.
double pass_at_k(int64_t n, int64_t c, int64_t k);

prune::VerifierConfig strict_checker();
prune::VerifierConfig flexible_checker();

// Code problems (a gold that is a code spec) have one judge, the program run on the tests, and
// the two columns read: strict = every test passes (the paper's Pass@k on hidden tests, public
// + private + generated), flexible = the public tests (the statement's examples) pass. The
// program stops at its first failing test, public tests first.
struct Judged {
  std::optional<std::string> extracted_strict, extracted_flexible;
  bool correct_strict = false;
  bool correct_flexible = false;
  std::string detail;  // code problems: the judgement (code::CodeJudgement JSON); "" for math
};
// `gold` is the gold answer or the whole gold solution.
Judged judge(const std::string& completion, const std::string& gold);

// Many answers of either domain at once; code answers run in `sandbox`, every worker busy.
struct Answered {
  std::string_view completion;
  std::string_view gold;
};
std::vector<Judged> judge_all(const std::vector<Answered>& answers, const code::SandboxConfig& sandbox,
                              const std::atomic<bool>* stop = nullptr);

// Counts one judged answer into its problem's result (the store computes the same per round
// from the answers it holds).
void tally(store::ProblemResult& result, int sample_index, const Judged& judged);

struct Scores {
  int64_t problems = 0;
  int64_t samples = 0;
  double pass1_strict = 0.0, pass1_flexible = 0.0;  // mean over problems of (correct / samples)
  // By k: the mean over problems of pass_at_k(n, c, k).
  std::map<int64_t, double> pass_at_k_strict, pass_at_k_flexible;
  // By k: the fraction of problems with a correct answer among their first k samples (by
  // sample index): what a user who really draws k answers sees, without the estimator.
  std::map<int64_t, double> correct_at_k_strict, correct_at_k_flexible;
};

// Problems with fewer samples than a k are left out of that k's averages. Throws Error when
// `results` is empty.
Scores score(const std::vector<store::ProblemResult>& results, const std::vector<int64_t>& ks);

// The metric names rounds store: "pass@1.strict", "pass@1.flexible", "pass@4.strict",
// "correct@4.flexible", "eval.problems", "eval.samples".
std::map<std::string, double> to_metrics(const Scores& scores);

}  // namespace tpt::eval
