#include "train/sft_loop.h"

namespace tpt::train {

SftTrainer make_sft_trainer(const std::string& init_dir, const std::vector<TrainingExample>& examples,
                            const TrainSettings& settings, const model::LoadOptions& load) {
  std::vector<SftExample> data;
  data.reserve(examples.size());
  for (const auto& e : examples) data.push_back({e.prompt_ids, e.completion_ids});
  TrainOptions options = sft_options(settings, static_cast<int64_t>(examples.size()));
  if (options.lora) options.lora->base_model_name_or_path = init_dir;
  return SftTrainer(model::load_model(init_dir, load), std::move(data), std::move(options));
}

TrainSummary train_with_checkpoints(SftTrainer& trainer, int64_t checkpoint_every, const StepCallback& on_step,
                                    const std::function<void()>& save_checkpoint, const WorkControl& control) {
  const TrainSummary summary = trainer.train(
      [&](const StepReport& r) {
        if (on_step) on_step(r);
        if (checkpoint_every > 0 && r.step % checkpoint_every == 0 && r.step < r.total_steps) save_checkpoint();
        control.go_on();
      },
      control.cancel);
  if (summary.cancelled) save_checkpoint();
  return summary;
}

}  // namespace tpt::train
