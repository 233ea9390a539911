// GSM8K-format problem sets: JSONL lines {"question": ..., "answer": ...} where the answer is
// a worked solution with <<a*b=c>> calculator annotations and a final "#### N" line.
//
// Problem ids are derived from the content (question and solution), so they stay the same
// across runs, machines and reorderings of the file; the rare exact duplicate gets a suffix.
#pragma once

#include <string>
#include <vector>

#include "io/jsonl.h"

namespace tpt::data {

struct Problem {
  std::string id;        // "<prefix>-<12 hex digits>", stable across runs
  long line = 0;         // line in the source file, for messages
  std::string question;
  std::string solution;  // the full answer text, "#### N" line included
  std::string gold;      // the value after "####", as written ("1,000", "-3")
                         // code problems (data/code_problems.h): the CodeSpec JSON of its tests
};

// Why a problem set left a line out. Malformed lines are the reader's (io::JsonlReport, under
// on_malformed "skip"); the others are well-formed problems the workbench cannot judge or show,
// always left out whatever on_malformed says (data/code_problems.h).
enum class SkipReason { Malformed, CallBased, Images, NoTests };
const char* to_string(SkipReason reason);  // "malformed", "call-based", "images", "no tests"

struct SkipGroup {
  SkipReason reason = SkipReason::Malformed;
  long count = 0;
  long first_line = 0;
  std::string first_message;  // "file:line: why" for the first line left out for this reason
};

// The tests of the problems kept (code formats; all zero for GSM8K).
struct TestCounts {
  long total = 0;
  long public_tests = 0;
  long private_tests = 0;
  long generated_tests = 0;
};

struct ProblemSet {
  std::string source;
  std::string format = "gsm8k";  // data/code_problems.h: problem_set_formats()
  std::vector<Problem> problems;
  io::JsonlReport report;        // report.records counts lines read as records, kept or skipped
  std::vector<SkipGroup> skips;  // one per reason met, in the order first met (load_problem_set)
  TestCounts tests;
  long duplicate_ids = 0;        // problems whose id was taken already and got a "-N" suffix

  long skipped() const;          // lines left out, every reason together
};

struct Gsm8kOptions {
  std::string id_prefix;  // defaults to the file's stem ("train", "test")
  std::string question_field = "question";
  std::string answer_field = "answer";
  io::OnMalformed on_malformed = io::OnMalformed::Fail;
};

ProblemSet load_gsm8k(const std::string& path, const Gsm8kOptions& options = {});

// The id a problem gets: stable for the same content and prefix.
std::string problem_id(const std::string& prefix, const std::string& question, const std::string& solution);

}  // namespace tpt::data
