// `tpt sft`'s engine side (train/sft_run.h) on tiny models: trained from the TRL files the
// runner writes, it reaches bitwise the weights of the in-process trainer on the same job (full
// fine-tune and LoRA); checkpoint-N folders hold HF's trainer_state.json and resume to the
// weights of an uninterrupted run; a kill while saving leaves nothing that looks complete.
#include <filesystem>
#include <stdexcept>

#include "check.h"
#include "io/json_fields.h"
#include "sft_test_support.h"
#include "test_model_support.h"
#include "train/engine_trainer.h"
#include "train/sft_run.h"

using namespace tpt;
using namespace tpt::train;
using namespace tpt::sft_testing;
using tpt::model_testing::max_abs_diff;
using tpt::model_testing::read_tensor;
namespace fs = std::filesystem;

namespace {

model::LoadOptions cpu_fp32() {
  model::LoadOptions load;
  load.device = torch::Device(torch::kCPU);
  load.dtype = torch::kFloat32;
  return load;
}

// Every tensor of two safetensors files, compared bit for bit.
void verify_same_tensors(const std::string& got, const std::string& expected) {
  const auto names = [](const std::string& path) {
    const io::SafetensorsFile file(path);
    std::vector<std::string> out;
    for (const io::TensorView& t : file.tensors()) out.push_back(t.name);
    return out;
  };
  VERIFY(!names(expected).empty());
  COMPARE(names(got), names(expected));
  for (const std::string& name : names(expected)) {
    const torch::Tensor x = read_tensor(got, name), y = read_tensor(expected, name);
    if (!torch::equal(x, y)) TPT_FAIL(name + " differs from the engine trainer's by " + std::to_string(max_abs_diff(x, y)));
  }
}

std::vector<double> engine_losses(const TrainJob& job) {
  std::vector<double> losses;
  TrainCallbacks callbacks;
  callbacks.on_step = [&](const StepReport& r) { losses.push_back(r.loss); };
  const TrainOutcome outcome = EngineTrainer(cpu_fp32()).train(job, callbacks, WorkControl{});
  VERIFY(!outcome.cancelled);
  return losses;
}

struct Run {
  SftRunResult result;
  std::vector<double> losses;
  std::vector<double> epochs;
  std::vector<std::string> saves;
};

Run sft(const SftRecipe& recipe, const WorkControl& control = {}, int64_t cancel_after = 0,
        std::atomic<bool>* cancel = nullptr) {
  Run run;
  SftRunCallbacks callbacks;
  callbacks.on_step = [&](const StepReport& r, double epoch) {
    run.losses.push_back(r.loss);
    run.epochs.push_back(epoch);
    if (cancel && r.step == cancel_after) *cancel = true;
  };
  callbacks.on_save = [&](const std::string& folder) { run.saves.push_back(folder); };
  run.result = run_sft(recipe, cpu_fp32(), callbacks, control);
  return run;
}

}  // namespace

TPT_TEST(sft_run, a_full_fine_tune_from_the_trl_files_equals_the_engine_trainer_bitwise) {
  const SftCase c = make_case(small_settings(), true);
  VERIFY(!c.job.examples[0].user_text.empty());  // the conversational form of the JSONL
  const std::vector<double> expected = engine_losses(c.job);
  COMPARE(expected.size(), size_t{4});

  const Run run = sft(read_trl_config(c.config));
  COMPARE(run.losses, expected);
  COMPARE(run.result.steps, int64_t{4});
  VERIFY(!run.result.cancelled);
  verify_same_tensors(c.out() + "/model.safetensors", c.job.output_dir + "/model.safetensors");
  for (const char* file : {"config.json", "tokenizer.json", "tokenizer_config.json"})
    VERIFY(fs::exists(c.out() + "/" + file));
  VERIFY(!fs::exists(c.out() + "/final.tmp"));
  // HF's epochs: 3 micro-batches an epoch in steps of 2 and 1.
  COMPARE(run.epochs, (std::vector<double>{2.0 / 3.0, 1.0, 1.0 + 2.0 / 3.0, 2.0}));
  // The checkpoint after step 2 (none after the last step, as the engine trainer does), then the model.
  COMPARE(run.saves, (std::vector<std::string>{c.out() + "/checkpoint-2", c.out()}));
  COMPARE(last_sft_checkpoint(c.out()).value_or(""), c.out() + "/checkpoint-2");
}

