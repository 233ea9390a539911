// `tpt serve` throughput against the in-process sampler: a Think-like workload (problems ×
// samples, the demo's sampling settings) drawn once by think::EngineSampler at batch 64 and
// once through the HTTP server by 64 concurrent clients, each sending one /v1/completions
// request at a time exactly as the round runner's OpenAI sampler does (token-id prompt, seed,
// add_special_tokens false). Same model, same requests and seeds, same process, one after the
// other. Prints tokens/s both ways and their ratio, and checks that both drew the same samples.
// Run on demand, never as a test:
//
//   ./build/bench_serve [--problems 128] [--samples 4] [--clients 64] [--batch-size 64]
//                       [--max-new-tokens 96] [--rounds 2] [--batch-window-ms 5] [--threads N]
//                       [--model DIR]
//
// Each way runs `rounds` times, taking turns, and the best time of each is reported.
//
// Without --model it uses the built-in demo's quick base model (built into the user's data
// folder on first use, as `tpt demo --quick` does).
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "demo/base_model.h"
#include "demo/word_problems.h"
#include "model/checkpoint.h"
#include "runtime/torch_runtime.h"
#include "serve/server.h"
#include "text/model_tokenizer.h"
#include "text/prompt_format.h"
#include "think/engine_sampler.h"

using nlohmann::json;
using namespace tpt;

