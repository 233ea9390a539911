// The code domain inside Prune and Improve: the tests_pass rule's modes, the verifier that
// sends code problems to the sandbox and math problems to the answer checker, the judgement
// kept with the decision in the store, the funnel's count by program verdict, and Improve's
// strict (all tests) and flexible (public tests) columns.
#include "check.h"
#include "code_test_support.h"
#include "eval/metrics.h"
#include "prune/code_verifier.h"
#include "prune/rule_set.h"
#include "report/funnel.h"
#include "store/store.h"
#include "store_test_support.h"

using namespace tpt;
using code::CodeJudgement;
using code::CodeSpec;
using code::CodeVerdict;

namespace {

// Sum of the numbers on stdin: two public tests, one private.
std::string sum_spec() {
  CodeSpec spec;
  spec.tests = {{"1 2\n", "3\n", "public"}, {"5 5\n", "10\n", "public"}, {"100 -1\n", "99\n", "private"}};
  spec.time_limit_s = 2;
  return spec.to_json().dump();
}

std::string fenced(const std::string& program) { return "Reasoning first.\n```python\n" + program + "```\n"; }

const std::string kCorrect = fenced("print(sum(map(int, open(0).read().split())))\n");
// Right on the public tests (small positive numbers), wrong on the private one.
const std::string kPublicOnly = fenced("a, b = map(int, input().split())\nprint(abs(a) + abs(b))\n");
// Right only on the first public test.
const std::string kFirstOnly = fenced("input()\nprint(3)\n");
const std::string kWrong = fenced("print(0)\n");

prune::PruneSample sample(int64_t id, const std::string& key, std::string completion, std::string gold) {
  prune::PruneSample s;
  s.id = id;
  s.problem_key = key;
  s.completion = std::move(completion);
  s.gold = std::move(gold);
  s.token_count = 10;
  return s;
}

prune::Judgement judged(int passed, int total, int public_passed, int public_total, CodeVerdict verdict) {
  CodeJudgement c;
  c.verdict = verdict;
  c.passed = passed;
  c.run = total;
  c.total = total;
  c.public_passed = public_passed;
  c.public_total = public_total;
  c.message = std::string(code::describe(verdict)) + " (" + std::to_string(passed) + " passed)";
  return prune::to_judgement(c);
}

prune::Rule tests_rule(prune::TestsMode mode) {
  prune::Rule rule(prune::RuleType::TestsPass);
  rule.tests = mode;
  return rule;
}

}  // namespace

TPT_TEST(code_pruning, tests_pass_modes_decide_as_hard_soft_and_public_pruning) {
  using prune::Outcome;
  const auto s = sample(1, "p", "", sum_spec());
  const auto all = tests_rule(prune::TestsMode::All), any = tests_rule(prune::TestsMode::Any),
             pub = tests_rule(prune::TestsMode::PublicOnly);
  const auto accepted = judged(3, 3, 2, 2, CodeVerdict::Accepted);
  const auto public_ok = judged(2, 3, 2, 2, CodeVerdict::WrongAnswer);
  const auto one = judged(1, 3, 1, 2, CodeVerdict::WrongAnswer);
  const auto none = judged(0, 3, 0, 2, CodeVerdict::TimeLimit);
  // hard: only every test
  COMPARE(prune::check_sample(all, s, accepted, false).outcome, Outcome::Pass);
  COMPARE(prune::check_sample(all, s, public_ok, false).outcome, Outcome::Fail);
  // soft (the paper's "one or more tests")
  COMPARE(prune::check_sample(any, s, one, false).outcome, Outcome::Pass);
  COMPARE(prune::check_sample(any, s, none, false).outcome, Outcome::Fail);
  // the statement's examples
  COMPARE(prune::check_sample(pub, s, public_ok, false).outcome, Outcome::Pass);
  COMPARE(prune::check_sample(pub, s, one, false).outcome, Outcome::Fail);
  // The reason says what the program did and what the mode wanted.
  const auto v = prune::check_sample(all, s, none, false);
  VERIFY(v.reason.find("time limit") != std::string::npos);
  VERIFY(v.reason.find("mode all") != std::string::npos);
  // An annotator's accept overrides a failure, as for math answers.
  COMPARE(prune::check_sample(all, s, none, true).outcome, Outcome::Overridden);
  // A math problem's sample fails: the rule belongs to code experiments.
  const auto math = prune::check_sample(all, sample(2, "m", "#### 4", "4"), prune::Judgement{}, false);
  COMPARE(math.outcome, Outcome::Fail);
  VERIFY(math.reason.find("not a code problem") != std::string::npos);
}

