// Batched generation on a real (tiny, random-weight) Llama checkpoint: the KV-cache loop agrees
// with plain full forwards, batching and finishing order change nothing, and sequences end
// where they should.
#include <atomic>
#include <cstdlib>
#include <limits>
#include <map>

#include "check.h"
#include "model/checkpoint.h"
#include "text/byte_tokenizer.h"
#include "think/generator.h"

using namespace tpt::think;

namespace {

std::string fixture(const std::string& name) { return std::string(TPT_FIXTURES_DIR) + "/hf-golden/" + name; }

// TPT_TEST_DEVICE=cuda runs these on the GPU (fp32), where libtorch has CUDA.
tpt::model::LoadOptions test_device() {
  tpt::model::LoadOptions options;
  const char* device = std::getenv("TPT_TEST_DEVICE");
  if (device && std::string(device) == "cuda") options.device = torch::Device(torch::kCUDA);
  options.dtype = torch::kFloat32;
  return options;
}

struct Setup {
  tpt::model::CausalLm model = tpt::model::load_model(fixture("llama-gqa-untied"), test_device());
  tpt::text::Tokenizer tokenizer = tpt::text::byte_tokenizer();  // ids 0..255 are bytes
  Generator generator{model, tokenizer};
};

std::vector<GenerationRequest> prompts() {
  return {{{1, 5, 9, 13, 40, 41, 42}, 11}, {{7, 8}, 22}, {{60, 61, 62, 63}, 33}};
}

// A request and settings whose free run has at least 6 characters to pick a stop string from:
// greedy when that is long enough, else the first sampling seed that is. Never a skip: a stop
// string test that cannot run must fail.
std::pair<GenerationRequest, GenerationOptions> long_free_run(Setup& s) {
  GenerationOptions options;
  options.sampling.temperature = 0.0;
  options.max_new_tokens = 40;
  GenerationRequest request = prompts()[1];
  for (uint64_t seed = 0; seed < 200; ++seed) {
    if (s.generator.generate({request}, options)[0].text.size() >= 6) return {request, options};
    options.sampling.temperature = 1.0;
    request.seed = seed;
  }
  TPT_FAIL("no sampling seed below 200 gives 6 characters of text to pick a stop string from");
}

}  // namespace

TPT_TEST(generator, greedy_decoding_with_the_cache_equals_argmax_over_full_forwards) {
  Setup s;
  GenerationOptions options;
  options.sampling.temperature = 0.0;
  options.max_new_tokens = 12;
  const GenerationRequest request = prompts()[0];
  auto out = s.generator.generate({request}, options);
  // Reference: no cache, no batching, the whole sequence through the model at every step.
  torch::NoGradGuard no_grad;
  std::vector<int64_t> seq(request.prompt_ids.begin(), request.prompt_ids.end());
  std::vector<int32_t> expected;
  for (int step = 0; step < 12; ++step) {
    auto logits = s.model->forward(torch::tensor(seq).unsqueeze(0).to(s.model->device()));  // [1, T, V]
    const int64_t next = logits[0][-1].argmax().item<int64_t>();
    expected.push_back(static_cast<int32_t>(next));
    seq.push_back(next);
  }
  COMPARE(out[0].token_ids.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) COMPARE(out[0].token_ids[i], expected[i]);
  COMPARE(std::string(to_string(out[0].finish_reason)), std::string("length"));
}

TPT_TEST(generator, a_sample_is_the_same_alone_or_in_a_padded_batch) {
  Setup s;
  GenerationOptions options;
  options.sampling.temperature = 1.0;
  options.max_new_tokens = 10;
  options.batch_size = 3;
  auto together = s.generator.generate(prompts(), options);
  for (size_t i = 0; i < prompts().size(); ++i) {
    auto alone = s.generator.generate({prompts()[i]}, options);
    COMPARE(alone[0].token_ids == together[i].token_ids, true);
    COMPARE_NEAR(alone[0].logprob_sum, together[i].logprob_sum, 1e-3);
  }
}

