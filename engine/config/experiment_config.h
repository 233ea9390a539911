// experiment.json: everything one experiment needs, in one versioned schema.
//
// The struct initialisers below are the documented defaults (docs/experiment-config.md lists
// them with their ranges; a test checks that every key is documented). Loading validates every
// field and reports all problems at once, each with its JSON path:
//
//   experiment.json: 2 errors
//     think.temperature: must be in [0, 5], got -1
//     train.lerning_rate: unknown key (did you mean "learning_rate"?)
//
// Relative paths inside the file are resolved against the folder that holds it, so an
// experiment folder can be moved or shared as a whole.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "code/sandbox.h"
#include "prune/rule_set.h"

namespace tpt::config {

// The schema version this build reads and writes. Bump it (and teach from_json to read the
// older layout) whenever a key changes meaning or moves.
inline constexpr int kExperimentSchemaVersion = 1;

struct DatasetConfig {
  // "gsm8k" (question + solution ending in "#### N"), or a programming-problem format judged by
  // its stdin/stdout tests: "codecontests", "apps", "code" (data/code_problems.h).
  std::string format = "gsm8k";
  std::string train;                  // JSONL file of the training pool (Think samples here)
  std::string test;                   // JSONL file of held-out problems (Improve scores here)
  std::string question_field = "question";
  std::string answer_field = "answer";
  std::string on_malformed = "fail";  // "fail": stop at the first bad line; "skip": count and go on
  bool skip_images = true;            // code formats: leave out problems whose statement shows an image
};

struct ModelSource {
  std::string path;             // HF-format model folder (config.json, model.safetensors, tokenizer.json)
  std::string device = "auto";  // "auto" (CUDA when present), "cpu", "cuda"
  std::string dtype = "auto";   // "auto" (bfloat16 on CUDA, float32 on CPU), "float32", "bfloat16", "float16"
};

struct ThinkConfig {
  std::string prompt_format = "zero-shot";  // "zero-shot" (the paper's prompt via the chat template), "few-shot", "plain"
  int few_shot_examples = 5;                // used by "few-shot"
  int samples_per_problem = 4;
  int64_t pool_size = 0;                    // problems drawn (seeded) from the training pool per round; 0 = all
  double temperature = 0.8;
  double top_p = 1.0;
  int top_k = 0;                            // 0 = no top-k cut
  int max_new_tokens = 512;
  int batch_size = 32;
  std::vector<std::string> stop;            // extra stop strings besides the model's EOS tokens
};

struct LoraConfig {
  int rank = 16;
  double alpha = 32.0;
  double dropout = 0.0;
  std::vector<std::string> targets = {"q_proj", "k_proj", "v_proj", "o_proj"};
};

// train.method: fine-tune every weight, or LoRA adapters ("full", "lora").
enum class TrainMethod { Full, Lora };
// train.init: each round starts from the previous round's model (M_r -> M_{r+1}), or from the
// base model ("previous", "base").
enum class TrainInit { Previous, Base };
// train.data: this round's kept traces, or every round's so far ("replace", "accumulate").
enum class TrainData { Replace, Accumulate };
// train.schedule: the learning rate's decay after warmup ("cosine", "linear", "constant").
enum class TrainSchedule { Cosine, Linear, Constant };

// Each enum's JSON names, in one place: read by from_json, written by to_json, shown in logs.
const char* to_string(TrainMethod value);
const char* to_string(TrainInit value);
const char* to_string(TrainData value);
const char* to_string(TrainSchedule value);

struct TrainConfig {
  TrainMethod method = TrainMethod::Full;
  TrainInit init = TrainInit::Previous;
  TrainData data = TrainData::Replace;
  int64_t max_examples = 0;          // cap on kept traces per round (seeded subset); 0 = all
  double learning_rate = 1e-5;
  int epochs = 1;
  double warmup_ratio = 0.1;
  TrainSchedule schedule = TrainSchedule::Cosine;
  int micro_batch_size = 2;
  int gradient_accumulation = 4;
  double max_grad_norm = 1.0;        // 0 = no clipping
  double weight_decay = 0.0;
  int64_t checkpoint_steps = 50;     // save a resumable checkpoint every this many steps; 0 = never
  LoraConfig lora;
};

struct EvalConfig {
  std::string split = "test";        // "test" or "train"
  int64_t subset_size = 0;           // seeded random subset of the split; 0 = all of it
  int samples = 1;                   // samples per problem; Pass@1 is their mean accuracy
  double temperature = 0.0;          // 0 = greedy
  double top_p = 1.0;
  int max_new_tokens = 512;
  int batch_size = 32;
  std::vector<int64_t> pass_at_k = {1};  // each k <= samples (unbiased estimator)
};

// sampler.backend: who draws Think's and Improve's samples: the in-process engine, or an
// OpenAI-compatible HTTP server (vLLM, SGLang, `tpt serve`) ("engine", "openai").
enum class SamplerBackend { Engine, OpenAi };
// sampler.api: /v1/completions with the prompt the engine builds (as token ids, so every backend
// reads the same prompt), or /v1/chat/completions where the server applies the model's own chat
// template ("completions", "chat").
enum class SamplerApi { Completions, Chat };

const char* to_string(SamplerBackend value);
const char* to_string(SamplerApi value);

// The launch presets sampler.launch accepts besides a command template.
const std::vector<std::string>& sampler_launch_presets();  // "vllm", "sglang", "tpt-serve"
// The command a preset stands for; `launch` itself when it is a template.
std::string launch_template(const std::string& launch);

struct SamplerConfig {
  SamplerBackend backend = SamplerBackend::Engine;
  // "openai" takes exactly one of these: the base URL of a server that is already running
  // ("attach"), or a preset / command template the runner starts for each model it samples
  // ("launch"; placeholders {model} {port} {host} {name} {seed} {tpt}).
  std::string url;
  std::string launch;
  SamplerApi api = SamplerApi::Completions;
  std::string model_name;             // "model" in requests; "" = the launched {name}, or the attached server's first model
  int concurrency = 16;               // requests in flight at once
  double request_timeout_s = 600.0;   // per request, then it counts as failed and is retried
  int retries = 5;                    // per request, on connection errors, timeouts, 429 and 5xx
  double startup_timeout_s = 900.0;   // a launched server must answer /health or /v1/models by then
  std::string api_key_env;            // name of the environment variable holding the API key; "" = none