TPT_TEST(code_pruning, tests_pass_mode_round_trips_through_json_and_rejects_unknown_modes) {
  std::vector<FieldIssue> issues;
  auto rule = prune::Rule::parse(nlohmann::json{{"type", "tests_pass"}, {"mode", "any"}}, "prune.rules[0]", issues);
  VERIFY(rule.has_value());
  VERIFY(issues.empty());
  COMPARE(rule->tests, prune::TestsMode::Any);
  COMPARE(rule->to_json().dump(), std::string(R"({"mode":"any","type":"tests_pass"})"));
  prune::Rule::parse(nlohmann::json{{"type", "tests_pass"}, {"mode", "some"}}, "prune.rules[0]", issues);
  COMPARE(issues.size(), size_t{1});
  COMPARE(issues[0].path, std::string("prune.rules[0].mode"));
}

TPT_TEST(code_pruning, a_rule_set_runs_programs_of_code_problems_and_checks_answers_of_math_ones) {
  const auto sandbox = code_test::sandbox();
  const std::string spec = sum_spec();
  const std::vector<prune::PruneSample> samples = {
      sample(1, "sum", kCorrect, spec),    sample(2, "sum", kPublicOnly, spec), sample(3, "sum", kFirstOnly, spec),
      sample(4, "sum", kWrong, spec),      sample(5, "sum", "no program here", spec),
      sample(6, "math", "2 + 2 = 4\n#### 4", "4")};
  prune::RuleSet soft;
  soft.set_rules({tests_rule(prune::TestsMode::Any)});
  const auto decisions = soft.apply(samples, prune::ProblemVerifier({}, sandbox));
  COMPARE(decisions.size(), samples.size());
  // kept: the correct program and the two that pass some tests; dropped: a wrong program, no
  // code, and the math sample (not a code problem).
  std::string kept;  // K = kept, D = dropped, in sample order
  for (const auto& d : decisions) kept += d.kept ? 'K' : 'D';
  COMPARE(kept, std::string("KKKDDD"));
  COMPARE(decisions[0].judgement.code->passed, 3);
  COMPARE(decisions[1].judgement.code->passed, 2);
  COMPARE(decisions[1].judgement.code->public_passed, 2);
  COMPARE(decisions[2].judgement.code->passed, 1);
  COMPARE(decisions[3].judgement.code->verdict, CodeVerdict::WrongAnswer);
  COMPARE(decisions[4].judgement.verdict, prune::Verdict::NoAnswer);
  COMPARE(decisions[4].judgement.code->verdict, CodeVerdict::NoCode);
  // The math sample was judged by its answer (correct), not by a program.
  VERIFY(!decisions[5].judgement.code.has_value());
  COMPARE(decisions[5].judgement.verdict, prune::Verdict::Correct);

  prune::RuleSet hard;
  hard.set_rules({tests_rule(prune::TestsMode::All)});
  const auto hard_decisions = hard.apply(samples, prune::ProblemVerifier({}, sandbox));
  kept.clear();
  for (const auto& d : hard_decisions) kept += d.kept ? 'K' : 'D';
  COMPARE(kept, std::string("KDDDDD"));
  VERIFY(hard_decisions[1].reason.find("wrong answer on test 3") != std::string::npos);
}

