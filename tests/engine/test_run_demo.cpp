// The built-in base model and the demo: the model folder is an ordinary HF folder with its
// recipe beside it, the user-data cache builds once and reuses after, and `tpt demo --quick`
// runs the whole pipeline end to end as a real process, keeps traces and improves round after
// round. The full demo's figures are measured by tests/bench/demo_figures.sh, not here.
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "check.h"
#include "cli_process.h"
#include "data/gsm8k.h"
#include "demo/base_model.h"
#include "demo/demo.h"
#include "model/checkpoint.h"
#include "prune/rule_set.h"
#include "report/status.h"
#include "text/model_tokenizer.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using Result = tpt::testing::CliResult;
using tpt::testing::slurp;
using tpt::testing::tpt_run;

// A recipe small enough to build in about a second: these tests check the plumbing, not
// what the model learns.
tpt::demo::BaseModelRecipe tiny_recipe(uint64_t seed = 3) {
  tpt::demo::BaseModelRecipe r = tpt::demo::builtin_base_model_recipe(true, seed);
  r.name = "test";
  r.hidden_size = 32;
  r.intermediate_size = 64;
  r.layers = 1;
  for (auto& part : r.data) part.problems = 32;
  r.steps = 4;
  r.micro_batch_size = 8;
  return r;
}

// Points the user-data folder at a fresh temporary folder for as long as it lives.
class TempDataHome {
 public:
  TempDataHome() : dir_(tpt::testing::temp_dir() + "/data-home") {
    if (const char* old = std::getenv("XDG_DATA_HOME")) old_ = old;
    setenv("XDG_DATA_HOME", dir_.c_str(), 1);
  }
  ~TempDataHome() {
    if (old_) setenv("XDG_DATA_HOME", old_->c_str(), 1);
    else unsetenv("XDG_DATA_HOME");
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::optional<std::string> old_;
};

}  // namespace

TPT_TEST(base_model, folder_loads_like_any_model_and_records_its_recipe) {
  const auto recipe = tiny_recipe();
  const std::string out = tpt::testing::temp_dir() + "/model";
  const auto build = tpt::demo::build_base_model(recipe, out);
  VERIFY(!build.cancelled);
  COMPARE(fs::path(build.folder), fs::absolute(out).lexically_normal());
  for (const char* file : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                           "generation_config.json", "base_model.json"})
    if (!fs::exists(fs::path(out) / file)) TPT_FAIL(std::string("missing ") + file);
  VERIFY(!fs::exists(out + ".partial"));

  tpt::model::CausalLm model = tpt::model::load_model(out);
  COMPARE(tpt::model::summarize(*model).family, std::string("llama"));
  COMPARE(tpt::model::summarize(*model).parameters, build.parameters);
  const auto tokenizer = tpt::text::load_model_tokenizer(out);
  // The tokenizer learnt from the recipe's problems: bytes, <|endoftext|>, merges; the model's
  // vocabulary is exactly its size.
  COMPARE(tpt::model::summarize(*model).vocab, static_cast<int64_t>(tokenizer.tokenizer->vocab_size()));
  VERIFY(tpt::model::summarize(*model).vocab > 257);
  VERIFY(tpt::model::summarize(*model).vocab <= recipe.tokenizer_vocab_size);
  // <|endoftext|> (id 256, after the 256 bytes) ends a solution.
  VERIFY(tokenizer.eos_id.has_value());
  COMPARE(*tokenizer.eos_id, int32_t{256});
  COMPARE(tokenizer.add_bos_token, false);
  COMPARE(tokenizer.tokenizer->decode(tokenizer.encode_prompt("12+5=17"), false), std::string("12+5=17"));

  const json recorded = json::parse(slurp(out + "/base_model.json"));
  COMPARE(recorded.at("recipe"), recipe.to_json());
  COMPARE(recorded.at("recipe_hash").get<std::string>(), recipe.hash());
  COMPARE(recorded.at("seed").get<uint64_t>(), uint64_t{3});
  COMPARE(recorded.at("steps").get<int64_t>(), int64_t{4});
  VERIFY(std::isfinite(recorded.at("final_loss").get<double>()));
}

