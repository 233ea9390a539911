// Rule sets as a whole: order decides "dropped by", every sample gets a full decision record,
// JSON round trips, and validation reports every problem with its JSON path at once.
#include <fstream>
#include <string>
#include <vector>

#include "check.h"
#include "prune_test_support.h"
#include "prune/rule_set.h"
#include "report/funnel.h"

using namespace tpt::prune;
using nlohmann::json;
using tpt::FieldIssue;

namespace {

std::vector<FieldIssue> issues_of(const char* json_text, const std::string& path = "") {
  std::vector<FieldIssue> issues;
  RuleSet::parse(json::parse(json_text), path, issues);
  return issues;
}

std::string all_issues(const std::vector<FieldIssue>& issues) {
  std::string out;
  for (const auto& i : issues) out += i.to_string() + "\n";
  return out;
}

const char* kFullExample = R"({
  "verifier": {"extractor": "flexible", "normalize": {"strip_commas": true, "canonical_number": true}},
  "rules": [
    {"type": "correct_answer"},
    {"type": "has_final_answer", "enabled": false},
    {"type": "length", "name": "not too long", "max_tokens": 1500, "min_chars": 10},
    {"type": "annotation_override"},
    {"type": "dedupe", "mode": "normalized"},
    {"type": "max_per_problem", "k": 2, "select": "random", "seed": 42}
  ]
})";

}  // namespace

TPT_TEST(rule_set, default_checks_the_answer_strictly_with_numeric_normalisation) {
  RuleSet set;
  COMPARE(set.verifier().extractor, Extractor::Strict);
  VERIFY(set.verifier().normalize == NormalizeConfig::numeric());
  COMPARE(set.rules().size(), size_t(1));
  COMPARE(set.rules()[0].type, RuleType::CorrectAnswer);
  VERIFY(set.to_json() == json::parse(R"({"verifier": {"extractor": "strict", "normalize": "numeric"},
                                           "rules": [{"type": "correct_answer"}]})"));
}

TPT_TEST(rule_set, paper_preset_is_strict_exact_and_first_correct_per_problem) {
  VERIFY(RuleSet::paper().to_json() ==
         json::parse(R"({"verifier": {"extractor": "strict", "normalize": "exact"},
                         "rules": [{"type": "correct_answer"}, {"type": "max_per_problem", "k": 1, "select": "first"}]})"));
  auto d = RuleSet::paper().apply({sample(1, "p", "#### 1,000", "1000"), sample(2, "p", "#### 1000", "1000"),
                                   sample(3, "p", "#### 1000", "1000")});
  VERIFY(!d[0].kept);
  VERIFY(d[1].kept);
  COMPARE(d[2].dropped_by, "max_per_problem");
}

TPT_TEST(rule_set, order_decides_which_rule_dropped_a_sample) {
  const auto s = sample(5, "p", "#### 17", "18", 900);
  auto answer_first = rules(R"({"rules": [{"type": "correct_answer"}, {"type": "length", "max_tokens": 400}]})").apply({s});
  auto length_first = rules(R"({"rules": [{"type": "length", "max_tokens": 400}, {"type": "correct_answer"}]})").apply({s});
  COMPARE(answer_first[0].dropped_by, "correct_answer");
  COMPARE(length_first[0].dropped_by, "length");
  COMPARE(length_first[0].reason, "900 tokens > max_tokens 400");
  // Both per-sample rules judged the sample either way.
  COMPARE(answer_first[0].verdicts[1].outcome, Outcome::Fail);
  COMPARE(length_first[0].verdicts[1].outcome, Outcome::Fail);
}

TPT_TEST(rule_set, every_sample_gets_a_decision_with_every_verdict) {
  auto set = rules(R"({"rules": [{"type": "correct_answer"}, {"type": "length", "name": "short", "max_chars": 20},
                                  {"type": "dedupe"}, {"type": "max_per_problem"}]})");
  std::vector<PruneSample> samples = {sample(30, "p", "#### 18"), sample(20, "p", "#### 18"), sample(10, "q", "#### 9"),
                                      sample(40, "q", "a long long long way\n#### 18"), sample(50, "r", "#### 18 ok")};
  auto d = set.apply(samples);
  COMPARE(d.size(), samples.size());
  for (size_t i = 0; i < d.size(); ++i) {
    COMPARE(d[i].sample_id, samples[i].id);
    COMPARE(d[i].verdicts.size(), size_t(4));
    COMPARE(d[i].verdicts[0].rule, "correct_answer");
    COMPARE(d[i].verdicts[1].rule, "short");
    COMPARE(d[i].verdicts[2].rule, "dedupe");
    COMPARE(d[i].verdicts[3].rule, "max_per_problem");
    COMPARE(d[i].kept, d[i].dropped_by.empty());
  }
  COMPARE(d[1].dropped_by, "dedupe");
  COMPARE(d[1].reason, "duplicate of sample 30");
  COMPARE(d[2].dropped_by, "correct_answer");
  COMPARE(d[3].dropped_by, "short");
  COMPARE(d[3].verdicts[0].outcome, Outcome::Pass);
  VERIFY(d[0].kept);
  VERIFY(d[4].kept);
  COMPARE(d[2].judgement.verdict, Verdict::Wrong);
  COMPARE(d[2].judgement.prediction, "9");

  const json v = d[3].verdicts_json();
  COMPARE(v.size(), size_t(4));
  COMPARE(v[1]["rule"].get<std::string>(), "short");
  COMPARE(v[1]["outcome"].get<std::string>(), "fail");
  COMPARE(v[1]["reason"].get<std::string>(), "28 chars > max_chars 20");
  COMPARE(v[2]["outcome"].get<std::string>(), "skipped");
  COMPARE(v[2]["reason"].get<std::string>(), "already dropped by short");
}

