// Each prune rule on its own: what it keeps, what it drops, and the reason it records.
// Rule sets are built from JSON, the form users write.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "check.h"
#include "prune_test_support.h"
#include "core/hash.h"
#include "prune/calculator.h"
#include "prune/rule_set.h"

using namespace tpt::prune;
using nlohmann::json;

namespace {

PruneSample annotated(PruneSample s, AnnotationLabel label, std::string annotator) {
  s.annotation = label;
  s.annotator = std::move(annotator);
  return s;
}

std::vector<int64_t> kept_ids(const std::vector<Decision>& decisions) {
  std::vector<int64_t> ids;
  for (const auto& d : decisions)
    if (d.kept) ids.push_back(d.sample_id);
  return ids;
}

const RuleVerdict& verdict_of(const Decision& d, const std::string& rule) {
  for (const auto& v : d.verdicts)
    if (v.rule == rule) return v;
  TPT_FAIL("no verdict of rule " + rule + " for sample " + std::to_string(d.sample_id));
}

}  // namespace

namespace tpt::testing {
template <>
inline std::string show(const std::vector<int64_t>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? ", " : "") + std::to_string(ids[i]);
  return out + "]";
}
}  // namespace tpt::testing

TPT_TEST(rules, correct_answer_drops_wrong_and_missing_answers_with_reasons) {
  auto d = rules(R"({"rules": [{"type": "correct_answer"}]})")
               .apply({sample(1, "p", "#### 18"), sample(2, "p", "#### 17"), sample(3, "p", "it is 18")});
  COMPARE(kept_ids(d), std::vector<int64_t>({1}));
  COMPARE(d[1].dropped_by, "correct_answer");
  COMPARE(d[1].reason, "extracted \"17\" != gold \"18\" (strict, numeric)");
  COMPARE(d[2].reason, "no \"####\" answer found");
  COMPARE(d[0].verdicts[0].outcome, Outcome::Pass);
}

TPT_TEST(rules, correct_answer_names_the_verifier_in_its_reason) {
  auto d = rules(R"({"verifier": {"extractor": "strict", "normalize": "exact"}, "rules": [{"type": "correct_answer"}]})")
               .apply({sample(1, "p", "#### 1,000", "1000")});
  COMPARE(d[0].reason, "extracted \"1,000\" != gold \"1000\" (strict, exact)");
}

TPT_TEST(rules, has_final_answer_keeps_wrong_answers_but_not_missing_ones) {
  auto d = rules(R"({"rules": [{"type": "has_final_answer"}]})")
               .apply({sample(1, "p", "#### 17"), sample(2, "p", "I think 18")});
  COMPARE(kept_ids(d), std::vector<int64_t>({1}));
  COMPARE(d[1].reason, "no \"####\" answer found");
  auto boxed = rules(R"({"verifier": {"extractor": "boxed"}, "rules": [{"type": "has_final_answer"}]})")
                   .apply({sample(1, "p", "#### 18")});
  COMPARE(boxed[0].reason, "no \\boxed{} answer found");
}

TPT_TEST(rules, length_bounds_on_tokens) {
  auto set = rules(R"({"rules": [{"type": "length", "min_tokens": 20, "max_tokens": 400}]})");
  VERIFY(set.needs_token_counts());
  auto d = set.apply({sample(1, "p", "a", "18", 412), sample(2, "p", "b", "18", 12), sample(3, "p", "c", "18", 400),
                      sample(4, "p", "d", "18", 20)});
  COMPARE(kept_ids(d), std::vector<int64_t>({3, 4}));
  COMPARE(d[0].reason, "412 tokens > max_tokens 400");
  COMPARE(d[1].reason, "12 tokens < min_tokens 20");
  COMPARE(d[0].dropped_by, "length");
}

