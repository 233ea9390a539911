// `tpt serve` as its clients see it: a real server on a free port of 127.0.0.1 serving a tiny
// random-weight Llama (byte tokenizer, ChatML template), spoken to with httplib::Client in the
// request shapes OpenAI and vLLM document. The answers are checked against the engine itself:
// a token-id prompt with a seed must come back exactly as think::Generator draws it, whatever
// else the server is doing at the time.
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "check.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/decoder.h"
#include "serve/server.h"
#include "text/byte_tokenizer.h"
#include "text/model_tokenizer.h"
#include "think/generator.h"

using nlohmann::json;

namespace {

// A tiny Llama with a ChatML template: ids 0..255 bytes, 256 <|endoftext|>, 257 <|im_start|>,
// 258 <|im_end|> (the end of a chat turn).
std::string write_chat_model(const std::string& dir) {
  const json config = {{"model_type", "llama"},
                       {"architectures", {"LlamaForCausalLM"}},
                       {"vocab_size", 260},
                       {"hidden_size", 32},
                       {"intermediate_size", 64},
                       {"num_hidden_layers", 2},
                       {"num_attention_heads", 4},
                       {"num_key_value_heads", 2},
                       {"max_position_embeddings", 256},
                       {"rms_norm_eps", 1e-6},
                       {"rope_theta", 10000.0},
                       {"hidden_act", "silu"},
                       {"tie_word_embeddings", false},
                       {"bos_token_id", nullptr},
                       {"eos_token_id", 256},
                       {"dtype", "float32"}};
  tpt::model::CausalLm model(tpt::model::parse_model_config(config));
  // Large weights: peaked distributions, so that end-of-turn tokens and repeats happen.
  tpt::model::randomize_weights(*model, 5, 0.5);
  tpt::model::SaveOptions options;
  options.copy_tokenizer_files = false;
  tpt::model::save_model(*model, dir, options);
  std::ofstream(dir + "/tokenizer.json")
      << tpt::text::byte_tokenizer_json({"<|endoftext|>", "<|im_start|>", "<|im_end|>"}).dump();
  std::ofstream(dir + "/tokenizer_config.json")
      << json{{"eos_token", "<|endoftext|>"},
              {"add_bos_token", false},
              {"chat_template",
               "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
               "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% "
               "endif %}"}}
             .dump();
  return dir;
}

// One server and one reference generator for the whole executable: loading is the slow part.
struct Fixture {
  std::string dir = write_chat_model(tpt::testing::temp_dir() + "/tiny-chat");
  tpt::text::ModelTokenizer tokenizer = tpt::text::load_model_tokenizer(dir);
  tpt::model::CausalLm model = tpt::model::load_model(dir);
  tpt::think::Generator generator{model, *tokenizer.tokenizer};
  std::unique_ptr<tpt::serve::Server> server;

  Fixture() {
    tpt::serve::ServerOptions options;
    options.model_dir = dir;
    options.name = "tiny";
    options.port = 0;
    options.device = "cpu";
    options.batch_size = 8;
    options.log_requests = false;
    server = std::make_unique<tpt::serve::Server>(options);
    server->start();
  }

  // What the engine draws in-process for these ids and seed, with the server's stop ids.
  tpt::think::Generation engine(const std::vector<int32_t>& ids, uint64_t seed, int max_tokens,
                                double temperature = 1.0, std::vector<std::string> stops = {}, double top_p = 1.0,
                                int top_k = 0) {
    tpt::think::GenerationOptions options;
    options.sampling.temperature = temperature;
    options.sampling.top_p = top_p;
    options.sampling.top_k = top_k;
    options.max_new_tokens = max_tokens;
    options.stop_strings = std::move(stops);
    options.stop_ids = tokenizer.stop_ids;
    return generator.generate({{ids, seed}}, options)[0];
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

struct Reply {
  int status = 0;
  json body;
  std::string raw;
};

Reply post(const std::string& path, const std::string& body) {
  httplib::Client client("127.0.0.1", fixture().server->port());
  client.set_read_timeout(120, 0);
  auto res = client.Post(path, body, "application/json");
  if (!res) TPT_FAIL("no answer from the server: " + httplib::to_string(res.error()));
  Reply r{res->status, json(), res->body};
  r.body = json::parse(res->body, nullptr, false);
  return r;
}

Reply post(const std::string& path, const json& body) { return post(path, body.dump()); }

// The events of a Server-Sent Events body: each "data: ..." payload, [DONE] included.
std::vector<std::string> sse_events(const std::string& body) {
  std::vector<std::string> events;
  size_t at = 0;
  while (at < body.size()) {
    const size_t end = body.find("\n\n", at);
    if (end == std::string::npos) TPT_FAIL("an event without its blank line: " + body.substr(at));
    const std::string event = body.substr(at, end - at);
    if (event.rfind("data: ", 0) != 0) TPT_FAIL("an event that is not data: " + event);
    events.push_back(event.substr(6));
    at = end + 2;
  }
  return events;
}

// `count` characters of `text` from character `first` (UTF-8): a stop string taken from a
// sample must be valid text to travel in JSON.
std::string chars(const std::string& text, size_t first, size_t count) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) starts.push_back(i);
  starts.push_back(text.size());
  if (first + count >= starts.size()) return "";
  return text.substr(starts[first], starts[first + count] - starts[first]);
}

const std::vector<int32_t> kIds = {10, 72, 101, 108, 108, 111, 32, 116};  // "\nHello t"

}  // namespace

