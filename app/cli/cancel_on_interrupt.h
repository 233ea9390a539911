// Ctrl-C for the long-running commands (run, demo, base-model): the first one asks the engine
// to stop after the current batch or step (a resumable stop), a second one kills at once.
#pragma once

#include <atomic>
#include <thread>

#include "run/control.h"

namespace tpt::cli {

// Turns Ctrl-C into RunControl::cancel for as long as it lives.
class CancelOnInterrupt {
 public:
  explicit CancelOnInterrupt(run::RunControl& control);
  ~CancelOnInterrupt();
  CancelOnInterrupt(const CancelOnInterrupt&) = delete;
  CancelOnInterrupt& operator=(const CancelOnInterrupt&) = delete;

 private:
  std::atomic<bool> finished_{false};
  std::thread watcher_;
};

}  // namespace tpt::cli
