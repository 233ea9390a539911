#include "serve/openai_api.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>

#include "io/json_fields.h"
#include "io/json_parse.h"

namespace tpt::serve {

using nlohmann::json;

namespace {

// JSON's name for a value's type, for "must be a string, got a number".
std::string kind(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

[[noreturn]] void wrong_type(const std::string& field, const char* expected, const json& v) {
  throw ApiError("'" + field + "' must be " + expected + ", got " + kind(v), field);
}

// A present, non-null field (OpenAI clients may send null for "not given").
const json* field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string show(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", x);
  return buffer;
}

double number_in(const json& body, const char* name, double fallback, double low, double high, bool low_open = false) {
  const json* v = field(body, name);
  if (!v) return fallback;
  if (!v->is_number()) wrong_type(name, "a number", *v);
  const double x = v->get<double>();
  if (!std::isfinite(x) || x < low || x > high || (low_open && x == low)) {
    throw ApiError("'" + std::string(name) + "' must be in " + (low_open ? "(" : "[") + show(low) + ", " + show(high) +
                       "], got " + v->dump(),
                   name);
  }
  return x;
}

std::optional<int64_t> integer_in(const json& body, const char* name, int64_t low, int64_t high) {
  const json* v = field(body, name);
  if (!v) return std::nullopt;
  if (!(v->is_number_integer() || v->is_number_unsigned())) wrong_type(name, "an integer", *v);
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(high))
    throw ApiError("'" + std::string(name) + "' must be at most " + std::to_string(high) + ", got " + v->dump(), name);
  const int64_t x = v->get<int64_t>();
  if (x < low || x > high)
    throw ApiError("'" + std::string(name) + "' must be in [" + std::to_string(low) + ", " + std::to_string(high) +
                       "], got " + v->dump(),
                   name);
  return x;
}

std::optional<bool> boolean(const json& body, const char* name) {
  const json* v = field(body, name);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) wrong_type(name, "a boolean", *v);
  return v->get<bool>();
}

// A field the engine has no use for: accepted only at the value that changes nothing.
void only_neutral(const json& body, const char* name, const std::function<bool(const json&)>& neutral,
                  const std::string& why) {
  const json* v = field(body, name);
  if (v && !neutral(*v)) throw ApiError("'" + std::string(name) + "' is not supported by tpt serve: " + why, name);
}

bool is_zero(const json& v) { return v.is_number() && v.get<double>() == 0.0; }
bool is_one(const json& v) { return v.is_number() && v.get<double>() == 1.0; }
bool is_false(const json& v) { return v.is_boolean() && !v.get<bool>(); }
bool is_true(const json& v) { return v.is_boolean() && v.get<bool>(); }
bool is_empty(const json& v) { return (v.is_array() || v.is_object()) && v.empty(); }

// An object's string field, or "" when it is absent or not a string: nlohmann's value() throws a
// type_error for {"type": 5}, which would reach the client as a 500 instead of a 400.
std::string string_or_empty(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<int32_t> token_ids(const json& list, const std::string& field_name) {
  std::vector<int32_t> ids;
  ids.reserve(list.size());
  for (const json& id : list) {
    if (!(id.is_number_integer() || id.is_number_unsigned()) || id.get<int64_t>() < 0 ||
        id.get<int64_t>() > std::numeric_limits<int32_t>::max())
      throw ApiError("'" + field_name + "' token ids must be non-negative integers, got " + io::describe_json(id), field_name);
    ids.push_back(static_cast<int32_t>(id.get<int64_t>()));
  }
  return ids;
}

// prompt: a string, a list of strings, a list of token ids, or a list of token-id lists.
std::vector<PromptInput> read_prompts(const json& body) {
  const json* v = field(body, "prompt");
  if (!v) throw ApiError("'prompt' is required", "prompt");
  std::vector<PromptInput> prompts;
  if (v->is_string()) {
    prompts.push_back({v->get<std::string>(), {}});
    return prompts;
  }
  if (!v->is_array()) wrong_type("prompt", "a string, a list of strings, or a list of token ids", *v);
  if (v->empty()) throw ApiError("'prompt' must not be an empty list", "prompt");
  const json& first = v->front();
  if (first.is_number()) {
    prompts.push_back({std::nullopt, token_ids(*v, "prompt")});
  } else if (first.is_string()) {
    for (const json& p : *v) {
      if (!p.is_string()) wrong_type("prompt", "a list of strings (not a mix)", p);
      prompts.push_back({p.get<std::string>(), {}});
    }
  } else if (first.is_array()) {
    for (const json& p : *v) {
      if (!p.is_array()) wrong_type("prompt", "a list of token-id lists (not a mix)", p);
      if (p.empty()) throw ApiError("'prompt' token-id lists must not be empty", "prompt");
      prompts.push_back({std::nullopt, token_ids(p, "prompt")});
    }
  } else {
    wrong_type("prompt", "a string, a list of strings, or a list of token ids", first);
  }
  return prompts;
}

// content: a string, or a list of {"type": "text", "text": ...} parts (joined).
std::string message_content(const json& content, const std::string& at) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) wrong_type(at, "a string or a list of text parts", content);
  std::string text;
  for (const json& part : content) {
    if (!part.is_object() || string_or_empty(part, "type") != "text" || !part.contains("text") || !part["text"].is_string())
      throw ApiError("'" + at + "': only text parts ({\"type\": \"text\", \"text\": ...}) are supported", "messages");
    text += part["text"].get<std::string>();
  }
  return text;
}