TPT_TEST(code_pruning, the_funnel_counts_removed_samples_by_program_verdict) {
  code_test::sandbox();  // skips without bubblewrap; the funnel uses the default sandbox
  const std::string spec = sum_spec();
  const std::vector<prune::PruneSample> samples = {
      sample(1, "sum", kCorrect, spec), sample(2, "sum", kWrong, spec), sample(3, "sum", kWrong + " ", spec),
      sample(4, "sum", fenced("while True: pass\n"), spec), sample(5, "sum", "none", spec)};
  prune::RuleSet hard;
  hard.set_rules({tests_rule(prune::TestsMode::All)});
  const report::Funnel f = report::compute_funnel(samples, hard);
  COMPARE(f.kept, int64_t{1});
  COMPARE(f.dropped_by_verdict.at("wrong_answer"), int64_t{2});
  COMPARE(f.dropped_by_verdict.at("time_limit"), int64_t{1});
  COMPARE(f.dropped_by_verdict.at("no_code"), int64_t{1});
  VERIFY(!f.dropped_by_verdict.count("accepted"));
  COMPARE(f.verdicts.at("accepted"), int64_t{1});
}

TPT_TEST(code_pruning, the_program_judgement_is_stored_with_the_decision) {
  using namespace store;
  Store st(test_support::fresh_path());
  const auto experiment = st.create_experiment({0, "code", "{}", "", "new", ""});
  const auto round = st.ensure_round(experiment, 1);
  const auto problem = st.upsert_problems({{0, experiment, "train", "sum", "Add two numbers.", "", sum_spec()}}).front();
  const auto sample_id = st.insert_samples({test_support::make_sample(round, problem, 0, kWrong)}).ids.front();

  prune::Decision d;
  d.sample_id = sample_id;
  d.kept = false;
  d.dropped_by = "tests_pass";
  d.judgement = judged(1, 3, 1, 2, CodeVerdict::WrongAnswer);
  d.judgement.code->tests.push_back({1, CodeVerdict::WrongAnswer, "6\n", "token 1: expected \"10\", got \"6\"", 0.05, 0});
  d.reason = d.judgement.reason;
  st.write_decisions({decision_record(d)});

  const auto detail = st.get_sample(sample_id);
  VERIFY(detail.has_value() && detail->decision.has_value());
  const CodeJudgement back = CodeJudgement::from_json(nlohmann::json::parse(detail->decision->detail));
  COMPARE(back.verdict, CodeVerdict::WrongAnswer);
  COMPARE(back.passed, 1);
  COMPARE(back.tests.size(), size_t{1});
  COMPARE(back.tests[0].actual, std::string("6\n"));
  COMPARE(detail->decision->verdict, prune::Verdict::Wrong);
  // A math decision keeps no detail.
  prune::Decision m;
  m.sample_id = sample_id;
  m.judgement.verdict = prune::Verdict::Correct;
  COMPARE(decision_record(m).detail, std::string());
}

TPT_TEST(code_pruning, improve_scores_code_answers_on_all_tests_strict_and_public_tests_flexible) {
  const auto sandbox = code_test::sandbox();
  const std::string spec = sum_spec();
  const auto judged = eval::judge_all({{kCorrect, spec}, {kPublicOnly, spec}, {kFirstOnly, spec}, {"#### 4", "4"}}, sandbox);
  COMPARE(judged.size(), size_t{4});
  VERIFY(judged[0].correct_strict && judged[0].correct_flexible);
  VERIFY(!judged[1].correct_strict && judged[1].correct_flexible);
  VERIFY(!judged[2].correct_strict && !judged[2].correct_flexible);
  // Improve stops at the first failure: the second public test is the last one run.
  const auto c = CodeJudgement::from_json(nlohmann::json::parse(judged[2].detail));
  COMPARE(c.run, 2);
  COMPARE(*c.first_failure, 1);
  // Math answers keep their two checkers and no detail.
  VERIFY(judged[3].correct_strict && judged[3].detail.empty());
}