TPT_TEST(rules, length_bounds_on_characters_count_code_points) {
  auto set = rules(R"({"rules": [{"type": "length", "max_chars": 5}]})");
  VERIFY(!set.needs_token_counts());
  // "héllo" is 5 characters in 6 bytes; no token counts are needed for a character bound.
  auto d = set.apply({sample(1, "p", "h\xc3\xa9llo"), sample(2, "p", "hello!")});
  COMPARE(kept_ids(d), std::vector<int64_t>({1}));
  COMPARE(d[1].reason, "6 chars > max_chars 5");
  auto min = rules(R"({"rules": [{"type": "length", "min_chars": 3}]})").apply({sample(1, "p", "ab")});
  COMPARE(min[0].reason, "2 chars < min_chars 3");
}

TPT_TEST(rules, token_bound_without_token_count_is_an_error_naming_the_sample) {
  auto set = rules(R"({"rules": [{"type": "length", "max_tokens": 400}]})");
  VERIFY_THROWS_WITH(set.apply({sample(1, "p", "a", "18", 5), sample(77, "p", "b"), sample(78, "p", "c")}),
                     "sample 77 (and 1 more) has no token count");
  // A disabled token rule asks for nothing.
  auto off = rules(R"({"rules": [{"type": "length", "max_tokens": 400, "enabled": false}]})");
  VERIFY(!off.needs_token_counts());
  COMPARE(off.apply({sample(1, "p", "a")}).size(), size_t(1));
}

TPT_TEST(rules, calculator_check_drops_wrong_or_broken_annotations_even_with_the_right_answer) {
  // All five end on the gold 10; only the first two show their arithmetic correctly.
  auto d = rules(R"({"rules": [{"type": "correct_answer"}, {"type": "calculator_check"}]})")
               .apply({sample(1, "p", "He reads 10+3=<<10+3=13>>13 pages.\nHe reads 13-3=<<13-3=10>>10.\n#### 10", "10"),
                       sample(2, "p", "No calculator here: 10.\n#### 10", "10"),
                       sample(3, "p", "He reads 10+3=<<10+3=14>>14 pages.\n14-4=<<14-4=10>>10\n#### 10", "10"),
                       sample(4, "p", "She rides 10+10=<<10>>10 miles.\n#### 10", "10"),
                       sample(5, "p", "2*5=<<2*5=10>>11 apples.\n#### 10", "10")});
  COMPARE(kept_ids(d), std::vector<int64_t>({1, 2}));
  COMPARE(d[2].dropped_by, "calculator_check");
  COMPARE(d[2].reason, "<<10+3=14>>: 10+3 is 13, not 14");
  COMPARE(d[3].reason, "<<10>>: no \"=\"");
  COMPARE(d[4].reason, "<<2*5=10>>11: 11 written after a calculator value of 10");
  COMPARE(verdict_of(d[2], "correct_answer").outcome, Outcome::Pass);
}

TPT_TEST(rules, calculator_arithmetic_follows_precedence_and_reports_what_it_cannot_read) {
  COMPARE_NEAR(*evaluate_arithmetic("2+3*4"), 14.0, 1e-12);
  COMPARE_NEAR(*evaluate_arithmetic("(2+3)*4"), 20.0, 1e-12);
  COMPARE_NEAR(*evaluate_arithmetic("1,200/ 8 - -2"), 152.0, 1e-12);
  COMPARE_NEAR(*evaluate_arithmetic("5*0.5"), 2.5, 1e-12);
  std::string error;
  VERIFY(!evaluate_arithmetic("3/0", &error));
  COMPARE(error, std::string("division by zero"));
  VERIFY(!evaluate_arithmetic("3+", &error));
  COMPARE(error, std::string("expected a number at the end"));
  VERIFY(!evaluate_arithmetic("3x", &error));
  COMPARE(error, std::string("unexpected \"x\""));
  // GSM8K's own gold solutions pass; an unclosed annotation does not.
  COMPARE(find_calculator_error("48/2=<<48/2=24>>24 clips in May.\n48+24=<<48+24=72>>72\n#### 72").has_value(), false);
  COMPARE(*find_calculator_error("3+4=<<3+4=7"), std::string("\"<<\" without \">>\""));
}