TPT_TEST(generator, seeds_reproduce_samples_and_different_seeds_differ) {
  Setup s;
  GenerationOptions options;
  options.max_new_tokens = 16;
  auto a = s.generator.generate({{{1, 2, 3}, 5}}, options);
  auto b = s.generator.generate({{{1, 2, 3}, 5}}, options);
  auto c = s.generator.generate({{{1, 2, 3}, 6}}, options);
  VERIFY(a[0].token_ids == b[0].token_ids);
  VERIFY(a[0].token_ids != c[0].token_ids);
  VERIFY(a[0].logprob_sum < 0.0);
}

TPT_TEST(generator, an_end_of_turn_token_finishes_a_sequence_and_stays_out_of_the_text) {
  Setup s;
  GenerationOptions options;
  options.max_new_tokens = 20;
  // Every id but 'A' (65) ends the turn: the first few tokens almost surely do.
  for (int32_t id = 0; id < 320; ++id)
    if (id != 65) options.stop_ids.push_back(id);
  auto out = s.generator.generate(prompts(), options);
  int ended = 0;
  for (const auto& g : out) {
    VERIFY(!g.token_ids.empty());
    if (g.finish_reason == FinishReason::Eos) {
      ++ended;
      VERIFY(g.token_ids.back() != 65);
      COMPARE(g.text, std::string(g.token_ids.size() - 1, 'A'));
    }
  }
  COMPARE(ended, 3);
}

TPT_TEST(generator, a_stop_string_cuts_the_text_where_it_first_appears) {
  Setup s;
  auto [request, options] = long_free_run(s);
  auto free_run = s.generator.generate({request}, options)[0];
  const std::string stop = free_run.text.substr(3, 2);
  options.stop_strings = {stop};
  auto stopped = s.generator.generate({request}, options)[0];
  COMPARE(std::string(to_string(stopped.finish_reason)), std::string("stop_string"));
  COMPARE(stopped.text, free_run.text.substr(0, free_run.text.find(stop)));
  VERIFY(stopped.token_ids.size() < free_run.token_ids.size());
}

TPT_TEST(generator, max_new_tokens_bounds_every_sequence) {
  Setup s;
  GenerationOptions options;
  options.max_new_tokens = 5;
  options.batch_size = 2;
  for (const auto& g : s.generator.generate(prompts(), options)) {
    COMPARE(g.token_ids.size(), size_t{5});
    COMPARE(std::string(to_string(g.finish_reason)), std::string("length"));
  }
}

TPT_TEST(generator, a_cancelled_run_ends_every_sequence_as_cancelled) {
  Setup s;
  std::atomic<bool> cancel{true};
  auto out = s.generator.generate(prompts(), {}, {}, &cancel);
  for (const auto& g : out) COMPARE(std::string(to_string(g.finish_reason)), std::string("cancelled"));
}

TPT_TEST(generator, progress_reports_every_sequence_and_token) {
  Setup s;
  GenerationOptions options;
  options.max_new_tokens = 4;
  GenerationProgress last;
  s.generator.generate(prompts(), options, [&](const GenerationProgress& p) { last = p; });
  COMPARE(last.sequences_done, int64_t{3});
  COMPARE(last.sequences_total, int64_t{3});
  COMPARE(last.tokens_generated, int64_t{12});
}