TPT_TEST(code_pruning, judging_many_programs_reports_progress_and_stops_when_asked) {
  auto sandbox = code_test::sandbox();
  prune::clear_code_judgement_cache();
  const std::string spec = sum_spec();
  // 40 distinct programs: more than one chunk (16 with two workers... at least 16).
  std::vector<std::string> completions;
  for (int i = 0; i < 40; ++i) completions.push_back(fenced("print(" + std::to_string(i) + ")\n"));
  std::vector<prune::Verifier::Item> items;
  for (const auto& c : completions) items.push_back({c, spec});

  std::vector<size_t> seen;
  const prune::ProblemVerifier counting({}, sandbox, code::StopPolicy::FirstFailure, nullptr,
                                        [&](size_t done, size_t total) {
                                          COMPARE(total, size_t{40});
                                          seen.push_back(done);
                                          return true;
                                        });
  COMPARE(counting.judge_all(items).size(), size_t{40});
  VERIFY(seen.size() >= 3);  // before the first chunk, after each chunk
  COMPARE(seen.front(), size_t{0});
  COMPARE(seen.back(), size_t{40});
  VERIFY(std::is_sorted(seen.begin(), seen.end()));

  // A caller that says stop after the first chunk gets JudgingStopped, not a partial result.
  prune::clear_code_judgement_cache();
  int calls = 0;
  const prune::ProblemVerifier stopping({}, sandbox, code::StopPolicy::FirstFailure, nullptr,
                                        [&](size_t, size_t) { return ++calls < 2; });
  VERIFY_THROWS_WITH(stopping.judge_all(items), "judging stopped");
  COMPARE(calls, 2);
}

TPT_TEST(code_pruning, a_judgement_stored_by_an_earlier_prune_is_reused_not_run_again) {
  // The stored judgement says "accepted" for a program that prints 0: re-applying rules (the
  // Pruning panel's funnel) must take the stored result rather than run the program again.
  CodeJudgement stored;
  stored.verdict = CodeVerdict::Accepted;
  stored.passed = stored.run = stored.total = 3;
  stored.public_passed = stored.public_total = 2;
  stored.program = "print(0)\n";
  auto s = sample(1, "sum", kWrong, sum_spec());
  s.judged = stored.to_json().dump();
  prune::RuleSet hard;
  hard.set_rules({tests_rule(prune::TestsMode::All)});
  code::SandboxConfig no_sandbox;
  no_sandbox.bwrap = "/nonexistent/bwrap";  // any run would fail
  const auto decisions = hard.apply({s}, prune::ProblemVerifier({}, no_sandbox));
  VERIFY(decisions[0].kept);
  COMPARE(decisions[0].judgement.code->passed, 3);
}

TPT_TEST(code_pruning, a_damaged_stored_judgement_is_the_engines_error) {
  // A field of the wrong type escaped as nlohmann's type_error, not the documented tpt::Error.
  VERIFY_THROWS_WITH(CodeJudgement::from_json(nlohmann::json::parse(R"({"verdict": "accepted", "passed": "2"})")),
                     "code judgement: ");
  VERIFY_THROWS_WITH(CodeJudgement::from_json(nlohmann::json::parse(R"({"verdict": "accepted", "tests": [5]})")),
                     "code judgement: ");
  // A number past int's range was converted with undefined behaviour (found by fuzz_code_spec);
  // now it is refused with its path.
  VERIFY_THROWS_WITH(CodeJudgement::from_json(nlohmann::json::parse(R"({"verdict": "accepted", "first_failure": 1.8e20})")),
                     "judgement.first_failure");
  VERIFY_THROWS_WITH(CodeJudgement::from_json(nlohmann::json::parse(
                         R"({"verdict": "wrong_answer", "tests": [{"verdict": "accepted", "index": -3}]})")),
                     "judgement.tests[0].index");
  VERIFY_THROWS_WITH(CodeJudgement::from_json(nlohmann::json::parse(R"({"verdict": "lost"})")), "unknown verdict");
  VERIFY_THROWS_WITH(CodeJudgement::from_json(nlohmann::json::parse(R"({"passed": 2})")), "judgement.verdict");
}
