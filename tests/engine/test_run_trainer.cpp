// Train handed to an external trainer (trainer.backend "command"): the files it is given (TRL's
// JSONL and SFT YAML), how its output is read, what happens when it fails, hangs, writes a bad
// folder or is killed, and whole runs through `tpt sft` compared with the in-process trainer.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "check.h"
#include "cli_process.h"
#include "config/experiment_config.h"
#include "config/presets.h"
#include "demo_test_support.h"
#include "io/safetensors.h"
#include "model/checkpoint.h"
#include "run/options.h"
#include "run/runner.h"
#include "run_snapshot.h"
#include "tiny_experiment.h"
#include "train/command_trainer.h"
#include "train/sft_recipe.h"

namespace fs = std::filesystem;
using nlohmann::json;
using tpt::testing::tpt_run;
using tpt::train::TrainerLogLine;

namespace {

const std::string& tiny_model() {
  static const std::string folder = tpt::testing::write_tiny_model(tpt::testing::temp_dir() + "/tiny-model");
  return folder;
}

std::string run_experiment(const json& config) {
  const std::string dir = tpt::testing::write_tiny_experiment(tpt::testing::temp_dir() + "/experiment", config);
  const auto r = tpt_run("-q run " + dir);
  if (r.status != 0) TPT_FAIL("tpt run failed (" + std::to_string(r.status) + "): " + r.err);
  return dir;
}

const tpt::testing::Snapshot& engine_run() {
  static const tpt::testing::Snapshot s =
      tpt::testing::snapshot(run_experiment(tpt::testing::tiny_experiment_config(tiny_model())));
  return s;
}

json command_config(const std::string& command, double stall_timeout_s = 600) {
  json config = tpt::testing::tiny_experiment_config(tiny_model());
  config["trainer"] = {{"backend", "command"}, {"command", command}, {"stall_timeout_s", stall_timeout_s}};
  return config;
}

// A shell script standing in for a trainer; returns the command template that runs it.
std::string script(const std::string& name, const std::string& body) {
  const std::string path = tpt::testing::temp_dir() + "/" + name + ".sh";
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  return "sh " + path + " {config} {output} {data}";
}

// Processes whose command line holds `needle`.
int processes_with(const std::string& needle) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string cmdline = tpt::testing::slurp(entry.path().string() + "/cmdline");
    if (cmdline.find(needle) != std::string::npos) ++count;
  }
  return count;
}

}  // namespace

TPT_TEST(config, trainer_backend_command_takes_a_preset_or_a_template_with_its_config) {
  const auto issues = [](const char* trainer) {
    json doc = json::parse(R"({"schema_version": 1, "dataset": {"train": "a", "test": "b"}, "model": {"path": "m"}})");
    doc["trainer"] = json::parse(trainer);
    std::string all;
    for (const auto& i : tpt::config::ExperimentConfig::validate(doc)) all += i.path + ": " + i.message + "\n";
    return all;
  };
  VERIFY_CONTAINS(issues(R"({"backend": "command", "command": "python3 train.py"})"),
                  "trainer.command: a command template must contain {config}");
  VERIFY_CONTAINS(issues(R"({"backend": "trl"})"), "trainer.backend");
  VERIFY_CONTAINS(issues(R"({"backend": "command", "gpus": 0})"), "trainer.gpus");
  VERIFY_CONTAINS(issues(R"({"backend": "command", "stall_timeout": 5})"), "trainer.stall_timeout: unknown key");
  COMPARE(issues(R"({"backend": "command", "command": "trl-multi-gpu", "gpus": 8})"), std::string());
  COMPARE(issues(R"({"backend": "command", "command": "my-trl --cfg {config} --np {gpus}"})"), std::string());
  // The engine backend ignores a half-typed command.
  COMPARE(issues(R"({"backend": "engine", "command": "python3 train.py"})"), std::string());
}

// ---- reading a trainer's output -----------------------------------------------------------

