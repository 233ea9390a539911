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

// The settings that differ between two experiment.json documents, as "path: old -> new"
// lines, ignoring changeable_keys(). Empty when the experiment may go on.
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

}  // namespace tpt::run
