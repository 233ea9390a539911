// The server's one generation thread, with continuous batching: sequences from concurrent
// requests are queued; the oldest one's sampling settings choose a group, and
// Generator::generate_continuous runs it, taking queued sequences with the same settings into
// the running batch as rows free up (a few at a time: each join prefills and copies the cache),
// up to the batch size. Each sequence is handed back through its own step callback the moment
// it finishes, so its client can send the next request while the batch runs on. When the
// oldest waiting request has other settings the group stops taking newcomers and drains, and
// that request's group runs next. The model is not thread-safe, so nothing else touches it.
//
// Which rows a sequence shares the batch with never changes it: the generator draws every
// token from (seed, step) alone and masks padding.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "think/generator.h"

namespace tpt::serve {

struct SequenceJob {
  think::GenerationRequest request;
  // Every drawn token, on the generation thread (keep it short); the last step carries the
  // finished result.
  think::SequenceStepFn on_step;
  // Called instead of a last step when the sequence will not finish: the server is stopping
  // or generation failed (`why` says which).
  std::function<void(const std::string& why)> on_abort;
};

struct BatcherStats {
  int64_t batches = 0;  // admissions: prefills of sequences joining (or starting) a batch
  int64_t sequences = 0;
  double busy_seconds = 0.0;  // inside Generator::generate
};

class Batcher {
 public:
  // `generator` must outlive the batcher. `batch_size`: the most sequences running together;
  // `window`: how long an idle generator waits for a batch to fill before starting.
  Batcher(think::Generator& generator, int batch_size, std::chrono::microseconds window);
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues `jobs`, which share `options` (its batch_size is ignored). Returns at once.
  void submit(const think::GenerationOptions& options, std::vector<SequenceJob> jobs);
  // Cancels the running batch and aborts everything queued; later submissions are aborted at
  // once. Joins the generation thread. Idempotent.
  void stop();
  BatcherStats stats() const;

 private:
  struct Pending {
    think::GenerationOptions options;
    SequenceJob job;
  };
  void loop();
  // Runs one settings group continuously until its batch drains.
  void run_group(const think::GenerationOptions& options);
  // The generator's AdmitFn for the running group.
  std::vector<think::AdmittedRequest> admit(const think::GenerationOptions& options, size_t free_rows, bool idle,
                                            bool& first);

  think::Generator& generator_;
  const int batch_size_;
  const std::chrono::microseconds window_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::atomic<bool> cancel_{false};
  BatcherStats stats_;
  size_t next_id_ = 0;
  std::map<size_t, SequenceJob> running_;  // admitted and not finished; the generation thread's alone
  std::thread thread_;
};

}  // namespace tpt::serve
