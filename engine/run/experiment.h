// An experiment's settings over its lifetime: which experiment.json changes a run accepts once
// rounds exist, and forking the settings into a new experiment when they must change.
// Torch-free.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/experiment_config.h"
#include "core/error.h"

namespace tpt::run {

// The experiment.json keys a run may change after rounds exist: they do not change what a
// finished round means (the rule set applies from the next Prune on; rounds extends or
// shortens the plan).
const std::vector<std::string>& changeable_keys();

// One setting that differs: its field ("think.temperature") and its values as JSON text
// ("(absent)" when missing on one side).
struct ConfigChange {
  std::string path;
  std::string before;
  std::string after;
  std::string to_string() const { return path + ": " + before + " -> " + after; }
};

// The settings that differ between two experiment.json documents, ignoring changeable_keys().
// Empty when the experiment may go on.
std::vector<ConfigChange> config_change_list(const nlohmann::json& stored, const nlohmann::json& current);
// The same as "path: old -> new" lines.
std::vector<std::string> config_changes(const nlohmann::json& stored, const nlohmann::json& current);

// Thrown when experiment.json changed since rounds were run: the message lists the changes
// and the ways out (undo, or fork).
class ConfigChangedError : public Error {
 public:
  using Error::Error;
};

// Writes `config` as a new experiment in `new_dir` (created; must not hold an experiment.json
// yet), with its relative paths made absolute so they still point at the same files. Returns
// the new experiment.json's path.
std::string fork_experiment(const config::ExperimentConfig& config, const std::string& new_dir);

// A round whose trained model folder is gone (moved or deleted since its Train wrote it).
struct MissingModel {
  int round = 0;
  std::string folder;
  // Whether a later round started from it already (then Train of `round` again would not
  // change what those rounds trained on).
  bool later_rounds_started = false;
};

// The rounds of the experiment in `dir` whose model folder is missing. Empty when there is no
// database yet. Opens the database read-only.
std::vector<MissingModel> missing_round_models(const std::string& dir);

// Sends round `round` back to Train: its model record is cleared, its samples and decisions
// stay, and the next run trains it again and scores the new model. Refused (Error) while a run
// holds the experiment, for round 0, for a round that has not reached Train, and when a later
// round has started from it.
void train_round_again(const std::string& dir, int round);

}  // namespace tpt::run
