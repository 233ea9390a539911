// The code domain's problem and judgement, as the rest of the engine stores and shows them.
//
// A code problem's reference is its unit tests, not an answer. So that the store, the rules and
// the verifier interface stay domain-free, the tests travel as JSON in the problem's `gold`
// field (store::ProblemRecord::gold, prune::PruneSample::gold):
//
//   {"tests": [{"input": "3\n1 2 3\n", "output": "6\n", "kind": "public"}, ...],
//    "time_limit_s": 2.0, "memory_limit_bytes": 268435456}
//
// Tests are ordered public first, then private, then generated, so "the public tests pass" is
// "no test before public_count() failed". A judgement of a program against them
// (CodeJudgement) is kept with the sample's decision and shown by the trace browser.
//
// Torch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tpt::code {

struct TestCase {
  std::string input;
  std::string output;
  std::string kind = "public";  // "public", "private", "generated"
};

struct CodeSpec {
  std::vector<TestCase> tests;  // public first
  double time_limit_s = 0.0;    // the problem's own limit per test; 0 = not given (the sandbox's default)
  std::int64_t memory_limit_bytes = 0;  // 0 = not given

  std::size_t public_count() const;
  nlohmann::json to_json() const;
  // Throws tpt::Error naming the field when `j` is not a spec.
  static CodeSpec from_json(const nlohmann::json& j);
  // Whether a problem's gold text is a code spec (a JSON object with "tests") rather than a
  // math answer: the one place that tells the domains apart by their data.
  static bool is_spec(std::string_view gold);
  // Parses a gold text (bounded nesting); throws tpt::Error when it is not a spec.
  static CodeSpec parse(std::string_view gold);
};

enum class CodeVerdict {
  Accepted,      // every test run passed
  WrongAnswer,   // a test's output did not match
  RuntimeError,  // non-zero exit or killed by a signal (other than the limits below)
  TimeLimit,     // a test ran past its wall-clock or CPU limit
  MemoryLimit,   // allocation failed at the address-space limit (MemoryError, or killed for it)
  OutputLimit,   // wrote more than the output cap
  SyntaxError,   // Python could not compile the program
  NoCode,        // the completion holds no fenced code block
};

const char* to_string(CodeVerdict verdict);  // "accepted", "wrong_answer", "runtime_error", ...
std::optional<CodeVerdict> parse_code_verdict(std::string_view text);
// "wrong answer", "time limit", ... for people.
const char* describe(CodeVerdict verdict);

// One test's run. `actual` and `message` are capped (a few KB) so that a stored judgement
// stays small whatever the program printed.
struct TestOutcome {
  int index = 0;  // into CodeSpec::tests
  CodeVerdict verdict = CodeVerdict::Accepted;
  std::string actual;   // the program's stdout (prefix)
  std::string message;  // stderr tail, signal, limit hit, or the checker's reason ("token 3: expected 5, got 6")
  double seconds = 0.0;
  int exit_code = 0;    // -N: killed by signal N
};

struct CodeJudgement {
  CodeVerdict verdict = CodeVerdict::NoCode;  // the first failing test's, or Accepted
  int passed = 0;        // tests passed among those run
  int run = 0;           // tests run (fewer than total when judging stopped at a failure)
  int total = 0;         // tests the problem has
  int public_total = 0;
  int public_passed = 0;
  std::optional<int> first_failure;  // index of the first failing test
  std::string program;   // the code that ran ("" for NoCode)
  std::string message;   // the verdict in a line: "wrong answer on test 3 of 10 (2 passed)"
  bool sandboxed = true; // false: run with the unsandboxed opt-in
  std::vector<TestOutcome> tests;  // the tests run, by index

  nlohmann::json to_json() const;
  static CodeJudgement from_json(const nlohmann::json& j);  // throws tpt::Error
};

}  // namespace tpt::code
