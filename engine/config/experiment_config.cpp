#include "config/experiment_config.h"

#include <algorithm>
#include <filesystem>

#include "data/code_problems.h"
#include "io/json_fields.h"

namespace tpt::config {

using nlohmann::json;
namespace fs = std::filesystem;

const char* to_string(TrainMethod value) { return value == TrainMethod::Lora ? "lora" : "full"; }
const char* to_string(TrainInit value) { return value == TrainInit::Base ? "base" : "previous"; }
const char* to_string(TrainData value) { return value == TrainData::Accumulate ? "accumulate" : "replace"; }
const char* to_string(TrainSchedule value) {
  switch (value) {
    case TrainSchedule::Cosine: return "cosine";
    case TrainSchedule::Linear: return "linear";
    case TrainSchedule::Constant: return "constant";
  }
  return "cosine";
}

const char* to_string(SamplerBackend value) { return value == SamplerBackend::OpenAi ? "openai" : "engine"; }
const char* to_string(SamplerApi value) { return value == SamplerApi::Chat ? "chat" : "completions"; }

const std::vector<std::string>& sampler_launch_presets() {
  static const std::vector<std::string> names = {"vllm", "sglang", "tpt-serve"};
  return names;
}

std::string launch_template(const std::string& launch) {
  // vLLM: --generation-config vllm keeps the model folder's generation_config.json from
  // overriding the sampling settings each request carries. SGLang: the same through
  // --sampling-defaults openai. Both bind to the loopback address only.
  if (launch == "vllm")
    return "vllm serve {model} --host {host} --port {port} --served-model-name {name} --seed {seed} "
           "--generation-config vllm";
  if (launch == "sglang")
    return "python3 -m sglang.launch_server --model-path {model} --host {host} --port {port} "
           "--served-model-name {name} --random-seed {seed} --sampling-defaults openai";
  if (launch == "tpt-serve") return "{tpt} serve --model {model} --host {host} --port {port} --name {name}";
  return launch;
}

const char* to_string(TrainerBackend value) { return value == TrainerBackend::Command ? "command" : "engine"; }

const std::vector<std::string>& trainer_command_presets() {
  static const std::vector<std::string> names = {"trl", "trl-multi-gpu", "accelerate", "llama-factory", "tpt-sft"};
  return names;
}

std::string trainer_command_template(const std::string& command) {
  // TRL's own launcher reads accelerate's settings from --accelerate_config (zero3, fsdp2, ...);
  // `accelerate launch` runs TRL's SFT script under a DeepSpeed ZeRO-3 plugin directly.
  if (command == "trl") return "trl sft --config {config}";
  if (command == "trl-multi-gpu") return "trl sft --config {config} --accelerate_config zero3 --num_processes {gpus}";
  if (command == "accelerate")
    return "accelerate launch --num_processes {gpus} --use_deepspeed --zero_stage 3 -m trl.scripts.sft --config {config}";
  if (command == "llama-factory") return "llamafactory-cli train {config}";
  if (command == "tpt-sft") return "{tpt} sft --config {config}";
  return command;
}

bool runs_llama_factory(const std::string& command) {
  return trainer_command_template(command).find("llamafactory-cli") != std::string::npos;
}

namespace {

const io::NumberRange kFraction{0.0, 1.0};
const io::NumberRange kProbability{0.0, 1.0, /*min_exclusive=*/true};
const io::IntRange kPositive{1};
const io::IntRange kNonNegative{0};

void read_dataset(io::JsonObjectReader& parent, DatasetConfig& d, std::vector<FieldIssue>& issues) {
  const json* node = parent.child("dataset");
  if (!node) {
    parent.fail("dataset", "required (an object with at least \"train\" and \"test\")");
    return;
  }
  io::JsonObjectReader r(*node, parent.child_path("dataset"), issues);
  r.choice("format", d.format, data::problem_set_formats());
  r.string("train", d.train);
  r.string("test", d.test);
  r.string("question_field", d.question_field, false);
  r.string("answer_field", d.answer_field, false);
  r.choice("on_malformed", d.on_malformed, {"fail", "skip"});
  r.boolean("skip_images", d.skip_images);
  if (r.is_object()) {
    if (d.train.empty()) r.fail("train", "required: path of the training pool (JSONL)");
    if (d.test.empty()) r.fail("test", "required: path of the held-out test split (JSONL)");
  }
  r.finish();
}

void read_model(io::JsonObjectReader& parent, ModelSource& m, std::vector<FieldIssue>& issues) {
  const json* node = parent.child("model");
  if (!node) {
    parent.fail("model", "required (an object with \"path\" of an HF-format model folder)");
    return;
  }
  io::JsonObjectReader r(*node, parent.child_path("model"), issues);
  r.string("path", m.path);
  r.choice("device", m.device, {"auto", "cpu", "cuda"});
  r.choice("dtype", m.dtype, {"auto", "float32", "bfloat16", "float16"});
  if (r.is_object() && m.path.empty()) r.fail("path", "required: an HF-format model folder");
  r.finish();
}

template <typename E>
void read_enum(io::JsonObjectReader& r, const char* key, E& out, std::initializer_list<E> values);

void read_sampler(io::JsonObjectReader& parent, SamplerConfig& s, std::vector<FieldIssue>& issues) {
  const json* node = parent.child("sampler");
  if (!node) return;
  io::JsonObjectReader r(*node, parent.child_path("sampler"), issues);
  read_enum(r, "backend", s.backend, {SamplerBackend::Engine, SamplerBackend::OpenAi});
  r.string("url", s.url);
  r.string("launch", s.launch);
  read_enum(r, "api", s.api, {SamplerApi::Completions, SamplerApi::Chat});
  r.string("model_name", s.model_name);
  r.integer("concurrency", s.concurrency, {1, 4096});
  r.number("request_timeout_s", s.request_timeout_s, {0.0, 1e6, true});
  r.integer("retries", s.retries, {0, 100});
  r.number("startup_timeout_s", s.startup_timeout_s, {0.0, 1e6, true});
  r.string("api_key_env", s.api_key_env);
  if (r.is_object() && s.backend == SamplerBackend::OpenAi) {
    if (s.url.empty() == s.launch.empty())
      r.fail(s.url.empty() ? "url" : "launch",
             "backend \"openai\" needs exactly one of \"url\" (a running server) and \"launch\" (a preset: "
             "vllm, sglang, tpt-serve, or a command template)");
    if (!s.url.empty() && s.url.rfind("http://", 0) != 0 && s.url.rfind("https://", 0) != 0)
      r.fail("url", "must start with http:// or https://, got \"" + s.url + "\"");
    const auto& presets = sampler_launch_presets();
    if (!s.launch.empty() && std::find(presets.begin(), presets.end(), s.launch) == presets.end()) {
      for (const char* needed : {"{model}", "{port}"})
        if (s.launch.find(needed) == std::string::npos)
          r.fail("launch", std::string("a command template must contain ") + needed + " (or use a preset: vllm, sglang, tpt-serve)");
    }
  }
  if (!s.api_key_env.empty() && s.api_key_env.find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
    r.fail("api_key_env", "the name of an environment variable (letters, digits, _), not the key itself");
  r.finish();
}

void read_trainer(io::JsonObjectReader& parent, TrainerConfig& t, std::vector<FieldIssue>& issues) {
  const json* node = parent.child("trainer");
  if (!node) return;
  io::JsonObjectReader r(*node, parent.child_path("trainer"), issues);
  read_enum(r, "backend", t.backend, {TrainerBackend::Engine, TrainerBackend::Command});
  r.string("command", t.command);
  r.integer("gpus", t.gpus, {1, 4096});
  r.number("stall_timeout_s", t.stall_timeout_s, {0.0, 1e7});
  const auto& presets = trainer_command_presets();
  if (r.is_object() && t.backend == TrainerBackend::Command &&
      std::find(presets.begin(), presets.end(), t.command) == presets.end() &&
      t.command.find("{config}") == std::string::npos)
    r.fail("command", "a command template must contain {config} (or use a preset: trl, trl-multi-gpu, accelerate, "
                      "llama-factory, tpt-sft)");
  r.finish();
}

void read_think(io::JsonObjectReader& parent, ThinkConfig& t, std::vector<FieldIssue>& issues) {
  const json* node = parent.child("think");
  if (!node) return;
  io::JsonObjectReader r(*node, parent.child_path("think"), issues);
  r.choice("prompt_format", t.prompt_format, {"zero-shot", "few-shot", "plain"});
  r.integer("few_shot_examples", t.few_shot_examples, {0, 64});
  r.integer("samples_per_problem", t.samples_per_problem, {1, 100000});
  r.integer("pool_size", t.pool_size, kNonNegative);
  r.number("temperature", t.temperature, {0.0, 5.0});
  r.number("top_p", t.top_p, kProbability);
  r.integer("top_k", t.top_k, kNonNegative);
  r.integer("max_new_tokens", t.max_new_tokens, {1, 1 << 20});
  r.integer("batch_size", t.batch_size, {1, 65536});
  r.strings("stop", t.stop);
  for (size_t i = 0; i < t.stop.size(); ++i)
    if (t.stop[i].empty()) issues.push_back({io::json_path(r.child_path("stop"), i), "must not be empty"});
  if (t.prompt_format == "few-shot" && t.few_shot_examples == 0)
    r.fail("few_shot_examples", "must be >= 1 when prompt_format is \"few-shot\"");
  r.finish();
}

// Reads an enum by its JSON name; a wrong name is reported (listing the names) and leaves
// `out` as it was.
template <typename E>
void read_enum(io::JsonObjectReader& r, const char* key, E& out, std::initializer_list<E> values) {
  std::vector<std::string> names;
  for (E v : values) names.push_back(to_string(v));
  std::string name = to_string(out);
  r.choice(key, name, names);
  for (E v : values)
    if (name == to_string(v)) out = v;
}

void read_train(io::JsonObjectReader& parent, TrainConfig& t, std::vector<FieldIssue>& issues) {
  const json* node = parent.child("train");
  if (!node) return;
  io::JsonObjectReader r(*node, parent.child_path("train"), issues);
  read_enum(r, "method", t.method, {TrainMethod::Full, TrainMethod::Lora});
  read_enum(r, "init", t.init, {TrainInit::Previous, TrainInit::Base});
  read_enum(r, "data", t.data, {TrainData::Replace, TrainData::Accumulate});
  r.integer("max_examples", t.max_examples, kNonNegative);
  r.number("learning_rate", t.learning_rate, {0.0, 1.0, true});
  r.integer("epochs", t.epochs, {1, 1000});
  r.number("warmup_ratio", t.warmup_ratio, kFraction);
  read_enum(r, "schedule", t.schedule, {TrainSchedule::Cosine, TrainSchedule::Linear, TrainSchedule::Constant});
  r.integer("micro_batch_size", t.micro_batch_size, {1, 65536});
  r.integer("gradient_accumulation", t.gradient_accumulation, {1, 65536});
  r.number("max_grad_norm", t.max_grad_norm, {0.0});
  r.number("weight_decay", t.weight_decay, {0.0, 1.0});
  r.integer("checkpoint_steps", t.checkpoint_steps, kNonNegative);
  if (const json* lora = r.child("lora")) {
    io::JsonObjectReader l(*lora, r.child_path("lora"), issues);
    l.integer("rank", t.lora.rank, {1, 4096});
    l.number("alpha", t.lora.alpha, {0.0, 1e6, true});
    l.number("dropout", t.lora.dropout, {0.0, 1.0});
    l.strings("targets", t.lora.targets);
    if (l.is_object() && t.lora.targets.empty()) l.fail("targets", "must name at least one projection (e.g. \"q_proj\")");
    l.finish();
  }
  r.finish();
}

void read_eval(io::JsonObjectReader& parent, EvalConfig& e, std::vector<FieldIssue>& issues) {
  const json* node = parent.child("eval");
  if (!node) return;
  io::JsonObjectReader r(*node, parent.child_path("eval"), issues);
  r.choice("split", e.split, {"test", "train"});
  r.integer("subset_size", e.subset_size, kNonNegative);
  r.integer("samples", e.samples, {1, 100000});
  r.number("temperature", e.temperature, {0.0, 5.0});
  r.number("top_p", e.top_p, kProbability);
  r.integer("max_new_tokens", e.max_new_tokens, {1, 1 << 20});
  r.integer("batch_size", e.batch_size, {1, 65536});
  const size_t before = issues.size();
  r.integers("pass_at_k", e.pass_at_k, {1, 100000});
  if (issues.size() == before) {
    for (size_t i = 0; i < e.pass_at_k.size(); ++i) {
      if (e.pass_at_k[i] > e.samples)
        issues.push_back({io::json_path(r.child_path("pass_at_k"), i),
                          "k = " + std::to_string(e.pass_at_k[i]) + " needs at least that many samples, but eval.samples is " +
                              std::to_string(e.samples)});
    }
  }
  if (e.samples > 1 && e.temperature == 0.0)
    r.fail("temperature", "must be > 0 when eval.samples > 1 (greedy decoding gives the same sample every time)");
  r.finish();
}

void read_stop(io::JsonObjectReader& parent, StopConfig& s, std::vector<FieldIssue>& issues) {
  const json* node = parent.child("stop");
  if (!node) return;
  io::JsonObjectReader r(*node, parent.child_path("stop"), issues);
  r.optional_number("target_pass1", s.target_pass1, kFraction);
  r.integer("plateau_rounds", s.plateau_rounds, kNonNegative);
  r.optional_number("max_hours", s.max_hours, {0.0, 1e6, true});
  r.finish();
}

void read_experiment(const json& doc, ExperimentConfig& c, std::vector<FieldIssue>& issues) {
  io::JsonObjectReader r(doc, "", issues);
  if (!r.is_object()) return;
  if (!r.has("schema_version")) {
    r.fail("schema_version", "required (this build reads version " + std::to_string(kExperimentSchemaVersion) + ")");
  } else {
    int version = 0;
    r.integer("schema_version", version, {1});
    if (version > kExperimentSchemaVersion) {
      // A newer file may use keys this build does not know; reading on would only produce noise.
      issues.push_back({"schema_version", "version " + std::to_string(version) +
                                              " is newer than this build supports (" +
                                              std::to_string(kExperimentSchemaVersion) + "); update TPT Workbench"});
      return;
    }
    if (version >= 1) c.schema_version = version;
  }
  r.string("name", c.name, false);
  r.string("description", c.description);
  r.integer("rounds", c.rounds, {0, 1000});
  r.integer("seed", c.seed, {0});
  r.integer("threads", c.threads, {0, 1024});
  read_dataset(r, c.dataset, issues);
  read_model(r, c.model, issues);
  read_sampler(r, c.sampler, issues);
  read_trainer(r, c.trainer, issues);
  read_think(r, c.think, issues);
  if (const json* prune = r.child("prune")) c.prune = prune::RuleSet::parse(*prune, "prune", issues);
  if (const json* sandbox = r.child("sandbox")) c.sandbox = code::SandboxConfig::parse(*sandbox, "sandbox", issues);
  read_train(r, c.train, issues);
  read_eval(r, c.eval, issues);
  read_stop(r, c.stop, issues);
  r.finish();
}

json optional_to_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

std::vector<FieldIssue> ExperimentConfig::validate(const json& doc) {
  std::vector<FieldIssue> issues;
  ExperimentConfig scratch;
  read_experiment(doc, scratch, issues);
  return issues;
}

ExperimentConfig ExperimentConfig::from_json(const json& doc, const std::string& source) {
  std::vector<FieldIssue> issues;
  ExperimentConfig c;
  read_experiment(doc, c, issues);
  io::throw_if_issues(source, std::move(issues));
  return c;
}

ExperimentConfig ExperimentConfig::load(const std::string& path) {
  ExperimentConfig c = from_json(io::read_json_file(path), path);
  c.base_dir = fs::absolute(fs::path(path)).parent_path().string();
  return c;
}

json ExperimentConfig::to_json() const {
  json j{
      {"schema_version", schema_version},
      {"name", name},
      {"description", description},
      {"rounds", rounds},
      {"seed", seed},
      {"threads", threads},
      {"dataset",
       {{"format", dataset.format},
        {"train", dataset.train},
        {"test", dataset.test},
        {"question_field", dataset.question_field},
        {"answer_field", dataset.answer_field},
        {"on_malformed", dataset.on_malformed}}},
      {"model", {{"path", model.path}, {"device", model.device}, {"dtype", model.dtype}}},
      {"sampler",
       {{"backend", to_string(sampler.backend)},
        {"url", sampler.url},
        {"launch", sampler.launch},
        {"api", to_string(sampler.api)},
        {"model_name", sampler.model_name},
        {"concurrency", sampler.concurrency},
        {"request_timeout_s", sampler.request_timeout_s},
        {"retries", sampler.retries},
        {"startup_timeout_s", sampler.startup_timeout_s},
        {"api_key_env", sampler.api_key_env}}},
      {"trainer",
       {{"backend", to_string(trainer.backend)},
        {"command", trainer.command},
        {"gpus", trainer.gpus},
        {"stall_timeout_s", trainer.stall_timeout_s}}},
      {"think",
       {{"prompt_format", think.prompt_format},
        {"few_shot_examples", think.few_shot_examples},
        {"samples_per_problem", think.samples_per_problem},
        {"pool_size", think.pool_size},
        {"temperature", think.temperature},
        {"top_p", think.top_p},
        {"top_k", think.top_k},
        {"max_new_tokens", think.max_new_tokens},
        {"batch_size", think.batch_size},
        {"stop", think.stop}}},
      {"prune", prune.to_json()},
      {"train",
       {{"method", to_string(train.method)},
        {"init", to_string(train.init)},
        {"data", to_string(train.data)},
        {"max_examples", train.max_examples},
        {"learning_rate", train.learning_rate},
        {"epochs", train.epochs},
        {"warmup_ratio", train.warmup_ratio},
        {"schedule", to_string(train.schedule)},
        {"micro_batch_size", train.micro_batch_size},
        {"gradient_accumulation", train.gradient_accumulation},
        {"max_grad_norm", train.max_grad_norm},
        {"weight_decay", train.weight_decay},
        {"checkpoint_steps", train.checkpoint_steps},
        {"lora",
         {{"rank", train.lora.rank},
          {"alpha", train.lora.alpha},
          {"dropout", train.lora.dropout},
          {"targets", train.lora.targets}}}}},
      {"eval",
       {{"split", eval.split},
        {"subset_size", eval.subset_size},
        {"samples", eval.samples},
        {"temperature", eval.temperature},
        {"top_p", eval.top_p},
        {"max_new_tokens", eval.max_new_tokens},
        {"batch_size", eval.batch_size},
        {"pass_at_k", eval.pass_at_k}}},
      {"stop",
       {{"target_pass1", optional_to_json(stop.target_pass1)},
        {"plateau_rounds", stop.plateau_rounds},
        {"max_hours", optional_to_json(stop.max_hours)}}},
  };
  // Written only where they mean something: experiments stored before code formats existed
  // (all GSM8K) hold neither dataset.skip_images nor sandbox, and config_changes would
  // otherwise refuse to resume them over keys that change nothing for their data.
  if (data::is_code_format(dataset.format)) j["dataset"]["skip_images"] = dataset.skip_images;
  if (data::is_code_format(dataset.format) || sandbox.to_json() != code::SandboxConfig().to_json())
    j["sandbox"] = sandbox.to_json();
  return j;
}

void ExperimentConfig::save(const std::string& path) const { io::write_json_file(path, to_json()); }

std::string ExperimentConfig::resolve(const std::string& path) const {
  if (path.empty() || fs::path(path).is_absolute() || base_dir.empty()) return path;
  return (fs::path(base_dir) / path).lexically_normal().string();
}

}  // namespace tpt::config