TPT_TEST(base_model, same_recipe_gives_the_same_weights) {
  const auto recipe = tiny_recipe();
  const std::string a = tpt::testing::temp_dir() + "/a", b = tpt::testing::temp_dir() + "/b";
  tpt::demo::build_base_model(recipe, a);
  tpt::demo::build_base_model(recipe, b);
  VERIFY(slurp(a + "/model.safetensors") == slurp(b + "/model.safetensors"));
  const std::string c = tpt::testing::temp_dir() + "/c";
  tpt::demo::build_base_model(tiny_recipe(4), c);
  VERIFY(slurp(a + "/model.safetensors") != slurp(c + "/model.safetensors"));
}

TPT_TEST(base_model, refuses_a_folder_that_is_not_empty) {
  const std::string out = tpt::testing::temp_dir() + "/taken";
  fs::create_directories(out);
  std::ofstream(out + "/notes.txt") << "mine";
  VERIFY_THROWS_WITH(tpt::demo::build_base_model(tiny_recipe(), out), "not empty");
  COMPARE(slurp(out + "/notes.txt"), std::string("mine"));
}

TPT_TEST(base_model, recipe_round_trips_through_json_and_the_hash_covers_the_seed) {
  const auto recipe = tpt::demo::builtin_base_model_recipe(false, 1);
  const auto again = tpt::demo::BaseModelRecipe::from_json(recipe.to_json());
  COMPARE(again.to_json(), recipe.to_json());
  COMPARE(again.hash(), recipe.hash());
  COMPARE(recipe.hash().size(), size_t{16});
  VERIFY(recipe.hash() != tpt::demo::builtin_base_model_recipe(false, 2).hash());
  VERIFY(recipe.hash() != tpt::demo::builtin_base_model_recipe(true, 1).hash());
}

TPT_TEST(base_model, recipe_errors_name_the_field) {
  json doc = tpt::demo::builtin_base_model_recipe(false).to_json();
  doc["train"]["stpes"] = 10;
  doc["model"]["heads"] = 5;
  VERIFY_THROWS_WITH(tpt::demo::BaseModelRecipe::from_json(doc, "my-recipe.json"), "train.stpes");
  VERIFY_THROWS_WITH(tpt::demo::BaseModelRecipe::from_json(doc, "my-recipe.json"), "model.heads");
  VERIFY_THROWS_WITH(tpt::demo::BaseModelRecipe::from_json(doc, "my-recipe.json"), "my-recipe.json");
  doc = tpt::demo::builtin_base_model_recipe(false).to_json();
  doc["data"][1]["task"]["max_steps"] = 9;
  VERIFY_THROWS_WITH(tpt::demo::BaseModelRecipe::from_json(doc, "my-recipe.json"), "data[1].task.max_steps");
  doc.erase("data");
  VERIFY_THROWS_WITH(tpt::demo::BaseModelRecipe::from_json(doc, "my-recipe.json"), "data: required");
  doc = tpt::demo::builtin_base_model_recipe(false).to_json();
  doc["tokenizer"]["vocab_size"] = 100;
  VERIFY_THROWS_WITH(tpt::demo::BaseModelRecipe::from_json(doc, "my-recipe.json"), "tokenizer.vocab_size");
}

TPT_TEST(base_model, cache_builds_once_in_the_user_data_folder_and_reuses_after) {
  const TempDataHome home;
  const auto recipe = tiny_recipe();
  const std::string expected = home.dir() + "/tpt-workbench/models/base-" + recipe.hash();
  COMPARE(tpt::demo::cached_base_model_dir(recipe), expected);

  const auto first = tpt::demo::ensure_base_model(recipe);
  COMPARE(first.folder, expected);
  VERIFY(!first.reused);
  VERIFY(fs::exists(expected + "/base_model.json"));
  const auto written = fs::last_write_time(expected + "/model.safetensors");

  const auto second = tpt::demo::ensure_base_model(recipe);
  COMPARE(second.folder, expected);
  VERIFY(second.reused);
  VERIFY(fs::last_write_time(expected + "/model.safetensors") == written);
  // Nothing but the model and its lock file: no staging folder left behind.
  size_t entries = 0;
  for (const auto& entry : fs::directory_iterator(home.dir() + "/tpt-workbench/models")) {
    (void)entry;
    ++entries;
  }
  COMPARE(entries, size_t{2});
}

