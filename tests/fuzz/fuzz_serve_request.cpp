// Request bodies of `tpt serve` (serve/openai_api.h; the request reader is torch-free and built
// here on its own), for both endpoints. The reader's contract: a request it cannot serve is an
// ApiError naming the field, never another exception (which the server would answer with a 500).
// An accepted request is within the documented bounds.
#include <cmath>

#include "fuzz_support.h"
#include "serve/openai_api.h"

using namespace tpt;

namespace {

void check(const serve::CompletionRequest& r, serve::Endpoint endpoint) {
  const bool chat = endpoint == serve::Endpoint::ChatCompletions;
  FUZZ_EXPECT(chat ? !r.messages.empty() && r.prompts.empty() : !r.prompts.empty() && r.messages.empty(),
              "an accepted request without a prompt");
  for (const auto& p : r.prompts) FUZZ_EXPECT(p.text || !p.ids.empty(), "an empty token-id prompt accepted");
  for (const auto& m : r.messages)
    FUZZ_EXPECT(m.role == "system" || m.role == "user" || m.role == "assistant", "role " + fuzz::show(m.role));
  FUZZ_EXPECT(chat || r.max_tokens, "completions without max_tokens");
  if (r.max_tokens) FUZZ_EXPECT(*r.max_tokens >= 1, "max_tokens below 1");
  FUZZ_EXPECT(std::isfinite(r.temperature) && r.temperature >= 0, "temperature out of range");
  FUZZ_EXPECT(r.top_p > 0 && r.top_p <= 1, "top_p out of range");
  FUZZ_EXPECT(r.top_k >= 0, "negative top_k");
  FUZZ_EXPECT(r.n >= 1 && r.n <= serve::kMaxChoices, "n out of range");
  if (r.logprobs) FUZZ_EXPECT(*r.logprobs >= 0 && *r.logprobs <= serve::kMaxLogprobs, "logprobs out of range");
  for (const auto& s : r.stop) FUZZ_EXPECT(!s.empty(), "an empty stop string accepted");
  for (int32_t id : r.stop_token_ids) FUZZ_EXPECT(id >= 0, "a negative stop token id");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(fuzz::as_text(data, size));
  nlohmann::json doc;
  try {
    doc = serve::parse_body(body);
  } catch (const serve::ApiError& e) {
    FUZZ_EXPECT(e.status() == 400 && e.param().empty(), "a malformed body is a 400 without a field");
    return 0;
  }
  FUZZ_EXPECT(doc.is_object(), "parse_body accepted a non-object");
  for (const auto endpoint : {serve::Endpoint::Completions, serve::Endpoint::ChatCompletions}) {
    try {
      check(serve::parse_completion_request(doc, endpoint), endpoint);
    } catch (const serve::ApiError& e) {
      FUZZ_EXPECT(e.status() == 400, "a refused request that is not a 400");
    }
  }
  return 0;
}
