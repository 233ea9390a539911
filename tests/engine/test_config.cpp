// experiment.json: every field validated, every problem reported with its JSON path at once,
// unknown keys rejected, defaults documented.
#include <fstream>
#include <cmath>
#include <functional>
#include <limits>
#include <sstream>

#include "check.h"
#include "config/experiment_config.h"
#include "config/presets.h"
#include "io/json_fields.h"

using nlohmann::json;
using tpt::config::ExperimentConfig;

namespace {

json minimal() {
  return json{{"schema_version", 1},
              {"dataset", {{"train", "data/train.jsonl"}, {"test", "data/test.jsonl"}}},
              {"model", {{"path", "models/base"}}}};
}

std::vector<std::string> messages(const json& doc) {
  std::vector<std::string> out;
  for (const auto& issue : ExperimentConfig::validate(doc)) out.push_back(issue.to_string());
  return out;
}

bool has(const std::vector<std::string>& list, const std::string& text) {
  for (const auto& s : list)
    if (s == text) return true;
  return false;
}

std::string joined(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& s : list) out += s + " | ";
  return out;
}

}  // namespace

TPT_TEST(config, a_minimal_file_takes_the_documented_defaults) {
  auto c = ExperimentConfig::from_json(minimal());
  COMPARE(c.rounds, 4);
  COMPARE(c.think.temperature, 0.8);
  COMPARE(c.think.top_p, 1.0);
  COMPARE(c.train.method, tpt::config::TrainMethod::Full);
  COMPARE(c.eval.temperature, 0.0);
  COMPARE(c.dataset.on_malformed, std::string("fail"));
  VERIFY(!c.stop.target_pass1.has_value());
}

TPT_TEST(config, every_error_is_reported_at_once_with_its_path) {
  json doc = minimal();
  doc["think"] = {{"temperature", -1}, {"top_p", 0}, {"samples_per_problem", "ten"}};
  doc["train"] = {{"lerning_rate", 1e-5}, {"method", "qlora"}};
  doc["eval"] = {{"samples", 4}, {"temperature", 0.7}, {"pass_at_k", {1, 8}}};
  doc["roundz"] = 3;
  auto errors = messages(doc);
  VERIFY(has(errors, "think.temperature: must be in [0, 5], got -1"));
  VERIFY(has(errors, "think.top_p: must be in (0, 1], got 0"));
  VERIFY(has(errors, "think.samples_per_problem: must be an integer in [1, 100000], got a string \"ten\""));
  VERIFY(has(errors, "train.lerning_rate: unknown key (did you mean \"learning_rate\"?)"));
  VERIFY(has(errors, "train.method: must be one of \"full\" or \"lora\", got \"qlora\""));
  VERIFY(has(errors, "eval.pass_at_k[1]: k = 8 needs at least that many samples, but eval.samples is 4"));
  VERIFY(has(errors, "roundz: unknown key (did you mean \"rounds\"?)"));
  COMPARE(errors.size(), size_t{7});
}

TPT_TEST(config, the_exception_lists_every_error_and_names_the_file) {
  json doc = minimal();
  doc["rounds"] = -2;
  doc["seed"] = 1.5;
  try {
    ExperimentConfig::from_json(doc, "my/experiment.json");
    TPT_FAIL("no exception");
  } catch (const tpt::ValidationError& e) {
    COMPARE(e.issues().size(), size_t{2});
    VERIFY_CONTAINS(e.what(), "my/experiment.json: 2 errors");
    VERIFY_CONTAINS(e.what(), "rounds: must be an integer in [0, 1000], got -2");
    VERIFY_CONTAINS(e.what(), "seed: must be an integer >= 0, got 1.5");
  }
}

TPT_TEST(config, required_sections_and_fields_are_named) {
  auto errors = messages(json{{"schema_version", 1}, {"dataset", {{"train", "t.jsonl"}}}});
  VERIFY(has(errors, "dataset.test: required: path of the held-out test split (JSONL)"));
  VERIFY(has(errors, "model: required (an object with \"path\" of an HF-format model folder)"));
  COMPARE(errors.size(), size_t{2});
}

TPT_TEST(config, the_schema_version_is_required_and_a_newer_one_refused) {
  json doc = minimal();
  doc.erase("schema_version");
  VERIFY(has(messages(doc), "schema_version: required (this build reads version 1)"));
  doc["schema_version"] = 99;
  doc["some_future_key"] = true;
  auto errors = messages(doc);
  COMPARE(errors.size(), size_t{1});  // no noise about keys a newer version may have added
  VERIFY_CONTAINS(errors[0], "version 99 is newer than this build supports (1)");
}

TPT_TEST(config, wrong_types_in_nested_sections_are_named) {
  json doc = minimal();
  doc["think"] = {{"stop", {"\n\n", 3}}};
  doc["train"] = {{"lora", {{"rank", 0}, {"targets", json::array()}}}};
  doc["model"] = "models/base";
  auto errors = messages(doc);
  VERIFY(has(errors, "think.stop[1]: must be a string, got 3"));
  VERIFY(has(errors, "train.lora.rank: must be an integer in [1, 4096], got 0"));
  VERIFY(has(errors, "train.lora.targets: must name at least one projection (e.g. \"q_proj\")"));
  VERIFY(has(errors, "model: must be an object, got a string"));
}

