// Grading traces from any tool: a JSONL file of {"completion", "answer"} lines run through a
// verifier and a rule set, one decision per line. Behind `tpt grade`.
//
// Input fields (names configurable): "completion" (the model's text), "answer" (a bare gold
// value, or a GSM8K solution ending in "#### N"), optional "id" (string or number; defaults to
// the line number), "problem" (groups samples for dedupe / k-per-problem; defaults to the
// question text when there is one, else each line is its own problem), "token_count",
// "annotation" ("accept" | "reject" | "flag") with "annotator".
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/jsonl.h"
#include "code/sandbox.h"
#include "prune/rule_set.h"

namespace tpt::prune {

struct GradeOptions {
  std::string completion_field = "completion";
  std::string answer_field = "answer";
  io::OnMalformed on_malformed = io::OnMalformed::Fail;
  // Code lines: a line with "tests" ([{input, output[, kind]}], optional "time_limit_s") is
  // judged by running its program; so is a line whose "problem" names a code problem of
  // `gold_by_problem` (a problem set's ids -> their gold, as `tpt grade --dataset` loads it).
  std::map<std::string, std::string> gold_by_problem;
  code::SandboxConfig sandbox;
};

struct GradeSummary {
  long samples = 0;
  long correct = 0;
  long wrong = 0;
  long no_answer = 0;
  long kept = 0;
  std::map<std::string, long> dropped_by;  // rule name -> samples it dropped
  std::map<std::string, long> code_verdicts;  // code lines: program verdict -> samples
  long skipped_lines = 0;                  // malformed lines skipped under OnMalformed::Skip

  nlohmann::json to_json() const;
};

struct GradeResult {
  std::vector<std::string> ids;      // the "id" of each graded line
  std::vector<long> lines;           // its line number
  std::vector<Decision> decisions;   // same order
  GradeSummary summary;
  io::JsonlReport report;
};

// `path` "-" reads standard input.
GradeResult grade_jsonl(const std::string& path, const RuleSet& rules, const GradeOptions& options);

// One output line: {"id", "extracted", "correct", "kept", "reason", "line", ...}.
nlohmann::json decision_to_json(const std::string& id, const Decision& decision);

}  // namespace tpt::prune
