// What `tpt sft` reads and prints, without training: TRL's SFT config (unknown keys and bad
// values named with their line, paths relative to the config file), TRL's max_length cut of
// the JSONL examples, and HF's log-line floats (golden values printed by Python's repr).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "check.h"
#include "sft_test_support.h"
#include "train/hf_trainer_log.h"
#include "train/sft_recipe.h"

using namespace tpt;
using namespace tpt::train;
namespace fs = std::filesystem;

namespace {

std::string write_file(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// A config in the shape write_trl_config writes, `extra` appended (line 11 on).
std::string config_text(const std::string& extra) {
  return "model_name_or_path: base\n"  // 1
         "datasets:\n"                 // 2
         "  - path: json\n"            // 3
         "    data_files: data/train.jsonl\n"
         "    split: train\n"          // 5
         "output_dir: /abs/out\n"
         "learning_rate: 0.0001\n"     // 7
         "num_train_epochs: 2\n"
         "per_device_train_batch_size: 4\n"  // 9
         "save_steps: 5\n" +
         extra;
}

}  // namespace

TPT_TEST(sft_recipe, an_unknown_key_is_refused_with_its_name_and_line) {
  const std::string path = write_file(tpt::testing::temp_dir() + "/sft.yaml", config_text("report_to: none\npacking: true\n"));
  VERIFY_THROWS_WITH(read_trl_config(path), path + ": keys this trainer does not support: packing (line 12)");
}

TPT_TEST(sft_recipe, a_bad_value_is_refused_with_its_key_and_line) {
  const std::string dir = tpt::testing::temp_dir();
  const std::string path = write_file(dir + "/sft.yaml", config_text("warmup_ratio: lots\n"));
  VERIFY_THROWS_WITH(read_trl_config(path), path + ":11: \"warmup_ratio\": not a valid value (lots)");
  write_file(path, config_text("num_train_epochs: 1.5\n"));
  VERIFY_THROWS_WITH(read_trl_config(path), path + ":11: \"num_train_epochs\": whole epochs only (got 1.5)");
  write_file(path, config_text("lr_scheduler_type: polynomial\n"));
  VERIFY_THROWS_WITH(read_trl_config(path), path + ":11: \"lr_scheduler_type\": polynomial is not supported");
  write_file(path, config_text("resume_from_checkpoint: true\n"));
  VERIFY_THROWS_WITH(read_trl_config(path), path + ":11: \"resume_from_checkpoint\": true is not supported");
}

TPT_TEST(sft_recipe, relative_paths_resolve_against_the_config_files_folder) {
  const std::string dir = tpt::testing::temp_dir();
  const std::string path = write_file(dir + "/run/sft.yaml", config_text("resume_from_checkpoint: ../out/checkpoint-5\n"));
  const SftRecipe r = read_trl_config(path);
  COMPARE(r.model_name_or_path, dir + "/run/base");
  COMPARE(r.data_file, dir + "/run/data/train.jsonl");
  COMPARE(r.output_dir, std::string("/abs/out"));
  COMPARE(r.resume_from_checkpoint, dir + "/out/checkpoint-5");
  COMPARE(r.learning_rate, 1e-4);
  COMPARE(r.num_train_epochs, int64_t{2});
  COMPARE(r.save_steps, int64_t{5});
  // HF's false is a fresh start.
  write_file(path, config_text("resume_from_checkpoint: false\n"));
  COMPARE(read_trl_config(path).resume_from_checkpoint, std::string());
}

TPT_TEST(sft_recipe, max_length_keeps_the_first_tokens_of_prompt_then_completion) {
  const sft_testing::SftCase c = sft_testing::make_case();
  const std::string data = c.dir + "/trl/train.jsonl";
  const text::ModelTokenizer tokenizer = text::load_model_tokenizer(c.model);
  int64_t truncated = 0;
  const auto whole = read_sft_data(data, tokenizer, 0, &truncated);
  COMPARE(truncated, int64_t{0});
  const auto cut = read_sft_data(data, tokenizer, 72, &truncated);
  // Prompt + completion tokens: 58+13, 70+13, 71+28, 38+15, 66+14, 59+18.
  COMPARE(truncated, int64_t{4});
  for (size_t i = 0; i < whole.size(); ++i) {
    COMPARE(whole[i].prompt_ids, c.job.examples[i].prompt_ids);  // the engine's own tokens
    COMPARE(whole[i].completion_ids, c.job.examples[i].completion_ids);
    std::vector<int32_t> all = whole[i].prompt_ids, kept = cut[i].prompt_ids;
    all.insert(all.end(), whole[i].completion_ids.begin(), whole[i].completion_ids.end());
    kept.insert(kept.end(), cut[i].completion_ids.begin(), cut[i].completion_ids.end());
    all.resize(std::min<size_t>(all.size(), 72));
    COMPARE(kept, all);
    COMPARE(cut[i].prompt_ids, whole[i].prompt_ids);  // every prompt is shorter than 72
  }
  VERIFY_THROWS_WITH(read_sft_data(data, tokenizer, 70), "train.jsonl:2: max_length 70 leaves no completion token");
}

TPT_TEST(hf_log, floats_print_as_pythons_repr_and_read_back_exactly) {
  const std::vector<std::pair<double, std::string>> cases = {
      {1e-05, "1e-05"},
      {0.0001, "0.0001"},
      {2.0, "2.0"},
      {1e16, "1e+16"},
      {4503599627370497.0, "4503599627370497.0"},
      {12345678901234567.0, "1.2345678901234568e+16"},
      {0.1, "0.1"},
      {1.0 / 3.0, "0.3333333333333333"},
      {std::log(8.0), "2.0794415416798357"},
      {-0.0, "-0.0"},
      {0.0, "0.0"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {1e-4 * 3, "0.00030000000000000003"},
      {2.5e-07, "2.5e-07"},
      {100.0, "100.0"},
      {-1.5e-10, "-1.5e-10"},
      {0.00012345, "0.00012345"},
      {std::nan(""), "nan"},
      {std::numeric_limits<double>::infinity(), "inf"},
      {-std::numeric_limits<double>::infinity(), "-inf"}};
  for (const auto& [value, repr] : cases) {
    COMPARE(python_float(value), repr);
    if (std::isfinite(value)) COMPARE(std::strtod(repr.c_str(), nullptr), value);
  }
  COMPARE(python_dict({{"loss", std::log(8.0)}, {"grad_norm", 0.5}, {"learning_rate", 1e-05}, {"epoch", 0.25}}),
          std::string("{'loss': 2.0794415416798357, 'grad_norm': 0.5, 'learning_rate': 1e-05, 'epoch': 0.25}"));
  COMPARE(with_thousands(1234567), std::string("1,234,567"));
  COMPARE(with_thousands(999), std::string("999"));
}

TPT_TEST(hf_log, a_damaged_trainer_state_is_refused_naming_the_field) {
  const auto state = [](const std::string& global_step, const std::string& step) {
    return nlohmann::json::parse(R"({"global_step": )" + global_step +
                                 R"(, "max_steps": 4, "num_train_epochs": 1, "epoch": 0.5, "log_history": [
        {"step": )" + step + R"(, "epoch": 0.5, "loss": 2.0, "learning_rate": 1e-05, "grad_norm": 0.5}]})");
  };
  // HF writes whole numbers, sometimes as 2.0; both read back.
  const HfTrainerState read = HfTrainerState::from_json(state("2", "2.0"), "trainer_state.json");
  COMPARE(read.log_history.at(0).step, int64_t{2});
  // A step past int64's range (a damaged file) is refused rather than converted.
  VERIFY_THROWS_WITH(HfTrainerState::from_json(state("1.8e20", "2"), "ck/trainer_state.json"),
                     "ck/trainer_state.json: global_step: expected a whole number, got 1.8e+20");
  VERIFY_THROWS_WITH(HfTrainerState::from_json(state("2", "2.5"), "ck/trainer_state.json"), "log_history[0].step");
}