TPT_TEST(command_trainer, hf_log_dicts_totals_and_progress_bars_are_read) {
  // Lines as transformers' Trainer and TRL print them (copied from their output).
  TrainerLogLine step = tpt::train::parse_trainer_log_line(
      "{'loss': 2.3041, 'grad_norm': 1.7234567, 'learning_rate': 1.8e-05, 'num_tokens': 5120.0, 'mean_token_accuracy': "
      "0.41, 'epoch': 0.12}");
  COMPARE(static_cast<int>(step.kind), static_cast<int>(TrainerLogLine::Kind::Step));
  COMPARE(step.loss, 2.3041);
  COMPARE(step.grad_norm, 1.7234567);
  COMPARE(step.learning_rate, 1.8e-05);
  COMPARE(step.epoch, 0.12);
  COMPARE(step.num_tokens, 5120.0);
  // Newer transformers quote the formatted values.
  step = tpt::train::parse_trainer_log_line("{'loss': '0.6931', 'grad_norm': '3.25', 'learning_rate': '2e-06', 'epoch': '1'}");
  COMPARE(static_cast<int>(step.kind), static_cast<int>(TrainerLogLine::Kind::Step));
  COMPARE(step.loss, 0.6931);
  COMPARE(step.learning_rate, 2e-06);
  // The closing summary is not a step.
  COMPARE(static_cast<int>(tpt::train::parse_trainer_log_line(
                               "{'train_runtime': 12.5, 'train_samples_per_second': 3.2, 'train_loss': 1.98, 'epoch': 1.0}")
                               .kind),
          static_cast<int>(TrainerLogLine::Kind::Other));
  const TrainerLogLine bar =
      tpt::train::parse_trainer_log_line(" 40%|████      | 2/5 [00:01<00:01,  1.62it/s]");
  COMPARE(static_cast<int>(bar.kind), static_cast<int>(TrainerLogLine::Kind::Progress));
  COMPARE(bar.step, int64_t{2});
  COMPARE(bar.total, int64_t{5});
  const TrainerLogLine total = tpt::train::parse_trainer_log_line("  Total optimization steps = 1,250");
  COMPARE(static_cast<int>(total.kind), static_cast<int>(TrainerLogLine::Kind::Total));
  COMPARE(total.total, int64_t{1250});
  COMPARE(static_cast<int>(tpt::train::parse_trainer_log_line("Loading checkpoint shards: 100%").kind),
          static_cast<int>(TrainerLogLine::Kind::Other));
}

// ---- the files a trainer is given ---------------------------------------------------------

namespace {

// The keys TRL's `trl sft --config` reads that the runner may write, by the type TRL gives them
// (from TRL's SFTConfig, ModelConfig, ScriptArguments and DatasetMixtureConfig docs, and
// transformers' TrainingArguments).
const std::set<std::string> kTrlStrings = {"model_name_or_path", "output_dir", "lr_scheduler_type", "report_to",
                                           "save_strategy", "dtype", "resume_from_checkpoint"};
const std::set<std::string> kTrlNumbers = {"learning_rate", "num_train_epochs", "max_steps", "per_device_train_batch_size",
                                           "gradient_accumulation_steps", "warmup_ratio", "max_grad_norm", "weight_decay",
                                           "adam_beta1", "adam_beta2", "adam_epsilon", "seed", "max_length",
                                           "logging_steps", "save_steps", "lora_r", "lora_alpha", "lora_dropout"};
const std::set<std::string> kTrlBools = {"bf16", "completion_only_loss", "use_peft"};

void check_trl_yaml(const std::string& path) {
  const YAML::Node doc = YAML::LoadFile(path);
  VERIFY(doc.IsMap());
  for (const auto& item : doc) {
    const std::string key = item.first.as<std::string>();
    const YAML::Node& v = item.second;
    if (kTrlStrings.count(key)) {
      VERIFY(v.IsScalar());
    } else if (kTrlNumbers.count(key)) {
      if (key == "max_length" && v.IsNull()) continue;
      VERIFY(v.IsScalar());
      v.as<double>();  // throws when not a number
    } else if (kTrlBools.count(key)) {
      v.as<bool>();
    } else if (key == "datasets") {
      // TRL's documented local-data form: [{path: json, data_files: FILE, split: train}]
      COMPARE(v.size(), size_t{1});
      COMPARE(v[0]["path"].as<std::string>(), std::string("json"));
      COMPARE(v[0]["split"].as<std::string>(), std::string("train"));
      VERIFY(fs::exists(v[0]["data_files"].as<std::string>()));
    } else if (key == "lora_target_modules") {
      VERIFY(v.IsSequence());
    } else if (key == "lr_scheduler_kwargs") {
      v["min_lr"].as<double>();
    } else {
      TPT_FAIL("the runner wrote \"" + key + "\", which is not one of TRL's SFT settings");
    }
  }
  for (const char* required : {"model_name_or_path", "datasets", "output_dir", "learning_rate", "seed"})
    VERIFY(doc[required]);
  COMPARE(doc["report_to"].as<std::string>(), std::string("none"));
  COMPARE(doc["completion_only_loss"].as<bool>(), true);
}

}  // namespace

