// A code experiment end to end: `tpt run` on a tiny model whose samples come from a scripted
// OpenAI-compatible server (canned traces: a right or a wrong program per request), judged by
// running each program in the bubblewrap sandbox, pruned with tests_pass, trained on by the
// engine, and scored on hidden tests. The figures the test expects are counted from what the
// server handed out, not from the verifier.
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "check.h"
#include "cli_process.h"
#include "code/code_problem.h"
#include "code_test_support.h"
#include "store/store.h"
#include "text/model_tokenizer.h"
#include "tiny_experiment.h"

using nlohmann::json;
using Result = tpt::testing::CliResult;
using tpt::testing::tpt_run;

namespace {

// Problem k asks for n * (k + 2). Train problems are tagged [train k], test problems [test k].
json code_problem(const std::string& tag, int k) {
  const int factor = k + 2;
  json tests = json::array();
  for (int n : {1, 7, 30}) {
    tests.push_back({{"input", std::to_string(n) + "\n"},
                     {"output", std::to_string(n * factor) + "\n"},
                     {"kind", n == 1 ? "public" : "private"}});
  }
  return {{"id", tag + "-" + std::to_string(k)},
          {"prompt", "[" + tag + " " + std::to_string(k) + "] Read n and print n times " + std::to_string(factor) + "."},
          {"tests", tests},
          {"time_limit_s", 2}};
}

std::string program_for(int factor) {
  return "We multiply.\n```python\nn = int(input())\nprint(n * " + std::to_string(factor) + ")\n```";
}

// Canned traces. Think (train problems): the right program for even seeds, a wrong one for odd
// seeds. Improve (test problems): test 0 and 1 right, test 2 right only on the public test
// (n = 1), test 3 without code.
class CannedServer {
 public:
  explicit CannedServer(const std::string& model_dir) : tokenizer_(tpt::text::load_model_tokenizer(model_dir)) {
    server_.Get("/health", [](const httplib::Request&, httplib::Response& res) { res.set_content("{}", "application/json"); });
    server_.Get("/v1/models", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"object":"list","data":[{"id":"tiny","object":"model"}]})", "application/json");
    });
    server_.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
      const json body = json::parse(req.body);
      const uint64_t seed = body.at("seed").get<uint64_t>();
      std::string prompt;
      if (body.at("prompt").is_string()) prompt = body.at("prompt").get<std::string>();
      else prompt = tokenizer_.tokenizer->decode(body.at("prompt").get<std::vector<int32_t>>());
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (first_prompt_.empty()) first_prompt_ = prompt;
      }
      std::string text = "I cannot solve this.";
      if (auto at = prompt.rfind("[train "); at != std::string::npos) {
        const int k = std::stoi(prompt.substr(at + 7));
        const bool right = seed % 2 == 0;
        text = program_for(right ? k + 2 : k + 3);
        std::lock_guard<std::mutex> lock(mutex_);
        ++think_served_;
        if (right) ++think_right_;
      } else if (auto t = prompt.rfind("[test "); t != std::string::npos) {
        const int k = std::stoi(prompt.substr(t + 6));
        if (k <= 1) text = program_for(k + 2);
        else if (k == 2) text = "```python\nn = int(input())\nprint(" + std::to_string(k + 2) + " if n == 1 else 0)\n```";
      }
      const json answer = {{"id", "cmpl-1"},
                           {"object", "text_completion"},
                           {"choices", {{{"index", 0}, {"text", text}, {"finish_reason", "stop"}}}},
                           {"usage", {{"prompt_tokens", 4}, {"completion_tokens", 20}, {"total_tokens", 24}}}};
      res.set_content(answer.dump(), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~CannedServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int think_served() {
    std::lock_guard<std::mutex> lock(mutex_);
    return think_served_;
  }
  int think_right() {
    std::lock_guard<std::mutex> lock(mutex_);
    return think_right_;
  }
  std::string first_prompt() {
    std::lock_guard<std::mutex> lock(mutex_);
    return first_prompt_;
  }

 private:
  tpt::text::ModelTokenizer tokenizer_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  int think_served_ = 0, think_right_ = 0;
  std::string first_prompt_;
};

}  // namespace

