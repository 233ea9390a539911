#include "demo/base_model.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/hash.h"
#include "io/atomic_file.h"
#include "io/json_fields.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/decoder.h"
#include "run/meter.h"
#include "runtime/torch_runtime.h"
#include "text/bpe_trainer.h"
#include "text/model_tokenizer.h"
#include "text/prompt_format.h"
#include "train/sft_trainer.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace tpt::demo {

namespace {

constexpr const char* kEndOfText = "<|endoftext|>";
constexpr int32_t kEndOfTextId = 256;  // right after the 256 bytes (text/bpe_trainer.h)

json task_to_json(const WordProblemOptions& o) {
  return {{"min_steps", o.min_steps},   {"max_steps", o.max_steps},   {"max_operand", o.max_operand},
          {"max_factor", o.max_factor}, {"max_result", o.max_result}, {"operations", o.operations}};
}

json data_to_json(const std::vector<BaseModelRecipe::DataPart>& data) {
  json parts = json::array();
  for (const auto& part : data) parts.push_back({{"task", task_to_json(part.task)}, {"problems", part.problems}});
  return parts;
}

// The seed of data part `index`: parts draw from streams of their own, so adding a part does
// not change the problems of the others.
uint64_t part_seed(uint64_t seed, size_t index) { return seeded_key(seed, 0xda7a0000ULL + index); }

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out.flush()) throw Error(path.string() + ": cannot write");
}

// The tokenizer files of a model whose only special token, <|endoftext|>, ends a solution: no
// BOS (the plain prompt starts with "Question:"), EOS = <|endoftext|>.
void write_tokenizer_files(const fs::path& folder, const json& tokenizer) {
  write_text(folder / "tokenizer.json", tokenizer.dump(2));
  write_text(folder / "tokenizer_config.json", json{{"add_bos_token", false},
                                                    {"bos_token", nullptr},
                                                    {"eos_token", kEndOfText},
                                                    {"pad_token", kEndOfText},
                                                    {"model_max_length", 1024},
                                                    {"tokenizer_class", "PreTrainedTokenizerFast"}}
                                                   .dump(2));
  write_text(folder / "generation_config.json",
             json{{"bos_token_id", nullptr}, {"eos_token_id", kEndOfTextId}, {"pad_token_id", kEndOfTextId}}.dump(2));
}

bool empty_or_absent(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return true;
  return fs::is_directory(dir, ec) && fs::is_empty(dir, ec);
}

void log(run::Observer* observer, const std::string& message) {
  if (observer) observer->on_log({"info", -1, "base-model", message});
}

