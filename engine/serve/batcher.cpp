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
    {
      std::unique_lock<std::mutex> lock(mutex_);
      arrived_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      // The first rows wait a short window for company: a batch started with one request would
      // prefill the others one by one as they trickle in.
      arrived_.wait_for(lock, window_,
                        [&] { return stopping_ || queue_.size() >= static_cast<size_t>(batch_size_); });
      if (stopping_) return;
      // The oldest request's settings choose the group that runs now.
      options = queue_.front().options;
    }
    const auto start = std::chrono::steady_clock::now();
    run_group(options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.busy_seconds += seconds;
  }
}

std::vector<think::AdmittedRequest> Batcher::admit(const think::GenerationOptions& options, size_t free_rows, bool idle,
                                                   bool& first) {
  std::vector<think::AdmittedRequest> fresh;
  std::lock_guard<std::mutex> lock(mutex_);
  // Once the group's batch has drained, the loop chooses the next group (and waits its window).
  if (idle && !first) return fresh;
  // Fairness: when the oldest waiting request has other settings, this group takes no more and
  // drains, so that one gets its turn.
  if (stopping_ || queue_.empty() || !same_settings(queue_.front().options, options)) return fresh;
  // Each join prefills and copies the batch's cache once, so a running batch takes newcomers a
  // few at a time rather than one per step (a batch that just started takes everyone).
  size_t matching = 0;
  for (const Pending& p : queue_) matching += same_settings(p.options, options);
  const size_t worth_it = std::max<size_t>(1, static_cast<size_t>(batch_size_) / 4);
  if (!first && matching < std::min(free_rows, worth_it)) return fresh;
  first = false;
  for (auto it = queue_.begin(); it != queue_.end() && fresh.size() < free_rows;) {
    if (same_settings(it->options, options)) {
      const size_t id = next_id_++;
      fresh.push_back({id, it->job.request});
      running_.emplace(id, std::move(it->job));
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  ++stats_.batches;
  stats_.sequences += static_cast<int64_t>(fresh.size());
  return fresh;
}

void Batcher::run_group(const think::GenerationOptions& options_in) {
  think::GenerationOptions options = options_in;
  options.batch_size = batch_size_;
  // The longest limit of any request: each brings its own (GenerationRequest::max_new_tokens).
  bool first = true;
  std::string failure;
  try {
    generator_.generate_continuous(
        options, [&](size_t free_rows, bool idle) { return admit(options, free_rows, idle, first); },
        [&](const think::SequenceStep& step) {
          // Only this thread touches running_.
          auto it = running_.find(step.request);
          if (it == running_.end()) return;
          if (it->second.on_step) it->second.on_step(step);
          if (step.finished) running_.erase(it);
        },
        &cancel_);
  } catch (const std::exception& e) {
    failure = std::string("generation failed: ") + e.what();
  }
  // Whatever did not reach its last step (a cancel, an error) is aborted, so no client waits
  // for ever.
  for (auto& [id, job] : running_)
    if (job.on_abort) job.on_abort(failure.empty() ? "the server is stopping" : failure);
  running_.clear();
}

}  // namespace tpt::serve
