#include "run/session.h"

#include <algorithm>

#include "code/sandbox.h"
#include "data/code_problems.h"
#include "run/experiment.h"
#include "run/plan.h"

namespace tpt::run {

using nlohmann::json;

Session::Session(const ExperimentPaths& paths, config::ExperimentConfig config, Observer* observer, RunControl* control)
    : paths_(paths), config_(std::move(config)), observer_(observer), control_(control), store_(paths.store_file) {}

RunResult Session::run_guarded() {
  try {
    return run();
  } catch (const std::exception& e) {
    if (experiment_id_ > 0) {
      log("error", -1, "run", e.what());
      try {
        store_.set_experiment_state(experiment_id_, to_string(RunOutcome::Failed), e.what());
      } catch (const std::exception&) {
        // Nothing more can be recorded (disk full?); the caller still gets the cause.
      }
    }
    throw;
  }
}

void Session::log(const std::string& level, int round, const std::string& phase, const std::string& message,
                  std::optional<int64_t> round_id) {
  store::EventRecord e;
  e.experiment_id = experiment_id_;
  e.level = level;
  e.phase = phase;
  e.message = message;
  e.round_id = round_id;
  try {
    store_.log_event(e);
  } catch (const Error&) {
    // The log is a convenience; a full disk must not hide the message itself.
  }
  if (observer_) observer_->on_log({level, round, phase, message});
}

WorkControl Session::work_control() {
  WorkControl control;
  control.wait_or_stop = [this] { return go_on(); };
  control.cancel = control_ ? control_->cancel_flag() : nullptr;
  if (control_) control.paused = [this] { return control_->paused(); };
  return control;
}

void Session::add_seconds(int64_t round_id, Phase phase, double seconds) {
  const std::string name = std::string("seconds.") + to_string(phase);
  const auto metrics = store_.get_metrics(round_id);
  const auto it = metrics.find(name);
  store_.put_metric(round_id, name, (it == metrics.end() ? 0.0 : it->second) + seconds);
}

void Session::open_experiment() {
  const json current = config_.to_json();
  auto experiments = store_.list_experiments();
  if (experiments.empty()) {
    store::ExperimentRecord record;
    record.name = config_.name;
    record.config_json = current.dump();
    experiment_id_ = store_.create_experiment(record);
    return;
  }
  // One experiment per folder: the database's experiment is this folder's, whatever its name.
  const store::ExperimentRecord& stored = experiments.front();
  experiment_id_ = stored.id;
  const auto rounds = store_.list_rounds(experiment_id_);
  if (!rounds.empty()) {
    const auto changes = config_changes(json::parse(stored.config_json), current);
    if (!changes.empty()) {
      std::string message = paths_.config_file + ": the settings changed since this experiment's rounds were run (" +
                            std::to_string(rounds.size()) + " round(s) stored); running on would mix settings "
                            "within one experiment:";
      for (const auto& c : changes) message += "\n  " + c;
      message += "\nUndo the change, or run the new settings as a new experiment: tpt run " + paths_.dir +
                 " --fork NEW_FOLDER";
      throw ConfigChangedError(message);
    }
  }
  store_.set_experiment_config(experiment_id_, current.dump());
}

std::vector<store::ProblemRecord> Session::load_split(const std::string& file, const std::string& split) {
  data::ProblemSetOptions options;
  options.format = config_.dataset.format;
  options.question_field = config_.dataset.question_field;
  options.answer_field = config_.dataset.answer_field;
  options.on_malformed = io::parse_on_malformed(config_.dataset.on_malformed);
  options.skip_images = config_.dataset.skip_images;
  options.id_prefix = split;
  const data::ProblemSet set = data::load_problem_set(file, options);
  if (set.problems.empty())
    throw Error(file + (split == "train" ? ": no problems in the training pool" : ": no problems in the test split"));
  for (const auto& skip : set.skips)
    log(skip.reason == data::SkipReason::Malformed ? "warning" : "info", -1, "run",
        file + ": left out " + std::to_string(skip.count) + " line(s): " + data::to_string(skip.reason) +
            " (first: " + skip.first_message + ")");
  std::vector<store::ProblemRecord> records;
  records.reserve(set.problems.size());
  for (const auto& p : set.problems) records.push_back({0, experiment_id_, split, p.id, p.question, p.solution, p.gold});
  const auto ids = store_.upsert_problems(records);
  for (size_t i = 0; i < records.size(); ++i) records[i].id = ids[i];
  return records;
}

void Session::load_problems() {
  std::vector<store::ProblemRecord> train;
  const bool needs_train = config_.rounds > 0 || config_.eval.split == "train" ||
                           config_.think.prompt_format == "few-shot";
  if (needs_train) {
    const std::string file = config_.resolve(config_.dataset.train);
    if (file.empty()) throw Error(paths_.config_file + ": dataset.train: required to run rounds (the training pool)");
    train = load_split(file, "train");
  }
  TrainingPool split = split_training_pool(config_, train);
  pool_ = std::move(split.pool);
  examples_ = std::move(split.examples);

  if (config_.eval.split == "train") {
    eval_set_ = pool_;
  } else {
    const std::string file = config_.resolve(config_.dataset.test);
    if (file.empty()) throw Error(paths_.config_file + ": dataset.test: required (Improve scores each round on it)");
    eval_set_ = load_split(file, "test");
  }
  // The same subset every round: rounds are compared on the same problems.
  eval_set_ = seeded_subset(eval_set_, eval_subset_seed(config_.seed), config_.eval.subset_size,
                            [](const store::ProblemRecord& p) { return p.problem_key; });
  std::sort(eval_set_.begin(), eval_set_.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
}

text::PromptFormat Session::prompt_format(const text::ModelTokenizer& tokenizer) const {
  return text::PromptFormat(tokenizer, *text::parse_prompt_style(config_.think.prompt_format), examples_,
                            text::prompt_domain_for(config_.dataset.format));
}

void Session::check_code_sandbox() {
  // Before any sampling: a run that cannot judge programs would spend Think for nothing.
  try {
    code::check_sandbox(config_.sandbox);
  } catch (const Error& e) {
    throw Error(paths_.config_file + ": sandbox: " + e.what());
  }
  if (config_.sandbox.mode == code::SandboxMode::Unsandboxed)
    log("warning", -1, "run",
        "sandbox.mode is \"unsandboxed\": the model's programs run without isolation, with only rlimits and "
        "timeouts; they can read and write what this user can");
}

}  // namespace tpt::run
