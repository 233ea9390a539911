// The built-in word problems: every gold solution is right (checked here with an independent
// calculator, and graded by the strict verifier), output depends only on the seed, train and
// test never share a problem, difficulty grows with the level, and the files load through
// load_gsm8k like GSM8K itself.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "check.h"
#include "data/gsm8k.h"
#include "demo/word_problems.h"
#include "prune/verifier.h"

namespace {

using tpt::demo::WordProblem;
using tpt::demo::WordProblemSplit;

tpt::demo::WordProblemOptions level(int number, uint64_t seed = 1) {
  tpt::demo::WordProblemOptions options = tpt::demo::parse_word_problem_level(std::to_string(number)).options;
  options.seed = seed;
  return options;
}

// Every caller gets exactly the problems it asked for: a generator that returned fewer (or none)
// would pass every per-problem check below vacuously.
std::vector<WordProblem> generate(int level_number, WordProblemSplit split, int64_t count, uint64_t seed = 1) {
  auto problems = tpt::demo::generate_word_problems(level(level_number, seed), split, count);
  COMPARE(problems.size(), static_cast<size_t>(count));
  return problems;
}

// A calculator for "<<expr=value>>" written for this test: integers, + - * /, usual precedence,
// and a division that leaves a remainder (or a negative value anywhere) is a failure.
std::optional<long long> evaluate(const std::string& expr, std::vector<long long>* operands = nullptr) {
  std::vector<long long> numbers;
  std::vector<char> ops;
  size_t i = 0;
  while (i < expr.size()) {
    if (!std::isdigit(static_cast<unsigned char>(expr[i]))) return std::nullopt;
    long long n = 0;
    while (i < expr.size() && std::isdigit(static_cast<unsigned char>(expr[i]))) n = n * 10 + (expr[i++] - '0');
    numbers.push_back(n);
    if (i == expr.size()) break;
    if (std::string("+-*/").find(expr[i]) == std::string::npos) return std::nullopt;
    ops.push_back(expr[i++]);
  }
  if (numbers.size() != ops.size() + 1) return std::nullopt;
  if (operands) *operands = numbers;
  // Products and quotients first, left to right.
  std::vector<long long> terms{numbers[0]};
  std::vector<char> term_ops;
  for (size_t k = 0; k < ops.size(); ++k) {
    const long long y = numbers[k + 1];
    if (ops[k] == '*') {
      terms.back() *= y;
    } else if (ops[k] == '/') {
      if (y == 0 || terms.back() % y != 0) return std::nullopt;
      terms.back() /= y;
    } else {
      terms.push_back(y);
      term_ops.push_back(ops[k]);
    }
  }
  long long value = terms[0];
  for (size_t k = 0; k < term_ops.size(); ++k) {
    value = term_ops[k] == '+' ? value + terms[k + 1] : value - terms[k + 1];
    if (value < 0) return std::nullopt;
  }
  return value;
}

struct Annotation {
  std::string expr;
  long long claimed = -1;                // the value after '=' inside << >>
  std::optional<long long> written;      // the number written right after >>
  bool expr_written_before = false;      // "expr=<<" or "expr=$<<", GSM8K's layout
  std::vector<long long> operands;
  std::optional<long long> value;        // our own evaluation
};

std::vector<Annotation> annotations(const std::string& solution) {
  std::vector<Annotation> out;
  size_t pos = 0;
  while ((pos = solution.find("<<", pos)) != std::string::npos) {
    const size_t close = solution.find(">>", pos);
    if (close == std::string::npos) break;
    const std::string inner = solution.substr(pos + 2, close - pos - 2);
    Annotation a;
    const size_t eq = inner.rfind('=');
    a.expr = inner.substr(0, eq);
    a.claimed = eq == std::string::npos ? -1 : std::stoll(inner.substr(eq + 1));
    a.value = evaluate(a.expr, &a.operands);
    size_t after = close + 2;
    if (after < solution.size() && std::isdigit(static_cast<unsigned char>(solution[after]))) {
      long long n = 0;
      while (after < solution.size() && std::isdigit(static_cast<unsigned char>(solution[after])))
        n = n * 10 + (solution[after++] - '0');
      a.written = n;
    }
    for (const std::string& prefix : {a.expr + "=", a.expr + "=$"})
      if (pos >= prefix.size() && solution.compare(pos - prefix.size(), prefix.size(), prefix) == 0)
        a.expr_written_before = true;
    out.push_back(a);
    pos = close + 2;
  }
  return out;
}

std::set<long long> numbers_in(const std::string& text) {
  std::set<long long> out;
  for (size_t i = 0; i < text.size();) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    long long n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) n = n * 10 + (text[i++] - '0');
    out.insert(n);
  }
  return out;
}