int main(int argc, char** argv) {
  int problems = 128, samples = 4, clients = 64, batch_size = 64, max_new_tokens = 96, threads = 0, rounds = 2, window_ms = 5;
  std::string model_dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (name == "--problems") problems = value;
    else if (name == "--samples") samples = value;
    else if (name == "--clients") clients = value;
    else if (name == "--batch-size") batch_size = value;
    else if (name == "--max-new-tokens") max_new_tokens = value;
    else if (name == "--threads") threads = value;
    else if (name == "--rounds") rounds = value;
    else if (name == "--batch-window-ms") window_ms = value;
    else if (name == "--model") model_dir = argv[i + 1];
    else {
      std::fprintf(stderr, "bench_serve: unknown option %s\n", name.c_str());
      return 2;
    }
  }
  const auto runtime = runtime::init_runtime(threads);
  std::fprintf(stderr, "%s\n", runtime::runtime_summary(runtime).c_str());
  if (model_dir.empty()) model_dir = demo::ensure_base_model(demo::builtin_base_model_recipe(/*quick=*/true)).folder;
  std::fprintf(stderr, "model: %s\n", model_dir.c_str());

  // Think's requests: each problem's prompt in the demo's plain format, `samples` seeds each.
  const text::ModelTokenizer tokenizer = text::load_model_tokenizer(model_dir);
  const text::PromptFormat format(tokenizer, text::PromptStyle::Plain);
  const auto word_problems =
      demo::generate_word_problems(demo::word_problem_levels()[1].options, demo::WordProblemSplit::Train, problems);
  std::vector<think::SampleRequest> requests;
  for (const auto& p : word_problems) {
    auto prompt = std::make_shared<think::Prompt>();
    prompt->text = format.prompt_text(p.problem.question);
    prompt->ids = format.prompt_ids(p.problem.question);
    for (int s = 0; s < samples; ++s) requests.push_back({prompt, 1000 + requests.size(), "request " + std::to_string(requests.size())});
  }
  think::SamplingSettings settings;
  settings.temperature = 0.8;  // the demo's Think settings
  settings.max_new_tokens = max_new_tokens;
  settings.batch_size = batch_size;
  settings.stop_strings = format.stop_strings();
  std::fprintf(stderr, "%zu requests (%d problems x %d samples), max %d new tokens, batch %d\n", requests.size(),
               problems, samples, max_new_tokens, batch_size);

  // Both ways take turns, `rounds` times each, and the best time of each counts: the machine
  // may be shared, and the first round also pays for warming up.
  think::EngineSampler sampler(model::load_model(model_dir), tokenizer);
  serve::ServerOptions options;
  options.model_dir = model_dir;
  options.name = "bench";
  options.port = 0;
  options.device = "cpu";
  options.batch_size = batch_size;
  options.log_requests = false;
  options.batch_window_ms = window_ms;
  serve::Server server(options);
  server.start();

  std::vector<think::Sample> local(requests.size());
  std::vector<json> remote(requests.size());
  std::atomic<int> failures{0};
  double local_seconds = 1e30, remote_seconds = 1e30;
  for (int round = 0; round < rounds; ++round) {
    // 1. In process.
    auto start = std::chrono::steady_clock::now();
    sampler.sample(
        requests, settings,
        [&](const std::vector<think::Sample>& done) {
          for (const auto& s : done) local[s.request] = s;
        },
        {}, {});
    const double local_round = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    local_seconds = std::min(local_seconds, local_round);

    // 2. Through the server, `clients` at a time.
    std::atomic<size_t> next{0};
    start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int c = 0; c < clients; ++c)
      pool.emplace_back([&] {
        httplib::Client client("127.0.0.1", server.port());
        client.set_keep_alive(true);
        client.set_read_timeout(600, 0);
        for (size_t i = next++; i < requests.size(); i = next++) {
          const json body = {{"model", "bench"},
                             {"prompt", requests[i].prompt->ids},
                             {"max_tokens", settings.max_new_tokens},
                             {"temperature", settings.temperature},
                             {"top_p", settings.top_p},
                             {"top_k", settings.top_k},
                             {"seed", requests[i].seed},
                             {"n", 1},
                             {"stop", settings.stop_strings},
                             {"add_special_tokens", false}};
          auto res = client.Post("/v1/completions", body.dump(), "application/json");
          if (!res || res->status != 200) {
            if (++failures <= 3)
              std::fprintf(stderr, "request %zu failed: %s\n", i,
                           res ? (std::to_string(res->status) + " " + res->body).c_str()
                               : httplib::to_string(res.error()).c_str());
            continue;
          }
          remote[i] = json::parse(res->body);
        }
      });
    for (auto& t : pool) t.join();
    const double remote_round = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    remote_seconds = std::min(remote_seconds, remote_round);
    std::fprintf(stderr, "round %d: in-process %.2f s, served %.2f s\n", round + 1, local_round, remote_round);
  }
  const serve::ServerStats stats = server.stats();
  server.stop();
  int64_t local_tokens = 0;
  for (const auto& s : local) local_tokens += s.token_count;

  int64_t remote_tokens = 0;
  size_t same = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (remote[i].is_null()) continue;
    remote_tokens += remote[i]["usage"]["completion_tokens"].get<int64_t>();
    const std::string text = remote[i]["choices"][0]["text"].get<std::string>();
    const bool identical =
        text == local[i].text && remote[i]["usage"]["completion_tokens"].get<int64_t>() == local[i].token_count;
    same += identical;
    if (!identical) {
      size_t common = 0;
      while (common < text.size() && common < local[i].text.size() && text[common] == local[i].text[common]) ++common;
      std::fprintf(stderr, "request %zu differs after %zu characters (served %zu, in-process %zu)\n", i, common,
                   text.size(), local[i].text.size());
    }
  }
  const double local_rate = local_tokens / local_seconds, remote_rate = remote_tokens / remote_seconds;
  std::printf("in-process EngineSampler (batch %d):   %8lld tokens  %7.2f s  %9.1f tokens/s\n", batch_size,
              static_cast<long long>(local_tokens), local_seconds, local_rate);
  std::printf("tpt serve, %d HTTP clients:            %8lld tokens  %7.2f s  %9.1f tokens/s\n", clients,
              static_cast<long long>(remote_tokens), remote_seconds, remote_rate);
  std::printf("server batches (all rounds): %lld, %.1f sequences each on average, %.2f s generating\n",
              static_cast<long long>(stats.batches),
              stats.batches ? static_cast<double>(stats.sequences) / stats.batches : 0.0, stats.busy_seconds);
  std::printf("ratio served / in-process: %.3f\n", remote_rate / local_rate);
  std::printf("identical samples: %zu of %zu; failed requests: %d\n", same, requests.size(), failures.load());
  return failures.load() == 0 ? 0 : 1;
}