  bool launches() const { return backend == SamplerBackend::OpenAi && !launch.empty(); }
};

// trainer.backend: who runs Train: the in-process engine trainer, or an external command (TRL
// through accelerate, LLaMA-Factory, `tpt sft`) that reads the JSONL and config the runner writes
// ("engine", "command").
enum class TrainerBackend { Engine, Command };

const char* to_string(TrainerBackend value);

// The presets trainer.command accepts besides a command template.
const std::vector<std::string>& trainer_command_presets();  // "trl", "trl-multi-gpu", "accelerate", "llama-factory", "tpt-sft"
// The command a preset stands for; `command` itself when it is a template.
std::string trainer_command_template(const std::string& command);
// Whether `command` runs LLaMA-Factory, which reads its own config format instead of TRL's.
bool runs_llama_factory(const std::string& command);

struct TrainerConfig {
  TrainerBackend backend = TrainerBackend::Engine;
  // "command": a preset or a template with {config} (the written config file) and optionally
  // {gpus} {tpt} {data} {output} {model}.
  std::string command = "trl";
  int gpus = 1;                     // processes for the multi-GPU presets ({gpus})
  double stall_timeout_s = 3600.0;  // a trainer silent (no log output) this long is stopped as hung; 0 = never
};

struct StopConfig {
  std::optional<double> target_pass1;  // stop once Pass@1 reaches this fraction
  int plateau_rounds = 0;              // stop after this many rounds without improvement; 0 = never
  std::optional<double> max_hours;     // wall-clock budget for the whole experiment
};

struct ExperimentConfig {
  int schema_version = kExperimentSchemaVersion;
  std::string name = "experiment";
  std::string description;
  int rounds = 4;
  int64_t seed = 0;
  int threads = 0;  // CPU threads for the engine; 0 = decide from the machine
  DatasetConfig dataset;
  ModelSource model;
  SamplerConfig sampler;
  TrainerConfig trainer;
  ThinkConfig think;
  prune::RuleSet prune;
  // Code problems: where and under which limits their programs run (code/sandbox.h). Written
  // to experiment.json only for code datasets or when changed, so math experiments' files
  // (and the settings their stored rounds are compared with) stay as they were.
  code::SandboxConfig sandbox;
  TrainConfig train;
  EvalConfig eval;
  StopConfig stop;

  // The folder relative paths are resolved against (the folder of experiment.json).
  std::string base_dir;

  // Validates `doc` completely; throws ValidationError naming `source` and listing every issue.
  static ExperimentConfig from_json(const nlohmann::json& doc, const std::string& source = "experiment.json");
  // Reads and validates a file; JSON syntax errors throw FileError with line and column.
  static ExperimentConfig load(const std::string& path);
  // As from_json, but returns the issues instead of throwing (for forms that mark fields).
  static std::vector<FieldIssue> validate(const nlohmann::json& doc);

  nlohmann::json to_json() const;
  void save(const std::string& path) const;

  // `path` made absolute against base_dir (unchanged when already absolute or empty).
  std::string resolve(const std::string& path) const;
};

}  // namespace tpt::config