TPT_TEST(base_model, cache_discards_what_a_killed_build_left) {
  const TempDataHome home;
  const auto recipe = tiny_recipe();
  const std::string folder = tpt::demo::cached_base_model_dir(recipe);
  // A build killed while staging, and a folder without its recipe file (never renamed into
  // place by this code, so not to be trusted).
  fs::create_directories(folder + ".partial");
  std::ofstream(folder + ".partial/model.safetensors") << "half";
  fs::create_directories(folder);
  std::ofstream(folder + "/config.json") << "{}";

  const auto build = tpt::demo::ensure_base_model(recipe);
  VERIFY(!build.reused);
  VERIFY(fs::exists(folder + "/base_model.json"));
  VERIFY(!fs::exists(folder + ".partial"));
  tpt::model::load_model(folder);  // a complete model, not the leftovers
}

TPT_TEST(base_model, cancel_leaves_nothing_in_the_cache) {
  const TempDataHome home;
  const auto recipe = tiny_recipe();
  tpt::run::RunControl control;
  control.cancel();
  const auto build = tpt::demo::ensure_base_model(recipe, nullptr, &control);
  VERIFY(build.cancelled);
  VERIFY(build.folder.empty());
  VERIFY(!fs::exists(tpt::demo::cached_base_model_dir(recipe)));
  VERIFY(!fs::exists(tpt::demo::cached_base_model_dir(recipe) + ".partial"));
}

TPT_TEST(demo, experiment_is_a_valid_config_with_pass_at_k_above_one) {
  for (bool quick : {false, true}) {
    tpt::demo::DemoOptions options;
    options.quick = quick;
    const auto config = tpt::demo::demo_experiment_config(options, "/models/base");
    // Through the validator, as the GUI's preset and `tpt run` will read it.
    const auto loaded = tpt::config::ExperimentConfig::from_json(config.to_json(), "demo");
    COMPARE(loaded.think.prompt_format, std::string("plain"));
    COMPARE(loaded.rounds, 4);
    COMPARE(loaded.model.path, std::string("/models/base"));
    VERIFY(loaded.eval.samples > 1);
    VERIFY(std::any_of(loaded.eval.pass_at_k.begin(), loaded.eval.pass_at_k.end(), [](int64_t k) { return k > 1; }));
  }
}

TPT_TEST(demo, no_pruning_keeps_every_sample_right_or_wrong) {
  tpt::demo::DemoOptions options;
  options.pruning = false;
  const auto config = tpt::config::ExperimentConfig::from_json(
      tpt::demo::demo_experiment_config(options, "/models/base").to_json(), "demo");
  std::vector<tpt::prune::PruneSample> samples(4);
  samples[0].id = 1, samples[0].problem_key = "p", samples[0].completion = "2+3=<<2+3=5>>5\n#### 5", samples[0].gold = "5";
  samples[1].id = 2, samples[1].problem_key = "p", samples[1].completion = "2+3=<<2+3=6>>6\n#### 6", samples[1].gold = "5";
  samples[2].id = 3, samples[2].problem_key = "p", samples[2].completion = "no answer", samples[2].gold = "5";
  // The right answer through a garbled step: kept without pruning, dropped by the demo.
  samples[3].id = 4, samples[3].problem_key = "p", samples[3].completion = "2+3=<<5>>5\n#### 5", samples[3].gold = "5";
  for (const auto& d : config.prune.apply(samples)) VERIFY(d.kept);

  options.pruning = true;
  const auto pruned = tpt::demo::demo_experiment_config(options, "/models/base");
  const auto decisions = pruned.prune.apply(samples);
  COMPARE(decisions[0].kept, true);
  COMPARE(decisions[1].kept, false);
  COMPARE(decisions[2].kept, false);
  COMPARE(decisions[3].kept, false);
  COMPARE(decisions[3].dropped_by, std::string("calculator_check"));
}