TPT_TEST(config, greedy_evaluation_with_several_samples_is_refused) {
  json doc = minimal();
  doc["eval"] = {{"samples", 4}};
  VERIFY(has(messages(doc), "eval.temperature: must be > 0 when eval.samples > 1 (greedy decoding gives the same sample every time)"));
}

TPT_TEST(config, the_prune_section_is_validated_as_a_rule_set) {
  json doc = minimal();
  doc["prune"] = {{"rules", json::array({json{{"type", "correct_answer"}}, json{{"type", "max_per_problem"}, {"k", 0}}})}};
  auto errors = messages(doc);
  bool found = false;
  for (const auto& e : errors) found = found || e.rfind("prune.rules[1].k", 0) == 0;
  VERIFY(found);
}

TPT_TEST(config, a_saved_config_loads_back_identically) {
  auto c = ExperimentConfig::from_json(minimal());
  c.think.temperature = 0.7;
  c.eval.samples = 4;
  c.eval.temperature = 0.7;
  c.eval.pass_at_k = {1, 4};
  c.stop.target_pass1 = 0.6;
  c.prune = tpt::prune::RuleSet::paper();
  const std::string path = tpt::testing::temp_dir() + "/experiment.json";
  c.save(path);
  auto back = ExperimentConfig::load(path);
  COMPARE(back.to_json().dump(), c.to_json().dump());
  COMPARE(back.stop.target_pass1.value(), 0.6);
}

TPT_TEST(config, the_dataset_format_names_a_problem_set_format_or_is_refused_with_the_choices) {
  for (const char* name : {"gsm8k", "codecontests", "apps", "code"}) {
    json doc = minimal();
    doc["dataset"]["format"] = name;
    COMPARE(ExperimentConfig::from_json(doc).dataset.format, std::string(name));
  }
  json doc = minimal();
  doc["dataset"]["format"] = "humaneval";
  doc["dataset"]["skip_images"] = "yes";
  auto errors = messages(doc);
  VERIFY(has(errors, "dataset.format: must be one of \"gsm8k\", \"codecontests\", \"apps\" or \"code\", got "
                     "\"humaneval\""));
  COMPARE(errors.size(), size_t{2});
  VERIFY_CONTAINS(joined(errors), "dataset.skip_images:");
}

TPT_TEST(config, skip_images_is_on_by_default_and_saved_only_for_code_formats) {
  json doc = minimal();
  doc["dataset"]["format"] = "codecontests";
  doc["dataset"]["skip_images"] = false;
  auto c = ExperimentConfig::from_json(doc);
  VERIFY(!c.dataset.skip_images);
  const std::string path = tpt::testing::temp_dir() + "/code.json";
  c.save(path);
  auto back = ExperimentConfig::load(path);
  VERIFY(!back.dataset.skip_images);
  COMPARE(back.to_json().dump(), c.to_json().dump());
  // A GSM8K experiment's stored settings stay as they were before code formats existed, so an
  // experiment created then resumes without "dataset.skip_images: (absent) -> true".
  auto gsm8k = ExperimentConfig::from_json(minimal());
  VERIFY(gsm8k.dataset.skip_images);
  VERIFY(!gsm8k.to_json().at("dataset").contains("skip_images"));
}

TPT_TEST(config, relative_paths_resolve_against_the_experiment_folder) {
  const std::string dir = tpt::testing::temp_dir();
  tpt::io::write_json_file(dir + "/experiment.json", minimal());
  auto c = ExperimentConfig::load(dir + "/experiment.json");
  COMPARE(c.resolve(c.dataset.train), dir + "/data/train.jsonl");
  COMPARE(c.resolve("/abs/path"), std::string("/abs/path"));
}

TPT_TEST(config, a_json_syntax_error_names_the_line_and_column) {
  const std::string path = tpt::testing::temp_dir() + "/broken.json";
  std::ofstream(path) << "{\n  \"schema_version\": 1,\n  \"rounds\": 4,,\n}\n";
  VERIFY_THROWS_WITH(ExperimentConfig::load(path), path + ":3: invalid JSON at column 15");
}

TPT_TEST(config, every_key_is_documented) {
  std::ifstream in(std::string(TPT_SOURCE_DIR) + "/docs/experiment-config.md");
  VERIFY(in.good());
  std::stringstream doc;
  doc << in.rdbuf();
  const std::string text = doc.str();
  std::vector<std::string> missing;
  std::function<void(const json&, const std::string&)> walk = [&](const json& node, const std::string& path) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = path.empty() ? it.key() : path + "." + it.key();
      if (key.rfind("prune", 0) == 0) continue;  // rule sets have their own page
      if (text.find("`" + key + "`") == std::string::npos) missing.push_back(key);
      if (it->is_object()) walk(*it, key);
    }
  };
  walk(ExperimentConfig().to_json(), "");
  COMPARE(joined(missing), std::string());
}