TPT_TEST(sft_run, a_lora_run_from_the_trl_files_writes_the_engine_trainers_adapter_bitwise) {
  TrainSettings settings = small_settings();
  settings.lora = LoraConfig{4, 8.0, 0.1, {"q_proj", "v_proj", "down_proj"}, ""};
  const SftCase c = make_case(settings);
  VERIFY(c.job.examples[0].user_text.empty());  // the plain form of the JSONL
  const std::vector<double> expected = engine_losses(c.job);

  const Run run = sft(read_trl_config(c.config));
  COMPARE(run.losses, expected);
  verify_same_tensors(c.out() + "/adapter_model.safetensors", c.job.output_dir + "/adapter/adapter_model.safetensors");
  const auto adapter = io::read_json_file(c.out() + "/adapter_config.json");
  COMPARE(adapter.at("base_model_name_or_path").get<std::string>(), c.model);
  COMPARE(adapter.at("r").get<int>(), 4);
  // TRL with use_peft leaves the adapter alone: no model files.
  VERIFY(!fs::exists(c.out() + "/config.json"));
  VERIFY(!fs::exists(c.out() + "/model.safetensors"));
}

TPT_TEST(sft_run, resuming_from_a_checkpoint_reaches_the_weights_of_an_uninterrupted_run) {
  TrainSettings settings = small_settings();
  settings.epochs = 3;  // 6 steps
  const SftCase c = make_case(settings);
  SftRecipe recipe = read_trl_config(c.config);
  const Run straight = sft(recipe);
  COMPARE(straight.losses.size(), size_t{6});

  // Stopped after step 3: checkpoint-2 on schedule, checkpoint-3 on the way out.
  const std::string stopped_dir = c.dir + "/stopped";
  recipe.output_dir = stopped_dir;
  std::atomic<bool> cancel{false};
  WorkControl control;
  control.cancel = &cancel;
  const Run stopped = sft(recipe, control, 3, &cancel);
  VERIFY(stopped.result.cancelled);
  COMPARE(stopped.result.steps, int64_t{3});
  COMPARE(stopped.result.checkpoint, stopped_dir + "/checkpoint-3");
  VERIFY(fs::exists(stopped_dir + "/checkpoint-2/engine/optimizer.safetensors"));
  VERIFY(!fs::exists(stopped_dir + "/config.json"));

  // HF's trainer_state.json: every step so far, with the losses the callback reported.
  const auto state = io::read_json_file(stopped_dir + "/checkpoint-3/trainer_state.json");
  COMPARE(state.at("global_step").get<int64_t>(), int64_t{3});
  COMPARE(state.at("max_steps").get<int64_t>(), int64_t{6});
  COMPARE(state.at("num_train_epochs").get<int64_t>(), int64_t{3});
  const auto& history = state.at("log_history");
  COMPARE(history.size(), size_t{3});
  for (size_t i = 0; i < history.size(); ++i) {
    COMPARE(history[i].at("step").get<int64_t>(), static_cast<int64_t>(i + 1));
    COMPARE(history[i].at("loss").get<double>(), straight.losses[i]);
    VERIFY(history[i].at("learning_rate").get<double>() > 0 && history[i].at("grad_norm").get<double>() > 0);
    COMPARE(history[i].at("epoch").get<double>(), straight.epochs[i]);
  }

  // Resumed from the scheduled checkpoint-2 (step 3 runs again), into the same folder.
  recipe.resume_from_checkpoint = stopped_dir + "/checkpoint-2";
  const Run resumed = sft(recipe);
  COMPARE(resumed.result.steps, int64_t{6});
  COMPARE(resumed.result.steps_run, int64_t{4});
  COMPARE(resumed.losses, std::vector<double>(straight.losses.begin() + 2, straight.losses.end()));
  COMPARE(resumed.result.train_loss, straight.result.train_loss);
  verify_same_tensors(stopped_dir + "/model.safetensors", c.out() + "/model.safetensors");
  const auto final_state = io::read_json_file(stopped_dir + "/checkpoint-4/trainer_state.json");
  COMPARE(final_state.at("log_history").size(), size_t{4});
  COMPARE(final_state.at("log_history")[3].at("loss").get<double>(), straight.losses[3]);
}