TPT_TEST(serve, health_version_and_the_models_list) {
  httplib::Client client("127.0.0.1", fixture().server->port());
  auto health = client.Get("/health");
  VERIFY(health);
  COMPARE(health->status, 200);
  auto version = client.Get("/version");
  COMPARE(json::parse(version->body)["version"].get<std::string>(), std::string(TPT_VERSION));
  auto models = json::parse(client.Get("/v1/models")->body);
  COMPARE(models["object"].get<std::string>(), std::string("list"));
  COMPARE(models["data"].size(), size_t{1});
  COMPARE(models["data"][0]["id"].get<std::string>(), std::string("tiny"));
  COMPARE(models["data"][0]["object"].get<std::string>(), std::string("model"));
  auto missing = client.Get("/v1/nothing");
  COMPARE(missing->status, 404);
  VERIFY(json::parse(missing->body).contains("error"));
}

// The round runner's OpenAI sampler sends exactly this; it must get the engine's own sample.
TPT_TEST(serve, a_token_id_prompt_with_a_seed_gets_exactly_the_engines_sample) {
  Fixture& f = fixture();
  int eos = 0;
  for (uint64_t seed : {0ull, 1ull, 7ull, 123456789ull, 18446744073709551615ull}) {
    // Exactly what the round runner's OpenAI sampler sends, the model's stop ids included.
    const json request = {{"model", "tiny"}, {"prompt", kIds}, {"max_tokens", 24}, {"temperature", 0.9},
                          {"top_p", 0.95},   {"top_k", 40},    {"seed", seed},     {"n", 1},
                          {"stop", json::array()},             {"add_special_tokens", false},
                          {"stop_token_ids", f.tokenizer.stop_ids}};
    const Reply r = post("/v1/completions", request);
    COMPARE(r.status, 200);
    const auto expected = f.engine(kIds, seed, 24, 0.9, {}, 0.95, 40);
    const json& choice = r.body["choices"][0];
    COMPARE(choice["text"].get<std::string>(), expected.text);
    COMPARE(r.body["usage"]["completion_tokens"].get<int64_t>(), static_cast<int64_t>(expected.token_ids.size()));
    COMPARE(r.body["usage"]["prompt_tokens"].get<int64_t>(), static_cast<int64_t>(kIds.size()));
    COMPARE(r.body["usage"]["total_tokens"].get<int64_t>(), static_cast<int64_t>(kIds.size() + expected.token_ids.size()));
    const bool ended = expected.finish_reason == tpt::think::FinishReason::Eos;
    eos += ended;
    COMPARE(choice["finish_reason"].get<std::string>(), std::string(ended ? "stop" : "length"));
    VERIFY(choice["stop_reason"].is_null());
    COMPARE(r.body["object"].get<std::string>(), std::string("text_completion"));
    COMPARE(r.body["model"].get<std::string>(), std::string("tiny"));
    VERIFY(r.body["id"].get<std::string>().rfind("cmpl-", 0) == 0);
  }
  (void)eos;
}

