// The extractors against real data: every GSM8K gold solution, graded against its own gold
// answer, must be Correct — under strict and flexible extraction, with every normaliser
// preset. A failure here means an extractor or normaliser mangles answers that occur in the
// dataset (commas, negatives, decimals).
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "check.h"
#include "prune/calculator.h"
#include "prune/rule_set.h"
#include "prune/verifier.h"

using namespace tpt::prune;

namespace {

// Gold solutions of one split, read line by line (the shared JSONL loader lives elsewhere).
std::vector<std::string> gold_solutions(const std::string& split) {
  const std::string file = tpt::testing::data_dir() + "/gsm8k/" + split + ".jsonl";
  std::ifstream in(file);
  if (!in) SKIP("no " + file);
  std::vector<std::string> solutions;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    solutions.push_back(nlohmann::json::parse(line).at("answer").get<std::string>());
  }
  return solutions;
}

// The answer GSM8K records after its last "####", read here with a few lines of our own: the
// expectation the engine's extract_gold is held to, independent of it.
std::string recorded_answer(const std::string& solution) {
  const size_t marks = solution.rfind("####");
  if (marks == std::string::npos) return "";
  std::string answer = solution.substr(marks + 4);
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!answer.empty() && blank(answer.front())) answer.erase(answer.begin());
  while (!answer.empty() && blank(answer.back())) answer.pop_back();
  return answer;
}

// Returns how many solutions were graded; fails on the first one that is not Correct, or whose
// gold answer is not the one the dataset records.
size_t grade_own_gold(const std::vector<std::string>& solutions) {
  size_t graded = 0;
  for (Extractor extractor : {Extractor::Strict, Extractor::Flexible}) {
    for (const auto& preset : NormalizeConfig::preset_names()) {
      const VerifierConfig config{extractor, *NormalizeConfig::preset(preset)};
      for (size_t i = 0; i < solutions.size(); ++i) {
        const auto gold = extract_gold(solutions[i]);
        if (!gold) TPT_FAIL("line " + std::to_string(i + 1) + ": no gold answer");
        if (*gold != recorded_answer(solutions[i]))
          TPT_FAIL("line " + std::to_string(i + 1) + ": gold \"" + *gold + "\" but the dataset records \"" +
                   recorded_answer(solutions[i]) + "\"");
        const Judgement j = judge(config, solutions[i], *gold);
        if (j.verdict != Verdict::Correct)
          TPT_FAIL("line " + std::to_string(i + 1) + " (" + config.describe() + "): extracted \"" +
                   j.extracted.value_or("<none>") + "\" vs gold \"" + *gold + "\"");
      }
      graded = solutions.size();
    }
  }
  return graded;
}

}  // namespace

TPT_TEST(gsm8k, every_train_solution_is_correct_against_its_own_gold) {
  COMPARE(grade_own_gold(gold_solutions("train")), size_t(7473));
}

TPT_TEST(gsm8k, every_test_solution_is_correct_against_its_own_gold) {
  COMPARE(grade_own_gold(gold_solutions("test")), size_t(1319));
}

TPT_TEST(gsm8k, gold_answers_with_commas_need_no_normalisation_against_themselves) {
  // 79 train answers carry thousands separators; the paper's exact comparison still matches
  // them with themselves, and the numeric preset with their comma-free form.
  size_t with_commas = 0;
  for (const auto& solution : gold_solutions("train")) {
    const std::string gold = *extract_gold(solution);
    if (gold.find(',') == std::string::npos) continue;
    ++with_commas;
    std::string bare;
    for (char c : gold)
      if (c != ',') bare += c;
    COMPARE(judge(VerifierConfig{Extractor::Strict, NormalizeConfig::exact()}, solution, bare).verdict, Verdict::Wrong);
    COMPARE(judge(VerifierConfig{}, solution, bare).verdict, Verdict::Correct);
  }
  COMPARE(with_commas, size_t(79));
}

TPT_TEST(gsm8k, the_paper_rule_set_keeps_one_gold_solution_per_problem) {
  std::vector<PruneSample> samples;
  const auto solutions = gold_solutions("test");
  for (size_t i = 0; i < solutions.size(); ++i)
    for (int copy = 0; copy < 2; ++copy) {
      PruneSample s;
      s.id = static_cast<int64_t>(i * 2 + copy);
      s.problem_key = "test/" + std::to_string(i);
      s.completion = solutions[i];
      s.gold = solutions[i];  // a whole solution as gold: the verifier extracts its answer
      samples.push_back(std::move(s));
    }
  const auto decisions = RuleSet::paper().apply(samples);
  size_t kept = 0;
  for (const auto& d : decisions) kept += d.kept;
  COMPARE(kept, size_t(1319));
  VERIFY(decisions[0].kept);
  COMPARE(decisions[1].dropped_by, "max_per_problem");
}

// The calculator check against GSM8K's own annotations (unary plus, Python's //, fractions
// written out): every gold solution passes, and the same solution with one result changed
// does not.
TPT_TEST(gsm8k, every_gold_solution_passes_the_calculator_check_and_a_corrupted_one_fails) {
  size_t corrupted = 0;
  for (const std::string split : {"train", "test"}) {
    for (const auto& solution : gold_solutions(split)) {
      if (auto error = find_calculator_error(solution)) TPT_FAIL(split + ": " + *error + " in\n" + solution);
      // Change the first digit after the first "=" inside an annotation: 13 -> 23, 8 -> 9.
      const size_t open = solution.find("<<");
      if (open == std::string::npos) continue;
      const size_t digit = solution.find_first_of("0123456789", solution.find('=', open) + 1);
      if (digit == std::string::npos || digit > solution.find(">>", open)) continue;
      std::string broken = solution;
      broken[digit] = broken[digit] == '9' ? '1' : static_cast<char>(broken[digit] + 1);
      if (!find_calculator_error(broken)) TPT_FAIL(split + ": a corrupted result passed:\n" + broken);
      ++corrupted;
    }
  }
  VERIFY(corrupted > 8000);
}