TPT_TEST(generator, step_callbacks_stream_each_sequence_and_hand_over_its_result_once) {
  Setup s;
  GenerationOptions options;
  options.max_new_tokens = 12;
  options.batch_size = 3;
  options.top_logprobs = 3;
  const auto plain = s.generator.generate(prompts(), options);
  std::vector<std::string> pieces(3);
  std::vector<std::vector<int32_t>> tokens(3);
  std::vector<int> finished(3, 0);
  std::vector<double> logprob_sums(3, 0.0);
  const auto streamed = s.generator.generate(prompts(), options, {}, nullptr, [&](const SequenceStep& step) {
    VERIFY(finished[step.request] == 0);  // nothing after the last step
    pieces[step.request] += step.piece;
    tokens[step.request].push_back(step.token);
    logprob_sums[step.request] += step.logprob;
    COMPARE(step.top_logprobs.size(), size_t{3});
    // The most likely token is listed first, and nothing drawn is likelier than it.
    VERIFY(step.top_logprobs[0].second >= step.top_logprobs[2].second);
    VERIFY(step.logprob <= step.top_logprobs[0].second + 1e-5f);
    if (step.finished) {
      ++finished[step.request];
      COMPARE(step.finished->token_ids == tokens[step.request], true);
    }
  });
  for (size_t i = 0; i < 3; ++i) {
    COMPARE(finished[i], 1);
    COMPARE(streamed[i].token_ids == plain[i].token_ids, true);  // watching changes nothing
    COMPARE(tokens[i] == plain[i].token_ids, true);
    COMPARE(pieces[i], plain[i].text);  // no stop strings: the pieces are the text
    COMPARE_NEAR(logprob_sums[i], plain[i].logprob_sum, 1e-3);
  }
}

TPT_TEST(generator, a_request_may_bring_its_own_token_limit) {
  Setup s;
  GenerationOptions options;
  options.max_new_tokens = 9;
  auto requests = prompts();
  requests[1].max_new_tokens = 3;
  const auto out = s.generator.generate(requests, options);
  const auto alone = s.generator.generate({prompts()[1]}, options);
  COMPARE(out[0].token_ids.size(), size_t{9});
  COMPARE(out[1].token_ids.size(), size_t{3});
  // The limit only cuts: the tokens before it are the ones drawn without it.
  COMPARE(std::vector<int32_t>(alone[0].token_ids.begin(), alone[0].token_ids.begin() + 3) == out[1].token_ids, true);
}

TPT_TEST(generator, a_stopped_generation_names_its_stop_string) {
  Setup s;
  auto [request, options] = long_free_run(s);
  auto free_run = s.generator.generate({request}, options)[0];
  const std::string stop = free_run.text.substr(3, 2);
  options.stop_strings = {"never appears \x01", stop};
  auto stopped = s.generator.generate({request}, options)[0];
  COMPARE(stopped.stop_string, stop);
  COMPARE(free_run.stop_string, std::string());
}

TPT_TEST(generator, continuous_batching_gives_each_request_what_it_gets_alone) {
  Setup s;
  GenerationOptions options;
  options.max_new_tokens = 14;
  options.batch_size = 3;  // fewer rows than requests: later ones wait for free rows
  std::vector<GenerationRequest> requests = prompts();
  requests.push_back({{9, 8, 7, 6, 5, 4, 3, 2, 1}, 44, 6});  // its own, shorter limit
  requests.push_back({{100}, 55});
  requests.push_back({{30, 31, 32, 33}, 66});
  // Requests join one at a time, a few steps apart, into a batch that is already running.
  size_t next = 0;
  int calls = 0;
  std::map<size_t, Generation> results;
  s.generator.generate_continuous(
      options,
      [&](size_t free_rows, bool idle) {
        std::vector<AdmittedRequest> fresh;
        if (free_rows > 0 && next < requests.size() && (idle || ++calls % 3 == 0)) {
          fresh.push_back({1000 + next, requests[next]});
          ++next;
        }
        return fresh;
      },
      [&](const SequenceStep& step) {
        if (step.finished) {
          VERIFY(results.count(step.request) == 0);
          results[step.request] = *step.finished;
        }
      });
  COMPARE(results.size(), requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    auto alone = s.generator.generate({requests[i]}, options)[0];
    COMPARE(results[1000 + i].token_ids == alone.token_ids, true);
    COMPARE(results[1000 + i].text, alone.text);
    COMPARE_NEAR(results[1000 + i].logprob_sum, alone.logprob_sum, 1e-3);
  }
}