TPT_TEST(rules, calculator_annotations_nested_beyond_reason_are_rejected_not_a_crash) {
  // What a model can write: 40,000 parentheses, or 100,000 minus signs, in one annotation.
  // Unbounded recursion overflowed the stack here (every resume then crashed in Prune).
  const std::string parens = "<<" + std::string(40000, '(') + "1" + std::string(40000, ')') + "=1>>1";
  const auto error = find_calculator_error(parens);
  VERIFY(error.has_value());
  VERIFY_CONTAINS(*error, "nested more than 256 levels deep");
  const std::string minuses = "<<" + std::string(100000, '-') + "1=1>>1";
  VERIFY_CONTAINS(*find_calculator_error(minuses), "nested more than 256 levels deep");
  // Depth a person writes still evaluates: 100 pairs of parentheses, 101 minus signs.
  COMPARE_NEAR(*evaluate_arithmetic(std::string(100, '(') + "2+3" + std::string(100, ')')), 5.0, 1e-12);
  COMPARE_NEAR(*evaluate_arithmetic(std::string(101, '-') + "4"), -4.0, 1e-12);
}

TPT_TEST(rules, dedupe_exact_keeps_the_first_copy_per_problem) {
  auto d = rules(R"({"rules": [{"type": "dedupe", "mode": "exact"}]})")
               .apply({sample(10, "p", "x\n#### 18"), sample(11, "p", "X\n#### 18"), sample(12, "p", "x\n#### 18"),
                       sample(13, "q", "x\n#### 18"), sample(14, "p", "x \n#### 18")});
  COMPARE(kept_ids(d), std::vector<int64_t>({10, 11, 13, 14}));
  COMPARE(d[2].dropped_by, "dedupe");
  COMPARE(d[2].reason, "duplicate of sample 10");
}

TPT_TEST(rules, dedupe_normalized_ignores_whitespace_and_case) {
  auto d = rules(R"({"rules": [{"type": "dedupe", "mode": "normalized"}]})")
               .apply({sample(10, "p", "Half of  24 is 12.\n#### 12"), sample(11, "p", " half of 24\tis 12. #### 12\n"),
                       sample(12, "p", "half of 24 is 12.#### 12"), sample(13, "q", "half of 24 is 12. #### 12")});
  COMPARE(kept_ids(d), std::vector<int64_t>({10, 12, 13}));
  COMPARE(d[1].reason, "duplicate of sample 10");
}

TPT_TEST(rules, dedupe_only_sees_samples_alive_before_it) {
  auto d = rules(R"({"rules": [{"type": "annotation_override"}, {"type": "dedupe"}]})")
               .apply({annotated(sample(1, "p", "#### 18"), AnnotationLabel::Reject, "ana"), sample(2, "p", "#### 18"),
                       sample(3, "p", "#### 18")});
  COMPARE(kept_ids(d), std::vector<int64_t>({2}));
  COMPARE(verdict_of(d[0], "dedupe").outcome, Outcome::Skipped);
  COMPARE(verdict_of(d[0], "dedupe").reason, "already dropped by annotation_override");
  COMPARE(d[2].reason, "duplicate of sample 2");
}

TPT_TEST(rules, max_per_problem_first_keeps_input_order) {
  auto d = rules(R"({"rules": [{"type": "max_per_problem", "k": 1, "select": "first"}]})")
               .apply({sample(1, "p", "a"), sample(2, "q", "b"), sample(3, "p", "c"), sample(4, "q", "d")});
  COMPARE(kept_ids(d), std::vector<int64_t>({1, 2}));
  COMPARE(d[2].dropped_by, "max_per_problem");
  COMPARE(d[2].reason, "problem already has 1 kept sample (k=1, select first)");
  auto two = rules(R"({"rules": [{"type": "max_per_problem", "k": 2}]})")
                 .apply({sample(1, "p", "a"), sample(2, "p", "b"), sample(3, "p", "c")});
  COMPARE(kept_ids(two), std::vector<int64_t>({1, 2}));
  COMPARE(two[2].reason, "problem already has 2 kept samples (k=2, select first)");
}