TPT_TEST(rule_set, decisions_are_deterministic) {
  auto set = rules(kFullExample);
  std::vector<PruneSample> samples;
  for (int i = 0; i < 300; ++i)
    samples.push_back(sample(i, "p" + std::to_string(i % 37), "step " + std::to_string(i % 5) + " so 18", "18", 20 + i % 7));
  auto a = set.apply(samples), b = set.apply(samples);
  for (size_t i = 0; i < a.size(); ++i) {
    COMPARE(a[i].kept, b[i].kept);
    COMPARE(a[i].dropped_by, b[i].dropped_by);
    VERIFY(a[i].verdicts_json() == b[i].verdicts_json());
  }
}

TPT_TEST(rule_set, json_round_trips) {
  auto set = rules(kFullExample);
  COMPARE(set.rules().size(), size_t(6));
  COMPARE(set.rules()[2].name, "not too long");
  VERIFY(!set.rules()[1].enabled);
  COMPARE(set.rules()[5].seed, uint64_t(42));
  COMPARE(set.verifier().normalize.describe(), "custom(commas, number)");
  VERIFY(set.needs_token_counts());
  const json j = set.to_json();
  VERIFY(RuleSet::from_json(j, "again").to_json() == j);
  VERIFY(RuleSet::from_json(j, "again") == set);
  // Rules are written as a user would write them: defaults left out.
  VERIFY(j["rules"] == json::parse(kFullExample)["rules"]);
  VERIFY(j["verifier"]["normalize"] == json::parse(R"({"strip_commas": true, "strip_currency": false,
      "strip_trailing_period": false, "canonical_number": true})"));
}

TPT_TEST(rule_set, save_and_load_a_file) {
  const std::string file = tpt::testing::temp_dir() + "/rules.json";
  auto set = rules(kFullExample);
  set.save(file);
  VERIFY(RuleSet::load(file) == set);
}

TPT_TEST(rule_set, load_names_the_file_in_errors) {
  const std::string dir = tpt::testing::temp_dir();
  VERIFY_THROWS_WITH(RuleSet::load(dir + "/missing.json"), "missing.json: cannot open file");
  {
    std::ofstream out(dir + "/broken.json");
    out << "{\n  \"rules\": [\n    {\"type\": \"dedupe\",}\n  ]\n}\n";
  }
  VERIFY_THROWS_WITH(RuleSet::load(dir + "/broken.json"), "broken.json:3:");
  {
    std::ofstream out(dir + "/invalid.json");
    out << R"({"rules": [{"type": "max_per_problem", "k": 0}]})";
  }
  VERIFY_THROWS_WITH(RuleSet::load(dir + "/invalid.json"), "rules[0].k: must be an integer >= 1, got 0");
}

TPT_TEST(rule_set, validation_lists_every_problem_with_its_path) {
  auto issues = issues_of(R"({
    "verifier": {"extractor": "regex"},
    "rule": 1,
    "rules": [
      {"type": "dedup"},
      {"type": "max_per_problem", "k": 0, "select": "best"},
      {"type": "length", "max_token": 400, "max_tokens": -5},
      {"name": "x"},
      {"type": "correct_answer", "enabled": "yes"},
      {"type": "length", "name": "l5", "min_chars": 9, "max_chars": 3},
      {"type": "length", "name": "l6"},
      {"type": "correct_answer", "name": ""}
    ]
  })");
  const std::string text = all_issues(issues);
  VERIFY_CONTAINS(text, "verifier.extractor: must be one of \"strict\", \"flexible\" or \"boxed\", got \"regex\"");
  VERIFY_CONTAINS(text, "rules[0].type: unknown rule type \"dedup\" (did you mean \"dedupe\"?)");
  VERIFY_CONTAINS(text, "rules[1].k: must be an integer >= 1, got 0");
  VERIFY_CONTAINS(text, "rules[1].select: must be one of \"first\", \"shortest\" or \"random\", got \"best\"");
  VERIFY_CONTAINS(text, "rules[2].max_tokens: must be an integer >= 0, got -5");
  VERIFY_CONTAINS(text, "rules[2].max_token: unknown key (did you mean \"max_tokens\"?)");
  VERIFY_CONTAINS(text, "rules[3].type: missing");
  VERIFY_CONTAINS(text, "rules[4].enabled: must be true or false");
  VERIFY_CONTAINS(text, "rules[5].min_chars: must be <= max_chars (3), got 9");
  VERIFY_CONTAINS(text, "rules[6]: a length rule needs at least one of");
  VERIFY_CONTAINS(text, "rules[7].name: must not be empty");
  VERIFY_CONTAINS(text, "rule: unknown key (did you mean \"rules\"?)");
  if (issues.size() != 12) TPT_FAIL("expected 12 issues, got:\n" + text);
}