TPT_TEST(demo, variants_have_their_own_folders) {
  tpt::demo::DemoOptions options;
  COMPARE(tpt::demo::default_demo_dir(options), std::string("tpt-demo"));
  options.pruning = false;
  COMPARE(tpt::demo::default_demo_dir(options), std::string("tpt-demo-no-pruning"));
  options.quick = true;
  options.seed = 5;
  COMPARE(tpt::demo::default_demo_dir(options), std::string("tpt-demo-quick-no-pruning-seed-5"));
  options.served = true;
  COMPARE(tpt::demo::default_demo_dir(options), std::string("tpt-demo-quick-no-pruning-served-seed-5"));
  // The served variant is the same experiment with its samples drawn through tpt serve.
  const auto served = tpt::demo::demo_experiment_config(options, "model");
  options.served = false;
  auto plain = tpt::demo::demo_experiment_config(options, "model").to_json();
  auto through_http = served.to_json();
  COMPARE(through_http["sampler"]["launch"].get<std::string>(), std::string("tpt-serve"));
  plain.erase("sampler");
  through_http.erase("sampler");
  COMPARE(through_http.dump(), plain.dump());
}

TPT_TEST(demo, data_is_the_harder_task_and_test_problems_never_in_train) {
  for (bool quick : {false, true}) {
    tpt::demo::DemoOptions options;
    options.quick = quick;
    const auto spec = tpt::demo::demo_spec(options);
    // Nothing the base model learned from is harder than the demo's problems: no more steps,
    // no bigger numbers.
    int64_t easier = 0, total = 0;
    for (const auto& part : spec.base_model.data) {
      VERIFY(part.task.max_steps <= spec.task.min_steps);
      VERIFY(part.task.max_operand <= spec.task.max_operand);
      VERIFY(part.task.max_result <= spec.task.max_result);
      total += part.problems;
      if (part.task.max_steps < spec.task.min_steps) easier += part.problems;
    }
    // The full demo's base model learned mostly from easier problems (fewer steps), so the
    // demo's are its harder level. The quick one learned mostly from problems like the demo's,
    // too briefly to solve them reliably (demo/base_model.cpp says why).
    if (quick) VERIFY(2 * easier < total);
    else VERIFY(2 * easier > total);
  }

  tpt::demo::DemoOptions options;
  options.quick = true;
  const std::string dir = tpt::testing::temp_dir() + "/demo-data";
  tpt::demo::write_demo_data(options, dir);
  const auto spec = tpt::demo::demo_spec(options);
  const auto train = tpt::data::load_gsm8k(dir + "/train.jsonl");
  const auto test = tpt::data::load_gsm8k(dir + "/test.jsonl");
  COMPARE(static_cast<int64_t>(train.problems.size()), spec.train_problems);
  COMPARE(static_cast<int64_t>(test.problems.size()), spec.test_problems);
  std::set<std::string> train_questions;
  for (const auto& p : train.problems) train_questions.insert(p.question);
  for (const auto& p : test.problems) VERIFY(!train_questions.count(p.question));
}

TPT_TEST(demo, prepare_refuses_a_folder_holding_another_experiment) {
  tpt::demo::DemoOptions options;
  options.quick = true;
  const std::string dir = tpt::testing::temp_dir() + "/demo";
  const std::string folder = tpt::demo::prepare_demo(options, dir, "/models/base");
  VERIFY(fs::exists(folder + "/experiment.json"));
  VERIFY(fs::exists(folder + "/train.jsonl"));
  // The same demo again: accepted as it is (the runner resumes it).
  COMPARE(tpt::demo::prepare_demo(options, dir, "/models/base"), folder);
  options.seed = 2;
  VERIFY_THROWS_WITH(tpt::demo::prepare_demo(options, dir, "/models/base"), "another experiment");
}

