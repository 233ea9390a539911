#include "train/sft_run.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>
#include <vector>

#include "io/atomic_file.h"
#include "io/json_fields.h"
#include "model/config.h"
#include "text/model_tokenizer.h"
#include "train/sft_loop.h"

namespace fs = std::filesystem;

namespace tpt::train {

namespace {

constexpr const char* kHfStateFile = "trainer_state.json";
constexpr const char* kEngineFolder = "engine";  // SftTrainer's checkpoint has a trainer_state.json too
constexpr const char* kStagingFolder = "final.tmp";

void milestone(const SftRunCallbacks& callbacks, const char* name) {
  if (callbacks.on_milestone) callbacks.on_milestone(name);
}

// A checkpoint-N folder of ours: HF's state beside the engine's.
bool is_sft_checkpoint(const fs::path& folder) {
  std::error_code ec;
  return fs::is_regular_file(folder / kHfStateFile, ec) && fs::is_regular_file(folder / kEngineFolder / kHfStateFile, ec);
}

// checkpoint-N, or what a crash may leave of one: checkpoint-N.tmp (being written), checkpoint-N.old.
std::optional<int64_t> checkpoint_number(const std::string& name, bool with_leftovers) {
  static const std::regex pattern(R"(checkpoint-(\d{1,18})(\.tmp|\.old)?)");
  std::smatch m;
  if (!std::regex_match(name, m, pattern) || (m[2].matched && !with_leftovers)) return std::nullopt;
  return std::stoll(m[1].str());
}

// The files a finished run leaves in output_dir, markers (config files) first: a run that starts
// removes them, so that until it ends nothing there looks like a trained model.
void remove_final_files(const fs::path& output_dir) {
  std::error_code ec;
  for (const char* name : {"config.json", "adapter_config.json", "model.safetensors", "model.safetensors.index.json",
                           "adapter_model.safetensors", kStagingFolder})
    fs::remove_all(output_dir / name, ec);
}

// A fresh start also removes the checkpoints an earlier run of ours left: resuming from the
// last checkpoint must never pick up one of other data.
void remove_old_checkpoints(const fs::path& output_dir) {
  std::error_code ec;
  std::vector<fs::path> old;
  for (fs::directory_iterator it(output_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (checkpoint_number(name, true) && (is_sft_checkpoint(it->path()) || name.find('.') != std::string::npos))
      old.push_back(it->path());
  }
  for (const fs::path& folder : old) fs::remove_all(folder, ec);
}

void check_folders(const SftRecipe& recipe) {
  std::error_code ec;
  if (!fs::is_directory(recipe.model_name_or_path, ec))
    throw FileError({recipe.model_name_or_path, 0}, "model_name_or_path: not a folder (a local HF model folder)");
  if (recipe.output_dir.empty()) throw Error("output_dir: empty");
  if (fs::exists(recipe.output_dir, ec) && fs::equivalent(recipe.output_dir, recipe.model_name_or_path, ec))
    throw FileError({recipe.output_dir, 0}, "output_dir is the model folder training starts from (name another folder)");
}

// Restores `trainer` from a checkpoint-N folder and returns the log history it holds.
std::vector<HfLogEntry> resume(SftTrainer& trainer, const std::string& folder) {
  if (!is_sft_checkpoint(folder))
    throw FileError({folder, 0}, "resume_from_checkpoint: not a checkpoint written by `tpt sft` (it needs " +
                                     std::string(kHfStateFile) + " and " + kEngineFolder + "/" + kHfStateFile + ")");
  trainer.load_checkpoint((fs::path(folder) / kEngineFolder).string());
  const std::string path = (fs::path(folder) / kHfStateFile).string();
  HfTrainerState state = HfTrainerState::from_json(io::read_json_file(path), path);
  if (state.global_step != trainer.step())
    throw FileError({path, 0}, "global_step: " + std::to_string(state.global_step) + ", but the engine's checkpoint is at step " +
                                   std::to_string(trainer.step()));
  if (state.max_steps != trainer.total_steps())
    throw FileError({path, 0}, "max_steps: the checkpoint has " + std::to_string(state.max_steps) + ", this run " +
                                   std::to_string(trainer.total_steps()) + " (resume with the same data and settings)");
  std::vector<HfLogEntry> history;
  for (const HfLogEntry& e : state.log_history)
    if (e.step <= state.global_step) history.push_back(e);
  return history;
}

// Writes checkpoint-N beside its place and swaps it in, so that a kill leaves either no
// checkpoint-N or a complete one.
void write_checkpoint(const SftTrainer& trainer, const std::string& folder, const HfTrainerState& state,
                      const SftRunCallbacks& callbacks) {
  const std::string tmp = folder + ".tmp";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  trainer.save_checkpoint((fs::path(tmp) / kEngineFolder).string());
  io::write_json_file((fs::path(tmp) / kHfStateFile).string(), state.to_json());
  milestone(callbacks, "checkpoint_written");
  io::replace_folder(tmp, folder);
}

// The trained model as TRL leaves it: a full model folder, or for LoRA the PEFT adapter alone.
void save_final(SftTrainer& trainer, const SftRecipe& recipe, const SftRunCallbacks& callbacks) {
  const fs::path staging = fs::path(recipe.output_dir) / kStagingFolder;
  std::error_code ec;
  fs::remove_all(staging, ec);
  std::string last;
  if (trainer.lora()) {
    trainer.lora()->save(staging.string());
    last = "adapter_config.json";
  } else {
    model::CausalLm model = trainer.model();
    model->set_source_dir(recipe.model_name_or_path);
    model::save_model(*model, staging.string());
    last = "config.json";
  }
  milestone(callbacks, "saved");
  io::publish_files(staging.string(), recipe.output_dir, last);
}

}  // namespace

SftRunResult run_sft(const SftRecipe& recipe, const model::LoadOptions& load, const SftRunCallbacks& callbacks,
                     const WorkControl& control) {
  check_folders(recipe);
  const text::ModelTokenizer tokenizer = text::load_model_tokenizer(recipe.model_name_or_path);
  // Checked before the data is tokenized: a token the model cannot embed is named with the
  // tokenizer's file, not as an example's id.
  const std::string model_config = (fs::path(recipe.model_name_or_path) / "config.json").string();
  text::check_tokenizer_fits_model(*tokenizer.tokenizer, model::read_model_config(model_config).vocab_size, model_config);
  SftRunStart start;
  const std::vector<TrainingExample> examples =
      read_sft_data(recipe.data_file, tokenizer, recipe.max_length, &start.truncated);
  const TrainSettings settings = recipe.settings();
  SftTrainer trainer = make_sft_trainer(recipe.model_name_or_path, examples, settings, load);
  std::vector<HfLogEntry> history;
  if (!recipe.resume_from_checkpoint.empty()) history = resume(trainer, recipe.resume_from_checkpoint);

  // Everything is checked; only now is output_dir touched.
  const fs::path output_dir(recipe.output_dir);
  std::error_code ec;
  fs::create_directories(output_dir, ec);
  if (ec) throw FileError({recipe.output_dir, 0}, "cannot create folder: " + ec.message());
  remove_final_files(output_dir);
  if (recipe.resume_from_checkpoint.empty()) remove_old_checkpoints(output_dir);

  const auto n = static_cast<int64_t>(examples.size());
  const int64_t micro_per_epoch = (n + settings.micro_batch_size - 1) / settings.micro_batch_size;
  start.examples = n;
  start.total_steps = trainer.total_steps();
  start.epochs = (trainer.total_steps() + trainer.steps_per_epoch() - 1) / trainer.steps_per_epoch();
  start.start_step = trainer.step();
  start.resumed_from = recipe.resume_from_checkpoint;
  for (const auto& [name, p] : trainer.trainable()) start.trainable_parameters += p.numel();
  if (!history.empty() && history.back().num_tokens >= 0) start.num_tokens = static_cast<int64_t>(history.back().num_tokens);
  if (callbacks.on_start) callbacks.on_start(start);
  double num_tokens = static_cast<double>(start.num_tokens);

  HfTrainerState state;
  state.max_steps = trainer.total_steps();
  state.num_train_epochs = start.epochs;
  state.save_steps = settings.checkpoint_steps;
  state.logging_steps = recipe.logging_steps;
  state.train_batch_size = settings.micro_batch_size;
  state.log_history = std::move(history);
  state.global_step = trainer.step();
  if (!state.log_history.empty()) state.epoch = state.log_history.back().epoch;

  SftRunResult result;
  int64_t saved_step = trainer.step();  // a resumed run's checkpoint is already on disk
  const auto save_checkpoint = [&] {
    if (trainer.step() == saved_step) return;
    const std::string folder = (output_dir / ("checkpoint-" + std::to_string(trainer.step()))).string();
    if (callbacks.on_save) callbacks.on_save(folder);
    write_checkpoint(trainer, folder, state, callbacks);
    saved_step = trainer.step();
    result.checkpoint = folder;
  };
  const auto started = std::chrono::steady_clock::now();
  const TrainSummary summary = train_with_checkpoints(
      trainer, settings.checkpoint_steps,
      [&](const StepReport& r) {
        const double epoch = hf_epoch(r.step, micro_per_epoch, settings.grad_accum_steps);
        num_tokens += static_cast<double>(r.tokens);
        state.log_history.push_back({r.step, epoch, r.loss, r.lr, r.grad_norm, num_tokens});
        state.global_step = r.step;
        state.epoch = epoch;
        if (callbacks.on_step) callbacks.on_step(r, epoch);
      },
      save_checkpoint, control);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  result.steps = trainer.step();
  result.steps_run = trainer.step() - start.start_step;
  result.epoch = state.epoch;
  for (const HfLogEntry& e : state.log_history) result.train_loss += e.loss;
  if (!state.log_history.empty()) result.train_loss /= static_cast<double>(state.log_history.size());
  if (summary.cancelled) {
    result.cancelled = true;
    return result;
  }
  if (callbacks.on_save) callbacks.on_save(recipe.output_dir);
  save_final(trainer, recipe, callbacks);
  return result;
}

std::optional<std::string> last_sft_checkpoint(const std::string& output_dir) {
  std::error_code ec;
  std::vector<int64_t> numbers;
  for (fs::directory_iterator it(output_dir, ec), end; !ec && it != end; it.increment(ec))
    if (auto n = checkpoint_number(it->path().filename().string(), false)) numbers.push_back(*n);
  std::sort(numbers.rbegin(), numbers.rend());
  for (int64_t n : numbers) {
    const fs::path folder = fs::path(output_dir) / ("checkpoint-" + std::to_string(n));
    if (is_sft_checkpoint(folder)) return folder.string();
  }
  return std::nullopt;
}

}  // namespace tpt::train
