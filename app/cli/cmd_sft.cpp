// tpt sft: the engine's SFT trainer behind TRL's interface (engine/train/sft_run.h). It reads
// the config and data `trl sft --config FILE` reads and prints what HF's Trainer prints, so the
// runner runs and reads it as it runs and reads TRL.
#include <chrono>
#include <cstdio>
#include <string>

#include "cli/arguments.h"
#include "cli/cancel_on_interrupt.h"
#include "cli/commands.h"
#include "config/experiment_config.h"
#include "run/control.h"
#include "run/crash_point.h"
#include "run/options.h"
#include "runtime/torch_runtime.h"
#include "train/hf_trainer_log.h"
#include "train/sft_run.h"

namespace tpt::cli {

namespace {

int usage() {
  std::printf(
      "usage: tpt sft --config FILE.yaml [--device cpu|cuda|auto] [--dtype auto|float32|bfloat16|float16]\n\n"
      "Trains as `trl sft --config FILE.yaml` does, with the engine's SFT trainer: reads TRL's SFT\n"
      "config (model_name_or_path, datasets (one prompt-completion JSONL), output_dir, the\n"
      "optimizer and schedule keys, max_length, save_steps, use_peft and lora_*,\n"
      "resume_from_checkpoint) and refuses keys it does not support, naming them. Writes what TRL\n"
      "writes into output_dir: checkpoint-N/ every save_steps steps, then the model (config.json,\n"
      "model.safetensors, tokenizer files) or, with use_peft, the PEFT adapter.\n"
      "Prints HF Trainer's lines on standard output: the '***** Running training *****' block, per\n"
      "step a progress line 'N/TOTAL [...]' and a dict {'loss': ..., 'grad_norm': ...,\n"
      "'learning_rate': ..., 'epoch': ...} whose floats read back exactly, then the summary dict and\n"
      "'Training completed.'. The same data and settings give the weights `tpt run`'s in-process\n"
      "trainer gives. Ctrl-C stops after the current step and saves checkpoint-N (exit 130).\n"
      "See docs/sft.md.\n\n"
      "  --device  where to train (default auto: CUDA when present)\n"
      "  --dtype   the weights' type while training (default auto: bfloat16 on CUDA, float32 on the CPU)\n");
  return 0;
}

void print_line(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

// tqdm's intervals: "MM:SS", or "H:MM:SS" from an hour on.
std::string tqdm_interval(double seconds) {
  const long s = static_cast<long>(seconds);
  char text[32];
  if (s >= 3600) std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(text, sizeof text, "%02ld:%02ld", s / 60, s % 60);
  return text;
}

// tqdm's line with an ASCII bar: " 50%|#####     | 3/6 [00:01<00:01,  2.10it/s]". `done` steps
// of this process took `elapsed` seconds.
std::string progress_line(int64_t step, int64_t total, int64_t done, double elapsed) {
  const double fraction = static_cast<double>(step) / static_cast<double>(total);
  std::string bar(static_cast<size_t>(fraction * 10), '#');
  bar.resize(10, ' ');
  const double per_step = elapsed / static_cast<double>(done);
  char rate[32];
  if (per_step > 1.0) std::snprintf(rate, sizeof rate, "%5.2fs/it", per_step);
  else if (per_step > 0.0) std::snprintf(rate, sizeof rate, "%5.2fit/s", 1.0 / per_step);
  else std::snprintf(rate, sizeof rate, "?it/s");
  char line[160];
  std::snprintf(line, sizeof line, "%3.0f%%|%s| %lld/%lld [%s<%s, %s]", fraction * 100, bar.c_str(),
                static_cast<long long>(step), static_cast<long long>(total), tqdm_interval(elapsed).c_str(),
                tqdm_interval(per_step * static_cast<double>(total - step)).c_str(), rate);
  return line;
}

void print_start(const train::SftRecipe& recipe, const train::SftRunStart& s) {
  using train::with_thousands;
  if (!s.resumed_from.empty()) print_line("Resuming training from checkpoint: " + s.resumed_from);
  if (s.truncated > 0)
    print_line("Truncated " + with_thousands(s.truncated) + " of " + with_thousands(s.examples) +
               " examples to max_length " + with_thousands(recipe.max_length) + " tokens");
  print_line("***** Running training *****");
  print_line("  Num examples = " + with_thousands(s.examples));
  print_line("  Num Epochs = " + with_thousands(s.epochs));
  print_line("  Instantaneous batch size per device = " + with_thousands(recipe.per_device_train_batch_size));
  print_line("  Total train batch size (w. parallel, distributed & accumulation) = " +
             with_thousands(int64_t{recipe.per_device_train_batch_size} * recipe.gradient_accumulation_steps));
  print_line("  Gradient Accumulation steps = " + with_thousands(recipe.gradient_accumulation_steps));
  print_line("  Total optimization steps = " + with_thousands(s.total_steps));
  print_line("  Number of trainable parameters = " + with_thousands(s.trainable_parameters));
  if (!s.resumed_from.empty()) {
    print_line("  Continuing training from checkpoint, will skip to saved global_step");
    print_line("  Continuing training from global step " + std::to_string(s.start_step));
  }
}

}  // namespace

int run_sft(const Args& raw) {
  Arguments args(raw, {"config", "device", "dtype"}, {"help"});
  if (args.flag("help")) return usage();
  if (!args.positionals().empty()) throw UsageError("sft takes no positional arguments (use --config FILE.yaml)");
  const std::string config_file = args.required("config");
  config::ModelSource source;
  source.device = args.choice("device", {"auto", "cpu", "cuda"}, "auto");
  runtime::require_device(source.device, "--device");
  source.dtype = args.choice("dtype", {"auto", "float32", "bfloat16", "float16"}, "auto");
  const train::SftRecipe recipe = train::read_trl_config(config_file);

  run::RunControl control;
  CancelOnInterrupt cancel_on_interrupt(control);
  WorkControl work;
  work.wait_or_stop = [&control] { return control.checkpoint(); };
  work.cancel = control.cancel_flag();

  int64_t total = 0, first_step = 0, num_tokens = 0;
  auto started = std::chrono::steady_clock::now();
  train::SftRunCallbacks callbacks;
  callbacks.on_start = [&](const train::SftRunStart& s) {
    total = s.total_steps;
    first_step = s.start_step;
    num_tokens = s.num_tokens;
    print_start(recipe, s);
    started = std::chrono::steady_clock::now();
  };
  callbacks.on_step = [&](const train::StepReport& r, double epoch) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    print_line(progress_line(r.step, total, r.step - first_step, elapsed));
    // As TRL logs them, num_tokens included: the runner takes each step's tokens from it.
    num_tokens += r.tokens;
    print_line(train::python_dict({{"loss", r.loss},
                                   {"grad_norm", r.grad_norm},
                                   {"learning_rate", r.lr},
                                   {"num_tokens", static_cast<double>(num_tokens)},
                                   {"epoch", epoch}}));
    // Test hook: the trainer killed mid-way (tests of the runner's resume).
    run::crash_point("sft.step");
  };
  callbacks.on_save = [](const std::string& folder) { print_line("Saving model checkpoint to " + folder); };

