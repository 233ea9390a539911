// The rules a rule set is made of (rule_set.h): what each one checks, its parameters, its
// JSON form, and how it judges samples.
//
// Two kinds of rule:
//   per-sample  correct_answer, has_final_answer, length, annotation_override,
//               calculator_check (prune/calculator.h): judged on the
//               sample alone, and evaluated for EVERY sample (even one an earlier rule already
//               dropped), so a decision record shows all the reasons a sample is bad.
//   set         dedupe, max_per_problem: judged against other samples, so they consider only
//               the samples still alive after the rules before them; an already-dropped sample
//               gets Outcome::Skipped. Their position in the list therefore matters.
//
// annotation_override — an annotator's label beats the verifier:
//   "reject"  the sample is dropped by this rule, at this rule's position (put it before the
//             set rules so a rejected sample does not take a dedupe or k-per-problem slot).
//   "accept"  the verifier-based rules (correct_answer, has_final_answer) do not drop it: a
//             failing verdict becomes Outcome::Overridden with the annotator's name in the
//             reason. Every other rule (length, dedupe, max_per_problem) still applies. This
//             holds wherever the override rule stands in the list; disabling it (or leaving
//             it out) turns the rescue off.
//   "flag"    changes nothing; the rule passes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "prune/verifier.h"

namespace tpt::prune {

enum class AnnotationLabel { None, Accept, Reject, Flag };

const char* to_string(AnnotationLabel label);  // "", "accept", "reject", "flag"
std::optional<AnnotationLabel> parse_annotation_label(std::string_view text);

// One completion to prune. `gold` is the problem's gold answer or its whole gold solution.
struct PruneSample {
  int64_t id = 0;
  std::string problem_key;
  std::string completion;
  std::string gold;
  int64_t token_count = -1;  // completion tokens; -1 = not counted
  bool truncated = false;    // sampling stopped at max_new_tokens (finish_reason "length")
  AnnotationLabel annotation = AnnotationLabel::None;
  std::string annotator;
  // Code problems: the program's judgement stored by an earlier Prune (CodeJudgement JSON), so
  // re-applying rules (the Pruning panel's funnel, a re-prune) does not run it again. "" = none.
  std::string judged;
};

enum class Outcome { Pass, Fail, Skipped, Overridden };

const char* to_string(Outcome outcome);  // "pass", "fail", "skipped", "overridden"
std::optional<Outcome> parse_outcome(std::string_view text);

struct RuleVerdict {
  std::string rule;  // the rule's name
  Outcome outcome = Outcome::Pass;
  std::string reason;  // why it failed (or passed, where that is informative)
};

enum class RuleType { CorrectAnswer, HasFinalAnswer, Length, Dedupe, MaxPerProblem, AnnotationOverride, CalculatorCheck, TestsPass };

const char* to_string(RuleType type);  // the JSON "type": "correct_answer", ...
std::optional<RuleType> parse_rule_type(std::string_view text);
std::vector<std::string> rule_type_names();

enum class DedupeMode { Exact, Normalized };
// tests_pass (code problems): all = hard pruning (every test passes), any = the paper's soft
// pruning (at least one test passes), public_only = the statement's examples all pass.
enum class TestsMode { All, Any, PublicOnly };
enum class Select { First, Shortest, Random };

const char* to_string(DedupeMode mode);  // "exact", "normalized"
const char* to_string(TestsMode mode);   // "all", "any", "public_only"
const char* to_string(Select select);    // "first", "shortest", "random"

// A rule and its parameters; only the fields of its type are read, written and used.
struct Rule {
  RuleType type = RuleType::CorrectAnswer;
  std::string name;  // decision records say "dropped by <name>"; defaults to the type
  bool enabled = true;

  // length: any combination of bounds, at least one. Characters are Unicode code points.
  std::optional<int64_t> min_tokens, max_tokens, min_chars, max_chars;

  // dedupe: exact compares completions byte for byte; normalized collapses whitespace runs
  // to one space, trims, and folds ASCII case. Always within one problem.
  DedupeMode mode = DedupeMode::Exact;

  // tests_pass: which tests a code sample must pass (JSON "mode" too: "all", "any",
  // "public_only"). A sample of a math problem fails it: the rule belongs to code experiments.
  TestsMode tests = TestsMode::All;

  // max_per_problem: keep k per problem. "shortest" orders by token count when every sample
  // of the problem has one, else by characters; ties go to input order. "random" orders by
  // tpt::seeded_key(seed, sample id), so a sample's chance does not depend on other problems.
  int64_t k = 1;
  Select select = Select::First;
  uint64_t seed = 0;

  explicit Rule(RuleType type = RuleType::CorrectAnswer);

  bool is_set_rule() const { return type == RuleType::Dedupe || type == RuleType::MaxPerProblem; }
  bool uses_verifier() const {
    return type == RuleType::CorrectAnswer || type == RuleType::HasFinalAnswer || type == RuleType::TestsPass;
  }
  bool needs_token_counts() const;

  // {"type": ..., "name"?, "enabled"?, parameters...}. Returns nullopt when the type is
  // missing or unknown (the other keys cannot be checked then); other problems are recorded
  // and the rule is still returned.
  static std::optional<Rule> parse(const nlohmann::json& j, const std::string& path, std::vector<FieldIssue>& issues);
  // Writes "name" and "enabled" only when they differ from the defaults.
  nlohmann::json to_json() const;
};

// Judges one sample with a per-sample rule, given the verifier's judgement of it. `accepted`
// says an enabled annotation_override is in force and the sample is annotated "accept".
RuleVerdict check_sample(const Rule& rule, const PruneSample& sample, const Judgement& judgement, bool accepted);

// A sample a set rule drops: its index in the input and the reason.
struct SetRuleDrop {
  size_t index = 0;
  std::string reason;
};

// Runs a set rule over the samples with alive[i] set and returns the ones it drops, in input
// order; every other alive sample passes. Only drops are returned because a round can hold a
// million samples and most pass. Linear time apart from sorting within a problem; dedupe
// hashes instead of comparing pairs.
std::vector<SetRuleDrop> apply_set_rule(const Rule& rule, const std::vector<PruneSample>& samples,
                                        const std::vector<char>& alive);

// Completion length in Unicode code points (UTF-8 continuation bytes not counted).
int64_t count_chars(std::string_view text);

}  // namespace tpt::prune
