// tpt grade: judge traces produced by any tool with TPT's verifier and pruning rules.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "core/text.h"
#include "data/code_problems.h"
#include "prune/grade.h"

namespace tpt::cli {

static int usage() {
  std::printf(
      "usage: tpt grade --samples FILE.jsonl [--verifier strict|flexible|boxed]\n"
      "                 [--normalize exact|lm-eval|numeric] [--rules RULES.json] [--json]\n"
      "                 [--summary-only] [--completion-field NAME] [--answer-field NAME]\n"
      "                 [--on-malformed fail|skip]\n"
      "                 [--dataset FILE [--format codecontests|apps|code|gsm8k]] [--workers N] [--unsandboxed]\n\n"
      "Each input line holds \"completion\" (the model's text) and \"answer\" (a bare gold value,\n"
      "or a GSM8K solution ending in \"#### N\"); optional \"id\", \"problem\", \"token_count\",\n"
      "\"annotation\" (accept|reject|flag) and \"annotator\". FILE may be - for standard input;\n"
      "otherwise it must be a regular file (a FIFO or a device is refused). A line longer than\n"
      "64 MiB is an error, in a file or on standard input.\n"
      "Code lines hold \"tests\" ([{\"input\", \"output\"}], optional \"time_limit_s\") instead of\n"
      "\"answer\", or a \"problem\" id of the --dataset file: the last ```python block of the\n"
      "completion runs on each test in the bubblewrap sandbox (docs/code-sandbox.md) and the\n"
      "verdict and tests passed are printed.\n\n"
      "  --verifier     answer extraction: strict (the paper's \"#### N\" checker, first match),\n"
      "                 flexible (last number, as lm-evaluation-harness), boxed (last \\boxed{})\n"
      "  --normalize    exact (the paper's string equality), lm-eval (drop , $ and a trailing .),\n"
      "                 numeric (also 12.0 == 12; the default)\n"
      "  --rules        a pruning rule set (JSON); its verifier is overridden by the two options\n"
      "                 above when they are given. Default rules: [correct_answer].\n"
      "  --dataset      a problem set whose ids \"problem\" names (--format: its format, as in\n"
      "                 tpt data check; default codecontests)\n"
      "  --workers      programs run at once (default: the machine's threads)\n"
      "  --unsandboxed  run programs without bubblewrap (rlimits and timeouts only): only for\n"
      "                 code you trust, on a machine without bubblewrap\n"
      "  --json         one JSON line per sample {id, extracted, correct, kept, reason}, then\n"
      "                 {\"summary\": {...}}\n\n"
      "Example, grading GSM8K's gold solutions against their own answers:\n"
      "  tpt grade --samples resources/data/gsm8k/test.jsonl --completion-field answer\n");
  return 0;
}

int run_grade(const Args& raw) {
  Arguments args(raw,
                 {"samples", "verifier", "normalize", "rules", "completion-field", "answer-field", "on-malformed",
                  "dataset", "format", "workers"},
                 {"json", "summary-only", "help", "unsandboxed"});
  if (args.flag("help")) return usage();
  const std::string samples_path = args.required("samples");

  prune::RuleSet rules = args.value("rules") ? prune::RuleSet::load(*args.value("rules")) : prune::RuleSet();
  if (args.value("verifier") || args.value("normalize")) {
    nlohmann::json doc = rules.to_json();
    if (auto v = args.value("verifier")) doc["verifier"]["extractor"] = args.choice("verifier", {"strict", "flexible", "boxed"}, *v);
    if (auto n = args.value("normalize")) doc["verifier"]["normalize"] = args.choice("normalize", {"exact", "lm-eval", "numeric"}, *n);
    rules = prune::RuleSet::from_json(doc, "command line");
  }

  prune::GradeOptions options;
  options.completion_field = args.value_or("completion-field", options.completion_field);
  options.answer_field = args.value_or("answer-field", options.answer_field);
  options.on_malformed = io::parse_on_malformed(args.choice("on-malformed", {"fail", "skip"}, "fail"));
  if (auto dataset = args.value("dataset")) {
    data::ProblemSetOptions set_options;
    set_options.format = args.choice("format", data::problem_set_formats(), "codecontests");
    set_options.id_prefix = std::filesystem::path(*dataset).stem().string();
    // Every problem the file holds may be named, images or not.
    set_options.skip_images = false;
    // A problem is named by its id as `tpt data check` and the workbench show it
    // ("<file stem>-<the file's id>") or by the file's own id.
    const std::string prefix = set_options.id_prefix + "-";
    for (const auto& p : data::load_problem_set(*dataset, set_options).problems) {
      options.gold_by_problem[p.id] = p.gold;
      if (p.id.rfind(prefix, 0) == 0) options.gold_by_problem.emplace(p.id.substr(prefix.size()), p.gold);
    }
  }
  if (args.value("workers")) {
    const long long workers = args.integer("workers", 0);
    if (workers < 1 || workers > 1024) throw UsageError("--workers: must be 1 to 1024, got " + std::to_string(workers));
    options.sandbox.workers = static_cast<int>(workers);
  }
  if (args.flag("unsandboxed")) options.sandbox.mode = code::SandboxMode::Unsandboxed;

  const prune::GradeResult result = prune::grade_jsonl(samples_path, rules, options);
  const bool json_out = args.flag("json");
  const bool details = !args.flag("summary-only");

  for (size_t i = 0; details && i < result.decisions.size(); ++i) {
    const prune::Decision& d = result.decisions[i];
    if (json_out) {
      std::cout << prune::decision_to_json(result.ids[i], d).dump() << "\n";
    } else {
      std::cout << result.ids[i] << "\t";
      if (d.judgement.code)
        std::cout << code::to_string(d.judgement.code->verdict) << "\t" << d.judgement.code->passed << "/"
                  << d.judgement.code->total << " tests";
      else
        std::cout << prune::to_string(d.judgement.verdict) << "\t"
                  << (d.judgement.extracted ? excerpt(*d.judgement.extracted, 24) : "-");
      std::cout << "\t"
                << (d.kept ? "kept" : "dropped") << "\t" << (d.kept ? "" : d.dropped_by + ": " + d.reason) << "\n";
    }
  }
  const auto& s = result.summary;
  if (json_out) {
    nlohmann::json summary = s.to_json();
    summary["file"] = samples_path;
    summary["verifier"] = rules.verifier().to_json();
    summary["errors"] = result.report.problems;
    std::cout << nlohmann::json{{"summary", summary}}.dump() << "\n";
  } else {
    const double pct = s.samples ? 100.0 * s.correct / s.samples : 0.0;
    std::cout << samples_path << ": " << s.samples << " samples graded with " << rules.verifier().to_json().dump()
              << "\n  correct " << s.correct << " (" << std::fixed;
    std::cout.precision(2);
    std::cout << pct << "%), wrong " << s.wrong << ", no answer " << s.no_answer << "\n  kept " << s.kept
              << ", dropped " << (s.samples - s.kept);
    for (const auto& [rule, count] : s.dropped_by) std::cout << " | " << rule << ": " << count;
    std::cout << "\n";
    if (!s.code_verdicts.empty()) {
      std::cout << "  programs:";
      for (const auto& [verdict, count] : s.code_verdicts) std::cout << " " << verdict << " " << count;
      std::cout << (options.sandbox.mode == code::SandboxMode::Unsandboxed ? " (UNSANDBOXED)" : "") << "\n";
    }
    if (s.skipped_lines) std::cout << "  malformed lines skipped: " << s.skipped_lines << "\n";
    for (const auto& problem : result.report.problems) std::cout << "  " << problem << "\n";
  }
  return 0;
}

}  // namespace tpt::cli