// Holds an exclusive flock on a file for its lifetime (released by the kernel if the process
// dies, so a crashed build never blocks the next one).
class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(path + ": cannot open the lock file");
    while (::flock(fd_, LOCK_EX) != 0)
      if (errno != EINTR) {
        ::close(fd_);
        throw Error(path + ": cannot lock");
      }
  }
  ~FileLock() { ::close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

json BaseModelRecipe::to_json() const {
  return {{"name", name},
          {"seed", seed},
          {"tokenizer", {{"vocab_size", tokenizer_vocab_size}}},
          {"model",
           {{"hidden_size", hidden_size},
            {"intermediate_size", intermediate_size},
            {"layers", layers},
            {"heads", heads},
            {"kv_heads", kv_heads},
            {"max_positions", max_positions},
            {"init_stddev", init_stddev}}},
          {"data", data_to_json(data)},
          {"train",
           {{"steps", steps},
            {"micro_batch_size", micro_batch_size},
            {"grad_accum_steps", grad_accum_steps},
            {"learning_rate", learning_rate},
            {"min_learning_rate", min_learning_rate},
            {"warmup_ratio", warmup_ratio},
            {"weight_decay", weight_decay},
            {"max_grad_norm", max_grad_norm}}}};
}

BaseModelRecipe BaseModelRecipe::from_json(const json& doc, const std::string& source) {
  BaseModelRecipe r;
  std::vector<FieldIssue> issues;
  io::JsonObjectReader top(doc, "", issues);
  top.string("name", r.name, false);
  int64_t seed = static_cast<int64_t>(r.seed);
  top.integer("seed", seed, {0, INT64_MAX});
  r.seed = static_cast<uint64_t>(seed);
  if (const json* tokenizer = top.child("tokenizer")) {
    io::JsonObjectReader t(*tokenizer, "tokenizer", issues);
    t.integer("vocab_size", r.tokenizer_vocab_size, {257, 65536});
    t.finish();
  }
  if (const json* model = top.child("model")) {
    io::JsonObjectReader m(*model, "model", issues);
    m.integer("hidden_size", r.hidden_size, {8, 8192});
    m.integer("intermediate_size", r.intermediate_size, {8, 65536});
    m.integer("layers", r.layers, {1, 128});
    m.integer("heads", r.heads, {1, 256});
    m.integer("kv_heads", r.kv_heads, {1, 256});
    m.integer("max_positions", r.max_positions, {64, 1 << 20});
    m.number("init_stddev", r.init_stddev, {0.0, 1.0, true});
    m.finish();
    if (r.hidden_size % r.heads != 0)
      issues.push_back({"model.heads", "must divide hidden_size (" + std::to_string(r.hidden_size) + "), got " +
                                           std::to_string(r.heads)});
    if (r.heads % r.kv_heads != 0)
      issues.push_back({"model.kv_heads", "must divide heads (" + std::to_string(r.heads) + "), got " +
                                              std::to_string(r.kv_heads)});
  }
  if (const json* data = top.child("data")) {
    const std::string data_path = top.child_path("data");
    if (!data->is_array() || data->empty()) {
      issues.push_back({data_path, "must be a non-empty array of {\"task\": {...}, \"problems\": N}, got " +
                                       io::describe_json(*data)});
    } else {
      r.data.clear();
      for (size_t i = 0; i < data->size(); ++i) {
        const std::string part_path = io::json_path(data_path, i);
        BaseModelRecipe::DataPart part;
        io::JsonObjectReader p((*data)[i], part_path, issues);
        p.integer("problems", part.problems, {1, 10'000'000});
        if (!p.has("problems")) issues.push_back({io::json_path(part_path, "problems"), "required"});
        if (const json* task = p.child("task")) {
          io::JsonObjectReader t(*task, io::json_path(part_path, "task"), issues);
          t.integer("min_steps", part.task.min_steps, {1, 6});
          t.integer("max_steps", part.task.max_steps, {1, 6});
          t.integer("max_operand", part.task.max_operand, {4, 1'000'000'000'000LL});
          t.integer("max_factor", part.task.max_factor, {2, 1'000'000'000'000LL});
          t.integer("max_result", part.task.max_result, {4, 1'000'000'000'000LL});
          t.string("operations", part.task.operations, false);
          t.finish();
          try {
            part.task.validate();
          } catch (const Error& e) {
            issues.push_back({io::json_path(part_path, "task"), e.what()});
          }
        } else {
          issues.push_back({io::json_path(part_path, "task"), "required"});
        }
        p.finish();
        r.data.push_back(part);
      }
    }
  } else {
    issues.push_back({"data", "required: the problems the model learns from, [{\"task\": {...}, \"problems\": N}]"});
  }
  if (const json* train = top.child("train")) {
    io::JsonObjectReader t(*train, "train", issues);
    t.integer("steps", r.steps, {1, 10'000'000});
    t.integer("micro_batch_size", r.micro_batch_size, {1, 65536});
    t.integer("grad_accum_steps", r.grad_accum_steps, {1, 65536});
    t.number("learning_rate", r.learning_rate, {0.0, 1.0, true});
    t.number("min_learning_rate", r.min_learning_rate, {0.0, 1.0});
    t.number("warmup_ratio", r.warmup_ratio, {0.0, 1.0});
    t.number("weight_decay", r.weight_decay, {0.0, 1.0});
    t.number("max_grad_norm", r.max_grad_norm, {0.0});
    t.finish();
  }
  top.finish();
  io::throw_if_issues(source, std::move(issues));
  return r;
}

std::string BaseModelRecipe::hash() const {
  json keyed = to_json();
  keyed["builder_version"] = kBaseModelBuilderVersion;
  return hex64(fnv1a64(keyed.dump()));
}

json BaseModelRecipe::model_config(int64_t vocab_size) const {
  return {{"architectures", {"LlamaForCausalLM"}},
          {"model_type", "llama"},
          {"vocab_size", vocab_size},
          {"hidden_size", hidden_size},
          {"intermediate_size", intermediate_size},
          {"num_hidden_layers", layers},
          {"num_attention_heads", heads},
          {"num_key_value_heads", kv_heads},
          {"max_position_embeddings", max_positions},
          {"rms_norm_eps", 1e-5},
          {"rope_theta", 10000.0},
          {"hidden_act", "silu"},
          {"tie_word_embeddings", true},
          {"attention_bias", false},
          {"bos_token_id", nullptr},
          {"eos_token_id", kEndOfTextId},
          {"dtype", "float32"}};
}

BaseModelRecipe builtin_base_model_recipe(bool quick, uint64_t seed) {
  BaseModelRecipe r;
  r.seed = seed;
  // The easy problems: small numbers, + and -; mostly one step, some two (see docs/demo.md
  // for how the demo's harder problems relate to them).
  WordProblemOptions one_step;
  one_step.min_steps = one_step.max_steps = 1;
  one_step.max_operand = 10;
  one_step.max_result = 20;
  one_step.operations = "+-";
  WordProblemOptions two_steps = one_step;
  two_steps.min_steps = two_steps.max_steps = 2;
  r.data = {{one_step, 1400}, {two_steps, 1000}};
  r.hidden_size = 128;
  r.intermediate_size = 256;
  r.layers = 3;
  r.heads = 2;
  r.kv_heads = 1;
  r.steps = 700;
  r.micro_batch_size = 32;
  r.learning_rate = 6e-3;
  r.min_learning_rate = 6e-4;
  if (quick) {
    // Built in seconds, and just past the point where a model this small reads a question:
    // its answers to two-step problems are right about half the time, often through a garbled
    // step, which leaves the rounds plenty to keep and plenty to fix (docs/demo.md).
    r.name = "quick";
    r.hidden_size = 64;
    r.intermediate_size = 128;
    r.layers = 2;
    r.heads = 2;
    r.kv_heads = 1;
    // Numbers up to 5 and answers up to 10, so that the few seconds go to learning to read the
    // question rather than to learning sums. Mostly two-step problems: with as many one-step
    // ones, the same steps left the model solving 25% of two-step problems instead of 47%, and
    // the rounds' gains were lost in the sampling noise.
    WordProblemOptions small_one_step = one_step;
    small_one_step.max_operand = 5;
    small_one_step.max_result = 10;
    WordProblemOptions small_two_steps = small_one_step;
    small_two_steps.min_steps = small_two_steps.max_steps = 2;
    r.data = {{small_one_step, 150}, {small_two_steps, 350}};
    // Small batches, many steps: the model copies the question's numbers into its solution only
    // after some 800-1000 steps; before that its right answers are mostly lucky guesses, which
    // Prune drops, and the rounds have nothing to learn from.
    r.steps = 1000;
    r.micro_batch_size = 4;
    r.learning_rate = 4e-3;
    r.min_learning_rate = 4e-4;
  }
  return r;
}

BaseModelBuild build_base_model(const BaseModelRecipe& recipe, const std::string& out_dir, run::Observer* observer,
                                run::RunControl* control) {
  const auto start = run::Clock::now();
  const fs::path out = fs::absolute(out_dir).lexically_normal();
  if (!empty_or_absent(out)) throw Error(out.string() + ": already exists and is not empty; choose another folder");
  const fs::path staging = out.string() + ".partial";
  std::error_code ec;
  fs::remove_all(staging, ec);  // what a killed build left
  fs::create_directories(staging, ec);
  if (ec) throw Error(staging.string() + ": cannot create the folder: " + ec.message());

  // The problems first, then the tokenizer learnt from them, then the prompts made by the same
  // code the runner uses.
  std::vector<data::Problem> problems;
  std::string described;
  for (size_t i = 0; i < recipe.data.size(); ++i) {
    WordProblemOptions task = recipe.data[i].task;
    task.seed = part_seed(recipe.seed, i);
    for (auto& p : generate_word_problems(task, WordProblemSplit::Train, recipe.data[i].problems))
      problems.push_back(std::move(p.problem));
    described += (described.empty() ? "" : "; ") + std::to_string(recipe.data[i].problems) + " of " + task.describe();
  }
  // The corpus is what the model will read: the plain prompt and the solution, which starts
  // with a space, as a model continuing "Solution:" writes it.
  std::vector<std::string> corpus;
  corpus.reserve(2 * problems.size());
  for (const auto& p : problems) {
    corpus.push_back("Question: " + p.question + "\nSolution:");
    corpus.push_back(" " + p.solution);
  }
  text::BpeTrainerOptions bpe;
  bpe.vocab_size = static_cast<int>(recipe.tokenizer_vocab_size);
  bpe.special_tokens = {kEndOfText};
  write_tokenizer_files(staging, text::train_byte_level_bpe(corpus, bpe));
  const text::ModelTokenizer tokenizer = text::load_model_tokenizer(staging.string());
  const text::PromptFormat format(tokenizer, text::PromptStyle::Plain);
  std::vector<train::SftExample> examples;
  examples.reserve(problems.size());
  for (const auto& p : problems)
    examples.push_back({format.prompt_ids(p.question), format.completion_ids(" " + p.solution)});

  const model::ModelConfig config = model::parse_model_config(
      recipe.model_config(static_cast<int64_t>(tokenizer.tokenizer->vocab_size())), "base model recipe");
  model::CausalLm model(config, torch::TensorOptions().dtype(torch::kFloat32));
  model::randomize_weights(*model, recipe.seed, recipe.init_stddev);
  {
    // Norms start as the identity, as in every from-scratch Llama (randomize_weights jitters
    // them for tests that must not pass by accident).
    torch::NoGradGuard no_grad;
    for (auto& item : model->named_parameters())
      if (item.key().find("norm") != std::string::npos) item.value().fill_(1.0);
  }
  const int64_t parameters = model::summarize(*model).parameters;
  log(observer, "building the base model \"" + recipe.name + "\" (recipe " + recipe.hash() + "): " +
                    std::to_string(parameters) + " parameters, " + std::to_string(recipe.steps) + " steps on " +
                    std::to_string(examples.size()) + " problems (" + described + ")");

  train::TrainSettings settings;
  settings.max_steps = recipe.steps;
  settings.micro_batch_size = recipe.micro_batch_size;
  settings.grad_accum_steps = recipe.grad_accum_steps;
  settings.learning_rate = recipe.learning_rate;
  settings.min_learning_rate = recipe.min_learning_rate;
  settings.warmup_ratio = recipe.warmup_ratio;
  settings.decay = train::LrDecay::Cosine;
  settings.max_grad_norm = recipe.max_grad_norm;
  settings.weight_decay = recipe.weight_decay;
  settings.seed = recipe.seed;
  const int64_t count = static_cast<int64_t>(examples.size());
  train::SftTrainer trainer(model, std::move(examples), train::sft_options(settings, count));

  run::Meter meter(observer, 0, run::Phase::Train, "steps", 0, trainer.total_steps());
  int64_t tokens = 0;
  std::vector<double> losses;
  const train::TrainSummary summary = trainer.train(
      [&](const train::StepReport& r) {
        losses.push_back(r.loss);
        tokens += r.tokens;
        meter.update(r.step, tokens, r.loss);
        // Pausing holds the build between two steps; cancel is seen by the trainer itself.
        if (control) control->checkpoint();
      },
      control ? control->cancel_flag() : nullptr);
  BaseModelBuild build;
  if (summary.cancelled) {
    fs::remove_all(staging, ec);
    build.cancelled = true;
    return build;
  }
  const size_t tail = std::max<size_t>(1, losses.size() / 20);
  double tail_sum = 0;
  for (size_t i = losses.size() - tail; i < losses.size(); ++i) tail_sum += losses[i];

  build.parameters = parameters;
  build.steps = trainer.step();
  build.final_loss = tail_sum / static_cast<double>(tail);
  build.seconds = run::seconds_since(start);
  model::SaveOptions save;
  save.copy_tokenizer_files = false;
  model::save_model(*model, staging.string(), save);
  const runtime::RuntimeInfo runtime = runtime::runtime_info();
  io::write_json_file((staging / kBaseModelRecipeFile).string(),
                      json{{"recipe", recipe.to_json()},
                           {"recipe_hash", recipe.hash()},
                           {"builder_version", kBaseModelBuilderVersion},
                           {"seed", recipe.seed},
                           {"parameters", parameters},
                           {"steps", build.steps},
                           {"final_loss", build.final_loss},
                           {"seconds", build.seconds},
                           {"threads", runtime.intra_op_threads},
                           {"engine", runtime::runtime_summary(runtime)}});
  if (fs::exists(out)) fs::remove(out, ec);  // the empty folder the caller may have made
  io::publish_folder(staging.string(), out.string());
  build.folder = out.string();
  char line[160];
  std::snprintf(line, sizeof line, "base model ready: %s (final loss %.4f, %.0f s)", build.folder.c_str(),
                build.final_loss, build.seconds);
  log(observer, line);
  return build;
}

std::string user_data_dir() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg && *xdg) return (fs::path(xdg) / "tpt-workbench").string();
  const char* home = std::getenv("HOME");
  if (!home || !*home)
    throw Error("cannot find the user's data folder: neither XDG_DATA_HOME nor HOME is set");
  return (fs::path(home) / ".local" / "share" / "tpt-workbench").string();
}

std::string cached_base_model_dir(const BaseModelRecipe& recipe) {
  return (fs::path(user_data_dir()) / "models" / ("base-" + recipe.hash())).string();
}

BaseModelBuild ensure_base_model(const BaseModelRecipe& recipe, run::Observer* observer, run::RunControl* control) {
  const std::string folder = cached_base_model_dir(recipe);
  const fs::path models = fs::path(folder).parent_path();
  std::error_code ec;
  fs::create_directories(models, ec);
  if (ec) throw Error(models.string() + ": cannot create the model cache folder: " + ec.message());
  FileLock lock(folder + ".lock");
  if (fs::exists(fs::path(folder) / kBaseModelRecipeFile)) {
    BaseModelBuild found;
    found.folder = folder;
    found.reused = true;
    return found;
  }
  // A folder without the recipe file is not one this code finished (it renames complete
  // folders only); rebuild rather than trust it.
  fs::remove_all(folder, ec);
  return build_base_model(recipe, folder, observer, control);
}

}  // namespace tpt::demo