// Gemma 2's sliding window counts key columns: rows that join a batch get more left padding
// than they had alone, which must not move the window over their real tokens.
TPT_TEST(generator, continuous_batching_keeps_the_sliding_window_of_gemma2) {
  tpt::model::CausalLm model = tpt::model::load_model(fixture("gemma2-softcap-window"), test_device());
  tpt::text::Tokenizer tokenizer = tpt::text::byte_tokenizer();
  Generator generator{model, tokenizer};
  GenerationOptions options;
  options.max_new_tokens = 12;
  options.batch_size = 2;
  const std::vector<GenerationRequest> requests = {
      {{1, 5, 9, 13, 40, 41, 42, 3, 4, 5}, 11}, {{7, 8}, 22}, {{60, 61, 62}, 33}, {{20, 21, 22, 23, 24, 25}, 44}};
  size_t next = 0;
  std::map<size_t, Generation> results;
  generator.generate_continuous(
      options,
      [&](size_t free_rows, bool) {
        std::vector<AdmittedRequest> fresh;
        if (free_rows > 0 && next < requests.size()) fresh.push_back({next, requests[next]}), ++next;
        return fresh;
      },
      [&](const SequenceStep& step) {
        if (step.finished) results[step.request] = *step.finished;
      });
  COMPARE(results.size(), requests.size());
  for (size_t i = 0; i < requests.size(); ++i)
    COMPARE(results[i].token_ids == generator.generate({requests[i]}, options)[0].token_ids, true);
}

TPT_TEST(generator, non_finite_logits_stop_generation_with_an_error_naming_the_model) {
  // NaN weights once sampled token 0 at every step: NUL bytes as text, and no error.
  for (const bool continuous : {false, true}) {
    Setup s;
    {
      torch::NoGradGuard no_grad;
      s.model->named_parameters()["model.norm.weight"].fill_(std::numeric_limits<float>::quiet_NaN());
    }
    GenerationOptions options;
    options.max_new_tokens = 4;
    const std::string expected = "model " + fixture("llama-gqa-untied") + ": the model's logits are not finite";
    if (!continuous) {
      VERIFY_THROWS_WITH(s.generator.generate(prompts(), options), expected);
      options.sampling.temperature = 0.0;  // greedy too
      VERIFY_THROWS_WITH(s.generator.generate(prompts(), options), expected);
      continue;
    }
    bool admitted = false;
    VERIFY_THROWS_WITH(s.generator.generate_continuous(
                           options,
                           [&](size_t, bool) {
                             std::vector<AdmittedRequest> fresh;
                             if (!admitted) fresh.push_back({0, prompts()[0]});
                             admitted = true;
                             return fresh;
                           },
                           [](const SequenceStep&) {}),
                       expected);
  }
  // Infinity in the weights too: one row of the output projection at +inf.
  Setup s;
  {
    torch::NoGradGuard no_grad;
    s.model->named_parameters()["lm_head.weight"][7].fill_(std::numeric_limits<float>::infinity());
  }
  GenerationOptions options;
  options.max_new_tokens = 4;
  VERIFY_THROWS_WITH(s.generator.generate(prompts(), options), "logits are not finite");
}

TPT_TEST(generator, a_tokenizer_with_more_tokens_than_the_model_embeds_is_refused) {
  // The byte tokenizer has 257 ids (256 bytes and <|endoftext|>); give it one past the model's 320.
  tpt::model::CausalLm model = tpt::model::load_model(fixture("llama-gqa-untied"), test_device());
  nlohmann::json doc = tpt::text::byte_tokenizer_json();
  doc["added_tokens"].push_back({{"id", 320}, {"content", "<|extra|>"}, {"special", true}});
  const tpt::text::Tokenizer wide = tpt::text::Tokenizer::from_json(doc, "wide/tokenizer.json");
  VERIFY_THROWS_WITH((Generator{model, wide}),
                     "wide/tokenizer.json: token \"<|extra|>\" has id 320, but the model has only 320 token embeddings "
                     "(vocab_size in " + fixture("llama-gqa-untied") + "/config.json)");
  doc["added_tokens"].back()["id"] = 319;  // the last row: fits
  const tpt::text::Tokenizer fits = tpt::text::Tokenizer::from_json(doc, "fits/tokenizer.json");
  Generator generator{model, fits};
}
