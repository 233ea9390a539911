// How long-running work below the runner (a sampler, a trainer) is paused or stopped from
// outside without knowing who asks: the runner's RunControl, the CLI's Ctrl-C, or nothing.
//
// Work calls go_on() between its units (a chunk of samples, an optimizer step): it waits while
// the run is paused and returns false when the work should stop. Inner loops that cannot wait
// (a batch being decoded) poll `cancel` instead. Torch-free.
#pragma once

#include <atomic>
#include <functional>

namespace tpt {

struct WorkControl {
  std::function<bool()> wait_or_stop;     // unset: never paused, never stopped
  const std::atomic<bool>* cancel = nullptr;  // unset: never cancelled
  // Whether the run is paused right now, for work that cannot wait in go_on() itself (an
  // external trainer is held with SIGSTOP instead). Unset: never paused.
  std::function<bool()> paused;

  // Waits while paused; false when the work should stop.
  bool go_on() const { return wait_or_stop ? wait_or_stop() : true; }
  bool cancelled() const { return cancel && cancel->load(); }
};

}  // namespace tpt