TPT_TEST(command_trainer, the_jsonl_and_yaml_it_is_given_are_trls_formats) {
  // The trainer copies what it is given and fails: the round must not count as trained.
  const std::string capture = tpt::testing::temp_dir() + "/given";
  fs::create_directories(capture);
  const std::string dir = tpt::testing::write_tiny_experiment(
      tpt::testing::temp_dir() + "/experiment",
      command_config(script("capture", "cp \"$1\" " + capture + "/sft.yaml; cp \"$3\" " + capture +
                                           "/train.jsonl; echo 'no GPU here' >&2; exit 2")));
  const auto r = tpt_run("-q run " + dir);
  VERIFY(r.status != 0);
  VERIFY(!fs::exists(dir + "/models/round-1"));
  check_trl_yaml(capture + "/sft.yaml");
  const YAML::Node yaml = YAML::LoadFile(capture + "/sft.yaml");
  // experiment.json's train settings, by TRL's names.
  COMPARE(yaml["learning_rate"].as<double>(), 0.003);
  COMPARE(yaml["num_train_epochs"].as<int>(), 2);
  COMPARE(yaml["per_device_train_batch_size"].as<int>(), 2);
  COMPARE(yaml["gradient_accumulation_steps"].as<int>(), 1);
  COMPARE(yaml["save_steps"].as<int>(), 2);
  COMPARE(yaml["model_name_or_path"].as<std::string>(), tiny_model());
  COMPARE(yaml["bf16"].as<bool>(), false);  // the tiny model is float32
  // The plain prompt format: plain-string prompt/completion lines, as many as kept traces.
  std::ifstream in(capture + "/train.jsonl");
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    const json record = json::parse(line);
    COMPARE(record.size(), size_t{2});
    VERIFY(record.at("prompt").is_string());
    VERIFY(record.at("completion").is_string());
    VERIFY_CONTAINS(record.at("prompt").get<std::string>(), "Question: Tom has");
    ++lines;
  }
  VERIFY(lines > 0);
  tpt::store::Store store(dir + "/experiment.sqlite", tpt::store::OpenMode::read_only);
  COMPARE(static_cast<size_t>(lines), store.kept_traces({store.list_rounds(store.list_experiments().at(0).id).at(1).id}).size());
}

TPT_TEST(command_trainer, chat_prompts_are_written_as_conversations) {
  tpt::train::TrainingExample chat;
  chat.prompt = "<start_of_turn>user\nWhat is 2+3?<end_of_turn>\n<start_of_turn>model\n";
  chat.user_text = "What is 2+3?";
  chat.completion = "2+3=5\n#### 5";
  tpt::train::TrainingExample plain;
  plain.prompt = "Question: What is 2+3?\nSolution:";
  plain.completion = " 2+3=5\n#### 5";
  const std::string path = tpt::testing::temp_dir() + "/train.jsonl";
  tpt::train::write_sft_data(path, {chat, plain});
  std::ifstream in(path);
  std::string first, second;
  std::getline(in, first);
  std::getline(in, second);
  // TRL's conversational prompt-completion form, and its standard (plain) one.
  COMPARE(json::parse(first), json::parse(R"({"prompt": [{"role": "user", "content": "What is 2+3?"}],
                                              "completion": [{"role": "assistant", "content": "2+3=5\n#### 5"}]})"));
  COMPARE(json::parse(second), json::parse(R"({"prompt": "Question: What is 2+3?\nSolution:",
                                               "completion": " 2+3=5\n#### 5"})"));
}

