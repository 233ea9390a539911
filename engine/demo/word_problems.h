// The built-in task: grade-school word problems in GSM8K's format, generated from a seed.
//
// A problem is a short chain of arithmetic steps told as a story ("Mia buys 3 packs of 4 pens.
// She gives 5 pens to Leo. How many pens does she have left?"); its gold solution has one line
// per step with a GSM8K calculator annotation ("She has 12-5=<<12-5=7>>7 pens left.") and a
// final "#### 7" line. Problems come out as tpt::data::Problem and are written as GSM8K JSONL, so an
// experiment reads them through load_gsm8k like any other problem set.
//
// Difficulty is the number of steps, the size of the numbers and the operations used. Every
// number in a question and every intermediate and final value is an integer of at least 2
// (so no "1 pens"), and every division is exact.
//
// Train and test are disjoint by construction. Each problem has a content key (its scenario,
// sentence templates and numbers, not its names or items), and a fixed hash of the key, which
// does not depend on the seed, sends it to exactly one split (test gets about 1 in 5). So a
// test problem never appears in any train set, whatever the seeds, not even with other names.
// Output is the same on every machine: draws come from SplitMix64 with our own bounded draw,
// never from std:: distributions (whose results differ between standard libraries).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/gsm8k.h"

namespace tpt::demo {

struct WordProblemOptions {
  uint64_t seed = 1;
  int min_steps = 1;         // reasoning steps (calculator annotations) per problem, 1..6
  int max_steps = 1;
  int64_t max_operand = 20;  // largest starting amount, or amount added or taken away (>= 4)
  int64_t max_factor = 10;   // largest multiplier or divisor (group count, "times as many")
  int64_t max_result = 40;   // largest intermediate or final value
  std::string operations = "+-";  // any of '+', '-', '*', '/'

  // Throws Error naming the first bad field and its allowed range.
  void validate() const;
  // "1-2 steps, + - * /, numbers up to 20, answers up to 100" for reports.
  std::string describe() const;
};

// Named presets; a level's options carry the default seed (callers set their own).
struct WordProblemLevel {
  int number = 1;
  std::string name;  // "easy", "medium", ...
  WordProblemOptions options;
};

const std::vector<WordProblemLevel>& word_problem_levels();
// "3", "hard" or "level-3" (case-insensitive). Throws Error naming `text` and the valid levels.
const WordProblemLevel& parse_word_problem_level(std::string_view text);

enum class WordProblemSplit { Train, Test };
const char* to_string(WordProblemSplit split);  // "train", "test"

// The split a content key belongs to: a fixed hash, independent of any seed.
WordProblemSplit word_problem_split_of(std::string_view key);

struct WordProblem {
  data::Problem problem;     // id "<split>-<hash>" as load_gsm8k gives for a file named <split>.jsonl
  std::string family;  // scenario family: "shopping", "ages", ...
  std::string key;     // content key: family, templates and numbers
  int steps = 0;       // reasoning steps = calculator annotations in the solution
};

// The scenario families problems are drawn from.
std::vector<std::string> word_problem_families();

// The first `count` distinct problems of `split` in the stream that `options.seed` defines.
// Draw i of the stream depends only on (seed, i), so a longer set extends a shorter one, and
// train and test come from the same stream without affecting each other. Problems with the
// same content key are kept once. Throws Error when the options admit too few distinct
// problems for `count` (a small level cannot fill a large set).
std::vector<WordProblem> generate_word_problems(const WordProblemOptions& options, WordProblemSplit split,
                                                int64_t count);

// Writes problems as GSM8K JSONL, {"question": ..., "answer": ...} per line, atomically
// (a temporary file renamed over `path`), so a reader never sees half a file.
void write_gsm8k(const std::string& path, const std::vector<data::Problem>& problems);
void write_gsm8k(const std::string& path, const std::vector<WordProblem>& problems);

}  // namespace tpt::demo
