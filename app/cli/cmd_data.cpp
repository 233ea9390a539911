// tpt data check: load a GSM8K-format JSONL file the way an experiment would, and report.
// tpt data generate: write the built-in task's train and test files (demo/word_problems.h).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "data/gsm8k.h"
#include "demo/word_problems.h"

namespace tpt::cli {

namespace {

const std::set<std::string> kCheckOptions = {"on-malformed", "question-field", "answer-field"};
const std::set<std::string> kGenerateOptions = {"out", "train", "test", "level", "seed"};

int usage(int status) {
  std::printf(
      "usage: tpt data check FILE [--on-malformed fail|skip] [--question-field NAME]\n"
      "                           [--answer-field NAME] [--json]\n"
      "       tpt data generate --out DIR [--train N] [--test N] [--level L] [--seed S] [--json]\n\n"
      "check     loads a GSM8K-format JSONL file ({\"question\", \"answer\"} with a final \"#### N\"\n"
      "          line) and reports its problems. Malformed lines are reported as FILE:LINE: reason;\n"
      "          with --on-malformed skip they are counted and skipped (the exit status is then 1\n"
      "          if any were).\n"
      "generate  writes the built-in word-problem task as DIR/train.jsonl (default 1000 problems)\n"
      "          and DIR/test.jsonl (default 200), in GSM8K's format. --level is 1-5 or easy,\n"
      "          medium, hard, harder, hardest (default 1); --seed picks the problems (default 1).\n"
      "          Train and test never share a problem, whatever the seeds (docs/built-in-task.md).\n");
  return status;
}

// A non-negative whole number no larger than `max`, or a UsageError naming the option.
uint64_t whole_number(const Arguments& args, const std::string& name, uint64_t fallback, uint64_t max) {
  const auto v = args.value(name);
  if (!v) return fallback;
  bool ok = !v->empty() && v->size() <= 20;
  for (char c : *v) ok = ok && c >= '0' && c <= '9';
  if (ok) {
    try {
      const unsigned long long n = std::stoull(*v);
      if (n <= max) return n;
    } catch (const std::exception&) {
    }
  }
  throw UsageError("--" + name + " must be a whole number in [0, " + std::to_string(max) + "], got \"" + *v + "\"");
}

void refuse(const Arguments& args, const std::set<std::string>& options, const char* action) {
  for (const auto& name : options)
    if (args.value(name)) throw UsageError("option --" + name + " is for 'tpt data " + action + "'");
}

int check(const Arguments& args) {
  refuse(args, kGenerateOptions, "generate");
  if (args.positionals().size() != 2) return usage(2);
  data::Gsm8kOptions options;
  options.on_malformed = io::parse_on_malformed(args.choice("on-malformed", {"fail", "skip"}, "fail"));
  options.question_field = args.value_or("question-field", options.question_field);
  options.answer_field = args.value_or("answer-field", options.answer_field);
  const data::ProblemSet set = data::load_gsm8k(args.positionals()[1], options);

  long with_commas = 0, negative = 0;
  for (const auto& p : set.problems) {
    if (p.gold.find(',') != std::string::npos) ++with_commas;
    if (!p.gold.empty() && p.gold[0] == '-') ++negative;
  }
  if (args.flag("json")) {
    std::cout << nlohmann::json{{"file", set.source},
                                {"problems", set.problems.size()},
                                {"lines", set.report.lines},
                                {"skipped", set.report.skipped},
                                {"errors", set.report.problems},
                                {"gold_with_commas", with_commas},
                                {"gold_negative", negative},
                                {"first_id", set.problems.empty() ? "" : set.problems.front().id}}
                     .dump()
              << "\n";
  } else {
    std::printf("%s: %zu problem%s from %ld lines", set.source.c_str(), set.problems.size(),
                set.problems.size() == 1 ? "" : "s", set.report.lines);
    if (set.report.skipped) std::printf(", %ld malformed lines skipped", set.report.skipped);
    std::printf("\n  gold answers with commas: %ld, negative: %ld\n", with_commas, negative);
    if (!set.problems.empty())
      std::printf("  first problem: %s (line %ld), gold %s\n", set.problems.front().id.c_str(),
                  set.problems.front().line, set.problems.front().gold.c_str());
    for (const auto& problem : set.report.problems) std::printf("  %s\n", problem.c_str());
    if (set.report.skipped > static_cast<long>(set.report.problems.size()))
      std::printf("  ... and %ld more\n", set.report.skipped - static_cast<long>(set.report.problems.size()));
  }
  return set.report.skipped ? 1 : 0;
}

int generate(const Arguments& args) {
  refuse(args, kCheckOptions, "check");
  if (args.positionals().size() != 1) throw UsageError("data generate takes no FILE (use --out DIR)");
  const std::string out = args.required("out");
  // A million problems is far beyond what a round samples and keeps the files a sane size.
  constexpr uint64_t kMaxCount = 1'000'000;
  const auto train_count = static_cast<int64_t>(whole_number(args, "train", 1000, kMaxCount));
  const auto test_count = static_cast<int64_t>(whole_number(args, "test", 200, kMaxCount));
  const uint64_t seed = whole_number(args, "seed", 1, std::numeric_limits<uint64_t>::max());
  const demo::WordProblemLevel* level = nullptr;
  try {
    level = &demo::parse_word_problem_level(args.value_or("level", "1"));
  } catch (const Error& e) {
    throw UsageError(std::string("--level: ") + e.what());
  }
  demo::WordProblemOptions options = level->options;
  options.seed = seed;

  // Generate both before writing either, so a failure leaves no half-made pair behind.
  const auto train = demo::generate_word_problems(options, demo::WordProblemSplit::Train, train_count);
  const auto test = demo::generate_word_problems(options, demo::WordProblemSplit::Test, test_count);
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) throw FileError({out, 0}, "cannot create directory: " + ec.message());
  const std::string train_path = (std::filesystem::path(out) / "train.jsonl").string();
  const std::string test_path = (std::filesystem::path(out) / "test.jsonl").string();
  demo::write_gsm8k(train_path, train);
  demo::write_gsm8k(test_path, test);

  if (args.flag("json")) {
    std::cout << nlohmann::json{{"train", {{"file", train_path}, {"problems", train.size()}}},
                                {"test", {{"file", test_path}, {"problems", test.size()}}},
                                {"level", level->number},
                                {"level_name", level->name},
                                {"seed", seed},
                                {"options", options.describe()}}
                     .dump()
              << "\n";
  } else {
    std::printf("%s: %zu problems\n%s: %zu problems\n", train_path.c_str(), train.size(), test_path.c_str(),
                test.size());
    std::printf("  level %d (%s): %s; seed %llu\n", level->number, level->name.c_str(), options.describe().c_str(),
                static_cast<unsigned long long>(seed));
  }
  return 0;
}

}  // namespace

int run_data(const Args& raw) {
  std::set<std::string> options = kCheckOptions;
  options.insert(kGenerateOptions.begin(), kGenerateOptions.end());
  Arguments args(raw, options, {"json", "help"});
  if (args.flag("help")) return usage(0);
  if (args.positionals().empty()) return usage(2);
  const std::string& action = args.positionals()[0];
  if (action == "check") return check(args);
  if (action == "generate") return generate(args);
  throw UsageError("unknown action '" + action + "' (expected check or generate)");
}

}  // namespace tpt::cli