TPT_TEST(command_trainer, the_paper_gsm8k_preset_writes_the_golden_trl_config) {
  tpt::config::ExperimentConfig config = tpt::config::preset("paper-gsm8k");
  tpt::train::TrainJob job;
  job.init_dir = "/models/gemma-2-2b-it";
  job.settings = tpt::run::train_settings(config, 1);
  tpt::train::TrainingExample e;
  e.prompt_ids.assign(180, 1);
  e.completion_ids.assign(240, 2);
  job.examples = {e};
  const std::string path = tpt::testing::temp_dir() + "/paper-gsm8k.yaml";
  tpt::train::write_trl_config(path, tpt::train::recipe_for(job, "/runs/gsm8k/models/round-1.partial/train.jsonl",
                                                            "/runs/gsm8k/models/round-1.partial/output", true));
  // Checked by hand against the paper's settings (lr 1e-6, 1 epoch, 2 x 4, 10% warmup, cosine)
  // and TRL's documentation; a change here changes what every TRL round trains with.
  const std::string golden = std::string(TPT_FIXTURES_DIR) + "/trl/paper-gsm8k-sft.yaml";
  COMPARE(tpt::testing::slurp(path), tpt::testing::slurp(golden));
  const tpt::train::SftRecipe back = tpt::train::read_trl_config(golden);
  COMPARE(back.learning_rate, 1e-6);
  COMPARE(back.per_device_train_batch_size, 2);
  COMPARE(back.gradient_accumulation_steps, 4);
  COMPARE(back.warmup_ratio, 0.1);
  COMPARE(back.lr_scheduler_type, std::string("cosine"));
  COMPARE(back.max_length, int64_t{420});
}

// ---- faults -------------------------------------------------------------------------------

TPT_TEST(command_trainer, a_trainer_that_exits_non_zero_fails_the_round_with_its_last_lines) {
  const std::string dir = tpt::testing::write_tiny_experiment(
      tpt::testing::temp_dir() + "/experiment",
      command_config(script("oom", "echo 'Loading checkpoint shards: 100%'\n"
                                   "echo 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB' >&2\n"
                                   "exit 3")));
  const auto r = tpt_run("-q run " + dir);
  VERIFY(r.status != 0);
  VERIFY_CONTAINS(r.err, "exited with status 3");
  VERIFY_CONTAINS(r.err, "CUDA out of memory");
  VERIFY_CONTAINS(r.err, "train-round-1.log");
  VERIFY(!fs::exists(dir + "/models/round-1"));
  VERIFY_CONTAINS(tpt::testing::slurp(dir + "/logs/train-round-1.log"), "CUDA out of memory");
  VERIFY_CONTAINS(tpt_run("status " + dir).out, "failed");
}

TPT_TEST(command_trainer, a_trainer_that_hangs_is_stopped_after_the_stall_timeout) {
  // Prints once, then waits forever (tail -f on its own data file, output discarded).
  const std::string dir = tpt::testing::write_tiny_experiment(
      tpt::testing::temp_dir() + "/experiment",
      command_config(script("hang", "echo 'loading'\nexec tail -f \"$3\" > /dev/null"), 1.0));
  const std::string marker = dir + "/models/round-1.partial/train.jsonl";
  const auto started = std::chrono::steady_clock::now();
  const auto r = tpt_run("-q run " + dir);
  VERIFY(r.status != 0);
  VERIFY_CONTAINS(r.err, "printed nothing for 1 s (trainer.stall_timeout_s) and was stopped as hung");
  VERIFY(std::chrono::steady_clock::now() - started < std::chrono::seconds(60));
  VERIFY(!fs::exists(dir + "/models/round-1"));
  COMPARE(processes_with(marker), 0);
}