TPT_TEST(config, the_paper_preset_holds_the_papers_gsm8k_settings) {
  // Values from the TPT paper (Costello et al. 2025), as summarised in the design reference.
  tpt::config::ExperimentConfig c = tpt::config::preset("paper-gsm8k");
  COMPARE(c.think.prompt_format, std::string("zero-shot"));
  COMPARE(c.think.samples_per_problem, 10);
  COMPARE_NEAR(c.think.temperature, 0.8, 0.0);
  COMPARE(c.think.max_new_tokens, 1500);
  COMPARE(c.train.max_examples, int64_t{2000});
  COMPARE_NEAR(c.train.learning_rate, 1e-6, 0.0);
  COMPARE(c.train.micro_batch_size * c.train.gradient_accumulation, 8);
  COMPARE(c.train.init, tpt::config::TrainInit::Previous);
  COMPARE(c.train.data, tpt::config::TrainData::Replace);
  COMPARE(c.eval.subset_size, int64_t{500});
  COMPARE(c.eval.samples, 20);
  COMPARE_NEAR(c.eval.temperature, 0.7, 0.0);
  COMPARE(c.rounds, 4);
  // First correct sample per problem, by the paper's exact "####" checker.
  const auto prune = c.prune.to_json();
  COMPARE(prune.at("verifier").at("extractor").get<std::string>(), std::string("strict"));
  COMPARE(prune.at("rules").back().at("type").get<std::string>(), std::string("max_per_problem"));
  // The bundled GSM8K files are found from a build folder, and the preset validates once a
  // model is named.
  VERIFY_CONTAINS(c.dataset.train, "gsm8k/train.jsonl");
  c.model.path = "/models/gemma-2-2b-it";
  COMPARE(tpt::config::ExperimentConfig::validate(c.to_json()).size(), size_t{0});
  VERIFY_THROWS_WITH(tpt::config::preset("papr"), "paper-gsm8k");
}

TPT_TEST(config, the_codecontests_preset_holds_the_papers_code_settings) {
  // From the paper: hard pruning on unit tests, 1,000 examples per round, Pass@1 and pass@50.
  tpt::config::ExperimentConfig c = tpt::config::preset("paper-codecontests");
  COMPARE(c.dataset.format, std::string("codecontests"));
  VERIFY(c.dataset.skip_images);
  COMPARE(c.train.max_examples, int64_t{1000});
  COMPARE(c.eval.samples, 50);
  VERIFY(c.eval.pass_at_k == (std::vector<int64_t>{1, 50}));
  const auto prune = c.prune.to_json();
  COMPARE(prune.at("rules").at(0).at("type").get<std::string>(), std::string("tests_pass"));
  COMPARE(prune.at("rules").at(0).at("mode").get<std::string>(), std::string("all"));
  // Assumed (docs/code-domain.md): the problem's time limit + 10 s, T 0.6, 1,024 tokens.
  COMPARE_NEAR(c.sandbox.extra_time_s, 10.0, 0.0);
  COMPARE(c.think.max_new_tokens, 1024);
  // The sandbox section is written for a code experiment and read back the same.
  const auto j = c.to_json();
  VERIFY(j.contains("sandbox"));
  c.model.path = "/models/gemma-2-2b-it";
  c.dataset.train = "/data/codecontests-train.jsonl";
  c.dataset.test = "/data/codecontests-test.jsonl";
  COMPARE(tpt::config::ExperimentConfig::validate(c.to_json()).size(), size_t{0});
  COMPARE(tpt::config::ExperimentConfig::from_json(c.to_json()).to_json().dump(), c.to_json().dump());
  // A math experiment's file has no sandbox section: rounds stored before it still resume.
  VERIFY(!tpt::config::preset("paper-gsm8k").to_json().contains("sandbox"));
}

TPT_TEST(config, numbers_must_be_finite) {
  // JSON has no NaN or infinity; a literal beyond double's range is an error naming its line
  // and column (nlohmann's own exception named neither the file nor the line).
  VERIFY_THROWS_WITH(tpt::io::parse_json_text("{\"schema_version\": 1,\n \"think\": {\"temperature\": 1e999}}", "experiment.json"),
                     "experiment.json:2: invalid JSON at column 27: syntax error while parsing value - number overflow parsing '1e999'");
  // A document built in code (the Setup panel's) can hold NaN or infinity.
  json doc = minimal();
  doc["think"] = {{"temperature", std::numeric_limits<double>::infinity()}};
  doc["train"] = {{"max_grad_norm", std::numeric_limits<double>::infinity()}};  // no upper bound
  doc["eval"] = {{"top_p", std::nan("")}};
  const auto errors = messages(doc);
  VERIFY(has(errors, "think.temperature: must be a finite number, got infinity"));
  VERIFY(has(errors, "train.max_grad_norm: must be a finite number, got infinity"));
  VERIFY(has(errors, "eval.top_p: must be a finite number, got NaN"));
}
