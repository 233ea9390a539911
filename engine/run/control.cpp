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
  changed_.wait(lock, [&] { return !paused_ || cancel_; });
  return !cancel_;
}

}  // namespace tpt::run