TPT_TEST(serve, an_end_of_turn_token_counts_in_completion_tokens_and_stays_out_of_the_text) {
  Fixture& f = fixture();
  // Find a seed whose sample ends on an end-of-turn token within the limit.
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const auto expected = f.engine(kIds, seed, 40, 1.5);
    if (expected.finish_reason != tpt::think::FinishReason::Eos) continue;
    const Reply r = post("/v1/completions", json{{"prompt", kIds}, {"max_tokens", 40}, {"temperature", 1.5},
                                                 {"seed", seed}, {"add_special_tokens", false}});
    COMPARE(r.body["choices"][0]["finish_reason"].get<std::string>(), std::string("stop"));
    VERIFY(r.body["choices"][0]["stop_reason"].is_null());
    COMPARE(r.body["choices"][0]["text"].get<std::string>(), expected.text);
    COMPARE(r.body["usage"]["completion_tokens"].get<int64_t>(), static_cast<int64_t>(expected.token_ids.size()));
    return;
  }
  TPT_FAIL("no seed below 200 ends on an end-of-turn token: the fixture model cannot show it");
}

TPT_TEST(serve, a_stop_string_cuts_the_text_and_is_the_stop_reason) {
  Fixture& f = fixture();
  // Greedy, or the first sampling seed whose text is long enough to pick a stop string from.
  double temperature = 0.0;
  uint64_t seed = 3;
  auto free_run = f.engine(kIds, seed, 30, temperature);
  for (uint64_t s = 0; chars(free_run.text, 5, 2).empty(); ++s) {
    if (s == 200) TPT_FAIL("no seed below 200 gives text long enough to pick a stop string from");
    temperature = 1.0;
    seed = s;
    free_run = f.engine(kIds, seed, 30, temperature);
  }
  const std::string stop = chars(free_run.text, 5, 2);
  const Reply r = post("/v1/completions", json{{"prompt", kIds}, {"max_tokens", 30}, {"temperature", temperature},
                                               {"seed", seed}, {"stop", {"\x01never", stop}}});
  const auto expected = f.engine(kIds, seed, 30, temperature, {"\x01never", stop});
  COMPARE(r.body["choices"][0]["text"].get<std::string>(), expected.text);
  COMPARE(r.body["choices"][0]["text"].get<std::string>(), free_run.text.substr(0, free_run.text.find(stop)));
  COMPARE(r.body["choices"][0]["finish_reason"].get<std::string>(), std::string("stop"));
  COMPARE(r.body["choices"][0]["stop_reason"].get<std::string>(), stop);
  COMPARE(r.body["usage"]["completion_tokens"].get<int64_t>(), static_cast<int64_t>(expected.token_ids.size()));
  // A single string works as well as a list.
  const Reply single = post("/v1/completions", json{{"prompt", kIds}, {"max_tokens", 30}, {"temperature", temperature},
                                                    {"seed", seed}, {"stop", stop}});
  COMPARE(single.body["choices"][0]["text"].get<std::string>(), expected.text);
}

// `tpt generate --prompt TEXT --seed S -n 2` and {"prompt": TEXT, "seed": S, "n": 2}: the same
// ids (BOS as the model wants it) and choice i drawn with seed S + i.
TPT_TEST(serve, a_text_prompt_with_n_choices_matches_tpt_generate_seeds) {
  Fixture& f = fixture();
  const std::string text = "Question: 2+2?\nSolution:";
  const Reply r = post("/v1/completions", json{{"prompt", text}, {"max_tokens", 12}, {"seed", 40}, {"n", 2}});
  COMPARE(r.status, 200);
  COMPARE(r.body["choices"].size(), size_t{2});
  const auto ids = f.tokenizer.encode_prompt(text);
  int64_t tokens = 0;
  for (int i = 0; i < 2; ++i) {
    const auto expected = f.engine(ids, 40 + static_cast<uint64_t>(i), 12);
    COMPARE(r.body["choices"][i]["index"].get<int>(), i);
    COMPARE(r.body["choices"][i]["text"].get<std::string>(), expected.text);
    tokens += static_cast<int64_t>(expected.token_ids.size());
  }
  COMPARE(r.body["usage"]["completion_tokens"].get<int64_t>(), tokens);
  COMPARE(r.body["usage"]["prompt_tokens"].get<int64_t>(), static_cast<int64_t>(ids.size()));
  // Without max_tokens a completion stops at 16 tokens, as OpenAI's and vLLM's do.
  const Reply short_one = post("/v1/completions", json{{"prompt", text}, {"seed", 1}, {"ignore_eos", false}});
  VERIFY(short_one.body["usage"]["completion_tokens"].get<int64_t>() <= 16);
  COMPARE(short_one.body["choices"][0]["text"].get<std::string>(), f.engine(ids, 1, 16).text);
}

