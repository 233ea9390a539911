// Cooperative cancel and pause for a running experiment. The runner checks between batches
// (Think, Improve), between optimizer steps (Train) and between phases; it never stops in
// the middle of a database write, so a cancelled run resumes as if it had crashed at a
// checkpoint — with nothing to redo but the batch in flight.
//
// Any thread may call cancel/pause/resume (the GUI thread does); the engine thread calls
// checkpoint(). Torch-free.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace tpt::run {

class RunControl {
 public:
  void cancel();
  void pause();
  void resume();

  bool cancel_requested() const { return cancel_.load(); }
  bool paused() const { return paused_.load(); }
  // For code below the runner that takes a plain flag (Generator, SftTrainer).
  const std::atomic<bool>* cancel_flag() const { return &cancel_; }

  // Waits while paused. Returns false when the run should stop (cancelled, before or while
  // waiting), true to go on.
  bool checkpoint();

  // Whether the run is held now: pause() was asked for and the engine thread has reached a
  // checkpoint and waits there (a pause asked for mid-batch holds only once the batch is
  // stored). Nothing is written while it holds.
  bool held() const { return held_.load(); }
  // Waits until the run is held (true; pause() may be asked for after the wait begins), or
  // until `timeout` passes or the run is cancelled (false).
  bool wait_until_held(std::chrono::milliseconds timeout);

 private:
  std::atomic<bool> cancel_{false};
  std::atomic<bool> paused_{false};
  std::atomic<bool> held_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
};

}  // namespace tpt::run
