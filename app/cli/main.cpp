// `tpt`: the headless face of TPT Workbench. Everything the GUI does runs here too, for
// scripts, servers and CI.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <string>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "runtime/torch_runtime.h"

namespace {

struct Command {
  std::function<int(const tpt::cli::Args&)> run;
  const char* summary;
};

const std::map<std::string, Command>& commands() {
  static const std::map<std::string, Command> table = {
      {"info", {tpt::cli::run_info, "show the engine's libtorch, BLAS, threads and devices"}},
      {"config", {tpt::cli::run_config, "check or create an experiment.json"}},
      {"data", {tpt::cli::run_data, "check a GSM8K-format JSONL problem file"}},
      {"grade", {tpt::cli::run_grade, "grade traces (JSONL) with a verifier and a pruning rule set"}},
      {"generate", {tpt::cli::run_generate, "sample completions from an HF-format model folder"}},
      {"bench", {tpt::cli::run_bench, "measure generation speed against this machine's GEMM rate"}},
      {"tokenize", {tpt::cli::run_tokenize, "encode or decode lines of text with a tokenizer.json"}},
      {"run", {tpt::cli::run_run, "run an experiment's rounds (creates or resumes it)"}},
      {"status", {tpt::cli::run_status, "show an experiment's rounds: Pass@1, pass@k, counts, times"}},
      {"export", {tpt::cli::run_export, "export kept traces (chat or prompt-completion JSONL) or metrics (CSV)"}},
      {"eval", {tpt::cli::run_eval, "score a model folder on a GSM8K-format file (Pass@1, pass@k)"}},
      {"base-model", {tpt::cli::run_base_model, "build the built-in base model (small Llama, byte tokenizer) into a folder"}},
      {"serve", {tpt::cli::run_serve, "serve a model folder over HTTP with OpenAI's API (completions, chat)"}},
      {"sft", {tpt::cli::run_sft, "fine-tune as `trl sft --config FILE.yaml` does, with the engine's trainer"}},
      {"demo", {tpt::cli::run_demo, "run TPT on the built-in task and base model, and print the rounds"}},
  };
  return table;
}

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "usage: tpt [--quiet] [--threads N [--force-threads]] <command> [options]\n\n"
               "TPT Workbench: Think, Prune, Train, Improve.\n\ncommands:\n");
  for (const auto& [name, command] : commands()) std::fprintf(out, "  %-8s %s\n", name.c_str(), command.summary);
  std::fprintf(out,
               "\n  --quiet, -q      no start-up line (libtorch, BLAS, threads, devices) on stderr\n"
               "  --threads N      libtorch's intra-op threads (0: chosen from the BLAS and cores);\n"
               "                   at most the machine's cores, unless --force-threads\n"
               "\n'tpt <command> --help' describes a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  bool quiet = false;
  bool force_threads = false;
  int threads = 0;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quiet" || arg == "-q") {
      quiet = true;
    } else if (arg == "--threads" && i + 1 < argc) {
      const std::string value = argv[++i];
      char* end = nullptr;
      const long parsed = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || parsed < 0 || parsed > 1024) {
        std::fprintf(stderr, "tpt: --threads must be an integer in [0, 1024] (0 = choose), got \"%s\"\n", value.c_str());
        return 2;
      }
      threads = static_cast<int>(parsed);
    } else if (arg == "--force-threads") {
      force_threads = true;
    } else if (arg == "--help" || arg == "-h") {
      print_usage(stdout);
      return 0;
    } else if (arg == "--version") {
      std::printf("tpt %s\n", tpt::runtime::runtime_info().engine_version.c_str());
      return 0;
    } else {
      std::fprintf(stderr, "tpt: unknown option %s\n\n", arg.c_str());
      print_usage(stderr);
      return 2;
    }
  }
  if (i >= argc) {
    print_usage(stderr);
    return 2;
  }
  const std::string name = argv[i];
  auto it = commands().find(name);
  if (it == commands().end()) {
    std::fprintf(stderr, "tpt: unknown command '%s'\n\n", name.c_str());
    print_usage(stderr);
    return 2;
  }

  // The start-up report: a slow BLAS or a missing GPU should be visible before any long work.
  const tpt::runtime::RuntimeInfo runtime = tpt::runtime::init_runtime(threads, force_threads);
  if (!quiet && name != "info") std::fprintf(stderr, "%s\n", tpt::runtime::runtime_summary(runtime).c_str());
  if (auto warning = tpt::runtime::blas_warning(runtime)) std::fprintf(stderr, "warning: %s\n", warning->c_str());

  tpt::cli::Args args(argv + i + 1, argv + argc);
  try {
    return it->second.run(args);
  } catch (const tpt::cli::UsageError& e) {
    std::fprintf(stderr, "tpt %s: %s\n(see 'tpt %s --help')\n", name.c_str(), e.what(), name.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tpt %s: %s\n", name.c_str(), e.what());
    return 1;
  }
}