TPT_TEST(sft_run, a_checkpoint_of_other_settings_or_not_of_tpt_sft_is_refused) {
  const SftCase c = make_case();
  const SftRecipe recipe = read_trl_config(c.config);
  sft(recipe);
  SftRecipe other = recipe;
  other.output_dir = c.dir + "/other";
  other.per_device_train_batch_size = 3;
  other.resume_from_checkpoint = c.out() + "/checkpoint-2";
  VERIFY_THROWS_WITH(run_sft(other, cpu_fp32()), "micro_batch_size: the checkpoint has 2, this run 3");
  other.per_device_train_batch_size = recipe.per_device_train_batch_size;
  other.num_train_epochs = 3;
  VERIFY_THROWS_WITH(run_sft(other, cpu_fp32()), "max_steps: the checkpoint has 4, this run 6");
  other.resume_from_checkpoint = c.out();
  VERIFY_THROWS_WITH(run_sft(other, cpu_fp32()), "not a checkpoint written by `tpt sft`");
  VERIFY(!fs::exists(c.dir + "/other"));  // refused before anything was written
  other = recipe;
  other.output_dir = c.model;
  VERIFY_THROWS_WITH(run_sft(other, cpu_fp32()), "output_dir is the model folder training starts from");
}

TPT_TEST(sft_run, a_kill_while_saving_leaves_no_config_json_and_a_rerun_completes) {
  TrainSettings settings = small_settings();
  settings.checkpoint_steps = 0;
  const SftCase c = make_case(settings);
  const SftRecipe recipe = read_trl_config(c.config);
  SftRunCallbacks crash;
  crash.on_milestone = [](const char* name) {
    if (std::string(name) == "saved") throw std::runtime_error("killed");
  };
  VERIFY_THROWS_WITH(run_sft(recipe, cpu_fp32(), crash), "killed");
  VERIFY(!fs::exists(c.out() + "/config.json"));
  VERIFY(!fs::exists(c.out() + "/model.safetensors"));
  VERIFY(fs::exists(c.out() + "/final.tmp/config.json"));
  VERIFY(!last_sft_checkpoint(c.out()));  // save_steps 0: no checkpoints

  sft(recipe);
  VERIFY(fs::exists(c.out() + "/config.json"));
  VERIFY(!fs::exists(c.out() + "/final.tmp"));
}

TPT_TEST(sft_run, max_length_cuts_long_examples_and_reports_how_many) {
  TrainSettings settings = small_settings();
  settings.checkpoint_steps = 0;
  SftRecipe recipe = read_trl_config(make_case(settings).config);
  // Prompt + completion tokens (bytes, then EOS): 58+13, 70+13, 71+28, 38+15, 66+14, 59+18.
  recipe.max_length = 72;
  SftRunStart start;
  SftRunCallbacks callbacks;
  callbacks.on_start = [&](const SftRunStart& s) { start = s; };
  run_sft(recipe, cpu_fp32(), callbacks);
  COMPARE(start.examples, int64_t{6});
  COMPARE(start.truncated, int64_t{4});
  recipe.max_length = 60;  // line 2's prompt alone is 70 tokens
  VERIFY_THROWS_WITH(run_sft(recipe, cpu_fp32()), "train.jsonl:2: max_length 60 leaves no completion token to learn");
}
