// Where an experiment keeps its files. An experiment is a folder:
//
//   experiment.json        the settings (the GUI edits them, `tpt run` runs them)
//   experiment.sqlite      rounds, problems, samples, decisions, annotations, metrics, events
//   models/round-N/        the model after round N's Train, an HF-format folder (round 0 is the
//                          base model, used in place and never copied)
//   models/round-N.partial/  Train's work in progress: checkpoints, then the model being saved;
//                          renamed to round-N/ only once complete
//   exports/               files written by `tpt export`
//   logs/                  the output of servers a run launched (sampler.launch) and of
//                          external trainers (trainer.backend "command")
//   .run.lock              held (flock) by the process running the experiment
//   .run.failure           why the last run failed or crashed, for `tpt status` (run/failure_record.h)
//
// Torch-free.
#pragma once

#include <string>

namespace tpt::run {

struct ExperimentPaths {
  std::string dir;
  std::string config_file;
  std::string store_file;
  std::string models_dir;
  std::string exports_dir;
  std::string logs_dir;
  std::string lock_file;
  std::string failure_file;  // .run.failure: why the last run stopped (run/failure_record.h)

  // `dir_or_file`: the experiment folder, or its experiment.json (any file name). A path that
  // does not exist yet is a folder unless it ends in ".json".
  static ExperimentPaths locate(const std::string& dir_or_file);

  std::string model_dir(int round) const;    // models/round-N
  std::string partial_dir(int round) const;  // models/round-N.partial
  // logs/server-round-N-PHASE.log: a launched server's output for that phase ("think", "eval").
  std::string server_log(int round, const std::string& phase) const;
  // logs/train-round-N.log: an external trainer's output for round N.
  std::string trainer_log(int round) const;
};

// Whether some process holds the experiment's run lock (a run is going on). A lock dies with
// its process, so a crashed run never leaves the folder locked.
bool run_in_progress(const ExperimentPaths& paths);

// Holds the run lock for its lifetime. Throws Error when another process holds it.
class RunLock {
 public:
  explicit RunLock(const ExperimentPaths& paths);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace tpt::run
