// Judging completions and programs against a problem's tests: verdicts, counts and messages a
// user reads in the trace browser, and the reference solutions of tests/fixtures/code.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "check.h"
#include "code_fixture_problems.h"
#include "code_test_support.h"
#include "code/judge.h"

using namespace tpt::code;
using code_test::sandbox;

namespace {

CodeSpec sum_spec() {
  CodeSpec spec;
  spec.tests = {{"1 2\n", "3\n", "public"}, {"5 5\n", "10\n", "private"}, {"-4 1\n", "-3\n", "private"}};
  spec.time_limit_s = 1.0;
  return spec;
}

const char* kSum = "a, b = map(int, input().split())\nprint(a + b)\n";

std::string fenced(const std::string& program) { return "Here is my solution.\n```python\n" + program + "```\n"; }

std::map<std::string, CodeSpec> load_problems() {
  return tpt::testing::load_code_fixture_problems(tpt::testing::data_dir() + "/code");
}

std::filesystem::path solutions_dir() { return std::filesystem::path(TPT_SOURCE_DIR) / "tests/fixtures/code/solutions"; }

}  // namespace

TPT_TEST(code_judge, a_correct_program_is_accepted_with_every_count_filled) {
  auto j = judge_completion(sandbox(), fenced(kSum), sum_spec(), StopPolicy::RunAll);
  COMPARE(j.verdict, CodeVerdict::Accepted);
  COMPARE(j.passed, 3);
  COMPARE(j.run, 3);
  COMPARE(j.total, 3);
  COMPARE(j.public_total, 1);
  COMPARE(j.public_passed, 1);
  VERIFY(!j.first_failure.has_value());
  COMPARE(j.program, std::string(kSum));
  COMPARE(j.message, std::string("accepted: passed all 3 tests"));
  VERIFY(j.sandboxed);
  COMPARE(j.tests.size(), size_t{3});
  COMPARE(j.tests[1].actual, std::string("10\n"));
}

TPT_TEST(code_judge, a_wrong_answer_names_the_test_and_the_token) {
  // Off by one on negative numbers only: the third test fails.
  auto j = judge_completion(sandbox(), fenced("a, b = map(int, input().split())\nprint(a + b + (a < 0))\n"), sum_spec(),
                            StopPolicy::RunAll);
  COMPARE(j.verdict, CodeVerdict::WrongAnswer);
  COMPARE(*j.first_failure, 2);
  COMPARE(j.passed, 2);
  COMPARE(j.message, std::string("wrong answer on test 3 of 3 (2 passed)"));
  COMPARE(j.tests[2].message, std::string("token 1: expected \"-3\", got \"-2\""));
}

TPT_TEST(code_judge, floats_pass_within_1e_5_and_fail_outside) {
  CodeSpec spec;
  spec.tests = {{"", "0.3333333333\n", "public"}};
  COMPARE(judge_program(sandbox(), "print('%.6f' % (1/3))\n", spec, StopPolicy::RunAll).verdict, CodeVerdict::Accepted);
  COMPARE(judge_program(sandbox(), "print('%.3f' % (1/3))\n", spec, StopPolicy::RunAll).verdict, CodeVerdict::WrongAnswer);
}

TPT_TEST(code_judge, syntax_and_runtime_errors_and_missing_code_have_their_verdicts) {
  auto syntax = judge_completion(sandbox(), fenced("print(1\n"), sum_spec(), StopPolicy::FirstFailure);
  COMPARE(syntax.verdict, CodeVerdict::SyntaxError);
  COMPARE(syntax.message, std::string("syntax error on test 1 of 3 (0 passed)"));
  auto runtime = judge_completion(sandbox(), fenced("raise ValueError('no idea')\n"), sum_spec(), StopPolicy::FirstFailure);
  COMPARE(runtime.verdict, CodeVerdict::RuntimeError);
  VERIFY_CONTAINS(runtime.tests[0].message, "ValueError: no idea");
  auto none = judge_completion(sandbox(), "I would add the numbers.", sum_spec(), StopPolicy::RunAll);
  COMPARE(none.verdict, CodeVerdict::NoCode);
  COMPARE(none.run, 0);
  COMPARE(none.total, 3);
  COMPARE(none.program, std::string(""));
}

