// tpt data check: load a GSM8K-format JSONL file the way an experiment would, and report.
#include <cstdio>
#include <iostream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "data/gsm8k.h"

namespace tpt::cli {

int run_data(const Args& raw) {
  Arguments args(raw, {"on-malformed", "question-field", "answer-field"}, {"json", "help"});
  if (args.flag("help") || args.positionals().size() != 2 || args.positionals()[0] != "check") {
    std::printf(
        "usage: tpt data check FILE [--on-malformed fail|skip] [--question-field NAME]\n"
        "                           [--answer-field NAME] [--json]\n\n"
        "Loads a GSM8K-format JSONL file ({\"question\", \"answer\"} with a final \"#### N\" line)\n"
        "and reports its problems. Malformed lines are reported as FILE:LINE: reason; with\n"
        "--on-malformed skip they are counted and skipped (the exit status is then 1 if any were).\n");
    return args.flag("help") ? 0 : 2;
  }
  Gsm8kOptions options;
  options.on_malformed = parse_on_malformed(args.choice("on-malformed", {"fail", "skip"}, "fail"));
  options.question_field = args.value_or("question-field", options.question_field);
  options.answer_field = args.value_or("answer-field", options.answer_field);
  const ProblemSet set = load_gsm8k(args.positionals()[1], options);

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

}  // namespace tpt::cli
