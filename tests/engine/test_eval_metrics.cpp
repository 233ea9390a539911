// Improve's scores, checked against values worked out by hand.
#include "check.h"
#include "eval/metrics.h"

using tpt::eval::pass_at_k;

TPT_TEST(eval, pass_at_k_matches_hand_computed_values) {
  // n = 5 answers, c = 2 correct: pass@1 = 2/5; pass@2 = 1 - C(3,2)/C(5,2) = 1 - 3/10.
  COMPARE_NEAR(pass_at_k(5, 2, 1), 0.4, 1e-12);
  COMPARE_NEAR(pass_at_k(5, 2, 2), 0.7, 1e-12);
  // n = 20, c = 3, k = 5: 1 - C(17,5)/C(20,5) = 1 - 6188/15504.
  COMPARE_NEAR(pass_at_k(20, 3, 5), 1.0 - 6188.0 / 15504.0, 1e-12);
  // No correct answer: 0 whatever k; fewer wrong answers than k: certain.
  COMPARE_NEAR(pass_at_k(10, 0, 10), 0.0, 1e-12);
  COMPARE_NEAR(pass_at_k(4, 2, 3), 1.0, 1e-12);
  // Large n does not overflow: n = 1000, c = 1, k = 10 is 10/1000.
  COMPARE_NEAR(pass_at_k(1000, 1, 10), 0.01, 1e-12);
  VERIFY_THROWS_WITH(pass_at_k(3, 1, 4), "k = 4");
}

TPT_TEST(eval, the_strict_checker_is_the_papers_and_the_flexible_one_reads_any_final_number) {
  // Right answer, paper format.
  auto j = tpt::eval::judge("3 + 4 = 7\n#### 7", "7");
  VERIFY(j.correct_strict && j.correct_flexible);
  // Right number without the "####" line: only the flexible checker accepts it.
  j = tpt::eval::judge("So the answer is 7.", "7");
  VERIFY(!j.correct_strict);
  VERIFY(j.correct_flexible);
  VERIFY(!j.extracted_strict.has_value());
  // "1,000" is not "1000" to the paper's exact comparison, but is the same number.
  j = tpt::eval::judge("#### 1,000", "1000");
  VERIFY(!j.correct_strict);
  VERIFY(j.correct_flexible);
  j = tpt::eval::judge("#### 8", "7");
  VERIFY(!j.correct_strict && !j.correct_flexible);
}

TPT_TEST(eval, scores_average_over_problems_and_correct_at_k_uses_the_first_k_answers) {
  tpt::store::ProblemResult a, b;
  // Problem a: 4 answers, right at indexes 2 and 3 (strict), 1..3 (flexible).
  a.samples = 4;
  a.correct_strict = 2;
  a.strict_mask = 0b1100;
  a.correct_flexible = 3;
  a.flexible_mask = 0b1110;
  // Problem b: 4 answers, none right.
  b.samples = 4;
  const auto s = tpt::eval::score({a, b}, {1, 2});
  COMPARE(s.problems, int64_t{2});
  COMPARE(s.samples, int64_t{8});
  COMPARE_NEAR(s.pass1_strict, (0.5 + 0.0) / 2, 1e-12);
  COMPARE_NEAR(s.pass1_flexible, (0.75 + 0.0) / 2, 1e-12);
  // pass@2 for a: 1 - C(2,2)/C(4,2) = 5/6 strict; 1 - 0 = 1 flexible (only one wrong).
  COMPARE_NEAR(s.pass_at_k_strict.at(2), (5.0 / 6.0) / 2, 1e-12);
  COMPARE_NEAR(s.pass_at_k_flexible.at(2), 0.5, 1e-12);
  // correct@2 looks at answers 0 and 1 only: a is right there under flexible only.
  COMPARE_NEAR(s.correct_at_k_strict.at(2), 0.0, 1e-12);
  COMPARE_NEAR(s.correct_at_k_flexible.at(2), 0.5, 1e-12);
  const auto metrics = tpt::eval::to_metrics(s);
  COMPARE_NEAR(metrics.at("pass@1.strict"), 0.25, 1e-12);
  COMPARE_NEAR(metrics.at("correct@2.flexible"), 0.5, 1e-12);
  VERIFY_THROWS_WITH(tpt::eval::score({}, {1}), "no evaluated problems");
}