// The question with every capitalised word (names, and sentence openers) replaced by "X": two
// problems that differ only in who is in them have the same skeleton.
std::string without_names(const std::string& question) {
  std::string out;
  for (size_t i = 0; i < question.size();) {
    const bool word_start = i == 0 || !std::isalpha(static_cast<unsigned char>(question[i - 1]));
    if (word_start && std::isupper(static_cast<unsigned char>(question[i]))) {
      out += 'X';
      while (i < question.size() && std::isalpha(static_cast<unsigned char>(question[i]))) ++i;
    } else {
      out += question[i++];
    }
  }
  return out;
}

std::string with_numbers_as_n(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (std::isdigit(static_cast<unsigned char>(text[i]))) {
      out += 'N';
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::vector<WordProblem> every_level_sample() {
  std::vector<WordProblem> all;
  for (const auto& l : tpt::demo::word_problem_levels()) {
    for (WordProblemSplit split : {WordProblemSplit::Train, WordProblemSplit::Test}) {
      auto problems = generate(l.number, split, split == WordProblemSplit::Train ? 400 : 100, 17);
      all.insert(all.end(), problems.begin(), problems.end());
    }
  }
  return all;
}

}  // namespace

TPT_TEST(word_problems, every_gold_solution_grades_correct_with_the_strict_checker_at_every_level) {
  tpt::prune::VerifierConfig strict;
  strict.extractor = tpt::prune::Extractor::Strict;
  strict.normalize = tpt::prune::NormalizeConfig::exact();  // the paper's string equality
  const auto all = every_level_sample();
  COMPARE(all.size(), size_t{2500});
  for (const auto& wp : all) {
    const auto j = tpt::prune::judge(strict, wp.problem.solution, wp.problem.gold);
    if (j.verdict != tpt::prune::Verdict::Correct) TPT_FAIL("not graded correct: " + wp.problem.solution);
    COMPARE(tpt::prune::extract_strict(wp.problem.solution).value_or(""), wp.problem.gold);
  }
}

TPT_TEST(word_problems, every_calculator_annotation_is_arithmetically_right_and_its_result_is_written_after_it) {
  long checked = 0;
  for (const auto& wp : every_level_sample()) {
    const auto notes = annotations(wp.problem.solution);
    VERIFY(!notes.empty());
    for (const auto& a : notes) {
      if (!a.value) TPT_FAIL("not an exact, non-negative integer computation: <<" + a.expr + ">> in " + wp.problem.solution);
      COMPARE(*a.value, a.claimed);
      if (!a.written) TPT_FAIL("no number after the annotation <<" + a.expr + ">> in " + wp.problem.solution);
      COMPARE(*a.written, a.claimed);
      if (!a.expr_written_before) TPT_FAIL("expression not written before <<" + a.expr + ">>: " + wp.problem.solution);
      VERIFY(a.claimed >= 2);  // every value is a whole, positive amount (no "1 pens", no 0)
      ++checked;
    }
  }
  VERIFY(checked > 5000);
}

TPT_TEST(word_problems, each_step_feeds_the_next_and_the_final_answer_is_the_last_result) {
  for (const auto& wp : every_level_sample()) {
    const auto notes = annotations(wp.problem.solution);
    const std::set<long long> given = numbers_in(wp.problem.question);
    for (size_t i = 0; i < notes.size(); ++i) {
      COMPARE(notes[i].operands.size(), size_t{2});
      // The first step combines two numbers of the question; each later one combines the
      // previous result with a number the question states.
      if (i == 0) {
        if (!given.count(notes[0].operands[0])) TPT_FAIL("first operand not in the question: " + wp.problem.question);
      } else {
        COMPARE(notes[i].operands[0], notes[i - 1].claimed);
      }
      if (!given.count(notes[i].operands[1])) TPT_FAIL("operand not in the question: " + wp.problem.question);
    }
    COMPARE(wp.problem.gold, std::to_string(notes.back().claimed));
    // One line per step, then "#### N".
    const auto& s = wp.problem.solution;
    COMPARE(static_cast<size_t>(std::count(s.begin(), s.end(), '\n')), notes.size());
    VERIFY(s.rfind("\n#### " + wp.problem.gold) == s.size() - wp.problem.gold.size() - 6);
    COMPARE(wp.steps, static_cast<int>(notes.size()));
    // No template slot left unfilled, and the question ends by asking.
    VERIFY(wp.problem.question.find('{') == std::string::npos && s.find('{') == std::string::npos);
    VERIFY(wp.problem.question.back() == '?');
  }
}

TPT_TEST(word_problems, the_same_seed_gives_identical_problems_and_another_seed_different_ones) {
  const auto a = generate(3, WordProblemSplit::Train, 200, 5);
  const auto b = generate(3, WordProblemSplit::Train, 200, 5);
  const auto c = generate(3, WordProblemSplit::Train, 200, 6);
  size_t same_as_other_seed = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    COMPARE(a[i].problem.id, b[i].problem.id);
    COMPARE(a[i].problem.question, b[i].problem.question);
    COMPARE(a[i].problem.solution, b[i].problem.solution);
    same_as_other_seed += a[i].problem.question == c[i].problem.question;
  }
  COMPARE(same_as_other_seed, size_t{0});
}

