// The server's one generation thread: sequences from concurrent requests are queued, and each
// time the generator is free it takes what has arrived (waiting a short window for more, up to
// the batch size), groups it by identical sampling settings, and runs one Generator::generate
// over the group. The model is not thread-safe, so nothing else ever touches it.
//
// This is windowed batching, not continuous: sequences join a batch only when it starts. Each
// sequence is handed back through its own step callback the moment it finishes, so a client
// whose answer came early sends its next request while the batch is still running, and the
// next batch finds the queue full again. Which batch a sequence lands in never changes it: the
// generator draws every token from (seed, step) alone.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
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
  int64_t batches = 0;
  int64_t sequences = 0;
  double busy_seconds = 0.0;  // inside Generator::generate
};

class Batcher {
 public:
  // `generator` must outlive the batcher. `batch_size`: the most sequences one generate() call
  // takes; `window`: how long a free generator waits for a batch to fill.
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
  void run_batch(const think::GenerationOptions& options, std::vector<SequenceJob>& jobs);

  think::Generator& generator_;
  const int batch_size_;
  const std::chrono::microseconds window_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::atomic<bool> cancel_{false};
  BatcherStats stats_;
  std::thread thread_;
};

}  // namespace tpt::serve
