#include "run/control.h"

namespace tpt::run {

void RunControl::cancel() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancel_ = true;
  }
  changed_.notify_all();
}

void RunControl::pause() {
  std::lock_guard<std::mutex> lock(mutex_);
  paused_ = true;
}

void RunControl::resume() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    paused_ = false;
  }
  changed_.notify_all();
}

bool RunControl::checkpoint() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (paused_ && !cancel_) {
    held_ = true;
    changed_.notify_all();  // wait_until_held
    changed_.wait(lock, [&] { return !paused_ || cancel_; });
    held_ = false;
  }
  return !cancel_;
}

bool RunControl::wait_until_held(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return held_ || cancel_; }) && held_;
}

}  // namespace tpt::run
