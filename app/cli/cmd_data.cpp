// tpt data check: load a problem file (GSM8K or a programming-problem format) the way an
// experiment would, and report what it holds and what it left out.
// tpt data generate: write the built-in task's train and test files (demo/word_problems.h).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "data/code_problems.h"
#include "demo/word_problems.h"

namespace tpt::cli {

namespace {

const std::set<std::string> kCheckOptions = {"on-malformed", "question-field", "answer-field", "format"};
const std::set<std::string> kGenerateOptions = {"out", "train", "test", "level", "seed"};

int usage(int status) {
  std::printf(
      "usage: tpt data check FILE [--format gsm8k|codecontests|apps|code] [--on-malformed fail|skip]\n"
      "                           [--question-field NAME] [--answer-field NAME] [--keep-images] [--json]\n"
      "       tpt data generate --out DIR [--train N] [--test N] [--level L] [--seed S] [--json]\n\n"
      "check     loads a GSM8K-format JSONL file ({\"question\", \"answer\"} with a final \"#### N\"\n"
      "          line) and reports its problems. Malformed lines are reported as FILE:LINE: reason;\n"
      "          with --on-malformed skip they are counted and skipped (the exit status is then 1\n"
      "          if any were). --format codecontests, apps or code reads programming problems\n"
      "          (as dataset.format does): it reports their tests (public/private/generated) and\n"
      "          each reason problems were left out (call-based, images, no tests, malformed) with\n"
      "          its count and first line. Problems whose statement shows an image are left out\n"
      "          unless --keep-images is given (dataset.skip_images). FILE must be a regular file (a\n"
      "          FIFO or a device is refused), and a line longer than 64 MiB is an error.\n"
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

// The code formats' report: what was kept, their tests, and each reason lines were left out.
int check_code(const data::ProblemSet& set, bool as_json) {
  if (as_json) {
    nlohmann::json left_out = nlohmann::json::array();
    for (const auto& g : set.skips)
      left_out.push_back({{"reason", data::to_string(g.reason)},
                          {"count", g.count},
                          {"first_line", g.first_line},
                          {"first_message", g.first_message}});
    std::cout << nlohmann::json{{"file", set.source},
                                {"format", set.format},
                                {"problems", set.problems.size()},
                                {"lines", set.report.lines},
                                {"tests",
                                 {{"total", set.tests.total},
                                  {"public", set.tests.public_tests},
                                  {"private", set.tests.private_tests},
                                  {"generated", set.tests.generated_tests}}},
                                {"left_out", std::move(left_out)},
                                {"skipped", set.report.skipped},
                                {"errors", set.report.problems},
                                {"duplicate_ids", set.duplicate_ids},
                                {"first_id", set.problems.empty() ? "" : set.problems.front().id}}
                     .dump()
              << "\n";
  } else {
    std::printf("%s: %zu problem%s (%s) from %ld lines\n", set.source.c_str(), set.problems.size(),
                set.problems.size() == 1 ? "" : "s", set.format.c_str(), set.report.lines);
    std::printf("  tests: %ld (public %ld, private %ld, generated %ld)\n", set.tests.total, set.tests.public_tests,
                set.tests.private_tests, set.tests.generated_tests);
    for (const auto& g : set.skips)
      std::printf("  left out %ld: %s, first at line %ld: %s\n", g.count, data::to_string(g.reason), g.first_line,
                  g.first_message.c_str());
    if (set.duplicate_ids) std::printf("  repeated ids: %ld (suffixed -2, -3, ...)\n", set.duplicate_ids);
    if (!set.problems.empty())
      std::printf("  first problem: %s (line %ld)\n", set.problems.front().id.c_str(), set.problems.front().line);
    // The first malformed line is in the list above; the rest the reader kept follow.
    for (size_t i = 1; i < set.report.problems.size(); ++i) std::printf("  %s\n", set.report.problems[i].c_str());
    if (set.report.skipped > static_cast<long>(set.report.problems.size()))
      std::printf("  ... and %ld more\n", set.report.skipped - static_cast<long>(set.report.problems.size()));
  }
  // Lines left out by design (call-based, images, no tests) are the file working as meant;
  // only malformed ones make the check fail.
  return set.report.skipped ? 1 : 0;
}

int check(const Arguments& args) {
  refuse(args, kGenerateOptions, "generate");
  if (args.positionals().size() != 2) return usage(2);
  data::ProblemSetOptions options;
  options.format = args.choice("format", data::problem_set_formats(), "gsm8k");
  options.on_malformed = io::parse_on_malformed(args.choice("on-malformed", {"fail", "skip"}, "fail"));
  if (data::is_code_format(options.format)) {
    for (const char* name : {"question-field", "answer-field"})
      if (args.value(name)) throw UsageError(std::string("option --") + name + " is for --format gsm8k");
    options.skip_images = !args.flag("keep-images");
    return check_code(data::load_problem_set(args.positionals()[1], options), args.flag("json"));
  }
  if (args.flag("keep-images")) throw UsageError("option --keep-images is for the code formats (codecontests, apps, code)");
  options.question_field = args.value_or("question-field", options.question_field);
  options.answer_field = args.value_or("answer-field", options.answer_field);
  const data::ProblemSet set = data::load_problem_set(args.positionals()[1], options);
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
  if (args.flag("keep-images")) throw UsageError("option --keep-images is for 'tpt data check'");
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
  Arguments args(raw, options, {"json", "help", "keep-images"});
  if (args.flag("help")) return usage(0);
  if (args.positionals().empty()) return usage(2);
  const std::string& action = args.positionals()[0];
  if (action == "check") return check(args);
  if (action == "generate") return generate(args);
  throw UsageError("unknown action '" + action + "' (expected check or generate)");
}

}  // namespace tpt::cli
