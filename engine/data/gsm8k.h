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
};

struct ProblemSet {
  std::string source;
  std::vector<Problem> problems;
  io::JsonlReport report;
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
