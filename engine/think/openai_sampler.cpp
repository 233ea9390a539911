#include "think/openai_sampler.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <exception>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "io/http_client.h"
#include "io/json_parse.h"

namespace tpt::think {

using nlohmann::json;

namespace {

// A bounded quote of a server's answer for an error message.
std::string quote(const std::string& body) {
  constexpr size_t kLimit = 300;
  std::string shown = body.size() > kLimit ? body.substr(0, kLimit) + "..." : body;
  for (char& c : shown)
    if (c == '\n' || c == '\r') c = ' ';
  return "\"" + shown + "\"";
}

// The message of an OpenAI-style error body ({"error": {"message": ...}}), else the body.
std::string server_message(const std::string& body) {
  const json doc = io::parse_json_or_discarded(body);
  if (doc.is_object()) {
    const auto it = doc.find("error");
    if (it != doc.end()) {
      if (it->is_object() && it->contains("message") && (*it)["message"].is_string())
        return (*it)["message"].get<std::string>();
      if (it->is_string()) return it->get<std::string>();
    }
    if (doc.contains("message") && doc["message"].is_string()) return doc["message"].get<std::string>();
    if (doc.contains("detail") && doc["detail"].is_string()) return doc["detail"].get<std::string>();
  }
  return quote(body);
}

// What one HTTP answer means for the request.
struct Outcome {
  enum Kind { Done, Retry, Unreachable, Fatal } kind = Retry;
  Sample sample;
  std::string problem;       // for Retry/Unreachable/Fatal
  double retry_after_s = -1;
};

// Reads a completion from a 200 answer; false (with `problem`) when it is not one.
bool read_completion(const std::string& body, bool chat, Sample& out, std::string& problem) {
  const json doc = io::parse_json_or_discarded(body);
  if (doc.is_discarded() || !doc.is_object()) {
    problem = "the server's answer is not JSON: " + quote(body);
    return false;
  }
  const auto choices = doc.find("choices");
  if (choices == doc.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
    problem = "the server's answer has no choices[0]: " + quote(body);
    return false;
  }
  const json& choice = (*choices)[0];
  const json* text = nullptr;
  if (chat) {
    const auto message = choice.find("message");
    if (message != choice.end() && message->is_object()) {
      const auto content = message->find("content");
      if (content != message->end()) text = &*content;
    }
  } else if (const auto t = choice.find("text"); t != choice.end()) {
    text = &*t;
  }
  if (!text || !text->is_string()) {
    problem = std::string("the server's answer has no ") + (chat ? "choices[0].message.content" : "choices[0].text") +
              " string: " + quote(body);
    return false;
  }
  out.text = text->get<std::string>();
  const auto reason_it = choice.find("finish_reason");
  const std::string reason = reason_it != choice.end() && reason_it->is_string() ? reason_it->get<std::string>() : "";
  if (reason == "length") {
    out.finish_reason = FinishReason::Length;
  } else if (reason == "stop") {
    // vLLM and SGLang say which stop ended it: a stop string (its text) or a token (null or
    // its id). Plain OpenAI servers do not; the text then counts as ended by the model.
    const auto stop_reason = choice.find("stop_reason");
    out.finish_reason = stop_reason != choice.end() && stop_reason->is_string() ? FinishReason::StopString
                                                                                : FinishReason::Eos;
  } else {
    problem = "the server ended the completion with finish_reason " +
              (reason_it != choice.end() ? reason_it->dump() : std::string("(none)")) + ": " + quote(body);
    return false;
  }
  out.token_count = -1;
  if (const auto usage = doc.find("usage"); usage != doc.end() && usage->is_object()) {
    const auto tokens = usage->find("completion_tokens");
    if (tokens != usage->end() && tokens->is_number_integer()) out.token_count = tokens->get<int64_t>();
  }
  return true;
}

Outcome judge(const io::HttpResponse& response, bool chat) {
  Outcome outcome;
  outcome.retry_after_s = response.retry_after_s;
  if (!response.transport_error.empty()) {
    outcome.problem = response.transport_error;
    // A timeout means the server is there but slow; anything else (refused, reset, no route) may
    // mean it died.
    outcome.kind = response.timed_out ? Outcome::Retry : Outcome::Unreachable;
    return outcome;
  }
  if (response.status == 200) {
    outcome.kind = read_completion(response.body, chat, outcome.sample, outcome.problem) ? Outcome::Done : Outcome::Retry;
    return outcome;
  }
  outcome.problem = "HTTP " + std::to_string(response.status) + ": " + server_message(response.body);
  outcome.kind = response.status == 429 || response.status >= 500 ? Outcome::Retry : Outcome::Fatal;
  return outcome;
}

// The state the workers and the caller's thread share during one sample() call.
struct Shared {
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Sample> ready;
  std::string error;        // the first fatal problem
  int workers_running = 0;
  bool stopped = false;     // the control said stop (pause ended in cancel)
  std::atomic<bool> abort{false};
  std::atomic<size_t> next{0};
  size_t delivered = 0;  // requests before this one have been handed to the sink
};

}  // namespace

OpenAiSampler::OpenAiSampler(OpenAiEndpoint& endpoint, OpenAiSettings settings)
    : endpoint_(endpoint), settings_(std::move(settings)) {}

std::string OpenAiSampler::request_body(const SampleRequest& request, const SamplingSettings& settings) const {
  json body = {{"model", settings_.model_name},
               {"max_tokens", settings.max_new_tokens},
               {"temperature", settings.temperature},
               {"top_p", settings.top_p},
               {"seed", request.seed},
               {"n", 1}};
  // Engine 0 means no cut; vLLM and SGLang take -1 for that, and OpenAI has no top_k.
  if (settings.top_k > 0) body["top_k"] = settings.top_k;
  if (!settings.stop_strings.empty()) body["stop"] = settings.stop_strings;
  // The model's end-of-turn tokens: a server that reads only the tokenizer's EOS would run a
  // chat completion past its turn (vLLM and SGLang extension).
  if (!settings_.stop_token_ids.empty()) body["stop_token_ids"] = settings_.stop_token_ids;
  if (settings_.chat) {
    body["messages"] = json::array({{{"role", "user"}, {"content", request.prompt->user_text}}});
  } else {
    // Token ids, not text: the server reads exactly the engine's prompt, with no second BOS
    // added by its tokenizer and no re-tokenisation at the template's seams.
    body["prompt"] = request.prompt->ids;
  }
  return body.dump();
}

bool OpenAiSampler::sample(const std::vector<SampleRequest>& requests, const SamplingSettings& settings,
                           const SampleSink& sink, const SamplingProgressFn& progress, const WorkControl& control) {
  if (requests.empty()) return true;
  Shared shared;
  const std::string path = settings_.chat ? "/v1/chat/completions" : "/v1/completions";
  std::vector<std::string> headers;
  if (!settings_.api_key.empty()) headers.push_back("Authorization: Bearer " + settings_.api_key);

  const size_t window = std::max<size_t>(64, 4 * static_cast<size_t>(std::max(1, settings_.concurrency)));
  // Sleeps up to `seconds`, waking early when the sampling is aborted.
  const auto nap = [&](double seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!shared.abort && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  };
  const auto fail = [&](const std::string& message) {
    std::lock_guard<std::mutex> lock(shared.mutex);
    if (shared.error.empty()) shared.error = message;
    shared.abort = true;
    shared.changed.notify_all();  // workers waiting for the window wake up and leave
  };

  // One request until it is done, aborted, or fails for good.
  const auto draw = [&](io::HttpClient& client, const SampleRequest& request, size_t index) -> bool {
    const std::string body = request_body(request, settings);
    const std::string name = request.label.empty() ? "request " + std::to_string(index) : request.label;
    double backoff = settings_.backoff_initial_s;
    for (int attempt = 0;;) {
      if (shared.abort) return false;
      const std::string url = endpoint_.base_url() + path;
      const io::HttpResponse response = client.post_json(url, body, settings_.request_timeout_s, &shared.abort);
      if (shared.abort) return false;
      Outcome outcome = judge(response, settings_.chat);
      if (outcome.kind == Outcome::Done) {
        Sample& s = outcome.sample;
        s.request = index;
        if (s.token_count < 0) s.token_count = settings_.count_tokens ? settings_.count_tokens(s.text) : 0;
        std::lock_guard<std::mutex> lock(shared.mutex);
        shared.ready.push_back(std::move(s));
        shared.changed.notify_all();
        return true;
      }
      const std::string where = name + " (seed " + std::to_string(request.seed) + ") to " + url;
      if (outcome.kind == Outcome::Fatal) {
        fail(where + ": " + outcome.problem);
        return false;
      }
      if (outcome.kind == Outcome::Unreachable) {
        bool recovered = false;
        try {
          recovered = endpoint_.recover(outcome.problem);
        } catch (const std::exception& e) {
          fail(where + ": " + outcome.problem + "; " + e.what());
          return false;
        }
        if (recovered) continue;  // a fresh server: the request has not failed yet
      }
      if (attempt >= settings_.retries) {
        fail(where + ": " + outcome.problem + " (gave up after " + std::to_string(settings_.retries) + " retries)" +
             (outcome.kind == Outcome::Unreachable
                  ? "; the server stopped answering. The samples that arrived are kept: once it is back, running "
                    "again sends only the missing requests"
                  : ""));
        return false;
      }
      ++attempt;
      nap(outcome.retry_after_s >= 0 ? std::min(outcome.retry_after_s, settings_.backoff_max_s) : backoff);
      backoff = std::min(backoff * 2.0, settings_.backoff_max_s);
    }
  };

  const auto worker = [&] {
    try {
      io::HttpClient client;
      client.set_headers(headers);
      while (!shared.abort) {
        // Waits while the run is paused; requests already in flight finish and are kept.
        if (!control.go_on()) {
          std::lock_guard<std::mutex> lock(shared.mutex);
          shared.stopped = true;
          shared.abort = true;
          break;
        }
        const size_t index = shared.next++;
        if (index >= requests.size()) break;
        {
          // Answers are handed over in request order: a request far ahead of the oldest one
          // still out waits, so what is held back stays bounded.
          std::unique_lock<std::mutex> lock(shared.mutex);
          shared.changed.wait(lock, [&] { return shared.abort || index < shared.delivered + window; });
          if (shared.abort) break;
        }
        if (!draw(client, requests[index], index)) break;
      }
    } catch (const std::exception& e) {
      fail(e.what());
    }
    std::lock_guard<std::mutex> lock(shared.mutex);
    --shared.workers_running;
    shared.changed.notify_all();
  };

  const int count = static_cast<int>(std::min<size_t>(requests.size(), static_cast<size_t>(std::max(1, settings_.concurrency))));
  std::vector<std::thread> threads;
  shared.workers_running = count;
  for (int i = 0; i < count; ++i) threads.emplace_back(worker);

  // The caller's thread journals: the sink writes to the store, which belongs to this thread.
  SamplingProgress total;
  std::exception_ptr sink_error;
  // Answers that arrived ahead of an older request still out: handed over once it is in, so
  // the journal stores samples in request order whatever order the server answered in (the
  // journal's order is the order Prune and Train read them in).
  std::map<size_t, Sample> early;
  try {
    for (;;) {
      std::vector<Sample> batch;
      bool done = false;
      {
        std::unique_lock<std::mutex> lock(shared.mutex);
        shared.changed.wait_for(lock, std::chrono::milliseconds(200),
                                [&] { return !shared.ready.empty() || shared.workers_running == 0; });
        for (auto& s : shared.ready) early.emplace(s.request, std::move(s));
        shared.ready.clear();
        size_t next = shared.delivered;
        for (auto it = early.find(next); it != early.end(); it = early.find(++next)) {
          batch.push_back(std::move(it->second));
          early.erase(it);
        }
        shared.delivered = next;
        done = shared.workers_running == 0;
      }
      if (!batch.empty()) shared.changed.notify_all();
      if (control.cancelled()) shared.abort = true;
      if (shared.abort) shared.changed.notify_all();
      endpoint_.poll();
      if (!batch.empty()) {
        sink(batch);
        total.samples_done += static_cast<int64_t>(batch.size());
        for (const auto& s : batch) total.tokens += s.token_count;
        if (progress) progress(total);
      }
      if (done) break;
    }
  } catch (...) {
    sink_error = std::current_exception();
    shared.abort = true;
  }
  // A worker may be waiting for the endpoint to restart the server, which happens in poll():
  // keep polling until every worker has seen the abort.
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(shared.mutex);
      if (shared.workers_running == 0) break;
      shared.changed.notify_all();  // a worker waiting for the window sees the abort
    }
    try {
      endpoint_.poll();
    } catch (...) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& t : threads) t.join();
  if (sink_error) std::rethrow_exception(sink_error);
  if (!shared.error.empty()) throw Error(shared.error);
  return !shared.stopped && !control.cancelled() && total.samples_done == static_cast<int64_t>(requests.size());
}

}  // namespace tpt::think