TPT_TEST(code_run, a_code_experiment_prunes_on_unit_tests_trains_and_scores_hidden_tests) {
  code_test::sandbox();  // skips without bubblewrap (fails under CI)
  const std::string model = tpt::testing::write_tiny_model(tpt::testing::temp_dir() + "/tiny-model");
  const std::string dir = tpt::testing::temp_dir() + "/code-experiment";
  std::filesystem::create_directories(dir);
  {
    std::ofstream train(dir + "/train.jsonl"), test(dir + "/test.jsonl");
    for (int k = 0; k < 6; ++k) train << code_problem("train", k).dump() << "\n";
    for (int k = 0; k < 4; ++k) test << code_problem("test", k).dump() << "\n";
  }
  CannedServer server(model);
  json config = tpt::testing::tiny_experiment_config(model);
  config["rounds"] = 1;
  config["dataset"] = {{"train", "train.jsonl"}, {"test", "test.jsonl"}, {"format", "code"}};
  config["sampler"] = {{"backend", "openai"}, {"url", server.url()}, {"concurrency", 2}};
  config["think"]["pool_size"] = 0;
  config["think"]["samples_per_problem"] = 4;
  config["prune"] = {{"rules", {{{"type", "tests_pass"}, {"mode", "all"}}}}};
  config["eval"]["samples"] = 1;
  config["eval"]["pass_at_k"] = {1};
  config["sandbox"] = {{"workers", 2}};
  std::ofstream(dir + "/experiment.json") << config.dump(2);

  const Result r = tpt_run("-q run " + dir);
  if (r.status != 0) TPT_FAIL("tpt run failed: " + r.err);

  tpt::store::Store store(dir + "/experiment.sqlite", tpt::store::OpenMode::read_only);
  const auto experiment = store.list_experiments().front().id;
  const auto rounds = store.list_rounds(experiment);
  COMPARE(rounds.size(), size_t{2});
  const auto& round1 = rounds[1];
  const auto think = store.get_metrics(round1.id);
  // 6 problems x 4 samples; kept = the right programs the server handed out.
  COMPARE(server.think_served(), 24);
  COMPARE(static_cast<int>(think.at("prune.kept")), server.think_right());
  VERIFY(server.think_right() > 0 && server.think_right() < 24);
  COMPARE(static_cast<int>(think.at("train.examples")), server.think_right());
  // Improve on hidden tests: 2 of 4 test problems right on every test (strict), 3 of 4 on the
  // public one (flexible), in both rounds (the canned answers do not depend on the model).
  for (const auto& round : rounds) {
    const auto m = store.get_metrics(round.id);
    COMPARE_NEAR(m.at("pass@1.strict"), 0.5, 1e-9);
    COMPARE_NEAR(m.at("pass@1.flexible"), 0.75, 1e-9);
  }
  // Each decision keeps its program's judgement; each evaluation answer too.
  tpt::store::SampleFilter filter;
  filter.round_id = round1.id;
  const auto rows = store.list_samples(filter, 0, 100);
  COMPARE(rows.size(), size_t{24});
  int judged = 0;
  for (const auto& row : rows) {
    const auto detail = store.get_sample(row.sample_id);
    VERIFY(detail && detail->decision);
    const auto c = tpt::code::CodeJudgement::from_json(json::parse(detail->decision->detail));
    COMPARE(c.total, 3);
    COMPARE(detail->decision->kept, c.verdict == tpt::code::CodeVerdict::Accepted);
    ++judged;
  }
  COMPARE(judged, 24);
  const auto answers = store.list_eval_samples(round1.id);
  COMPARE(answers.size(), size_t{4});
  for (const auto& a : answers) VERIFY(!a.detail.empty());
  // Code problems are asked in the code layout ("Q: ... A:"), not GSM8K's "Question: ...".
  VERIFY_CONTAINS(server.first_prompt(), "Q: [t");
  VERIFY(server.first_prompt().find("Question:") == std::string::npos);
  VERIFY(server.first_prompt().size() >= 3 && server.first_prompt().substr(server.first_prompt().size() - 3) == "\nA:");
  // The trained model exists.
  VERIFY(std::filesystem::exists(round1.model_path + "/config.json"));
}
