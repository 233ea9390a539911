#include "run/runner.h"

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "data/code_problems.h"
#include "io/model_digest.h"
#include "run/failure_record.h"
#include "run/session.h"
#include "runtime/torch_runtime.h"

namespace fs = std::filesystem;

namespace tpt::run {

const char* to_string(Phase phase) {
  switch (phase) {
    case Phase::Think: return "think";
    case Phase::Prune: return "prune";
    case Phase::Train: return "train";
    case Phase::Eval: return "eval";
  }
  return "";
}

const char* to_string(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::Completed: return "completed";
    case RunOutcome::Stopped: return "stopped";
    case RunOutcome::Cancelled: return "cancelled";
    case RunOutcome::Failed: return "failed";
  }
  return "";
}

Runner::Runner(std::string experiment, Observer* observer, RunControl* control)
    : experiment_(std::move(experiment)), observer_(observer), control_(control) {}

RunResult Runner::run() {
  const ExperimentPaths paths = ExperimentPaths::locate(experiment_);
  config::ExperimentConfig config = config::ExperimentConfig::load(paths.config_file);
  RunLock lock(paths);
  FailureRecord failure(paths.failure_file);
  if (config.threads > 0) runtime::init_runtime(config.threads);
  Session session(paths, std::move(config), observer_, control_);
  try {
    return session.run_guarded();
  } catch (const std::exception& e) {
    failure.record(e.what());
    throw;
  }
}

std::optional<std::string> Session::stop_reason(const std::vector<double>& pass1, int round) const {
  char text[160];
  const double latest = pass1.back();
  if (config_.stop.target_pass1 && latest >= *config_.stop.target_pass1) {
    std::snprintf(text, sizeof text, "Pass@1 (strict) reached %.4f in round %d, at or above the target %.4f", latest,
                  round, *config_.stop.target_pass1);
    return std::string(text);
  }
  const int plateau = config_.stop.plateau_rounds;
  if (plateau > 0 && static_cast<int>(pass1.size()) > plateau) {
    const size_t split = pass1.size() - static_cast<size_t>(plateau);
    const double best_before = *std::max_element(pass1.begin(), pass1.begin() + split);
    const double best_after = *std::max_element(pass1.begin() + split, pass1.end());
    if (best_after <= best_before) {
      std::snprintf(text, sizeof text, "Pass@1 (strict) has not improved on %.4f for %d round(s)", best_before,
                    plateau);
      return std::string(text);
    }
  }
  return std::nullopt;
}

std::optional<std::string> Session::model_problem(const store::RoundRecord& round) {
  // An empty digest: the base model, or a round that kept nothing after it; neither is ours.
  if (round.round_index == 0 || round.model_digest.empty()) return std::nullopt;
  const std::string& folder = round.model_path;
  if (round.model_digest == store::kModelTraining || folder.empty())
    return paths_.model_dir(round.round_index) + ": round " + std::to_string(round.round_index) +
           "'s Train never recorded its model";
  std::string now;
  try {
    now = io::model_digest(folder);
  } catch (const Error& e) {
    return std::string(e.what());
  }
  if (round.model_digest == store::kModelLegacy) {
    store_.set_round_model_path(round.id, folder, now);
    log("info", round.round_index, "run", folder + ": digest recorded (" + now + "); the folder is checked against it from now on",
        round.id);
    return std::nullopt;
  }
  if (now != round.model_digest)
    return folder + ": changed since round " + std::to_string(round.round_index) + "'s Train wrote it (digest " +
           round.model_digest + " recorded, " + now + " now)";
  return std::nullopt;
}

void Session::set_aside(int round, int64_t round_id, const std::string& folder, const std::string& why) {
  char stamp[32];
  const std::time_t t = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&t, &utc);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &utc);
  std::string aside = folder + ".set-aside-" + stamp;
  std::error_code ec;
  for (int n = 2; fs::exists(fs::symlink_status(aside, ec)); ++n) aside = folder + ".set-aside-" + stamp + "-" + std::to_string(n);
  fs::rename(folder, aside, ec);
  if (ec) throw FileError({folder, 0}, why + "; cannot move it aside to " + aside + ": " + ec.message());
  log("warning", round, "train",
      folder + " " + why + ": not used; moved to " + aside + ", and round " + std::to_string(round) + " trains again",
      round_id);
}

