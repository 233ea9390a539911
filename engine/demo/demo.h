// The demo: TPT on the built-in task with the built-in base model, the first thing a new user
// runs (`tpt demo`). The base model was pre-trained mostly on one-step problems (base_model.h)
// and solves about 40% of unseen two-step ones; the demo's rounds sample on two-step problems
// and train on the model's own correct solutions, and Pass@1 on held-out two-step problems
// climbs round after round (docs/demo.md has the figures).
//
// A demo is an ordinary experiment folder (experiment.json, train.jsonl, test.jsonl) run by
// the ordinary runner: nothing here is a side path. Variants:
//   quick       a smaller model on smaller numbers, built and run in about half a minute on 2
//               idle cores, with Pass@1 still rising round after round (tests, smoke checks)
//   no pruning  the paper's ablation: the same demo keeping every sample, right or wrong
// Each variant has its own default folder and, for the model, its own cache entry.
//
// Everything is fixed by the seed: problems, base model, sampling. Same seed and thread count,
// same per-round numbers.
#pragma once

#include <cstdint>
#include <string>

#include "config/experiment_config.h"
#include "demo/word_problems.h"
#include "demo/base_model.h"

namespace tpt::demo {

struct DemoOptions {
  bool quick = false;
  bool pruning = true;  // false: the no-pruning ablation
  // Think and Improve through `tpt serve` (sampler.backend "openai", launched per model): the
  // same experiment by way of HTTP, to check a server setup or to measure its cost.
  bool served = false;
  // Train through `tpt sft` run as an external command (trainer.backend "command"), the way
  // TRL would be run: the same experiment by way of the JSONL and YAML a TRL trainer reads.
  bool external_trainer = false;
  uint64_t seed = 1;
};

// What a demo is made of.
struct DemoSpec {
  BaseModelRecipe base_model;
  WordProblemOptions task;  // the harder problems of the rounds (task.seed = the demo's seed)
  int64_t train_problems = 0;
  int64_t test_problems = 0;
};

DemoSpec demo_spec(const DemoOptions& options);

// The demo's experiment.json settings with `model_path` as the model (the GUI offers this as a
// preset): the plain prompt, four rounds, sampling and evaluation sized for a CPU. Its dataset
// files are "train.jsonl" and "test.jsonl" beside experiment.json (write_demo_data writes them).
config::ExperimentConfig demo_experiment_config(const DemoOptions& options, const std::string& model_path);

// "tpt-demo", "tpt-demo-no-pruning", "tpt-demo-quick", ...; "-seed-S" is added for a seed other
// than 1. Relative: the caller decides where it lives (the CLI: the working folder).
std::string default_demo_dir(const DemoOptions& options);

// Writes the demo's train.jsonl and test.jsonl into `dir` (created when needed).
void write_demo_data(const DemoOptions& options, const std::string& dir);

// Makes `dir` hold the demo: writes its data and experiment.json when the folder has no
// experiment yet; leaves it as it is when it already holds this same demo (the runner then
// resumes it). Throws Error naming the folder when it holds another experiment. Returns the
// folder's absolute path.
std::string prepare_demo(const DemoOptions& options, const std::string& dir, const std::string& model_path);

}  // namespace tpt::demo