TPT_TEST(serve, a_list_of_prompts_gets_n_choices_for_each_in_order) {
  Fixture& f = fixture();
  const std::vector<std::vector<int32_t>> prompts = {{1, 2, 3}, kIds};
  const Reply r = post("/v1/completions", json{{"prompt", prompts}, {"max_tokens", 6}, {"seed", 9}, {"n", 2}});
  COMPARE(r.body["choices"].size(), size_t{4});
  for (size_t p = 0; p < 2; ++p)
    for (size_t i = 0; i < 2; ++i) {
      const json& choice = r.body["choices"][p * 2 + i];
      COMPARE(choice["index"].get<size_t>(), p * 2 + i);
      COMPARE(choice["text"].get<std::string>(), f.engine(prompts[p], 9 + i, 6).text);
    }
  COMPARE(r.body["usage"]["prompt_tokens"].get<int64_t>(), int64_t{3 + 8});
  const Reply texts = post("/v1/completions", json{{"prompt", {"ab", "cd"}}, {"max_tokens", 4}, {"seed", 2}});
  COMPARE(texts.body["choices"].size(), size_t{2});
  COMPARE(texts.body["choices"][1]["text"].get<std::string>(), f.engine(f.tokenizer.encode_prompt("cd"), 2, 4).text);
}

TPT_TEST(serve, completion_logprobs_come_back_per_token_in_openai_shape) {
  Fixture& f = fixture();
  const Reply r = post("/v1/completions", json{{"prompt", kIds}, {"max_tokens", 10}, {"seed", 4}, {"logprobs", 2}});
  const auto expected = f.engine(kIds, 4, 10);
  const json& lp = r.body["choices"][0]["logprobs"];
  const size_t count = expected.token_ids.size();
  COMPARE(lp["tokens"].size(), count);
  COMPARE(lp["token_logprobs"].size(), count);
  COMPARE(lp["top_logprobs"].size(), count);
  COMPARE(lp["text_offset"].size(), count);
  double sum = 0;
  for (size_t i = 0; i < count; ++i) {
    sum += lp["token_logprobs"][i].get<double>();
    // Two alternatives and the drawn token, by text (byte tokens that are not whole characters
    // share the text U+FFFD, so the map may hold fewer).
    VERIFY(lp["top_logprobs"][i].size() >= 1 && lp["top_logprobs"][i].size() <= 3);
    VERIFY(lp["top_logprobs"][i].contains(lp["tokens"][i].get<std::string>()));
    if (i > 0) VERIFY(lp["text_offset"][i].get<size_t>() >= lp["text_offset"][i - 1].get<size_t>());
  }
  COMPARE_NEAR(sum, expected.logprob_sum, 1e-3);
  COMPARE(r.body["choices"][0]["text"].get<std::string>(), expected.text);  // asking for logprobs changes nothing
}

TPT_TEST(serve, chat_applies_the_models_template_and_answers_as_the_assistant) {
  Fixture& f = fixture();
  const std::vector<tpt::text::ChatMessage> messages = {{"system", "Be brief."}, {"user", "Hi!"}};
  const Reply r = post("/v1/chat/completions",
                       json{{"model", "tiny"},
                            {"messages", {{{"role", "system"}, {"content", "Be brief."}}, {{"role", "user"}, {"content", "Hi!"}}}},
                            {"max_tokens", 12},
                            {"seed", 5},
                            {"logprobs", true},
                            {"top_logprobs", 2}});
  COMPARE(r.status, 200);
  const auto ids = f.tokenizer.encode_chat(messages);
  const auto expected = f.engine(ids, 5, 12);
  COMPARE(r.body["object"].get<std::string>(), std::string("chat.completion"));
  const json& choice = r.body["choices"][0];
  COMPARE(choice["message"]["role"].get<std::string>(), std::string("assistant"));
  COMPARE(choice["message"]["content"].get<std::string>(), expected.text);
  COMPARE(r.body["usage"]["prompt_tokens"].get<int64_t>(), static_cast<int64_t>(ids.size()));
  COMPARE(r.body["usage"]["completion_tokens"].get<int64_t>(), static_cast<int64_t>(expected.token_ids.size()));
  COMPARE(choice["logprobs"]["content"].size(), expected.token_ids.size());
  COMPARE(choice["logprobs"]["content"][0]["top_logprobs"].size(), size_t{2});
  // Without max_tokens a chat may run to the end of the context.
  const Reply open = post("/v1/chat/completions", json{{"messages", {{{"role", "user"}, {"content", "Hi!"}}}},
                                                       {"seed", 5}, {"temperature", 0}});
  const auto open_ids = f.tokenizer.encode_chat({{"user", "Hi!"}});
  const auto open_expected = f.engine(open_ids, 5, 256 - static_cast<int>(open_ids.size()), 0.0);
  COMPARE(open.body["choices"][0]["message"]["content"].get<std::string>(), open_expected.text);
}