bool Session::run_round(int round, int64_t round_id, store::RoundRecord& record, const std::string& previous_model) {
  if (record.state == store::RoundState::Pending) {
    store_.set_round_config(round_id, config_.to_json().dump());
    record.state = round == 0 ? store::RoundState::Eval : store::RoundState::Think;
    store_.set_round_state(round_id, record.state);
    log("info", round, "run", "round " + std::to_string(round) + " started", round_id);
  }
  std::string model_path = round == 0 ? base_model_ : record.model_path;
  if (record.state == store::RoundState::Think) {
    set_failure_context("round " + std::to_string(round) + ", think");
    if (observer_) observer_->on_phase(round, Phase::Think);
    if (!think(round, round_id, previous_model)) return false;
    store_.set_round_config(round_id, config_.to_json().dump());
    store_.set_round_state(round_id, store::RoundState::Prune);
    record.state = store::RoundState::Prune;
  }
  // Between phases too, after the phase is announced: a pause or cancel asked for during the
  // last batch, or on the announcement itself, holds the run before the phase starts.
  const auto enter = [&](Phase phase) {
    set_failure_context("round " + std::to_string(round) + ", " + to_string(phase));
    if (observer_) observer_->on_phase(round, phase);
    return go_on();
  };
  if (record.state == store::RoundState::Prune) {
    if (!enter(Phase::Prune) || !prune(round, round_id)) return false;
    store_.set_round_state(round_id, store::RoundState::Train);
    record.state = store::RoundState::Train;
  }
  // A trained model that changed or went missing since its Train wrote it is not scored: this
  // round trains again (its samples and decisions stay), the unexpected folder set aside.
  if (record.state == store::RoundState::Eval && round > 0) {
    if (const auto problem = model_problem(record)) {
      if (record.model_path != paths_.model_dir(round))  // kept nothing: the previous round's model
        throw Error(*problem + ". Round " + std::to_string(round) + " scores that model and will not score this "
                    "one: restore the folder as it was, or run the experiment again in a new folder");
      std::error_code ec;
      if (fs::exists(fs::symlink_status(record.model_path, ec)))
        set_aside(round, round_id, record.model_path, "cannot be scored: " + *problem);
      else
        log("warning", round, "train", *problem + ": round " + std::to_string(round) + " trains again", round_id);
      auto transaction = store_.transaction();
      store_.set_round_model_path(round_id, "", "");
      store_.set_round_state(round_id, store::RoundState::Train);
      transaction.commit();
      record.state = store::RoundState::Train;
    }
  }
  if (record.state == store::RoundState::Train) {
    // train() records the model and its digest.
    if (!enter(Phase::Train) || !train(round, round_id, previous_model, model_path)) return false;
    store_.set_round_state(round_id, store::RoundState::Eval);
    record.state = store::RoundState::Eval;
  }
  if (record.state == store::RoundState::Eval) {
    if (!enter(Phase::Eval)) return false;
    if (round == 0) store_.set_round_model_path(round_id, model_path);
    if (!improve(round, round_id, model_path)) return false;
    store_.set_round_state(round_id, store::RoundState::Done);
    record.state = store::RoundState::Done;
    const auto metrics = store_.get_metrics(round_id);
    char line[200];
    std::snprintf(line, sizeof line, "round %d done: Pass@1 %.2f%% strict, %.2f%% flexible", round,
                  100 * metrics.at("pass@1.strict"), 100 * metrics.at("pass@1.flexible"));
    log("info", round, "run", line, round_id);
    if (observer_) observer_->on_round_done(round, metrics);
  }
  return true;
}

RunResult Session::run() {
  open_experiment();
  store_.set_experiment_state(experiment_id_, "running");
  log("info", -1, "run", "run started: " + runtime::runtime_summary(runtime::runtime_info()));
  base_model_ = config_.resolve(config_.model.path);
  if (!fs::exists(fs::path(base_model_) / "config.json"))
    throw FileError({paths_.config_file, 0},
                    "model.path: \"" + base_model_ + "\" is not a model folder (no config.json in it)");
  load_problems();
  if (data::is_code_format(config_.dataset.format)) check_code_sandbox();

  RunResult result;
  std::vector<double> pass1;
  double spent_seconds = 0;
  std::string previous_model = base_model_;
  std::optional<store::RoundRecord> previous_round;
  for (int round = 0; round <= config_.rounds; ++round) {
    const int64_t round_id = store_.ensure_round(experiment_id_, round);
    store::RoundRecord record = *store_.get_round(round_id);
    if (record.state != store::RoundState::Done) {
      // The model this round starts from must be the one the previous round trained and scored.
      if (previous_round && record.state <= store::RoundState::Train)
        if (const auto problem = model_problem(*previous_round))
          throw Error(*problem + ". Round " + std::to_string(round) + " starts from round " +
                      std::to_string(round - 1) + "'s model and will not start from this one: restore the folder "
                      "as it was, or run the experiment again in a new folder");
      if (config_.stop.max_hours && spent_seconds >= *config_.stop.max_hours * 3600) {
        result.outcome = RunOutcome::Stopped;
        result.detail = "the time budget of " + std::to_string(*config_.stop.max_hours) + " h is spent";
        break;
      }
      if (!go_on() || !run_round(round, round_id, record, previous_model)) {
        result.outcome = RunOutcome::Cancelled;
        break;
      }
      record = *store_.get_round(round_id);
    }
    previous_model = record.model_path.empty() ? previous_model : record.model_path;
    previous_round = record;
    const auto metrics = store_.get_metrics(round_id);
    for (const auto& [name, value] : metrics)
      if (name.rfind("seconds.", 0) == 0) spent_seconds += value;
    result.rounds_done = round + 1;
    if (auto it = metrics.find("pass@1.strict"); it != metrics.end()) pass1.push_back(it->second);
    if (round < config_.rounds && !pass1.empty()) {
      if (auto reason = stop_reason(pass1, round)) {
        result.outcome = RunOutcome::Stopped;
        result.detail = *reason;
        break;
      }
    }
  }
  store_.optimize();
  const std::string state = to_string(result.outcome);
  store_.set_experiment_state(experiment_id_, state, result.detail);
  // Rounds as the user counts them: round 0 is the base model's score, not a round.
  const std::string progress = result.rounds_done == 0 ? "the base model not scored yet"
                               : "base model scored, " + std::to_string(result.rounds_done - 1) + " of " +
                                     std::to_string(config_.rounds) + " rounds done";
  log("info", -1, "run", "run " + state + (result.detail.empty() ? "" : ": " + result.detail) + " (" + progress + ")");
  return result;
}

}  // namespace tpt::run