TPT_TEST(rule_set, two_rules_may_not_share_a_name) {
  auto issues = issues_of(R"({"rules": [{"type": "length", "max_tokens": 9}, {"type": "length", "min_chars": 3}]})", "prune");
  COMPARE(issues.size(), size_t(1));
  COMPARE(issues[0].path, "prune.rules[1].name");
  VERIFY_CONTAINS(issues[0].message, "already the name of prune.rules[0]");
  COMPARE(issues_of(R"({"rules": [{"type": "length", "max_tokens": 9}, {"type": "length", "name": "b", "min_chars": 3}]})").size(),
          size_t(0));
}

TPT_TEST(rule_set, embedded_paths_carry_the_prefix) {
  auto issues = issues_of(R"({"rules": [{"type": "max_per_problem", "k": 0}]})", "prune");
  COMPARE(issues.size(), size_t(1));
  COMPARE(issues[0].path, "prune.rules[0].k");
  auto not_array = issues_of(R"({"rules": {"type": "dedupe"}})", "prune");
  COMPARE(not_array[0].path, "prune.rules");
}

TPT_TEST(rule_set, from_json_throws_with_all_issues) {
  try {
    RuleSet::from_json(json::parse(R"({"rules": [{"type": "dedupe", "mode": "fuzzy"}, {"type": "max_per_problem", "k": -1}]})"),
                       "rules.json");
    TPT_FAIL("no exception");
  } catch (const tpt::ValidationError& e) {
    COMPARE(e.issues().size(), size_t(2));
    VERIFY_CONTAINS(e.what(), "rules.json: 2 errors");
    VERIFY_CONTAINS(e.what(), "rules[0].mode");
    VERIFY_CONTAINS(e.what(), "rules[1].k");
  }
}

TPT_TEST(rule_set, rules_built_in_code_are_validated_too) {
  Rule bad(RuleType::MaxPerProblem);
  bad.k = 0;
  VERIFY_THROWS_WITH(RuleSet(VerifierConfig{}, {Rule(RuleType::CorrectAnswer), bad}), "rules[1].k: must be an integer >= 1, got 0");
  RuleSet set;
  Rule length(RuleType::Length);
  length.max_tokens = 10;
  set.set_rules({length});
  VERIFY(set.needs_token_counts());
}

TPT_TEST(rule_set, an_empty_rule_list_keeps_everything) {
  auto d = rules(R"({"rules": []})").apply({sample(1, "p", "nothing")});
  VERIFY(d[0].kept);
  COMPARE(d[0].verdicts.size(), size_t(0));
  COMPARE(d[0].judgement.verdict, Verdict::NoAnswer);
}

TPT_TEST(funnel, truncated_samples_are_counted_and_so_are_those_kept) {
  // Truncated at max_new_tokens: one still ended its answer line in time (kept), two never did.
  std::vector<tpt::prune::PruneSample> samples(4);
  const char* completions[] = {"3 + 4 = 7\n#### 7", "3 + 4 = 7\n#### 7", "3 + 4 = 7 and then 7 + 1 =", "3 + 4 ="};
  const bool truncated[] = {false, true, true, true};
  for (size_t i = 0; i < samples.size(); ++i) {
    samples[i].id = static_cast<int64_t>(i + 1);
    samples[i].problem_key = "p" + std::to_string(i);
    samples[i].completion = completions[i];
    samples[i].gold = "7";
    samples[i].truncated = truncated[i];
  }
  const auto funnel = tpt::report::compute_funnel(samples, tpt::prune::RuleSet());
  COMPARE(funnel.samples, int64_t{4});
  COMPARE(funnel.kept, int64_t{2});
  COMPARE(funnel.truncated, int64_t{3});
  COMPARE(funnel.truncated_kept, int64_t{1});
}
