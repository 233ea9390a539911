// Prints a run's progress: a redrawn bar with ETA on a terminal, plain lines (one per phase
// and a few per long phase) when stderr is a file or a pipe, so logs stay readable.
#pragma once

#include <chrono>
#include <string>

#include "run/observer.h"

namespace tpt::cli {

class ProgressPrinter : public run::Observer {
 public:
  ProgressPrinter();
  ~ProgressPrinter() override;

  void on_phase(int round, run::Phase phase) override;
  void on_progress(const run::Progress& progress) override;
  void on_log(const run::LogLine& line) override;
  // State changes of a sampling server; its own output stays in its log file.
  void on_server(const run::ServerStatus& status) override;
  void on_trainer(const run::TrainerStatus& status) override;
  void on_round_done(int round, const std::map<std::string, double>& metrics) override;

 private:
  void end_bar();
  bool tty_;
  bool bar_open_ = false;
  std::chrono::steady_clock::time_point last_line_{};
  std::chrono::steady_clock::time_point last_draw_{};
};

// "1m05s", "2h03m", "42s"
std::string format_duration(double seconds);

}  // namespace tpt::cli