TPT_TEST(serve, streamed_deltas_add_up_to_the_unstreamed_text) {
  Fixture& f = fixture();
  const auto free_run = f.engine(kIds, 8, 30, 0.7);
  std::string stop = chars(free_run.text, 9, 3);
  if (stop.empty()) stop = "zzz";
  for (const std::string endpoint : {"/v1/completions", "/v1/chat/completions"}) {
    const bool chat = endpoint == "/v1/chat/completions";
    json request = {{"max_tokens", 30}, {"seed", 8}, {"temperature", 0.7}, {"stop", {stop}}, {"n", 2}};
    if (chat) request["messages"] = {{{"role", "user"}, {"content", "Say something."}}};
    else request["prompt"] = kIds;
    const Reply whole = post(endpoint, request);
    request["stream"] = true;
    request["stream_options"] = {{"include_usage", true}};
    const Reply streamed = post(endpoint, request);
    COMPARE(streamed.status, 200);
    const auto events = sse_events(streamed.raw);
    VERIFY(events.size() >= 4);
    COMPARE(events.back(), std::string("[DONE]"));
    std::map<int, std::string> text, finish;
    std::map<int, int> pieces;
    json usage;
    for (size_t i = 0; i + 1 < events.size(); ++i) {
      const json chunk = json::parse(events[i]);
      COMPARE(chunk["object"].get<std::string>(), std::string(chat ? "chat.completion.chunk" : "text_completion"));
      if (chunk.contains("usage") && !chunk["usage"].is_null()) usage = chunk["usage"];
      for (const json& c : chunk["choices"]) {
        const int index = c["index"].get<int>();
        VERIFY(finish[index].empty());  // nothing after a choice's finish_reason
        const json delta = chat ? c["delta"].value("content", json("")) : c["text"];
        text[index] += delta.get<std::string>();
        pieces[index] += !delta.get<std::string>().empty();
        if (!c["finish_reason"].is_null()) finish[index] = c["finish_reason"].get<std::string>();
      }
    }
    for (int i = 0; i < 2; ++i) {
      const json& c = whole.body["choices"][i];
      COMPARE(text[i], chat ? c["message"]["content"].get<std::string>() : c["text"].get<std::string>());
      COMPARE(finish[i], c["finish_reason"].get<std::string>());
      if (text[i].size() > 4) VERIFY(pieces[i] > 1);  // delivered as drawn, not in one piece at the end
    }
    COMPARE(usage, whole.body["usage"]);
    // The completion with seed 8 is the free run: it meets the stop string, which the stream
    // must have held back rather than sent and then taken back.
    if (!chat && stop != "zzz") COMPARE(whole.body["choices"][0]["stop_reason"].get<std::string>(), stop);
  }
}

