#include "cli/cancel_on_interrupt.h"

#include <chrono>
#include <csignal>
#include <cstdio>

namespace tpt::cli {

namespace {

volatile std::sig_atomic_t interrupted = 0;

extern "C" void on_interrupt(int) {
  interrupted = 1;
  // A second Ctrl-C kills at once: the run is journaled and a base-model build is staged, so
  // nothing half-done is left where it would be used.
  std::signal(SIGINT, SIG_DFL);
}

}  // namespace

CancelOnInterrupt::CancelOnInterrupt(run::RunControl& control) {
  std::signal(SIGINT, on_interrupt);
  // The handler only sets a flag; a thread turns it into cancel(), which is not signal-safe.
  watcher_ = std::thread([this, &control] {
    while (!finished_) {
      if (interrupted) {
        std::fprintf(stderr, "\ninterrupted: stopping after the current batch or step (Ctrl-C again to kill)\n");
        control.cancel();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
}

CancelOnInterrupt::~CancelOnInterrupt() {
  finished_ = true;
  watcher_.join();
}

}  // namespace tpt::cli
