// tpt config check|init: validate an experiment.json, or write one with every default spelled out.
#include <cstdio>
#include <iostream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "config/experiment_config.h"
#include "config/presets.h"
#include "io/atomic_file.h"
#include "io/json_fields.h"

namespace tpt::cli {

static int usage() {
  std::printf(
      "usage: tpt config check FILE [--json]\n"
      "       tpt config init [--preset default|paper-gsm8k|paper-codecontests] [--out FILE] [--train FILE] [--test FILE]\n"
      "                       [--model DIR] [--name NAME] [--force]\n\n"
      "check  validates every field and lists all problems with their JSON paths\n"
      "       (exit status 1 when there are any). --json prints {\"ok\": bool, \"errors\": [...]}.\n"
      "init   writes an experiment.json with every default spelled out (stdout without --out).\n"
      "       The defaults are documented in docs/experiment-config.md. --preset paper-gsm8k\n"
      "       writes the TPT paper's GSM8K recipe (bring a Gemma2-2B-it folder: --model DIR);\n"
      "       its dataset defaults to the bundled GSM8K files. --preset paper-codecontests writes\n"
      "       the paper's CodeContests recipe (name the CodeContests splits: --train, --test).\n"
      "       An existing --out FILE is replaced\n"
      "       only with --force; a symbolic link is written through.\n");
  return 0;
}

static int check(const Arguments& args) {
  if (args.positionals().size() != 2) throw UsageError("config check needs one FILE");
  const std::string& path = args.positionals()[1];
  nlohmann::json issues_json = nlohmann::json::array();
  std::vector<FieldIssue> issues;
  try {
    issues = config::ExperimentConfig::validate(io::read_json_file(path));
  } catch (const FileError& e) {
    // A syntax error has a line, not a field path.
    issues.push_back({"", e.what()});
  }
  if (args.flag("json")) {
    for (const auto& issue : issues) issues_json.push_back({{"path", issue.path}, {"message", issue.message}});
    std::cout << nlohmann::json{{"file", path}, {"ok", issues.empty()}, {"errors", issues_json}}.dump() << "\n";
  } else if (issues.empty()) {
    std::printf("%s: ok\n", path.c_str());
  } else {
    std::printf("%s: %zu error%s\n", path.c_str(), issues.size(), issues.size() == 1 ? "" : "s");
    for (const auto& issue : issues) std::printf("  %s\n", issue.to_string().c_str());
  }
  return issues.empty() ? 0 : 1;
}

static int init(const Arguments& args) {
  config::ExperimentConfig config = [&] {
    try {
      return config::preset(args.value_or("preset", "default"));
    } catch (const Error& e) {
      throw UsageError(e.what());
    }
  }();
  config.name = args.value_or("name", config.name);
  config.dataset.train = args.value_or("train", config.dataset.train);
  config.dataset.test = args.value_or("test", config.dataset.test);
  config.model.path = args.value_or("model", config.model.path);
  if (auto out = args.value("out")) {
    config.save(io::checked_output_path(*out, args.flag("force")));
    std::fprintf(stderr, "wrote %s\n", out->c_str());
  } else {
    std::cout << config.to_json().dump(2) << "\n";
  }
  return 0;
}

int run_config(const Args& raw) {
  Arguments args(raw, {"out", "train", "test", "model", "name", "preset"}, {"json", "force", "help"});
  if (args.flag("help") || args.positionals().empty()) return usage();
  const std::string& action = args.positionals()[0];
  if (action == "check") return check(args);
  if (action == "init") return init(args);
  throw UsageError("unknown action '" + action + "' (expected check or init)");
}

}  // namespace tpt::cli
