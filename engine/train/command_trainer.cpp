#include "train/command_trainer.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/child_process.h"
#include "io/json_parse.h"
#include "text/chat_template.h"
#include "text/model_tokenizer.h"
#include "train/lora.h"
#include "train/schedule.h"
#include "train/sft_recipe.h"

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace tpt::train {

namespace {

constexpr int kLogTailLines = 30;
constexpr auto kPoll = std::chrono::milliseconds(100);

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// The newest checkpoint-N folder HF Trainer (or `tpt sft`) left in `output_dir` that holds a
// trainer_state.json (one being written has none yet), and its N.
std::optional<std::pair<std::string, int64_t>> latest_checkpoint(const std::string& output_dir) {
  std::optional<std::pair<std::string, int64_t>> best;
  std::error_code ec;
  if (!fs::is_directory(output_dir, ec)) return best;
  static const std::regex name("checkpoint-([0-9]+)");
  for (const auto& entry : fs::directory_iterator(output_dir, ec)) {
    std::smatch m;
    const std::string file = entry.path().filename().string();
    if (!entry.is_directory() || !std::regex_match(file, m, name)) continue;
    if (!fs::exists(entry.path() / "trainer_state.json")) continue;
    const int64_t step = std::stoll(m[1].str());
    if (!best || step > best->second) best = std::make_pair(entry.path().string(), step);
  }
  return best;
}

// log_history entries of a trainer_state.json that are steps (they carry a loss).
std::vector<StepReport> logged_steps(const std::string& trainer_state, int64_t total_steps) {
  std::vector<StepReport> steps;
  const json state = io::read_json_or_discarded(trainer_state);
  if (!state.is_object() || !state.contains("log_history") || !state["log_history"].is_array()) return steps;
  for (const auto& entry : state["log_history"]) {
    if (!entry.is_object() || !entry.contains("loss") || !entry.contains("step")) continue;
    StepReport r;
    r.step = entry.value("step", int64_t{0});
    r.total_steps = total_steps;
    r.loss = entry.value("loss", 0.0);
    r.lr = entry.value("learning_rate", 0.0);
    r.grad_norm = entry.value("grad_norm", 0.0);
    r.epoch = static_cast<int64_t>(std::floor(entry.value("epoch", 0.0)));
    steps.push_back(r);
  }
  return steps;
}

bool model_is_bf16(const std::string& folder) {
  const json config = io::read_json_or_discarded((fs::path(folder) / "config.json").string());
  if (!config.is_object()) return false;
  for (const char* key : {"torch_dtype", "dtype"})
    if (config.contains(key) && config[key] == "bfloat16") return true;
  return false;
}

std::string model_type_of(const std::string& folder) {
  const json config = io::read_json_or_discarded((fs::path(folder) / "config.json").string());
  return config.is_object() ? config.value("model_type", std::string()) : std::string();
}

// Moves what a finished full fine-tune left at the top of `from` (weights, config, tokenizer
// files) into `to`; checkpoint folders and the trainer's pickled arguments stay behind.
void move_model_files(const std::string& from, const std::string& to) {
  fs::create_directories(to);
  for (const auto& entry : fs::directory_iterator(from)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (name == "training_args.bin" || name == "trainer_state.json" || name == "all_results.json" ||
        name == "train_results.json")
      continue;
    fs::rename(entry.path(), fs::path(to) / name);
  }
}

}  // namespace

TrainerLogLine parse_trainer_log_line(const std::string& line) {
  TrainerLogLine out;
  static const std::regex total(R"(Total optimization steps\s*=\s*([0-9,]+))");
  static const std::regex progress(R"((^|[\s|])([0-9]+)/([0-9]+)\s*\[)");
  static const std::regex pair(R"('([A-Za-z_]+)'\s*:\s*'?([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|inf|nan))'?)");
  std::smatch m;
  const size_t open = line.find("{'");
  if (open != std::string::npos && line.find('}', open) != std::string::npos) {
    bool has_loss = false, summary = false;
    for (auto it = std::sregex_iterator(line.begin() + static_cast<std::ptrdiff_t>(open), line.end(), pair);
         it != std::sregex_iterator(); ++it) {
      const std::string key = (*it)[1].str();
      const double value = std::strtod((*it)[2].str().c_str(), nullptr);
      if (key == "loss") {
        out.loss = value;
        has_loss = true;
      } else if (key == "learning_rate") {
        out.learning_rate = value;
      } else if (key == "grad_norm") {
        out.grad_norm = value;
      } else if (key == "epoch") {
        out.epoch = value;
      } else if (key == "num_tokens") {
        out.num_tokens = value;
      } else if (key == "train_loss" || key == "train_runtime") {
        summary = true;
      }
    }
    if (has_loss && !summary) out.kind = TrainerLogLine::Kind::Step;
    return out;
  }
  if (std::regex_search(line, m, total)) {
    std::string digits = m[1].str();
    digits.erase(std::remove(digits.begin(), digits.end(), ','), digits.end());
    out.kind = TrainerLogLine::Kind::Total;
    out.total = std::stoll(digits);
    return out;
  }
  if (std::regex_search(line, m, progress)) {
    out.kind = TrainerLogLine::Kind::Progress;
    out.step = std::stoll(m[2].str());
    out.total = std::stoll(m[3].str());
  }
  return out;
}

CommandTrainer::CommandTrainer(CommandTrainerOptions options, EventFn on_event, NoteFn note)
    : options_(std::move(options)), on_event_(std::move(on_event)), note_(std::move(note)) {}

TrainOutcome CommandTrainer::train(const TrainJob& job, const TrainCallbacks& callbacks, const WorkControl& control) {
  const fs::path work(job.work_dir);
  const std::string output = (work / "output").string();
  const std::string data_file = (work / "train.jsonl").string();
  const std::string config_file = (work / (options_.llama_factory ? "llamafactory.yaml" : "sft.yaml")).string();
  const auto note = [&](const std::string& level, const std::string& message) {
    if (note_) note_(level, message);
  };

  // A checkpoint the trainer left before a kill is where it goes on from; without one, the
  // work folder of an earlier attempt is stale.
  const auto checkpoint = latest_checkpoint(output);
  std::error_code ec;
  if (!checkpoint) fs::remove_all(work, ec);
  fs::create_directories(work);

  if (options_.llama_factory) write_llama_factory_data(data_file, job.examples);
  else write_sft_data(data_file, job.examples);
  SftRecipe recipe = recipe_for(job, data_file, output, model_is_bf16(job.init_dir));
  if (checkpoint) recipe.resume_from_checkpoint = checkpoint->first;
  if (options_.llama_factory) {
    const bool chat = std::any_of(job.examples.begin(), job.examples.end(),
                                  [](const TrainingExample& e) { return !e.user_text.empty(); });
    std::string family;
    if (chat) {
      const text::ModelTokenizer tokenizer = text::load_model_tokenizer(job.init_dir);
      if (tokenizer.chat_family) family = text::chat_family_name(*tokenizer.chat_family);
    }
    write_llama_factory_config(config_file, recipe, family);
  } else {
    write_trl_config(config_file, recipe);
  }

  const int64_t examples = static_cast<int64_t>(job.examples.size());
  int64_t total = job.settings.max_steps > 0
                      ? job.settings.max_steps
                      : sft_steps(examples, job.settings.micro_batch_size * std::max(1, options_.gpus),
                                  job.settings.grad_accum_steps, job.settings.epochs);
  int64_t step = checkpoint ? checkpoint->second : 0;
  if (callbacks.on_start) callbacks.on_start(step, total, checkpoint.has_value());

  const std::string command = io::fill_placeholders(
      options_.command_template, {{"{config}", io::shell_quote(config_file)},
                                  {"{gpus}", std::to_string(options_.gpus)},
                                  {"{tpt}", io::shell_quote(io::tpt_program())},
                                  {"{data}", io::shell_quote(data_file)},
                                  {"{output}", io::shell_quote(output)},
                                  {"{model}", io::shell_quote(job.init_dir)}});
  if (!options_.log_file.empty()) fs::create_directories(fs::path(options_.log_file).parent_path(), ec);
  io::LogFollower follower(options_.log_file);
  {
    std::ofstream header(options_.log_file, std::ios::app);
    header << "=== tpt: " << (checkpoint ? "resuming from " + checkpoint->first + " with" : std::string("starting"))
           << " `" << command << "`\n";
  }
  if (checkpoint)
    note("info", "the trainer resumes from its checkpoint " + fs::path(checkpoint->first).filename().string() +
                     " (resume_from_checkpoint in " + fs::path(config_file).filename().string() + ")");

  CommandTrainerEvent event{"starting", command, 0, {}, true};
  std::string state;
  const auto emit = [&](const std::string& new_state, std::vector<std::string> lines) {
    if (!on_event_) return;
    if (new_state == state && lines.empty()) return;
    event.state_changed = new_state != state;
    event.state = new_state;
    event.log_lines = std::move(lines);
    state = new_state;
    on_event_(event);
  };
  const auto failure = [&](const std::string& what) {
    return Error("the trainer (`" + command + "`) " + what + "; the last lines of " + options_.log_file + ":\n" +
                 io::tail_lines(options_.log_file, kLogTailLines));
  };

  io::ChildProcess child(command, options_.log_file, options_.environment);
  event.pid = child.pid();
  emit("running", {});
  Clock::time_point last_output = Clock::now(), last_step = Clock::now();
  long long bytes_seen = 0;
  bool paused = false;
  // TRL logs the tokens trained on so far; a step's tokens are the difference. A resumed run
  // starts from the count its checkpoint recorded.
  double num_tokens = 0.0;
  if (checkpoint) {
    num_tokens = -1.0;
    const json state = io::read_json_or_discarded((fs::path(checkpoint->first) / "trainer_state.json").string());
    if (state.is_object() && state.contains("log_history") && state["log_history"].is_array())
      for (const auto& entry : state["log_history"])
        if (entry.is_object() && entry.contains("num_tokens") && entry["num_tokens"].is_number())
          num_tokens = entry["num_tokens"].get<double>();
  }
  const auto consume = [&](const std::vector<std::string>& lines) {
    for (const auto& line : lines) {
      const TrainerLogLine parsed = parse_trainer_log_line(line);
      if (parsed.kind == TrainerLogLine::Kind::Total || parsed.kind == TrainerLogLine::Kind::Progress) {
        if (parsed.total > 0) total = parsed.total;
      } else if (parsed.kind == TrainerLogLine::Kind::Step) {
        StepReport r;
        r.step = ++step;
        r.total_steps = std::max(total, step);
        r.epoch = static_cast<int64_t>(std::floor(parsed.epoch));
        r.loss = parsed.loss;
        r.lr = parsed.learning_rate;
        r.grad_norm = parsed.grad_norm;
        if (parsed.num_tokens >= 0) {
          if (num_tokens >= 0) r.tokens = static_cast<int64_t>(parsed.num_tokens - num_tokens);
          num_tokens = parsed.num_tokens;
        }
        const auto now = Clock::now();
        r.seconds = seconds_between(last_step, now);
        last_step = now;
        if (!std::isfinite(r.loss))
          throw failure("reported a non-finite loss (" + line + ") at step " + std::to_string(step));
        if (callbacks.on_step) callbacks.on_step(r);
      }
    }
  };

  for (;;) {
    const bool running = child.running();
    std::vector<std::string> lines = follower.new_lines();
    try {
      consume(lines);
    } catch (...) {
      child.stop();
      emit("failed", std::move(lines));
      throw;
    }
    emit(paused ? "paused" : "running", std::move(lines));
    if (!running) break;

    const auto now = Clock::now();
    if (follower.bytes_seen() != bytes_seen) {
      bytes_seen = follower.bytes_seen();
      last_output = now;
    }
    if (control.cancelled()) {
      child.stop(30.0);
      consume(follower.new_lines());
      emit("stopped", {});
      note("info", "the trainer was stopped at step " + std::to_string(step) +
                       (latest_checkpoint(output) ? "; it resumes from its last checkpoint" : "; no checkpoint yet"));
      TrainOutcome outcome;
      outcome.cancelled = true;
      outcome.steps = step;
      return outcome;
    }
    // A paused run holds the whole trainer (every process of its group) and releases it on
    // resume; the stall clock does not run meanwhile.
    const bool want_pause = control.paused && control.paused();
    if (want_pause != paused) {
      child.signal_group(want_pause ? SIGSTOP : SIGCONT);
      paused = want_pause;
      last_output = now;
      emit(paused ? "paused" : "running", {});
    }
    if (!paused && options_.stall_timeout_s > 0 && seconds_between(last_output, now) > options_.stall_timeout_s) {
      child.stop();
      emit("failed", follower.new_lines());
      throw failure("printed nothing for " + std::to_string(static_cast<int64_t>(options_.stall_timeout_s)) +
                    " s (trainer.stall_timeout_s) and was stopped as hung");
    }
    std::this_thread::sleep_for(kPoll);
  }

  const std::string ended = child.exit_description();
  if (ended != "exited with status 0") {
    emit("failed", {});
    throw failure(ended);
  }
  // Trainers that log every N steps, or print elsewhere, still record each step in
  // trainer_state.json: take the steps the log did not show from there.
  if (step < total) {
    std::string state_file = (fs::path(output) / "trainer_state.json").string();
    if (!fs::exists(state_file))
      if (const auto last = latest_checkpoint(output)) state_file = (fs::path(last->first) / "trainer_state.json").string();
    for (StepReport r : logged_steps(state_file, total)) {
      if (r.step <= step) continue;
      step = r.step;
      if (callbacks.on_step) callbacks.on_step(r);
    }
  }

  // The result counts only once it loads as what this round needs.
  const std::string staging = (work / "model").string();
  fs::remove_all(staging, ec);
  try {
    const bool adapter = fs::exists(fs::path(output) / "adapter_config.json");
    if (job.settings.lora && !adapter)
      throw FileError({output, 0}, "no adapter_config.json: a LoRA round needs the trainer's PEFT adapter");
    if (adapter) {
      if (!job.settings.lora)
        throw FileError({(fs::path(output) / "adapter_config.json").string(), 0},
                        "a PEFT adapter, but this round is a full fine-tune (train.method \"full\")");
      // Merged into the init model as the engine trainer's LoRA rounds are: the round's folder
      // is a full model with its adapter beside it.
      model::CausalLm merged = model::load_model(job.init_dir, options_.load);
      auto adapters = LoraAdapters::load(merged, output);
      adapters->save((fs::path(staging) / "adapter").string());
      adapters->merge_and_detach();
      merged->set_source_dir(job.init_dir);
      model::save_model(*merged, staging);
    } else {
      model::check_model_folder(output, model_type_of(job.init_dir));
      move_model_files(output, staging);
    }
    const int copied = model::copy_companion_files(job.init_dir, staging, /*overwrite=*/false);
    if (copied > 0)
      note("info", "copied " + std::to_string(copied) + " tokenizer and generation files from " + job.init_dir +
                       " (the trainer did not write them)");
    text::load_model_tokenizer(staging);
  } catch (const Error& error) {
    emit("failed", {});
    throw Error(std::string("the trainer's output is not a usable model, so the round is not marked trained: ") +
                error.what());
  }
  if (callbacks.on_milestone) callbacks.on_milestone("saved");
  const fs::path final_dir(job.output_dir);
  if (final_dir.has_parent_path()) fs::create_directories(final_dir.parent_path());
  io::publish_folder(staging, job.output_dir);
  fs::remove_all(work, ec);
  emit("finished", {});
  TrainOutcome outcome;
  outcome.steps = step;
  return outcome;
}

}  // namespace tpt::train