std::vector<text::ChatMessage> read_messages(const json& body) {
  const json* v = field(body, "messages");
  if (!v) throw ApiError("'messages' is required", "messages");
  if (!v->is_array()) wrong_type("messages", "a list of messages", *v);
  if (v->empty()) throw ApiError("'messages' must not be empty", "messages");
  std::vector<text::ChatMessage> messages;
  for (size_t i = 0; i < v->size(); ++i) {
    const json& m = (*v)[i];
    const std::string at = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) wrong_type(at, "an object", m);
    if (!m.contains("role") || !m["role"].is_string()) throw ApiError("'" + at + ".role' must be a string", "messages");
    const std::string role = m["role"].get<std::string>();
    if (role != "system" && role != "user" && role != "assistant" && role != "developer")
      throw ApiError("'" + at + ".role' must be system, user or assistant, got \"" + role + "\"", "messages");
    if (!m.contains("content")) throw ApiError("'" + at + ".content' is required", "messages");
    // "developer" is OpenAI's newer name for the system role.
    messages.push_back({role == "developer" ? "system" : role, message_content(m["content"], at + ".content")});
  }
  return messages;
}

std::vector<std::string> read_stop(const json& body) {
  const json* v = field(body, "stop");
  if (!v) return {};
  std::vector<std::string> stops;
  if (v->is_string()) {
    stops.push_back(v->get<std::string>());
  } else if (v->is_array()) {
    for (const json& s : *v) {
      if (!s.is_string()) wrong_type("stop", "a string or a list of strings", s);
      stops.push_back(s.get<std::string>());
    }
  } else {
    wrong_type("stop", "a string or a list of strings", *v);
  }
  for (const std::string& s : stops)
    if (s.empty()) throw ApiError("'stop' strings must not be empty", "stop");
  return stops;
}

// Fields a request may carry: the ones read above, and the ones accepted at a neutral value.
const std::vector<std::string>& known_fields(Endpoint endpoint) {
  static const std::vector<std::string> completions = {
      "model", "prompt", "max_tokens", "temperature", "top_p", "top_k", "n", "seed", "stop", "logprobs",
      "add_special_tokens", "stream", "stream_options", "echo", "user", "presence_penalty", "frequency_penalty",
      "repetition_penalty", "best_of", "suffix", "logit_bias", "min_p", "min_tokens", "ignore_eos",
      "skip_special_tokens", "stop_token_ids"};
  static const std::vector<std::string> chat = {
      "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "n", "seed", "stop",
      "logprobs", "top_logprobs", "add_special_tokens", "stream", "stream_options", "user", "presence_penalty",
      "frequency_penalty", "repetition_penalty", "logit_bias", "min_p", "min_tokens", "ignore_eos",
      "skip_special_tokens", "stop_token_ids", "tools", "tool_choice", "parallel_tool_calls", "response_format",
      "metadata", "store"};
  return endpoint == Endpoint::Completions ? completions : chat;
}

}  // namespace

json error_body(const std::string& message, const std::string& type, const std::string& param) {
  return {{"error",
           {{"message", message}, {"type", type}, {"param", param.empty() ? json(nullptr) : json(param)}, {"code", nullptr}}}};
}

json parse_body(const std::string& body) {
  json doc;
  try {
    doc = io::parse_json_bounded(body);
  } catch (const json::parse_error& e) {
    // Where it broke, so a client's author can find the fault in what they sent.
    throw ApiError("the request body is not valid JSON (at byte " + std::to_string(e.byte) + ")", "");
  }
  if (!doc.is_object()) throw ApiError("the request body must be a JSON object", "");
  return doc;
}

