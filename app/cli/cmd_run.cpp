// tpt run / status / export: the round runner from the command line.
#include <cstdio>
#include <iostream>

#include "cli/arguments.h"
#include "cli/cancel_on_interrupt.h"
#include "cli/commands.h"
#include "cli/progress_printer.h"
#include "io/atomic_file.h"
#include "report/export.h"
#include "report/problems.h"
#include "report/status.h"
#include "run/runner.h"

namespace tpt::cli {

namespace {

std::string experiment_argument(const Arguments& args, const char* command) {
  if (args.positionals().size() != 1)
    throw UsageError(std::string("expected one experiment folder or experiment.json (see 'tpt ") + command +
                     " --help')");
  return args.positionals().front();
}

}  // namespace

int run_run(const Args& raw) {
  Arguments args(raw, {"fork", "train-again"}, {"help"});
  if (args.flag("help")) {
    std::printf(
        "usage: tpt run DIR|experiment.json [--fork NEW_DIR] [--train-again N]\n\n"
        "Runs the experiment's rounds (Think, Prune, Train, Improve), creating its database on the\n"
        "first run and resuming where it stopped after a crash, a kill or Ctrl-C. Progress goes to\n"
        "stderr; the per-round table to stdout at the end.\n\n"
        "If experiment.json changed since rounds were run, the run is refused (it would mix\n"
        "settings); --fork NEW_DIR runs the changed settings as a new experiment in NEW_DIR.\n"
        "--train-again N trains round N again before going on (its samples and decisions are\n"
        "kept; its model is trained anew and scored again): for a round whose model folder was\n"
        "lost, as long as no later round started from it.\n"
        "Ctrl-C stops after the current batch or step (resumable); twice kills at once.\n");
    return 0;
  }
  std::string experiment = experiment_argument(args, "run");
  if (args.value("train-again")) {
    const long long again = args.integer("train-again", 0);
    if (again < 1 || again > 1000000) throw UsageError("--train-again: a round number from 1 (round 0 has no Train)");
    const int round = static_cast<int>(again);
    run::train_round_again(experiment, round);
    std::fprintf(stderr, "round %d trains again\n", round);
  }
  if (auto fork = args.value("fork")) {
    const config::ExperimentConfig config = config::ExperimentConfig::load(run::ExperimentPaths::locate(experiment).config_file);
    experiment = run::fork_experiment(config, *fork);
    std::fprintf(stderr, "forked into %s\n", experiment.c_str());
  }

  run::RunControl control;
  CancelOnInterrupt cancel_on_interrupt(control);

  run::RunResult result;
  {
    ProgressPrinter printer;
    run::Runner runner(experiment, &printer, &control);
    result = runner.run();
  }
  std::cout << report::format_table(report::read_status(experiment));
  if (result.outcome == run::RunOutcome::Cancelled) {
    std::fprintf(stderr, "cancelled; 'tpt run %s' resumes\n", experiment.c_str());
    return 130;
  }
  return 0;
}

int run_status(const Args& raw) {
  Arguments args(raw, {}, {"json", "problems", "help"});
  if (args.flag("help")) {
    std::printf(
        "usage: tpt status DIR|experiment.json [--json] [--problems]\n\n"
        "The experiment's state and one line per round: Pass@1 strict and flexible, pass@k,\n"
        "samples, kept traces, training loss and the time of each phase. --json prints one object\n"
        "{\"state\": ..., \"rounds\": [{\"round\": 0, \"pass1_strict\": 0.42, ...}]} with fractions in [0, 1].\n"
        "--problems lists each evaluated problem's fate from the first scored round to the last:\n"
        "learned, forgotten, always solved, unstable (solved only by rounds between the first and the\n"
        "last) or never solved (by no round) (solved = at least half its answers right,\n"
        "strict checker). Safe to use while the experiment runs.\n");
    return 0;
  }
  const std::string experiment = experiment_argument(args, "status");
  if (args.flag("problems")) {
    const report::ProblemSummary summary = report::summarize_problems(experiment);
    if (args.flag("json")) {
      nlohmann::json problems = nlohmann::json::array();
      for (const auto& p : summary.problems)
        problems.push_back({{"problem", p.problem_key}, {"fate", report::to_string(p.fate)}, {"rounds", p.rounds},
                            {"accuracy", p.accuracy}});
      std::cout << nlohmann::json{{"learned", summary.learned}, {"forgotten", summary.forgotten},
                                  {"always_solved", summary.always_solved}, {"unstable", summary.unstable},
                                  {"never_solved", summary.never_solved},
                                  {"problems", problems}}
                       .dump(2)
                << "\n";
      return 0;
    }
    std::printf("learned %lld · forgotten %lld · always solved %lld · unstable %lld · never solved %lld\n",
                static_cast<long long>(summary.learned), static_cast<long long>(summary.forgotten),
                static_cast<long long>(summary.always_solved), static_cast<long long>(summary.unstable),
                static_cast<long long>(summary.never_solved));
    for (const auto& p : summary.problems) {
      std::string trail;
      for (double a : p.accuracy) trail += a >= 0.5 ? '#' : '.';
      std::printf("  %-20s %-13s %s\n", p.problem_key.c_str(), report::to_string(p.fate), trail.c_str());
    }
    return 0;
  }
  const report::ExperimentStatus status = report::read_status(experiment);
  if (args.flag("json"))
    std::cout << report::to_json(status).dump(2) << "\n";
  else
    std::cout << report::format_table(status);
  return 0;
}

int run_export(const Args& raw) {
  Arguments args(raw, {"round", "format", "out"}, {"force", "help"});
  if (args.flag("help")) {
    std::printf(
        "usage: tpt export DIR|experiment.json --format chat-jsonl|prompt-completion-jsonl|csv\n"
        "                  [--round N] [--out FILE [--force]]\n\n"
        "chat-jsonl: round N's kept traces as {\"messages\": [user, assistant]} lines, the format SFT\n"
        "trainers read. prompt-completion-jsonl: {\"prompt\", \"completion\"} lines, the prompt as the\n"
        "model read it. csv: every round's metrics. Default output: DIR/exports/. An existing --out FILE\n"
        "is replaced only with --force; a symbolic link is written through.\n");
    return 0;
  }
  const report::ExportFormat format = [&] {
    try {
      return report::parse_export_format(args.required("format"));
    } catch (const UsageError&) {
      throw;
    } catch (const Error& e) {
      throw UsageError(e.what());
    }
  }();
  int round = 0;
  if (format != report::ExportFormat::Csv) {
    if (!args.value("round")) throw UsageError("--round N is required for " + std::string(report::to_string(format)));
    round = static_cast<int>(args.integer("round", 0));
  }
  const std::string out = args.value("out") ? io::checked_output_path(*args.value("out"), args.flag("force")) : "";
  const auto result = report::export_experiment(experiment_argument(args, "export"), format, round, out);
  std::printf("%s: %lld %s\n", result.path.c_str(), static_cast<long long>(result.records),
              format == report::ExportFormat::Csv ? "rounds" : "traces");
  return 0;
}

}  // namespace tpt::cli