  const train::SftRunResult result = train::run_sft(recipe, run::load_options(source), callbacks, work);
  if (result.cancelled) {
    const std::string from = !result.checkpoint.empty() ? result.checkpoint : recipe.resume_from_checkpoint;
    if (from.empty())
      std::fprintf(stderr, "tpt sft: stopped at step %lld of %lld, before any checkpoint\n",
                   static_cast<long long>(result.steps), static_cast<long long>(total));
    else
      std::fprintf(stderr, "tpt sft: stopped at step %lld of %lld; resume with resume_from_checkpoint: %s\n",
                   static_cast<long long>(result.steps), static_cast<long long>(total), from.c_str());
    return 130;
  }
  const double runtime = result.seconds;
  const double steps_per_second = runtime > 0 ? static_cast<double>(result.steps_run) / runtime : 0.0;
  const double samples_per_step = static_cast<double>(recipe.per_device_train_batch_size) * recipe.gradient_accumulation_steps;
  print_line(train::python_dict({{"train_runtime", runtime},
                                 {"train_samples_per_second", steps_per_second * samples_per_step},
                                 {"train_steps_per_second", steps_per_second},
                                 {"train_loss", result.train_loss},
                                 {"epoch", result.epoch}}));
  print_line("Training completed.");
  return 0;
}

}  // namespace tpt::cli
