#include "serve/batcher.h"

#include <exception>

namespace tpt::serve {

namespace {

// Requests batch together only when the generator would treat them alike; the token limit is
// per request (GenerationRequest::max_new_tokens), so it may differ.
bool same_settings(const think::GenerationOptions& a, const think::GenerationOptions& b) {
  return a.sampling.temperature == b.sampling.temperature && a.sampling.top_p == b.sampling.top_p &&
         a.sampling.top_k == b.sampling.top_k && a.stop_strings == b.stop_strings && a.stop_ids == b.stop_ids &&
         a.top_logprobs == b.top_logprobs;
}

}  // namespace

Batcher::Batcher(think::Generator& generator, int batch_size, std::chrono::microseconds window)
    : generator_(generator), batch_size_(batch_size < 1 ? 1 : batch_size), window_(window) {
  thread_ = std::thread([this] { loop(); });
}

Batcher::~Batcher() { stop(); }

void Batcher::submit(const think::GenerationOptions& options, std::vector<SequenceJob> jobs) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_) {
      for (SequenceJob& job : jobs) queue_.push_back({options, std::move(job)});
      arrived_.notify_all();
      return;
    }
  }
  for (SequenceJob& job : jobs)
    if (job.on_abort) job.on_abort("the server is stopping");
}

void Batcher::stop() {
  std::deque<Pending> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    cancel_ = true;
    dropped.swap(queue_);
    arrived_.notify_all();
  }
  for (Pending& p : dropped)
    if (p.job.on_abort) p.job.on_abort("the server is stopping");
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

BatcherStats Batcher::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void Batcher::loop() {
  for (;;) {
    think::GenerationOptions options;
    std::vector<SequenceJob> jobs;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      arrived_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      // The window starts when the generator is free (now), not when the oldest request came:
      // clients answered at the end of the last batch are still sending their next request,
      // and a batch started without them would leave them waiting a whole batch.
      const auto deadline = std::chrono::steady_clock::now() + window_;
      arrived_.wait_until(lock, deadline,
                          [&] { return stopping_ || queue_.size() >= static_cast<size_t>(batch_size_); });
      if (stopping_) return;
      // The oldest request's settings choose the group; others wait for a batch of their own.
      options = queue_.front().options;
      for (auto it = queue_.begin(); it != queue_.end() && jobs.size() < static_cast<size_t>(batch_size_);) {
        if (same_settings(it->options, options)) {
          options.max_new_tokens = std::max(options.max_new_tokens, it->options.max_new_tokens);
          jobs.push_back(std::move(it->job));
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
      ++stats_.batches;
      stats_.sequences += static_cast<int64_t>(jobs.size());
    }
    const auto start = std::chrono::steady_clock::now();
    run_batch(options, jobs);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.busy_seconds += seconds;
  }
}

void Batcher::run_batch(const think::GenerationOptions& options_in, std::vector<SequenceJob>& jobs) {
  think::GenerationOptions options = options_in;
  options.batch_size = batch_size_;
  std::vector<think::GenerationRequest> requests;
  requests.reserve(jobs.size());
  for (const SequenceJob& job : jobs) requests.push_back(job.request);
  std::vector<bool> finished(jobs.size(), false);
  std::string failure;
  try {
    generator_.generate(requests, options, {}, &cancel_, [&](const think::SequenceStep& step) {
      if (step.finished) finished[step.request] = true;
      if (jobs[step.request].on_step) jobs[step.request].on_step(step);
    });
  } catch (const std::exception& e) {
    failure = std::string("generation failed: ") + e.what();
  }
  // Whatever did not reach its last step (a cancel, an error) is aborted, so no client waits
  // for ever.
  for (size_t i = 0; i < jobs.size(); ++i)
    if (!finished[i] && jobs[i].on_abort) jobs[i].on_abort(failure.empty() ? "the server is stopping" : failure);
}

}  // namespace tpt::serve
