#include "train/engine_trainer.h"

#include <filesystem>

#include "io/atomic_file.h"
#include "train/sft_loop.h"

namespace fs = std::filesystem;

namespace tpt::train {

namespace {

void milestone(const TrainCallbacks& callbacks, const char* name) {
  if (callbacks.on_milestone) callbacks.on_milestone(name);
}

// Writes a checkpoint so that a crash at any instant leaves one complete checkpoint: the new
// one is written beside the old one and replaces it (io::replace_folder).
void save_checkpoint_atomically(SftTrainer& trainer, const std::string& folder, const TrainCallbacks& callbacks) {
  const std::string tmp = folder + ".tmp";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  trainer.save_checkpoint(tmp);
  milestone(callbacks, "checkpoint_written");
  io::replace_folder(tmp, folder);
}

std::optional<std::string> find_checkpoint(const std::string& folder) {
  return io::find_replaced_folder(folder, "trainer_state.json");
}

}  // namespace

EngineTrainer::EngineTrainer(model::LoadOptions load) : load_(std::move(load)) {}

TrainOutcome EngineTrainer::train(const TrainJob& job, const TrainCallbacks& callbacks, const WorkControl& control) {
  const std::string checkpoint = (fs::path(job.work_dir) / "checkpoint").string();
  SftTrainer trainer = make_sft_trainer(job.init_dir, job.examples, job.settings, load_);
  const std::optional<std::string> found = find_checkpoint(checkpoint);
  if (found) {
    trainer.load_checkpoint(*found);
  } else {
    std::error_code ec;
    fs::remove_all(job.work_dir, ec);
  }
  if (callbacks.on_start) callbacks.on_start(trainer.step(), trainer.total_steps(), found.has_value());

  const TrainSummary summary = train_with_checkpoints(
      trainer, job.settings.checkpoint_steps, callbacks.on_step,
      [&] { save_checkpoint_atomically(trainer, checkpoint, callbacks); }, control);
  TrainOutcome outcome;
  outcome.steps = trainer.step();
  if (summary.cancelled) {
    outcome.cancelled = true;
    return outcome;
  }

  // The model folder is written beside the checkpoint and renamed into place at the end.
  const std::string staging = (fs::path(job.work_dir) / "model").string();
  std::error_code ec;
  fs::remove_all(staging, ec);
  if (trainer.lora()) {
    trainer.lora()->save((fs::path(staging) / "adapter").string());
    trainer.lora()->merge_and_detach();
  }
  model::CausalLm model = trainer.model();
  model->set_source_dir(job.init_dir);
  model::save_model(*model, staging);
  milestone(callbacks, "saved");
  const fs::path output(job.output_dir);
  if (output.has_parent_path()) fs::create_directories(output.parent_path());
  io::publish_folder(staging, job.output_dir);
  fs::remove_all(job.work_dir, ec);
  return outcome;
}

}  // namespace tpt::train