TPT_TEST(command_trainer, a_folder_with_a_missing_tensor_is_never_marked_trained) {
  // What a trainer that died while saving leaves: the config and all but one tensor.
  const std::string bad = tpt::testing::temp_dir() + "/bad-output";
  fs::create_directories(bad);
  fs::copy(tiny_model(), bad, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  {
    tpt::io::SafetensorsFile source(tiny_model() + "/model.safetensors");
    std::vector<tpt::io::TensorToWrite> tensors;
    for (const auto& view : source.tensors()) {
      if (view.name == "model.layers.1.mlp.down_proj.weight") continue;
      tpt::io::TensorToWrite t;
      t.name = view.name;
      t.dtype = view.dtype;
      t.shape = view.shape;
      t.data = view.data;
      tensors.push_back(t);
    }
    tpt::io::write_safetensors(bad + "/model.safetensors", tensors);
  }
  const std::string dir = tpt::testing::write_tiny_experiment(
      tpt::testing::temp_dir() + "/experiment",
      command_config(script("bad-folder", "mkdir -p \"$2\" && cp -r " + bad + "/. \"$2\"/ && echo \"{'loss': 1.5, 'epoch': 1.0}\"")));
  const auto r = tpt_run("-q run " + dir);
  VERIFY(r.status != 0);
  VERIFY_CONTAINS(r.err, "not a usable model, so the round is not marked trained");
  VERIFY_CONTAINS(r.err, "model.layers.1.mlp.down_proj.weight");
  VERIFY(!fs::exists(dir + "/models/round-1"));
}

TPT_TEST(command_trainer, a_model_of_another_family_is_refused) {
  const std::string other = tpt::testing::temp_dir() + "/other-family";
  fs::create_directories(other);
  fs::copy(tiny_model(), other, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  json config = json::parse(tpt::testing::slurp(other + "/config.json"));
  config["model_type"] = "qwen2";
  std::ofstream(other + "/config.json") << config.dump();
  const std::string dir = tpt::testing::write_tiny_experiment(
      tpt::testing::temp_dir() + "/experiment",
      command_config(script("other-family", "mkdir -p \"$2\" && cp -r " + other + "/. \"$2\"/")));
  const auto r = tpt_run("-q run " + dir);
  VERIFY(r.status != 0);
  VERIFY_CONTAINS(r.err, "model_type is \"qwen2\" but \"llama\" was expected");
  VERIFY(!fs::exists(dir + "/models/round-1"));
}

// ---- whole runs through `tpt sft` -------------------------------------------------------

TPT_TEST(command_trainer, a_run_trained_by_tpt_sft_is_the_engine_run_exactly) {
  const std::string dir = run_experiment(command_config("tpt-sft"));
  // Every sample, decision, answer, metric, step (loss and tokens) and trained weight.
  tpt::testing::compare_snapshots(tpt::testing::snapshot(dir), engine_run());
  // The trainer's output is kept in the experiment, its work folder is gone.
  VERIFY_CONTAINS(tpt::testing::slurp(dir + "/logs/train-round-1.log"), "sft --config");
  VERIFY_CONTAINS(tpt::testing::slurp(dir + "/logs/train-round-2.log"), "{'loss': ");
  VERIFY(!fs::exists(dir + "/models/round-1.partial"));
}

namespace {

// Pauses or cancels the run as soon as the external trainer of round 1 is running, and records
// the trainer's states; while paused, checks that every process of the trainer is stopped.
struct TrainerWatcher : tpt::run::Observer {
  tpt::run::RunControl* control = nullptr;
  std::string dir;
  bool pause = false;                  // false: cancel
  std::vector<std::string> states;
  int stopped_processes = -1;          // trainer processes in state T while paused
  int running_processes = 0;           // trainer processes not stopped while paused
  std::string seen;                    // "pid (name) state" of the trainer's processes, for the message
  int64_t steps_before = -1, steps_after = -1;  // the trainer's log size when held / before resuming
  int64_t last_done = 0;
  void on_progress(const tpt::run::Progress& p) override {
    if (p.phase == tpt::run::Phase::Train) last_done = p.done;
  }
  void on_trainer(const tpt::run::TrainerStatus& status) override {
    if (!status.state_changed) return;
    states.push_back(status.state);
    if (status.round != 1) return;
    if (status.state == "running" && states.size() == 1) {
      if (!pause) control->cancel();
      else control->pause();
    } else if (status.state == "paused") {
      // Every process of the trainer's group (its leader: the pid reported) is held by SIGSTOP:
      // state T in /proc. Checked by state: the test waits until the kernel shows them all
      // stopped (a signal is delivered asynchronously), then looks again and again while the
      // trainer's log, which a running trainer writes at every step, must not grow.
      const auto scan = [&] {
        stopped_processes = running_processes = 0;
        seen.clear();
        for (const auto& entry : fs::directory_iterator("/proc")) {
          const std::string stat = tpt::testing::slurp(entry.path().string() + "/stat");
          const size_t close = stat.rfind(')');
          if (close == std::string::npos) continue;
          std::istringstream fields(stat.substr(close + 2));
          std::string state;
          long parent = 0, group = 0;
          fields >> state >> parent >> group;
          if (group != status.pid) continue;
          seen += stat.substr(0, close + 3) + "\n";
          if (state == "T") ++stopped_processes;
          else running_processes++;
        }
      };
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
      do scan();
      while ((stopped_processes == 0 || running_processes > 0) && std::chrono::steady_clock::now() < deadline);
      const std::string log = dir + "/logs/train-round-1.log";
      steps_before = static_cast<int64_t>(fs::exists(log) ? fs::file_size(log) : 0);
      for (int look = 0; look < 20 && running_processes == 0; ++look) scan();
      steps_after = static_cast<int64_t>(fs::exists(log) ? fs::file_size(log) : 0);
      control->resume();
    }
  }
};

}  // namespace

TPT_TEST(command_trainer, cancel_stops_the_trainer_and_the_rerun_completes_identically) {
  const std::string dir =
      tpt::testing::write_tiny_experiment(tpt::testing::temp_dir() + "/experiment", command_config("tpt-sft"));
  tpt::run::RunControl control;
  TrainerWatcher observer;
  observer.control = &control;
  observer.dir = dir;
  const auto stopped = tpt::run::Runner(dir, &observer, &control).run();
  COMPARE(std::string(tpt::run::to_string(stopped.outcome)), std::string("cancelled"));
  COMPARE(observer.states, (std::vector<std::string>{"running", "stopped"}));
  VERIFY(!fs::exists(dir + "/models/round-1/config.json"));
  COMPARE(processes_with(dir + "/models/round-1.partial/sft.yaml"), 0);
  const auto resumed = tpt_run("-q run " + dir);
  if (resumed.status != 0) TPT_FAIL("the rerun failed: " + resumed.err);
  tpt::testing::compare_snapshots(tpt::testing::snapshot(dir), engine_run());
}

TPT_TEST(command_trainer, pause_holds_every_process_of_the_trainer_until_resume) {
  // A trainer that loads for a second first (as a real one does), so the pause finds it alive:
  // the tiny model itself trains in a blink.
  const std::string dir = tpt::testing::write_tiny_experiment(
      tpt::testing::temp_dir() + "/experiment", command_config("sleep 1 && {tpt} sft --config {config}"));
  tpt::run::RunControl control;
  TrainerWatcher observer;
  observer.control = &control;
  observer.dir = dir;
  observer.pause = true;
  const auto result = tpt::run::Runner(dir, &observer, &control).run();
  COMPARE(std::string(tpt::run::to_string(result.outcome)), std::string("completed"));
  COMPARE(observer.running_processes, 0);
  if (observer.stopped_processes < 1)
    TPT_FAIL("no process of the trainer was stopped while paused; states: " + [&] {
      std::string all;
      for (const auto& st : observer.states) all += st + " ";
      return all;
    }() + "; dir " + dir + "; processes:\n" + observer.seen);
  COMPARE(observer.steps_after, observer.steps_before);
  // running -> paused -> running -> finished for round 1, then round 2's trainer.
  COMPARE(std::vector<std::string>(observer.states.begin(), observer.states.begin() + 4),
          (std::vector<std::string>{"running", "paused", "running", "finished"}));
  tpt::testing::compare_snapshots(tpt::testing::snapshot(dir), engine_run());
}

TPT_TEST(command_trainer, a_trainer_killed_mid_way_resumes_from_its_checkpoint) {
  // The trainer process is killed (SIGKILL, as the OOM killer would) at its third step, after
  // its checkpoint of step 2: the round fails with the reason and keeps the checkpoint.
  const std::string dir = tpt::testing::write_tiny_experiment(
      tpt::testing::temp_dir() + "/experiment", command_config("TPT_CRASH_AT=sft.step@3 {tpt} sft --config {config}"));
  const auto killed = tpt_run("-q run " + dir);
  VERIFY(killed.status != 0);
  VERIFY_CONTAINS(killed.err, "killed by signal 9");
  VERIFY(fs::exists(dir + "/models/round-1.partial/output/checkpoint-2/trainer_state.json"));
  VERIFY(!fs::exists(dir + "/models/round-1/config.json"));
  // A rerun (the trainer section may change between runs) goes on from that checkpoint.
  json config = command_config("tpt-sft");
  std::ofstream(dir + "/experiment.json") << config.dump(2);
  const auto resumed = tpt_run("-q run " + dir);
  if (resumed.status != 0) TPT_FAIL("the resumed run failed: " + resumed.err);
  const std::string log = tpt::testing::slurp(dir + "/logs/train-round-1.log");
  VERIFY_CONTAINS(log, "=== tpt: resuming from " + dir + "/models/round-1.partial/output/checkpoint-2 with");
  VERIFY_CONTAINS(log, "Resuming training from checkpoint");
  tpt::testing::compare_snapshots(tpt::testing::snapshot(dir), engine_run());
}

TPT_TEST(command_trainer, the_quick_demo_through_tpt_sft_is_the_engine_demo_exactly) {
  // The quick demo's model, prompt and settings on a slice of its problems (demo_test_support.h),
  // with no pruning, so that every round trains on all its samples.
  const std::string external_dir = tpt::testing::expect_small_quick_demo_same_both_ways(
      [](tpt::demo::DemoOptions& o) { o.external_trainer = true; });
  VERIFY(fs::exists(external_dir + "/logs/train-round-2.log"));
}

TPT_TEST(command_trainer, a_lora_run_trained_by_tpt_sft_is_the_engine_run_exactly) {
  json engine = tpt::testing::tiny_experiment_config(tiny_model());
  engine["train"]["method"] = "lora";
  engine["train"]["lora"] = {{"rank", 4}, {"alpha", 8.0}, {"targets", {"q_proj", "v_proj"}}};
  const std::string engine_dir = run_experiment(engine);
  json external = engine;
  external["trainer"] = {{"backend", "command"}, {"command", "tpt-sft"}};
  const std::string dir = run_experiment(external);
  // The trainer wrote a PEFT adapter; the round's folder is the merged model with it beside.
  tpt::testing::compare_snapshots(tpt::testing::snapshot(dir), tpt::testing::snapshot(engine_dir));
  for (const char* round : {"1", "2"}) {
    const std::string adapter = std::string("/models/round-") + round + "/adapter/adapter_model.safetensors";
    COMPARE(tpt::testing::slurp(dir + adapter), tpt::testing::slurp(engine_dir + adapter));
  }
}

TPT_TEST(command_trainer, tokenizer_files_the_trainer_did_not_write_are_copied_from_the_init_folder) {
  // A trainer that writes only the weights and config.json (as some do with save_only_model).
  const std::string dir = tpt::testing::write_tiny_experiment(
      tpt::testing::temp_dir() + "/experiment",
      command_config(script("weights-only", "mkdir -p \"$2\" && cp " + tiny_model() + "/config.json " + tiny_model() +
                                                "/model.safetensors \"$2\"/ && echo \"{'loss': 1.25, 'epoch': 1.0}\"")));
  const auto r = tpt_run("-q run " + dir);
  if (r.status != 0) TPT_FAIL("tpt run failed: " + r.err);
  for (const char* file : {"tokenizer.json", "tokenizer_config.json", "config.json", "model.safetensors"})
    VERIFY(fs::exists(dir + "/models/round-1/" + file));
  COMPARE(tpt::testing::slurp(dir + "/models/round-1/tokenizer.json"), tpt::testing::slurp(tiny_model() + "/tokenizer.json"));
  const auto status = tpt_run("status " + dir + " --json");
  // The one loss line it printed is the round's training curve.
  const json rounds = json::parse(status.out).at("rounds");
  COMPARE(rounds.at(1).at("train_loss").get<double>(), 1.25);
}
