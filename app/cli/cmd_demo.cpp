// tpt base-model / tpt demo: the built-in base model and the demo experiment (demo/demo.h).
#include <cstdio>
#include <iostream>
#include <filesystem>

#include "cli/arguments.h"
#include "cli/cancel_on_interrupt.h"
#include "cli/commands.h"
#include "cli/progress_printer.h"
#include "demo/base_model.h"
#include "demo/demo.h"
#include "io/json_fields.h"
#include "report/status.h"
#include "run/runner.h"

namespace tpt::cli {

namespace {

uint64_t seed_argument(const Arguments& args) {
  const long long seed = args.integer("seed", 1);
  if (seed < 0) throw UsageError("--seed must be an integer >= 0, got " + std::to_string(seed));
  return static_cast<uint64_t>(seed);
}

}  // namespace

int run_base_model(const Args& raw) {
  Arguments args(raw, {"out", "seed", "recipe"}, {"quick", "print-recipe", "help"});
  if (args.flag("help")) {
    std::printf(
        "usage: tpt base-model --out DIR [--seed S] [--quick] [--recipe FILE] [--print-recipe]\n\n"
        "Builds the built-in base model into DIR (which must not exist or be empty): a small\n"
        "Llama-architecture model with a small BPE tokenizer learnt from its data, pre-trained from\n"
        "scratch on gold solutions of easy built-in word problems, saved as an HF folder\n"
        "(config.json, model.safetensors, tokenizer.json, ...) with base_model.json recording\n"
        "the recipe.\n"
        "Same seed and thread count, same weights. `tpt demo` builds and caches the same model in\n"
        "the user's data folder by itself; this command is for using it elsewhere.\n\n"
        "  --seed S        seed of the weights, the problems and the batch order (default 1)\n"
        "  --quick         the small recipe of `tpt demo --quick` (seconds, not minutes)\n"
        "  --recipe FILE   a recipe of your own (JSON; --print-recipe shows the layout)\n"
        "  --print-recipe  print the recipe as JSON and build nothing\n");
    return 0;
  }
  if (!args.positionals().empty()) throw UsageError("base-model takes no positional arguments (use --out DIR)");
  demo::BaseModelRecipe recipe = demo::builtin_base_model_recipe(args.flag("quick"), seed_argument(args));
  if (auto file = args.value("recipe")) {
    if (args.flag("quick")) throw UsageError("--recipe and --quick exclude each other");
    recipe = demo::BaseModelRecipe::from_json(io::read_json_file(*file), *file);
    if (args.value("seed")) recipe.seed = seed_argument(args);
  }
  if (args.flag("print-recipe")) {
    nlohmann::json doc = recipe.to_json();
    std::cout << doc.dump(2) << "\n";
    return 0;
  }
  const std::string out = args.required("out");
  run::RunControl control;
  CancelOnInterrupt cancel_on_interrupt(control);
  demo::BaseModelBuild build;
  {
    ProgressPrinter printer;
    build = demo::build_base_model(recipe, out, &printer, &control);
  }
  if (build.cancelled) {
    std::fprintf(stderr, "cancelled; nothing was written\n");
    return 130;
  }
  std::printf("%s: %lld parameters, %lld steps, final loss %.4f, %.0f s (recipe %s)\n", build.folder.c_str(),
              static_cast<long long>(build.parameters), static_cast<long long>(build.steps), build.final_loss,
              build.seconds, recipe.hash().c_str());
  return 0;
}

int run_demo(const Args& raw) {
  Arguments args(raw, {"dir", "seed"}, {"quick", "no-pruning", "serve", "external-trainer", "help"});
  if (args.flag("help")) {
    std::printf(
        "usage: tpt demo [--quick] [--no-pruning] [--serve] [--external-trainer] [--dir DIR] [--seed S]\n\n"
        "Think, Prune, Train, Improve on the built-in task with the built-in base model, on this\n"
        "machine's CPU: the base model was pre-trained mostly on one-step word problems and solves\n"
        "about 40%% of unseen two-step ones; four rounds sample solutions to two-step problems,\n"
        "keep the correct ones and train on them, and Pass@1 on held-out two-step problems is\n"
        "scored after each round. Prints the per-round table (about 6 minutes on 2 cores).\n\n"
        "The base model is built on first use (about 3 minutes) and cached in the user's data folder\n"
        "($XDG_DATA_HOME/tpt-workbench/models, default ~/.local/share/tpt-workbench/models).\n"
        "The demo is an ordinary experiment folder: 'tpt status DIR' shows it, the workbench opens\n"
        "it, and running the same demo again resumes it (or just prints it when it is done).\n\n"
        "  --quick       a small variant on smaller numbers, about half a minute on 2 idle cores,\n"
        "                Pass@1 rising all the same (smoke checks, tests)\n"
        "  --no-pruning  the ablation: keep every sample, right or wrong, in a folder of its own\n"
        "  --serve       sample through `tpt serve` started for each model (an OpenAI-compatible\n"
        "                server, as vLLM would be): the same table by way of HTTP, unless a\n"
        "                server batch rounds a near-tie draw the other way (rare; docs/serve.md)\n"
        "  --external-trainer\n"
        "                train through `tpt sft` run as an external command, as TRL would be (the\n"
        "                round's data as TRL JSONL and an SFT YAML config): the same table\n"
        "  --dir DIR     the experiment folder (default: ./tpt-demo in the working folder, with\n"
        "                -quick, -no-pruning, -served, -external-trainer and -seed-S added for\n"
        "                those variants)\n"
        "  --seed S      seeds the problems, the base model and the sampling (default 1)\n");
    return 0;
  }
  if (!args.positionals().empty()) throw UsageError("demo takes no positional arguments (use --dir DIR)");
  demo::DemoOptions options;
  options.quick = args.flag("quick");
  options.pruning = !args.flag("no-pruning");
  options.served = args.flag("serve");
  options.external_trainer = args.flag("external-trainer");
  options.seed = seed_argument(args);
  const std::string dir = args.value_or("dir", demo::default_demo_dir(options));
  const demo::DemoSpec spec = demo::demo_spec(options);

  run::RunControl control;
  CancelOnInterrupt cancel_on_interrupt(control);
  run::RunResult result;
  std::string folder;
  {
    ProgressPrinter printer;
    const demo::BaseModelBuild model = demo::ensure_base_model(spec.base_model, &printer, &control);
    if (model.cancelled) {
      std::fprintf(stderr, "cancelled while building the base model; nothing was cached\n");
      return 130;
    }
    if (model.reused) std::fprintf(stderr, "base model: %s (cached)\n", model.folder.c_str());
    folder = demo::prepare_demo(options, dir, model.folder);
    std::fprintf(stderr, "demo experiment: %s (%s; %lld train, %lld test problems)\n", folder.c_str(),
                 spec.task.describe().c_str(), static_cast<long long>(spec.train_problems),
                 static_cast<long long>(spec.test_problems));
    run::Runner runner(folder, &printer, &control);
    result = runner.run();
  }
  std::cout << report::format_table(report::read_status(folder)) << std::flush;
  if (result.outcome == run::RunOutcome::Cancelled) {
    std::fprintf(stderr, "cancelled; the same 'tpt demo' command resumes it\n");
    return 130;
  }
  // Where to look next: the traces, the problems and the chart are in the workbench.
  std::fprintf(stderr, "\nopen it in the workbench: tpt-workbench %s\n", folder.c_str());
  return 0;
}

}  // namespace tpt::cli