TPT_TEST(rules, max_per_problem_counts_only_samples_that_survived_earlier_rules) {
  auto d = rules(R"({"rules": [{"type": "correct_answer"}, {"type": "max_per_problem"}]})")
               .apply({sample(1, "p", "#### 17"), sample(2, "p", "#### 18"), sample(3, "p", "#### 18")});
  COMPARE(kept_ids(d), std::vector<int64_t>({2}));
  COMPARE(verdict_of(d[0], "max_per_problem").outcome, Outcome::Skipped);
  COMPARE(d[2].dropped_by, "max_per_problem");
}

TPT_TEST(rules, max_per_problem_shortest_uses_tokens_then_input_order) {
  auto set = rules(R"({"rules": [{"type": "max_per_problem", "k": 2, "select": "shortest"}]})");
  auto d = set.apply({sample(1, "p", "aaaa", "18", 30), sample(2, "p", "b", "18", 50), sample(3, "p", "cc", "18", 10),
                      sample(4, "p", "ddd", "18", 30)});
  COMPARE(kept_ids(d), std::vector<int64_t>({1, 3}));  // 10 tokens, then the first of the two 30s
  COMPARE(d[3].reason, "problem already has 2 kept samples (k=2, select shortest)");
  // Without token counts for every sample of a problem, characters decide.
  auto chars = set.apply({sample(1, "p", "aaaa", "18", 1), sample(2, "p", "b"), sample(3, "p", "cc")});
  COMPARE(kept_ids(chars), std::vector<int64_t>({2, 3}));
}

TPT_TEST(rules, max_per_problem_random_is_reproducible_per_seed) {
  std::vector<PruneSample> samples;
  for (int p = 0; p < 50; ++p)
    for (int s = 0; s < 4; ++s) samples.push_back(sample(p * 10 + s, "p" + std::to_string(p), "x"));
  auto seeded = [&](int seed) {
    return rules(("{\"rules\": [{\"type\": \"max_per_problem\", \"select\": \"random\", \"seed\": " + std::to_string(seed) + "}]}").c_str());
  };
  const auto a = kept_ids(seeded(7).apply(samples));
  COMPARE(a.size(), size_t(50));
  COMPARE(kept_ids(seeded(7).apply(samples)), a);
  VERIFY(kept_ids(seeded(8).apply(samples)) != a);
  // The kept sample of each problem is the one with the smallest seeded key of its id.
  for (int64_t id : a) {
    const int64_t first = id / 10 * 10;
    for (int64_t other = first; other < first + 4; ++other)
      VERIFY(tpt::seeded_key(7, static_cast<uint64_t>(id)) <= tpt::seeded_key(7, static_cast<uint64_t>(other)));
  }
  // A problem's choice does not depend on the other problems or on input order.
  std::vector<PruneSample> one_problem(samples.begin() + 8, samples.begin() + 12);
  std::reverse(one_problem.begin(), one_problem.end());
  const auto alone = kept_ids(seeded(7).apply(one_problem));
  COMPARE(alone.size(), size_t(1));
  VERIFY(std::find(a.begin(), a.end(), alone[0]) != a.end());
}

TPT_TEST(rules, annotation_accept_rescues_a_wrong_sample_but_not_an_overlong_one) {
  auto set = rules(R"({"rules": [{"type": "correct_answer"}, {"type": "length", "max_tokens": 100},
                                  {"type": "annotation_override"}]})");
  auto d = set.apply({annotated(sample(1, "p", "#### 17", "18", 50), AnnotationLabel::Accept, "ana"),
                      annotated(sample(2, "p", "#### 17", "18", 150), AnnotationLabel::Accept, "ana"),
                      sample(3, "p", "#### 17", "18", 50)});
  COMPARE(kept_ids(d), std::vector<int64_t>({1}));
  COMPARE(verdict_of(d[0], "correct_answer").outcome, Outcome::Overridden);
  VERIFY_CONTAINS(verdict_of(d[0], "correct_answer").reason, "accepted by annotator ana");
  VERIFY_CONTAINS(verdict_of(d[0], "correct_answer").reason, "extracted \"17\" != gold \"18\"");
  COMPARE(d[1].dropped_by, "length");
  COMPARE(verdict_of(d[1], "correct_answer").outcome, Outcome::Overridden);
  COMPARE(d[2].dropped_by, "correct_answer");
}