TPT_TEST(word_problems, output_is_pinned_so_every_machine_draws_the_same_problems) {
  // Hand-checked on the first run; a change here changes every experiment built on the task.
  const auto p = generate(2, WordProblemSplit::Train, 1, 1).at(0).problem;
  COMPARE(p.question, std::string("Tom's team scores 16 points, and Tom scores all but 7 of them. Raj scores 4 times "
                                  "as many points as Tom. How many points does Raj score?"));
  COMPARE(p.solution, std::string("Tom scores 16-7=<<16-7=9>>9 points.\nRaj scores 9*4=<<9*4=36>>36 points.\n#### 36"));
  COMPARE(p.id, tpt::data::problem_id("train", p.question, p.solution));
}

TPT_TEST(word_problems, a_longer_set_extends_a_shorter_one) {
  const auto shorter = generate(2, WordProblemSplit::Test, 40);
  const auto longer = generate(2, WordProblemSplit::Test, 90);
  for (size_t i = 0; i < shorter.size(); ++i) COMPARE(longer[i].problem.question, shorter[i].problem.question);
}

TPT_TEST(word_problems, train_and_test_share_no_question_not_even_with_other_names_or_seeds) {
  for (int l : {1, 2, 3}) {
    const auto train = generate(l, WordProblemSplit::Train, 3000, 1);
    std::set<std::string> train_questions, train_skeletons;
    for (const auto& wp : train) {
      train_questions.insert(wp.problem.question);
      train_skeletons.insert(without_names(wp.problem.question));
      VERIFY(tpt::demo::word_problem_split_of(wp.key) == WordProblemSplit::Train);
    }
    COMPARE(train_questions.size(), train.size());  // no duplicates within a split either
    for (uint64_t seed : {1, 2}) {
      const auto test = generate(l, WordProblemSplit::Test, 600, seed);
      std::set<std::string> test_questions;
      for (const auto& wp : test) {
        test_questions.insert(wp.problem.question);
        if (train_skeletons.count(without_names(wp.problem.question)))
          TPT_FAIL("test problem also in train (up to names): " + wp.problem.question);
      }
      COMPARE(test_questions.size(), test.size());
    }
  }
}

TPT_TEST(word_problems, about_one_key_in_five_goes_to_test) {
  long test = 0;
  const long n = 20000;
  for (long i = 0; i < n; ++i) test += tpt::demo::word_problem_split_of("key " + std::to_string(i)) == WordProblemSplit::Test;
  VERIFY(test > n * 18 / 100 && test < n * 22 / 100);
}

TPT_TEST(word_problems, the_number_of_steps_grows_with_the_level) {
  double previous_mean = 0;
  for (const auto& l : tpt::demo::word_problem_levels()) {
    const auto problems = generate(l.number, WordProblemSplit::Train, 300);
    long total = 0;
    for (const auto& wp : problems) {
      const long steps = static_cast<long>(annotations(wp.problem.solution).size());
      VERIFY(steps >= l.options.min_steps && steps <= l.options.max_steps);
      total += steps;
    }
    const double mean = static_cast<double>(total) / static_cast<double>(problems.size());
    if (l.number == 1) COMPARE(mean, 1.0);
    if (!(mean > previous_mean)) TPT_FAIL("level " + std::to_string(l.number) + " is not longer than the one before");
    previous_mean = mean;
  }
  VERIFY(previous_mean >= 4.0);
}

TPT_TEST(word_problems, the_lowest_level_is_short_with_one_or_two_digit_numbers) {
  for (const auto& wp : generate(1, WordProblemSplit::Train, 500)) {
    VERIFY(wp.problem.question.size() >= 40 && wp.problem.question.size() <= 200);
    VERIFY(wp.problem.solution.size() <= 200);
    for (long long n : numbers_in(wp.problem.question)) VERIFY(n >= 1 && n <= 99);
  }
}

