// The round runner: Think → Prune → Train → Improve for R rounds, headless and resumable.
//
// Round numbering follows the paper's table: round 0 scores the base model M0; round N >= 1
// samples with M(N-1) on the training pool (Think), keeps traces by the experiment's rule set
// (Prune), fine-tunes M(N-1) — or the base model, with train.init = "base" — on them into MN
// (Train), and scores MN on the held-out problems (Improve). A round's row in `tpt status` is
// therefore the model MN.
//
// Every phase is journaled in experiment.sqlite and safe to kill at any instant:
//   Think    samples are committed in batches keyed by (round, problem, sample index), each
//            drawn with its own seed; a resumed Think draws only the missing ones, and draws
//            them as the lost run would have.
//   Prune    one transaction: all of a round's decisions, or none.
//   Train    a checkpoint every train.checkpoint_steps steps (optimizer state, master weights;
//            the data order is a function of the step), resumed from the last one; the model
//            folder appears (rename) only once it is completely written.
//   Improve  answers committed in batches like Think's; the scores are computed from the
//            stored answers, so a resumed evaluation scores the same.
// The round's state in the store says which phase is running; a resumed run starts there.
//
// A run refuses an experiment.json whose settings differ from those the stored rounds ran
// with (see config_changes), so one experiment never mixes settings.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/experiment_config.h"
#include "run/control.h"
#include "run/observer.h"
#include "run/paths.h"

namespace tpt::run {

enum class RunOutcome {
  Completed,  // every round of the config is done
  Stopped,    // a stop rule ended it early (target, plateau, budget)
  Cancelled,  // RunControl::cancel; resumable
};

const char* to_string(RunOutcome outcome);  // "completed", "stopped", "cancelled"

struct RunResult {
  RunOutcome outcome = RunOutcome::Completed;
  std::string detail;   // why it stopped, in words
  int rounds_done = 0;  // rounds in state "done", round 0 included
};

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

class Runner {
 public:
  // `experiment`: an experiment folder or its experiment.json. `observer` and `control` may
  // be null and must outlive run().
  explicit Runner(std::string experiment, Observer* observer = nullptr, RunControl* control = nullptr);

  // Creates the experiment's database on the first run, resumes it after. Throws tpt::Error
  // (ValidationError, FileError, ConfigChangedError, train::TrainingError, ...) naming the
  // file, field or step at fault; the store keeps everything committed so far and records the
  // failure.
  RunResult run();

 private:
  std::string experiment_;
  Observer* observer_;
  RunControl* control_;
};

// Writes `config` as a new experiment in `new_dir` (created; must not hold an experiment.json
// yet), with its relative paths made absolute so they still point at the same files. Returns
// the new experiment.json's path.
std::string fork_experiment(const config::ExperimentConfig& config, const std::string& new_dir);

}  // namespace tpt::run