TPT_TEST(rules, annotation_accept_rescues_a_sample_without_an_answer) {
  auto d = rules(R"({"rules": [{"type": "has_final_answer"}, {"type": "correct_answer"}, {"type": "annotation_override"}]})")
               .apply({annotated(sample(1, "p", "it is 18"), AnnotationLabel::Accept, "bo")});
  VERIFY(d[0].kept);
  COMPARE(d[0].verdicts[0].outcome, Outcome::Overridden);
  COMPARE(d[0].verdicts[1].outcome, Outcome::Overridden);
  COMPARE(d[0].verdicts[2].reason, "accepted by annotator bo");
}

TPT_TEST(rules, annotation_reject_drops_a_correct_sample) {
  auto d = rules(R"({"rules": [{"type": "correct_answer"}, {"type": "annotation_override"}]})")
               .apply({annotated(sample(1, "p", "#### 18"), AnnotationLabel::Reject, "ana"),
                       annotated(sample(2, "p", "#### 18"), AnnotationLabel::Flag, "ana")});
  COMPARE(kept_ids(d), std::vector<int64_t>({2}));
  COMPARE(d[0].dropped_by, "annotation_override");
  COMPARE(d[0].reason, "rejected by annotator ana");
}

TPT_TEST(rules, annotation_override_position_does_not_matter_for_accept) {
  const auto s = annotated(sample(1, "p", "#### 17"), AnnotationLabel::Accept, "ana");
  auto before = rules(R"({"rules": [{"type": "annotation_override"}, {"type": "correct_answer"}]})").apply({s});
  auto after = rules(R"({"rules": [{"type": "correct_answer"}, {"type": "annotation_override"}]})").apply({s});
  VERIFY(before[0].kept);
  VERIFY(after[0].kept);
}

TPT_TEST(rules, accept_does_nothing_without_an_enabled_override_rule) {
  const auto s = annotated(sample(1, "p", "#### 17"), AnnotationLabel::Accept, "ana");
  auto absent = rules(R"({"rules": [{"type": "correct_answer"}]})").apply({s});
  auto disabled = rules(R"({"rules": [{"type": "correct_answer"}, {"type": "annotation_override", "enabled": false}]})").apply({s});
  VERIFY(!absent[0].kept);
  VERIFY(!disabled[0].kept);
  COMPARE(disabled[0].verdicts.size(), size_t(1));
  // A disabled override does not reject either.
  auto reject = rules(R"({"rules": [{"type": "annotation_override", "enabled": false}]})")
                    .apply({annotated(sample(2, "p", "#### 18"), AnnotationLabel::Reject, "ana")});
  VERIFY(reject[0].kept);
}

TPT_TEST(rules, disabled_rules_do_nothing_and_record_nothing) {
  auto d = rules(R"({"rules": [{"type": "correct_answer", "enabled": false}, {"type": "dedupe", "enabled": false},
                                {"type": "max_per_problem", "enabled": false}, {"type": "has_final_answer"}]})")
               .apply({sample(1, "p", "#### 17"), sample(2, "p", "#### 17")});
  COMPARE(kept_ids(d), std::vector<int64_t>({1, 2}));
  COMPARE(d[0].verdicts.size(), size_t(1));
  COMPARE(d[0].verdicts[0].rule, "has_final_answer");
}

TPT_TEST(rules, annotation_and_outcome_names_round_trip) {
  for (auto label : {AnnotationLabel::None, AnnotationLabel::Accept, AnnotationLabel::Reject, AnnotationLabel::Flag}) {
    const AnnotationLabel parsed = *parse_annotation_label(to_string(label));
    COMPARE(parsed, label);
  }
  COMPARE(std::string(to_string(AnnotationLabel::None)), "");
  VERIFY(!parse_annotation_label("maybe"));
  for (auto outcome : {Outcome::Pass, Outcome::Fail, Outcome::Skipped, Outcome::Overridden}) {
    const Outcome parsed = *parse_outcome(to_string(outcome));
    COMPARE(parsed, outcome);
  }
  COMPARE(std::string(to_string(Outcome::Overridden)), "overridden");
}