TPT_TEST(serve, bad_requests_get_400_naming_the_field) {
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"max_tokens", 5}}, "prompt"},
      {{{"prompt", 5}}, "prompt"},
      {{{"prompt", json::array()}}, "prompt"},
      {{{"prompt", {1, -2}}}, "prompt"},
      {{{"prompt", {1, 100000}}}, "prompt"},
      {{{"prompt", "x"}, {"max_tokens", 0}}, "max_tokens"},
      {{{"prompt", "x"}, {"max_tokens", "12"}}, "max_tokens"},
      {{{"prompt", "x"}, {"max_tokens", 100000}}, "max_tokens"},
      {{{"prompt", "x"}, {"temperature", -1}}, "temperature"},
      {{{"prompt", "x"}, {"top_p", 0}}, "top_p"},
      {{{"prompt", "x"}, {"top_p", 1.5}}, "top_p"},
      {{{"prompt", "x"}, {"top_k", -2}}, "top_k"},
      {{{"prompt", "x"}, {"n", 0}}, "n"},
      {{{"prompt", "x"}, {"seed", -1}}, "seed"},
      {{{"prompt", "x"}, {"seed", 1.5}}, "seed"},
      {{{"prompt", "x"}, {"stop", 3}}, "stop"},
      {{{"prompt", "x"}, {"stop", {""}}}, "stop"},
      {{{"prompt", "x"}, {"logprobs", 21}}, "logprobs"},
      {{{"prompt", "x"}, {"logprobs", true}}, "logprobs"},
      {{{"prompt", "x"}, {"echo", true}}, "echo"},
      {{{"prompt", "x"}, {"presence_penalty", 0.5}}, "presence_penalty"},
      {{{"prompt", "x"}, {"frequency_penalty", 1}}, "frequency_penalty"},
      {{{"prompt", "x"}, {"best_of", 3}}, "best_of"},
      {{{"prompt", "x"}, {"model", "gpt-4"}}, "model"},
      {{{"prompt", "x"}, {"stream", "yes"}}, "stream"},
      {{{"prompt", "x"}, {"max_tokenz", 3}}, "max_tokenz"},
      {{{"prompt", "x"}, {"stop_token_ids", 5}}, "stop_token_ids"},
      {{{"prompt", "x"}, {"stop_token_ids", {-1}}}, "stop_token_ids"},
  };
  for (const auto& [body, param] : cases) {
    const Reply r = post("/v1/completions", body);
    if (r.status != 400) TPT_FAIL(body.dump() + ": status " + std::to_string(r.status));
    COMPARE(r.body["error"]["type"].get<std::string>(), std::string("invalid_request_error"));
    if (r.body["error"]["param"] != param) TPT_FAIL(body.dump() + ": param " + r.body["error"]["param"].dump());
    VERIFY(!r.body["error"]["message"].get<std::string>().empty());
    VERIFY(r.body["error"]["code"].is_null());
  }
  // Accepted because they change nothing.
  const Reply fine = post("/v1/completions", json{{"prompt", "x"}, {"max_tokens", 2}, {"user", "me"},
                                                  {"presence_penalty", 0}, {"frequency_penalty", 0.0},
                                                  {"top_k", -1}, {"stream_options", nullptr}, {"echo", false}});
  COMPARE(fine.status, 200);
  const Reply chat = post("/v1/chat/completions", json{{"messages", {{{"role", "wizard"}, {"content", "x"}}}}});
  COMPARE(chat.status, 400);
  COMPARE(chat.body["error"]["param"].get<std::string>(), std::string("messages"));
  const Reply no_messages = post("/v1/chat/completions", json{{"prompt", "x"}});
  COMPARE(no_messages.status, 400);
  const Reply top = post("/v1/chat/completions", json{{"messages", {{{"role", "user"}, {"content", "x"}}}},
                                                      {"top_logprobs", 2}});
  COMPARE(top.body["error"]["param"].get<std::string>(), std::string("top_logprobs"));
  // A "type" that is not a string is the client's mistake (a 400), not the server's (it was a
  // 500 from nlohmann's type_error).
  const Reply part = post("/v1/chat/completions", json{{"messages", {{{"role", "user"}, {"content", {{{"type", 5}, {"text", "x"}}}}}}}});
  COMPARE(part.status, 400);
  COMPARE(part.body["error"]["param"].get<std::string>(), std::string("messages"));
  const Reply format = post("/v1/chat/completions", json{{"messages", {{{"role", "user"}, {"content", "x"}}}},
                                                         {"response_format", {{"type", 7}}}});
  COMPARE(format.status, 400);
  COMPARE(format.body["error"]["param"].get<std::string>(), std::string("response_format"));
  // A number too large for a double is malformed JSON, not a 500.
  const Reply overflow = post("/v1/completions", std::string("{\"prompt\": \"x\", \"temperature\": 1e999}"));
  COMPARE(overflow.status, 400);
  const Reply malformed = post("/v1/completions", std::string("{\"prompt\": "));
  COMPARE(malformed.status, 400);
  COMPARE(malformed.body["error"]["type"].get<std::string>(), std::string("invalid_request_error"));
  // Where the body broke: past its 11 bytes, where the value should have begun.
  VERIFY_CONTAINS(malformed.body["error"]["message"].get<std::string>(), "not valid JSON (at byte 12)");
}