TPT_TEST(word_problems, problems_come_from_at_least_twelve_scenario_families_and_many_phrasings) {
  const auto problems = generate(2, WordProblemSplit::Train, 500);
  std::set<std::string> families, phrasings, first_words;
  for (const auto& wp : problems) {
    families.insert(wp.family);
    phrasings.insert(with_numbers_as_n(without_names(wp.problem.question)));
    first_words.insert(wp.problem.question.substr(0, wp.problem.question.find(' ')));
  }
  VERIFY(families.size() >= 12);
  COMPARE(tpt::demo::word_problem_families().size() >= families.size(), true);
  VERIFY(phrasings.size() >= 250);   // a model cannot get by on a few memorised templates
  VERIFY(first_words.size() >= 30);  // many different names
}

TPT_TEST(word_problems, written_files_load_back_through_load_gsm8k_unchanged) {
  const std::string dir = tpt::testing::temp_dir();
  for (WordProblemSplit split : {WordProblemSplit::Train, WordProblemSplit::Test}) {
    const auto problems = generate(4, split, 150, 3);
    const std::string path = dir + "/" + tpt::demo::to_string(split) + ".jsonl";
    tpt::demo::write_gsm8k(path, problems);
    VERIFY(!std::filesystem::exists(path + ".tmp"));
    const tpt::data::ProblemSet set = tpt::data::load_gsm8k(path);
    COMPARE(set.problems.size(), problems.size());
    COMPARE(set.report.skipped, 0L);
    for (size_t i = 0; i < problems.size(); ++i) {
      COMPARE(set.problems[i].id, problems[i].problem.id);
      COMPARE(set.problems[i].question, problems[i].problem.question);
      COMPARE(set.problems[i].solution, problems[i].problem.solution);
      COMPARE(set.problems[i].gold, problems[i].problem.gold);
      COMPARE(set.problems[i].line, problems[i].problem.line);
    }
    // GSM8K's own layout: question first, then answer.
    std::ifstream in(path);
    std::string first;
    std::getline(in, first);
    VERIFY(first.rfind("{\"question\":", 0) == 0);
  }
}

TPT_TEST(word_problems, writing_replaces_an_existing_file_whole) {
  const std::string path = tpt::testing::temp_dir() + "/train.jsonl";
  tpt::demo::write_gsm8k(path, generate(1, WordProblemSplit::Train, 30));
  tpt::demo::write_gsm8k(path, generate(1, WordProblemSplit::Train, 10));
  COMPARE(tpt::data::load_gsm8k(path).problems.size(), size_t{10});
  VERIFY_THROWS_WITH(tpt::demo::write_gsm8k(path + "/nested/x.jsonl", std::vector<tpt::data::Problem>{}), "cannot write file");
}

TPT_TEST(word_problems, levels_parse_by_number_or_name_and_a_bad_one_is_an_error_naming_it) {
  COMPARE(tpt::demo::parse_word_problem_level("2").name, std::string("medium"));
  COMPARE(tpt::demo::parse_word_problem_level("Medium").number, 2);
  COMPARE(tpt::demo::parse_word_problem_level("level-3").number, 3);
  COMPARE(tpt::demo::parse_word_problem_level(" 1 ").number, 1);
  VERIFY_THROWS_WITH(tpt::demo::parse_word_problem_level("impossible"), "unknown word-problem level \"impossible\"");
  VERIFY_THROWS_WITH(tpt::demo::parse_word_problem_level("9"), "\"9\": expected one of 1 (easy), 2 (medium)");
  VERIFY_THROWS_WITH(tpt::demo::parse_word_problem_level(""), "unknown word-problem level \"\"");
}

TPT_TEST(word_problems, bad_options_are_errors_naming_the_field) {
  tpt::demo::WordProblemOptions options;
  options.min_steps = 0;
  VERIFY_THROWS_WITH(tpt::demo::generate_word_problems(options, WordProblemSplit::Train, 1), "min_steps must be in [1, 6], got 0");
  options = {};
  options.max_steps = 7;
  VERIFY_THROWS_WITH(options.validate(), "max_steps must be in [min_steps, 6]");
  options = {};
  options.operations = "+x";
  VERIFY_THROWS_WITH(options.validate(), "got 'x'");
  options = {};
  options.max_result = 10;
  VERIFY_THROWS_WITH(options.validate(), "max_result must be in [max_operand, 10^12]");
  VERIFY_THROWS_WITH(tpt::demo::generate_word_problems({}, WordProblemSplit::Train, -1), "count must be >= 0");
}

TPT_TEST(word_problems, asking_for_more_problems_than_the_options_allow_is_an_error) {
  tpt::demo::WordProblemOptions tiny;  // only 2+2 in each family's sum templates
  tiny.max_operand = 4;
  tiny.max_result = 4;
  tiny.operations = "+";
  VERIFY_THROWS_WITH(tpt::demo::generate_word_problems(tiny, WordProblemSplit::Train, 1000), "distinct train problems exist");
}
