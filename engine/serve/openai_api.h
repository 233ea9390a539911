// The OpenAI-compatible request bodies `tpt serve` accepts, read into one typed request, and
// OpenAI's error body. Reading is strict in the way a client notices: a field of the wrong type
// or out of range, a missing prompt, or a feature the engine does not have (penalties, echo,
// best_of, logit_bias, ...) is an HTTP 400 naming the field, never silently ignored, because a
// sampler that quietly dropped a setting would hand back samples from a different distribution
// than the client asked for. Fields that change nothing (user, a zero penalty, stream_options)
// are accepted. Torch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "text/chat_template.h"

namespace tpt::serve {

// A request the server refuses, as OpenAI reports it: `status` (400 unless said otherwise),
// and the request field at fault in `param` (empty: none).
class ApiError : public std::runtime_error {
 public:
  ApiError(const std::string& message, std::string param, int status = 400,
           std::string type = "invalid_request_error")
      : std::runtime_error(message), param_(std::move(param)), status_(status), type_(std::move(type)) {}
  const std::string& param() const { return param_; }
  int status() const { return status_; }
  const std::string& type() const { return type_; }

 private:
  std::string param_;
  int status_;
  std::string type_;
};

// {"error": {"message", "type", "param", "code": null}}; `param` null when empty.
nlohmann::json error_body(const std::string& message, const std::string& type, const std::string& param);

enum class Endpoint { Completions, ChatCompletions };

// One prompt of a completions request: text (tokenized by the server) or token ids as given.
struct PromptInput {
  std::optional<std::string> text;
  std::vector<int32_t> ids;  // when text is absent
};

// What OpenAI and vLLM document as defaults, where the engine has a choice to make.
inline constexpr int kDefaultCompletionMaxTokens = 16;  // /v1/completions, as OpenAI and vLLM
inline constexpr int kMaxLogprobs = 20;                 // as vLLM's default max_logprobs
inline constexpr int kMaxChoices = 128;                 // n: a bound so one request cannot hog the batch

struct CompletionRequest {
  Endpoint endpoint = Endpoint::Completions;
  std::optional<std::string> model;         // must be the served name when given
  std::vector<PromptInput> prompts;         // completions: one choice group per prompt
  std::vector<text::ChatMessage> messages;  // chat
  // Completions: 16 when absent. Chat: up to the model's context when absent.
  std::optional<int> max_tokens;
  double temperature = 1.0;  // 0 = greedy
  double top_p = 1.0;
  int top_k = 0;             // 0 = off (the request's -1 reads as 0)
  int n = 1;                 // choices per prompt; choice i is drawn with seed + i
  std::optional<uint64_t> seed;  // absent: the server draws one at random
  std::vector<std::string> stop;
  // vLLM's extension: token ids that end generation besides the model's own end-of-turn tokens
  // (the round runner's client sends the model's stop ids, so every server ends a turn alike).
  std::vector<int32_t> stop_token_ids;
  // Log-probabilities of each generated token and of this many alternatives (completions:
  // `logprobs: N`; chat: `logprobs: true` with `top_logprobs: N`). Absent: none returned.
  std::optional<int> logprobs;
  // vLLM's extension: whether a text prompt gets the tokenizer's special tokens (BOS). True by
  // default for completions, false for chat (the template already holds BOS), as in vLLM.
  bool add_special_tokens = true;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage: a last chunk carries the usage
};

// Reads a parsed JSON body; throws ApiError naming the field at fault.
CompletionRequest parse_completion_request(const nlohmann::json& body, Endpoint endpoint);

// Parses a raw body; malformed JSON is an ApiError too (param empty).
nlohmann::json parse_body(const std::string& body);

}  // namespace tpt::serve
