// A phase's progress as the observer sees it, with a rate and an ETA measured over this
// session's work only: work resumed from the journal counts as done but not as speed.
// Torch-free.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include "run/observer.h"

namespace tpt::run {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class Meter {
 public:
  Meter(Observer* observer, int round, Phase phase, std::string unit, int64_t done, int64_t total)
      : observer_(observer), start_done_(done) {
    p_.round = round;
    p_.phase = phase;
    p_.unit = std::move(unit);
    p_.done = done;
    p_.total = total;
  }
  void update(int64_t done, int64_t tokens, std::optional<double> loss = std::nullopt) {
    p_.done = done;
    tokens_ = tokens;
    p_.loss = loss;
    p_.elapsed_seconds = seconds_since(start_);
    const int64_t new_work = done - start_done_;
    p_.tokens_per_second = p_.elapsed_seconds > 0 ? tokens_ / p_.elapsed_seconds : 0.0;
    p_.eta_seconds = new_work > 0 && p_.total > 0
                         ? p_.elapsed_seconds / new_work * static_cast<double>(std::max<int64_t>(0, p_.total - done))
                         : -1.0;
    if (observer_) observer_->on_progress(p_);
  }
  void report() { update(p_.done, tokens_, p_.loss); }
  double elapsed() const { return seconds_since(start_); }
  int64_t tokens() const { return tokens_; }
  // Tokens per second over this session's work (0 before any).
  double rate() const {
    const double s = elapsed();
    return s > 0 ? tokens_ / s : 0.0;
  }

 private:
  Observer* observer_;
  Progress p_;
  int64_t start_done_;
  int64_t tokens_ = 0;
  Clock::time_point start_ = Clock::now();
};

}  // namespace tpt::run
