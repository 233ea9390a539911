// A sampler that sends each sample to an OpenAI-compatible HTTP server (vLLM, SGLang,
// `tpt serve`): one request per sample (n = 1) carrying the sample's own seed, `concurrency`
// requests in flight, each sample handed over as soon as it and every request before it have
// been answered. The journal thus stores samples in request order, as the engine sampler does,
// whatever order the answers came in: Prune and Train read them in that order, so the round's
// results do not depend on which answer the server sent first.
//
// A request that meets a connection error, a timeout, a malformed answer, HTTP 429 or 5xx is
// retried with exponential backoff (a Retry-After header is honoured); when the server cannot
// be reached at all the endpoint is asked to recover (a launched server is started again) first.
// Any other HTTP error, or a request out of retries, stops the sampling with an Error that names
// the request and what the server said; what was handed over stays handed over, so a resumed run
// sends only the rest. Torch-free.
#pragma once

#include <functional>
#include <string>

#include "think/sampler.h"

namespace tpt::think {

// The server a sampler talks to, and what can be done when it stops answering.
class OpenAiEndpoint {
 public:
  virtual ~OpenAiEndpoint() = default;
  // "http://127.0.0.1:8000" (no trailing slash); may change after recover().
  virtual std::string base_url() const = 0;
  // Requests cannot reach the server (`problem` says how). True when the server was brought
  // back (or another thread just did so) and requests should go on without spending their
  // retries; false when nothing can be done here (an attached server, or a launched one that is
  // still running). Throws Error when the server cannot be brought back (it was restarted too
  // often, or failed to start). May be called from several threads at once.
  virtual bool recover(const std::string& problem) = 0;
  // Called on the sampling caller's thread a few times a second while requests are out: the
  // place to report the server's state and log lines to whoever watches the run.
  virtual void poll() {}
};

struct OpenAiSettings {
  bool chat = false;           // /v1/chat/completions with the user turn; else /v1/completions with token ids
  std::string model_name;      // the requests' "model"
  int concurrency = 16;
  double request_timeout_s = 600.0;
  int retries = 5;
  double backoff_initial_s = 0.5;  // doubles per retry of one request...
  double backoff_max_s = 30.0;     // ...up to this
  std::string api_key;             // sent as "Authorization: Bearer ..."; never logged
  std::vector<int32_t> stop_token_ids;  // the model's end-of-turn tokens, sent with every request
  // Counts a completion's tokens when the server's answer has no usage block.
  std::function<int64_t(const std::string& text)> count_tokens;
};

class OpenAiSampler final : public Sampler {
 public:
  // `endpoint` must outlive the sampler.
  OpenAiSampler(OpenAiEndpoint& endpoint, OpenAiSettings settings);

  bool sample(const std::vector<SampleRequest>& requests, const SamplingSettings& settings, const SampleSink& sink,
              const SamplingProgressFn& progress, const WorkControl& control) override;

  // The JSON body of one request (exposed for tests and for `tpt status`-style diagnostics).
  std::string request_body(const SampleRequest& request, const SamplingSettings& settings) const;

 private:
  OpenAiEndpoint& endpoint_;
  OpenAiSettings settings_;
};

}  // namespace tpt::think