TPT_TEST(code_judge, first_failure_keeps_exactly_the_tests_up_to_the_lowest_failure) {
  CodeSpec spec;
  for (int i = 0; i < 8; ++i) spec.tests.push_back({std::to_string(i) + "\n", std::to_string(i) + "\n", "public"});
  // Fails tests 2 and 5 (slowly on the others, so later tests are still running when test 2 fails).
  const std::string program = "import time\nn = int(input())\nif n not in (2, 5):\n    time.sleep(0.3)\nprint(n + (n in (2, 5)))\n";
  for (int round = 0; round < 2; ++round) {
    auto j = judge_program(sandbox(), program, spec, StopPolicy::FirstFailure);
    COMPARE(j.verdict, CodeVerdict::WrongAnswer);
    COMPARE(*j.first_failure, 2);
    COMPARE(j.run, 3);
    COMPARE(j.passed, 2);
    COMPARE(j.tests.size(), size_t{3});
  }
  auto all = judge_program(sandbox(), program, spec, StopPolicy::RunAll);
  COMPARE(all.run, 8);
  COMPARE(all.passed, 6);
  COMPARE(*all.first_failure, 2);
  COMPARE(all.message, std::string("wrong answer on test 3 of 8 (6 passed)"));
}

TPT_TEST(code_judge, judge_many_returns_judgements_in_task_order) {
  const CodeSpec spec = sum_spec();
  const std::vector<std::string> completions = {fenced(kSum), "no code", fenced("print(0)\n"), fenced(kSum)};
  std::vector<JudgeTask> tasks;
  for (const auto& c : completions) tasks.push_back({c, &spec});
  auto js = judge_many(sandbox(), tasks, StopPolicy::FirstFailure);
  COMPARE(js.size(), size_t{4});
  COMPARE(js[0].verdict, CodeVerdict::Accepted);
  COMPARE(js[1].verdict, CodeVerdict::NoCode);
  COMPARE(js[2].verdict, CodeVerdict::WrongAnswer);
  COMPARE(js[3].verdict, CodeVerdict::Accepted);
}

TPT_TEST(code_judge, a_set_stop_flag_stops_judging) {
  std::atomic<bool> stop{true};
  VERIFY_THROWS_WITH(judge_completion(sandbox(), fenced(kSum), sum_spec(), StopPolicy::RunAll, &stop), "judging stopped");
}

TPT_TEST(code_judge, every_reference_solution_is_accepted_on_all_its_tests) {
  auto config = sandbox();
  const auto problems = load_problems();
  std::vector<std::string> ids, programs;
  for (const auto& entry : std::filesystem::directory_iterator(solutions_dir())) {
    if (entry.path().extension() != ".py") continue;
    ids.push_back(entry.path().stem().string());
    programs.push_back(fenced(tpt::testing::read_text_file(entry.path())));
  }
  COMPARE(ids.size(), size_t{20});
  std::vector<JudgeTask> tasks;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto it = problems.find(ids[i]);
    if (it == problems.end()) TPT_FAIL("no problem " + ids[i] + " in resources/data/code");
    tasks.push_back({programs[i], &it->second});
  }
  auto js = judge_many(config, tasks, StopPolicy::RunAll);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (js[i].verdict != CodeVerdict::Accepted) {
      const auto& t = js[i].tests[static_cast<size_t>(*js[i].first_failure)];
      TPT_FAIL(ids[i] + ": " + js[i].message + ": " + t.message);
    }
    COMPARE(js[i].passed, js[i].total);
  }
}

TPT_TEST(code_judge, broken_reference_solutions_get_the_matching_verdicts) {
  const auto problems = load_problems();
  CodeSpec spec = problems.at("1607");  // QAQ: 43 tests
  spec.time_limit_s = 1.0;
  auto config = sandbox();
  config.extra_time_s = 0.5;
  const std::string good = tpt::testing::read_text_file(solutions_dir() / "1607.py");
  std::string off_by_one = good;
  off_by_one.replace(off_by_one.find("print(count)"), 12, "print(count + 1)");
  const std::vector<std::pair<std::string, CodeVerdict>> variants = {
      {good, CodeVerdict::Accepted},
      {off_by_one, CodeVerdict::WrongAnswer},
      {"while True:\n    pass\n" + good, CodeVerdict::TimeLimit},
      {"raise RuntimeError('broken')\n" + good, CodeVerdict::RuntimeError},
      {"def broken(:\n" + good, CodeVerdict::SyntaxError},
  };
  for (const auto& [program, verdict] : variants) {
    auto j = judge_program(config, program, spec, StopPolicy::FirstFailure);
    COMPARE(j.verdict, verdict);
    if (verdict != CodeVerdict::Accepted) COMPARE(*j.first_failure, 0);
  }
}