CompletionRequest parse_completion_request(const json& body, Endpoint endpoint) {
  const bool chat = endpoint == Endpoint::ChatCompletions;
  const auto& known = known_fields(endpoint);
  for (const auto& [key, value] : body.items())
    if (std::find(known.begin(), known.end(), key) == known.end())
      throw ApiError("unknown field '" + key + "'", key);

  CompletionRequest r;
  r.endpoint = endpoint;
  if (const json* m = field(body, "model")) {
    if (!m->is_string()) wrong_type("model", "a string", *m);
    r.model = m->get<std::string>();
  }
  if (chat) r.messages = read_messages(body);
  else r.prompts = read_prompts(body);

  std::optional<int64_t> max_tokens = integer_in(body, "max_tokens", 1, std::numeric_limits<int32_t>::max());
  if (chat) {
    // OpenAI's newer name wins when both are sent, as in vLLM.
    if (auto newer = integer_in(body, "max_completion_tokens", 1, std::numeric_limits<int32_t>::max()))
      max_tokens = newer;
  } else if (!max_tokens) {
    max_tokens = kDefaultCompletionMaxTokens;
  }
  if (max_tokens) r.max_tokens = static_cast<int>(*max_tokens);

  r.temperature = number_in(body, "temperature", 1.0, 0.0, 100.0);
  r.top_p = number_in(body, "top_p", 1.0, 0.0, 1.0, /*low_open=*/true);
  r.top_k = static_cast<int>(integer_in(body, "top_k", -1, std::numeric_limits<int32_t>::max()).value_or(0));
  if (r.top_k < 0) r.top_k = 0;  // vLLM's -1: no cut
  r.n = static_cast<int>(integer_in(body, "n", 1, kMaxChoices).value_or(1));
  if (const json* s = field(body, "seed")) {
    if (s->is_number_unsigned()) r.seed = s->get<uint64_t>();
    else if (s->is_number_integer() && s->get<int64_t>() >= 0) r.seed = static_cast<uint64_t>(s->get<int64_t>());
    else if (s->is_number_integer()) throw ApiError("'seed' must be a non-negative integer, got " + s->dump(), "seed");
    else wrong_type("seed", "an integer", *s);
  }
  r.stop = read_stop(body);

  if (chat) {
    const bool want = boolean(body, "logprobs").value_or(false);
    const auto top = integer_in(body, "top_logprobs", 0, kMaxLogprobs);
    if (top && !want) throw ApiError("'top_logprobs' needs 'logprobs': true", "top_logprobs");
    if (want) r.logprobs = static_cast<int>(top.value_or(0));
  } else if (const json* lp = field(body, "logprobs")) {
    if (lp->is_boolean()) wrong_type("logprobs", "an integer (the number of alternatives, 0-20)", *lp);
    r.logprobs = static_cast<int>(*integer_in(body, "logprobs", 0, kMaxLogprobs));
  }
  r.add_special_tokens = boolean(body, "add_special_tokens").value_or(!chat);
  r.stream = boolean(body, "stream").value_or(false);
  if (const json* so = field(body, "stream_options")) {
    if (!so->is_object()) wrong_type("stream_options", "an object", *so);
    for (const auto& [key, value] : so->items()) {
      if (key == "include_usage" && value.is_boolean()) r.include_usage = value.get<bool>();
      else if (key == "continuous_usage_stats" && is_false(value)) continue;
      else throw ApiError("'stream_options." + key + "' is not supported", "stream_options");
    }
  }

  // Accepted where they change nothing; anything else would need a feature the engine lacks.
  only_neutral(body, "presence_penalty", is_zero, "only 0 (no penalty)");
  only_neutral(body, "frequency_penalty", is_zero, "only 0 (no penalty)");
  only_neutral(body, "repetition_penalty", is_one, "only 1 (no penalty)");
  only_neutral(body, "min_p", is_zero, "only 0");
  only_neutral(body, "min_tokens", is_zero, "only 0");
  only_neutral(body, "ignore_eos", is_false, "only false");
  only_neutral(body, "skip_special_tokens", is_true, "only true (special tokens are never in the text)");
  if (const json* ids = field(body, "stop_token_ids"); ids && !ids->is_null()) {
    if (!ids->is_array()) wrong_type("stop_token_ids", "a list of token ids", *ids);
    r.stop_token_ids = token_ids(*ids, "stop_token_ids");
  }
  only_neutral(body, "logit_bias", is_empty, "no logit bias");
  only_neutral(body, "user", [](const json& v) { return v.is_string(); }, "must be a string");
  if (chat) {
    only_neutral(body, "tools", is_empty, "no tool calls");
    only_neutral(body, "tool_choice", [](const json& v) { return v == "none"; }, "no tool calls");
    only_neutral(body, "response_format", [](const json& v) { return v.is_object() && string_or_empty(v, "type") == "text"; },
                 "only {\"type\": \"text\"}");
    only_neutral(body, "store", is_false, "nothing is stored");
    only_neutral(body, "parallel_tool_calls", [](const json& v) { return v.is_boolean(); }, "must be a boolean");
    only_neutral(body, "metadata", [](const json& v) { return v.is_object(); }, "must be an object");
  } else {
    only_neutral(body, "echo", is_false, "echo is not supported");
    only_neutral(body, "suffix", [](const json& v) { return v.is_string() && v.get<std::string>().empty(); },
                 "no suffix (insertion) support");
    only_neutral(body, "best_of", [&](const json& v) { return v.is_number_integer() && v.get<int64_t>() == r.n; },
                 "only best_of = n");
  }
  return r;
}

}  // namespace tpt::serve
