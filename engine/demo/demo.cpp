#include "demo/demo.h"

#include <filesystem>

#include "io/json_fields.h"
#include "prune/rules.h"
#include "run/paths.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace tpt::demo {

DemoSpec demo_spec(const DemoOptions& options) {
  DemoSpec spec;
  spec.base_model = builtin_base_model_recipe(options.quick, options.seed);
  spec.task.seed = options.seed;
  // Two-step problems with the numbers of the base model's lessons: it learned mostly one-step
  // problems, so these are its "harder" level, and it solves about 40% of them at first.
  spec.task.min_steps = 2;
  spec.task.max_steps = 2;
  spec.task.max_operand = 10;
  spec.task.max_factor = 5;
  spec.task.max_result = 20;
  spec.task.operations = "+-";
  spec.train_problems = 2000;
  spec.test_problems = 200;
  if (options.quick) {
    // The numbers the quick base model learned (base_model.cpp). 128 test problems x 4
    // samples keep the sampling noise of a round's Pass@1 (about 2 points) below its gain.
    spec.task.max_operand = 5;
    spec.task.max_result = 10;
    spec.train_problems = 1000;
    spec.test_problems = 128;
  }
  return spec;
}

config::ExperimentConfig demo_experiment_config(const DemoOptions& options, const std::string& model_path) {
  config::ExperimentConfig c;
  c.name = std::string(options.quick ? "demo-quick" : "demo") + (options.pruning ? "" : "-no-pruning");
  c.description = options.pruning
                      ? "TPT on the built-in word problems with the built-in base model (tpt demo)"
                      : "The no-pruning ablation: the demo keeping every sample, right or wrong (tpt demo --no-pruning)";
  c.rounds = 4;
  c.seed = static_cast<int64_t>(options.seed);
  c.dataset.train = "train.jsonl";
  c.dataset.test = "test.jsonl";
  c.model.path = model_path;
  c.model.device = "cpu";
  c.model.dtype = "float32";

  c.think.prompt_format = "plain";
  c.think.samples_per_problem = 4;
  // The quick demo's model keeps about a third of its samples at first: 256 problems x 4 give
  // it some 350 traces to learn from (with 128 x 4, some rounds fell back instead of rising).
  c.think.pool_size = options.quick ? 256 : 512;
  c.think.temperature = 0.8;
  // A two-step solution is ~50 tokens of the built-in tokenizer; a model that rambles past
  // this is cut off (and its sample is wrong).
  c.think.max_new_tokens = 96;
  c.think.batch_size = 64;

  // The paper's rule (the right final answer), then the calculator check: a small model can
  // reach the right answer through a garbled step ("<<10>>10"), and training on such traces
  // teaches the garbling. With seed 2 the check turned +3 points into +12 (docs/demo.md).
  if (options.pruning)
    c.prune.set_rules({prune::Rule(prune::RuleType::CorrectAnswer), prune::Rule(prune::RuleType::CalculatorCheck)});
  else
    c.prune.set_rules({});

  c.train.learning_rate = 1e-3;
  c.train.epochs = options.quick ? 2 : 4;
  c.train.warmup_ratio = 0.1;
  c.train.schedule = config::TrainSchedule::Cosine;
  // The quick demo's few hundred traces a round make few steps: smaller batches give it more
  // (with batches of 16 and twice the learning rate, the gains had flattened out by round 4).
  c.train.micro_batch_size = options.quick ? 8 : 16;
  c.train.gradient_accumulation = 1;
  c.train.checkpoint_steps = 0;

  c.eval.subset_size = 0;
  c.eval.samples = 4;
  c.eval.temperature = 0.8;
  c.eval.max_new_tokens = 96;
  c.eval.batch_size = 64;
  c.eval.pass_at_k = {1, 4};

  if (options.served) {
    c.sampler.backend = config::SamplerBackend::OpenAi;
    c.sampler.launch = "tpt-serve";
    c.sampler.concurrency = 64;  // the engine's batch
  }
  if (options.external_trainer) {
    c.trainer.backend = config::TrainerBackend::Command;
    c.trainer.command = "tpt-sft";
  }
  return c;
}

std::string default_demo_dir(const DemoOptions& options) {
  std::string dir = "tpt-demo";
  if (options.quick) dir += "-quick";
  if (!options.pruning) dir += "-no-pruning";
  if (options.served) dir += "-served";
  if (options.external_trainer) dir += "-external-trainer";
  if (options.seed != 1) dir += "-seed-" + std::to_string(options.seed);
  return dir;
}

void write_demo_data(const DemoOptions& options, const std::string& dir) {
  const DemoSpec spec = demo_spec(options);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(dir + ": cannot create the folder: " + ec.message());
  write_gsm8k((fs::path(dir) / "train.jsonl").string(),
              generate_word_problems(spec.task, WordProblemSplit::Train, spec.train_problems));
  write_gsm8k((fs::path(dir) / "test.jsonl").string(),
              generate_word_problems(spec.task, WordProblemSplit::Test, spec.test_problems));
}

std::string prepare_demo(const DemoOptions& options, const std::string& dir, const std::string& model_path) {
  const std::string folder = fs::absolute(dir).lexically_normal().string();
  const run::ExperimentPaths paths = run::ExperimentPaths::locate(folder);
  config::ExperimentConfig config = demo_experiment_config(options, model_path);
  config.base_dir = paths.dir;
  std::error_code ec;
  if (fs::exists(paths.config_file, ec)) {
    const json existing = io::read_json_file(paths.config_file);
    if (existing != config.to_json())
      throw Error(paths.config_file + ": this folder holds another experiment (not the demo " + config.name +
                  " with seed " + std::to_string(options.seed) +
                  "); choose another folder with --dir, or remove this one to start over");
    const bool data_present = fs::exists(fs::path(paths.dir) / "train.jsonl", ec) &&
                              fs::exists(fs::path(paths.dir) / "test.jsonl", ec);
    if (!data_present) write_demo_data(options, paths.dir);
    return paths.dir;
  }
  write_demo_data(options, paths.dir);
  config.save(paths.config_file);
  return paths.dir;
}

}  // namespace tpt::demo
