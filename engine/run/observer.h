// What a running experiment tells the outside world: plain structs through a callback
// interface. The CLI prints them; the GUI's bridge turns them into queued Qt signals. Every
// callback comes from the engine thread; implementations must not call back into the runner.
// Torch-free.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tpt::run {

enum class Phase { Think, Prune, Train, Eval };

// "think", "prune", "train", "eval": also the round states stored while a phase runs.
const char* to_string(Phase phase);

struct Progress {
  int round = 0;
  Phase phase = Phase::Think;
  int64_t done = 0;   // work finished, resumed work included
  int64_t total = 0;  // 0 while unknown
  std::string unit;   // "samples", "steps", "answers"
  double elapsed_seconds = 0.0;    // this phase, this session
  double tokens_per_second = 0.0;  // generated (Think, Improve) or trained (Train) tokens
  double eta_seconds = -1.0;       // < 0: not known yet
  std::optional<double> loss;      // Train: the last step's loss
};

struct LogLine {
  std::string level = "info";  // "info", "warning", "error"
  int round = -1;              // -1: not about one round
  std::string phase;           // "run", "think", ...
  std::string message;
};

// The model server a phase samples from (sampler.backend "openai"): its state, and the lines it
// has printed since the last report (a launched server's log; an attached one prints nothing
// here).
struct ServerStatus {
  int round = 0;
  Phase phase = Phase::Think;
  std::string state;    // "starting", "ready", "restarting", "failed", "stopped"
  std::string url;      // where requests go
  std::string command;  // the launch command; empty when attached
  std::string version;  // what the server says it is (from /version), when it says
  std::vector<std::string> log_lines;
  bool state_changed = true;  // false: the same state, only new log lines
};

// An external trainer Train runs as a child process (trainer.backend "command"): its state, and
// the lines it has printed since the last report (they are also in `log_file`).
struct TrainerStatus {
  int round = 0;
  std::string state;     // "starting", "running", "paused", "finished", "failed", "stopped"
  std::string command;   // the command line, placeholders filled in
  std::string log_file;  // logs/train-round-N.log in the experiment folder
  long pid = 0;          // the trainer's process, which leads its process group; 0 when none runs
  std::vector<std::string> log_lines;
  bool state_changed = true;  // false: the same state, only new log lines
};

class Observer {
 public:
  virtual ~Observer() = default;
  // A phase is about to start. A RunControl::cancel or pause from here takes effect before it
  // does any work.
  virtual void on_phase(int /*round*/, Phase /*phase*/) {}
  virtual void on_progress(const Progress& /*progress*/) {}
  virtual void on_log(const LogLine& /*line*/) {}
  virtual void on_server(const ServerStatus& /*status*/) {}
  virtual void on_trainer(const TrainerStatus& /*status*/) {}
  // A round is finished (its model scored); `metrics` is everything stored for it.
  virtual void on_round_done(int /*round*/, const std::map<std::string, double>& /*metrics*/) {}
};

}  // namespace tpt::run
