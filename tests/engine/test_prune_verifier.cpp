// The verifier: extraction + normalisation -> Correct / Wrong / NoAnswer, and its JSON form.
#include <string>
#include <vector>

#include "check.h"
#include "prune/verifier.h"

using namespace tpt::prune;
using tpt::FieldIssue;

namespace {
VerifierConfig config(Extractor extractor, const char* preset) {
  return VerifierConfig{extractor, *NormalizeConfig::preset(preset)};
}
Verdict verdict(const VerifierConfig& c, const char* completion, const char* gold) {
  return judge(c, completion, gold).verdict;
}
}  // namespace

TPT_TEST(verifier, judges_correct_wrong_and_no_answer) {
  const VerifierConfig c;  // strict, numeric
  COMPARE(verdict(c, "9 * 2 = 18\n#### 18", "18"), Verdict::Correct);
  COMPARE(verdict(c, "#### 17", "18"), Verdict::Wrong);
  COMPARE(verdict(c, "The answer is 18.", "18"), Verdict::NoAnswer);
}

TPT_TEST(verifier, records_raw_and_normalised_answers) {
  Judgement j = judge(VerifierConfig{}, "#### $1,000.00", "#### 1000");
  VERIFY(!j.extracted);  // strict does not accept "$"
  j = judge(VerifierConfig{}, "#### 1,000.00", "Steps\n#### 1,000");
  COMPARE(*j.extracted, "1,000.00");
  COMPARE(j.prediction, "1000");
  COMPARE(j.gold_answer, "1,000");
  COMPARE(j.gold, "1000");
  COMPARE(j.verdict, Verdict::Correct);
}

TPT_TEST(verifier, exact_and_numeric_presets_disagree_on_formatting) {
  const auto strict_exact = config(Extractor::Strict, "exact");
  const auto strict_lm = config(Extractor::Strict, "lm-eval");
  const auto strict_numeric = config(Extractor::Strict, "numeric");
  COMPARE(verdict(strict_exact, "#### 1,000", "1000"), Verdict::Wrong);
  COMPARE(verdict(strict_lm, "#### 1,000", "1000"), Verdict::Correct);
  COMPARE(verdict(strict_numeric, "#### 1,000", "1000"), Verdict::Correct);
  COMPARE(verdict(strict_exact, "#### 12.0", "12"), Verdict::Wrong);
  COMPARE(verdict(strict_lm, "#### 12.0", "12"), Verdict::Wrong);
  COMPARE(verdict(strict_numeric, "#### 12.0", "12"), Verdict::Correct);
  COMPARE(verdict(strict_exact, "#### 18.", "18"), Verdict::Wrong);
  COMPARE(verdict(strict_numeric, "#### 18.", "18"), Verdict::Correct);
}

TPT_TEST(verifier, negative_answers_must_keep_their_sign) {
  const VerifierConfig c;
  COMPARE(verdict(c, "#### -5", "-5"), Verdict::Correct);
  COMPARE(verdict(c, "#### 5", "-5"), Verdict::Wrong);
  COMPARE(verdict(c, "#### -0", "0"), Verdict::Correct);
}

TPT_TEST(verifier, huge_numbers_compare_exactly) {
  const VerifierConfig c;
  COMPARE(verdict(c, "#### 123456789012345678901234567890", "123456789012345678901234567890.0"), Verdict::Correct);
  // These two are equal as doubles; a floating-point comparison would call this correct.
  COMPARE(verdict(c, "#### 123456789012345678901234567891", "123456789012345678901234567890"), Verdict::Wrong);
}

TPT_TEST(verifier, flexible_and_boxed_extractors) {
  COMPARE(verdict(config(Extractor::Flexible, "numeric"), "so she pays $18.", "18"), Verdict::Correct);
  COMPARE(verdict(config(Extractor::Flexible, "exact"), "so she pays $18.", "18"), Verdict::Wrong);
  COMPARE(verdict(config(Extractor::Flexible, "numeric"), "no digits", "18"), Verdict::NoAnswer);
  COMPARE(verdict(config(Extractor::Boxed, "numeric"), "\\boxed{0.50}", "0.5"), Verdict::Correct);
  COMPARE(verdict(config(Extractor::Boxed, "numeric"), "\\boxed{\\frac{1}{2}}", "0.5"), Verdict::Wrong);
}

TPT_TEST(verifier, empty_gold_never_matches) {
  Judgement j = judge(VerifierConfig{}, "#### 5", "work\n####");
  COMPARE(j.verdict, Verdict::Wrong);
  COMPARE(j.gold, "");
}

TPT_TEST(verifier, verdict_names_round_trip) {
  for (Verdict v : {Verdict::Correct, Verdict::Wrong, Verdict::NoAnswer}) {
    const Verdict parsed = *parse_verdict(to_string(v));
    COMPARE(parsed, v);
  }
  COMPARE(std::string(to_string(Verdict::NoAnswer)), "no_answer");
  VERIFY(!parse_verdict("right"));
}

TPT_TEST(verifier, json_round_trip_and_description) {
  std::vector<FieldIssue> issues;
  auto c = VerifierConfig::parse(nlohmann::json::parse(R"({"extractor": "flexible", "normalize": "lm-eval"})"), "verifier", issues);
  COMPARE(issues.size(), size_t(0));
  COMPARE(c.extractor, Extractor::Flexible);
  VERIFY(c.normalize == NormalizeConfig::lm_eval());
  COMPARE(c.describe(), "flexible, lm-eval");
  VERIFY(VerifierConfig::parse(c.to_json(), "verifier", issues) == c);
  auto defaults = VerifierConfig::parse(nlohmann::json::object(), "verifier", issues);
  VERIFY(defaults == VerifierConfig{});
  COMPARE(defaults.describe(), "strict, numeric");
  COMPARE(issues.size(), size_t(0));
}

TPT_TEST(verifier, json_errors_carry_paths) {
  std::vector<FieldIssue> issues;
  VerifierConfig::parse(nlohmann::json::parse(R"({"extractor": "regex", "normalise": "exact"})"), "prune.verifier", issues);
  COMPARE(issues.size(), size_t(2));
  COMPARE(issues[0].path, "prune.verifier.extractor");
  VERIFY_CONTAINS(issues[0].message, "\"strict\", \"flexible\" or \"boxed\"");
  COMPARE(issues[1].path, "prune.verifier.normalise");
  VERIFY_CONTAINS(issues[1].message, "did you mean \"normalize\"");
}