TPT_TEST(serve, concurrent_requests_each_get_the_answer_they_would_get_alone) {
  Fixture& f = fixture();
  constexpr int kClients = 16;
  std::vector<Reply> replies(kClients);
  std::vector<std::thread> threads;
  auto prompt = [](int i) {
    std::vector<int32_t> ids = kIds;
    ids.resize(3 + static_cast<size_t>(i % 6));  // different lengths: padded batches
    return ids;
  };
  for (int i = 0; i < kClients; ++i)
    threads.emplace_back([&, i] {
      // Two settings groups and different limits, all at once.
      replies[i] = post("/v1/completions", json{{"prompt", prompt(i)}, {"max_tokens", 8 + i % 5}, {"seed", 100 + i},
                                                {"temperature", i % 2 ? 1.0 : 0.6}, {"add_special_tokens", false}});
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kClients; ++i) {
    const auto expected = f.engine(prompt(i), 100 + static_cast<uint64_t>(i), 8 + i % 5, i % 2 ? 1.0 : 0.6);
    COMPARE(replies[i].status, 200);
    COMPARE(replies[i].body["choices"][0]["text"].get<std::string>(), expected.text);
    COMPARE(replies[i].body["usage"]["completion_tokens"].get<int64_t>(),
            static_cast<int64_t>(expected.token_ids.size()));
  }
}

TPT_TEST(serve, stopping_the_server_answers_requests_in_flight_with_an_error) {
  tpt::serve::ServerOptions options;
  options.model_dir = fixture().dir;
  options.port = 0;
  options.device = "cpu";
  options.log_requests = false;
  tpt::serve::Server server(options);
  server.start();
  COMPARE(server.name(), std::string("tiny-chat"));  // the folder's name by default
  Reply reply;
  std::thread client([&] {
    httplib::Client c("127.0.0.1", server.port());
    c.set_read_timeout(60, 0);
    // A chat without max_tokens runs to the end of the context: long enough to be cut short.
    auto res = c.Post("/v1/chat/completions",
                      json{{"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"seed", 1}, {"n", 8}}.dump(),
                      "application/json");
    if (res) reply = {res->status, json::parse(res->body, nullptr, false), res->body};
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.stop();
  client.join();
  // Either it finished before the stop (a fast machine) or it got OpenAI's error body.
  if (reply.status != 200) {
    COMPARE(reply.status, 503);
    COMPARE(reply.body["error"]["type"].get<std::string>(), std::string("server_error"));
  }
}

// The round runner starts `tpt serve` as a child, reads its one "listening" line, and stops it
// with SIGTERM: the real binary must do all three.
TPT_TEST(serve, the_tpt_serve_process_announces_its_address_and_stops_on_sigterm) {
  int out[2];
  VERIFY(pipe(out) == 0);
  const std::string dir = fixture().dir;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execl(TPT_CLI_PATH, TPT_CLI_PATH, "--quiet", "serve", "--model", dir.c_str(), "--port", "0", "--device", "cpu",
          "--name", "tiny-cli", "--quiet-requests", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string line;
  char c = 0;
  while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
  close(out[0]);
  const std::string prefix = "tpt serve: listening on http://127.0.0.1:";
  if (line.rfind(prefix, 0) != 0) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    TPT_FAIL("unexpected first line: \"" + line + "\"");
  }
  const int port = std::atoi(line.c_str() + prefix.size());
  VERIFY_CONTAINS(line, "(model tiny-cli)");
  httplib::Client client("127.0.0.1", port);
  auto res = client.Post("/v1/completions", json{{"model", "tiny-cli"}, {"prompt", kIds}, {"max_tokens", 5}, {"seed", 1},
                                                 {"add_special_tokens", false}}.dump(),
                         "application/json");
  const bool answered = res && res->status == 200;
  kill(pid, SIGTERM);
  int status = 0;
  for (int i = 0; i < 200 && waitpid(pid, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (waitpid(pid, &status, WNOHANG) == 0 && !WIFEXITED(status)) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    TPT_FAIL("tpt serve did not stop within 10 s of SIGTERM");
  }
  VERIFY(answered);
  COMPARE(json::parse(res->body)["choices"][0]["text"].get<std::string>(), fixture().engine(kIds, 1, 5).text);
  VERIFY(WIFEXITED(status));
  COMPARE(WEXITSTATUS(status), 0);
}
