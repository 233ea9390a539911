// Programming problem sets: JSONL files whose problems are judged by running a program on
// stdin/stdout tests, read into the same data::Problem as GSM8K's so that the store, the rules
// and the runner stay domain-free. A code problem's gold is the code::CodeSpec JSON of its tests
// (code/code_problem.h); its solution is the reference program when the file has one, else "".
//
// Three formats:
//
//   codecontests  DeepMind's CodeContests as JSONL (the Hugging Face dataset's fields): name,
//                 description, {public,private,generated}_tests = {input: [...], output: [...]},
//                 time_limit ({seconds, nanos}, or a number of seconds), memory_limit_bytes,
//                 solutions = {language: [...], solution: [...]} (the first PYTHON3 one, language 3,
//                 is kept as the solution).
//   apps          APPS (Hendrycks et al.): problem_id, question, input_output (a JSON *string*
//                 {inputs, outputs[, fn_name]}), starter_code, solutions (a JSON string of a list).
//                 Call-based problems (fn_name) are left out: the workbench judges stdin/stdout
//                 programs only.
//   code          The workbench's own: {id, prompt, tests: [{input, output[, kind]}][, title]
//                 [, time_limit_s][, memory_limit_bytes][, solution]}. A test without a kind is
//                 public: a plain file has no hidden tests unless it says so, and Pass@k, which
//                 judges every test, then judges the same tests the public_only rules see.
//
// Ids: "<prefix>-<the file's own id>" (name, problem_id, id) with characters other than letters,
// digits, '.', '_' and '-' made '_', so an id can be typed in a shell; "<prefix>-<hash>" of the
// statement and tests when a line has none. A repeated id gets "-2", "-3", ... in file order.
//
// Lines left out, each counted by reason with its first line (ProblemSet::skips): call-based
// (apps), images (a statement that shows "<image>" or "[Image]": the model cannot see it; as the
// paper does, on by default), no tests, and malformed lines under on_malformed "skip". Under
// "fail" a malformed line stops loading with "file:line: field \"x\": what is wrong".
//
// Torch-free.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "data/gsm8k.h"

namespace tpt::data {

struct ProblemSetOptions {
  std::string format = "gsm8k";   // one of problem_set_formats()
  std::string id_prefix;          // defaults to the file's stem ("train", "test")
  std::string question_field = "question";  // gsm8k only
  std::string answer_field = "answer";      // gsm8k only
  io::OnMalformed on_malformed = io::OnMalformed::Fail;
  bool skip_images = true;        // code formats: leave out problems whose statement shows an image
};

// "gsm8k", "codecontests", "apps", "code": the names dataset.format and --format accept.
const std::vector<std::string>& problem_set_formats();
// Whether `format` names a programming-problem format (its gold is a CodeSpec).
bool is_code_format(std::string_view format);

// Loads `path` in options.format (gsm8k through load_gsm8k). Throws tpt::Error for an unknown
// format, FileError for an unreadable file or (under Fail) a malformed line.
ProblemSet load_problem_set(const std::string& path, const ProblemSetOptions& options);

// Whether a statement shows an image the text does not describe: "<image>" (CodeContests,
// from Codeforces) or "[Image]" (APPS), in any letter case.
bool mentions_image(std::string_view statement);

}  // namespace tpt::data