TPT_TEST(demo, quick_demo_runs_every_round_end_to_end) {
  const std::string home = tpt::testing::temp_dir() + "/data-home";
  const std::string dir = tpt::testing::temp_dir() + "/quick-demo";
  const Result r = tpt_run("-q demo --quick --dir '" + dir + "'", "XDG_DATA_HOME='" + home + "'");
  if (r.status != 0) TPT_FAIL("tpt demo --quick failed (" + std::to_string(r.status) + "): " + r.err);

  // The quick base model was built into the temporary data folder's cache.
  const auto recipe = tpt::demo::builtin_base_model_recipe(true, 1);
  const std::string cached = home + "/tpt-workbench/models/base-" + recipe.hash();
  VERIFY(fs::exists(cached + "/base_model.json"));

  const tpt::report::ExperimentStatus status = tpt::report::read_status(dir);
  COMPARE(status.state, std::string("completed"));
  COMPARE(status.rounds.size(), size_t{5});
  for (const auto& round : status.rounds) {
    COMPARE(round.state, tpt::store::RoundState::Done);
    VERIFY(round.metric("pass@1.strict").has_value());
    VERIFY(round.metric("pass@1.flexible").has_value());
    VERIFY(round.metric("pass@4.strict").has_value());
    if (round.round == 0) {
      COMPARE(fs::path(round.model_path), fs::path(cached));
      continue;
    }
    VERIFY(round.samples > 0);
    // Trained and saved: every round's model loads.
    tpt::model::load_model(round.model_path);
  }
  VERIFY_CONTAINS(r.out, "round");

  // The loop works: every round keeps traces to train on, and Pass@1 on the held-out problems
  // never falls and ends higher than the base model's. The numbers are fixed by the seed and
  // the thread count (checked below); docs/demo.md has them, rising in every round.
  for (size_t i = 1; i < status.rounds.size(); ++i) {
    const auto& round = status.rounds[i];
    const double pass1 = *round.metric("pass@1.strict");
    const double before = *status.rounds[i - 1].metric("pass@1.strict");
    if (round.kept <= 0) TPT_FAIL("round " + std::to_string(round.round) + " kept no trace:\n" + r.out);
    if (pass1 < before)
      TPT_FAIL("Pass@1 fell in round " + std::to_string(round.round) + " (" + std::to_string(100 * before) + "% -> " +
               std::to_string(100 * pass1) + "%):\n" + r.out);
  }
  const double base = *status.rounds.front().metric("pass@1.strict");
  const double last = *status.rounds.back().metric("pass@1.strict");
  if (!(last > base)) TPT_FAIL("Pass@1 did not rise over the rounds:\n" + r.out);

  // The same command again finds the finished demo and prints it without running anything.
  const Result again = tpt_run("-q demo --quick --dir '" + dir + "'", "XDG_DATA_HOME='" + home + "'");
  COMPARE(again.status, 0);
  COMPARE(again.out, r.out);

  // Reproducible: the same demo in another folder (same seed, same threads) gives the same
  // numbers in every round; only the times differ.
  const std::string other = tpt::testing::temp_dir() + "/quick-demo-again";
  const Result rerun = tpt_run("-q demo --quick --dir '" + other + "'", "XDG_DATA_HOME='" + home + "'");
  COMPARE(rerun.status, 0);
  const auto numbers = [](const std::string& folder) {
    json rounds = tpt::report::to_json(tpt::report::read_status(folder)).at("rounds");
    for (auto& round : rounds) {
      round.erase("seconds");
      round.erase("model");
    }
    return rounds;
  };
  COMPARE(numbers(other), numbers(dir));
}

TPT_TEST(demo, help_describes_the_demo_and_its_options) {
  const Result r = tpt_run("demo --help");
  COMPARE(r.status, 0);
  // The text goes through printf: a lone '%' would print garbage in place of "40%".
  VERIFY_CONTAINS(r.out, "solves\nabout 40% of unseen two-step ones");
  for (const char* option : {"--quick", "--no-pruning", "--dir DIR", "--seed S"}) VERIFY_CONTAINS(r.out, option);
}
