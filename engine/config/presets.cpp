#include "config/presets.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/error.h"

namespace fs = std::filesystem;

namespace tpt::config {

std::vector<std::string> preset_names() { return {"default", "paper-gsm8k"}; }

ExperimentConfig preset(const std::string& name) {
  ExperimentConfig c;
  if (name == "default") return c;
  if (name == "paper-gsm8k") {
    c.name = "paper-gsm8k";
    c.description = "The TPT paper's GSM8K recipe (Costello et al. 2025) for Gemma2-2B-it";
    c.rounds = 4;
    c.think.prompt_format = "zero-shot";
    c.think.samples_per_problem = 10;
    c.think.pool_size = 0;  // the whole train split (7,473 problems)
    c.think.temperature = 0.8;
    c.think.top_p = 1.0;
    c.think.top_k = 0;
    c.think.max_new_tokens = 1500;
    c.prune = prune::RuleSet::paper();
    c.train.method = TrainMethod::Full;
    c.train.init = TrainInit::Previous;
    c.train.data = TrainData::Replace;
    c.train.max_examples = 2000;
    c.train.learning_rate = 1e-6;  // Gemma; the paper uses 1e-5 for Llama
    c.train.epochs = 1;
    c.train.warmup_ratio = 0.1;
    c.train.schedule = TrainSchedule::Cosine;
    c.train.micro_batch_size = 2;
    c.train.gradient_accumulation = 4;
    c.eval.split = "test";
    c.eval.subset_size = 500;
    c.eval.samples = 20;
    c.eval.temperature = 0.7;
    c.eval.max_new_tokens = 1500;
    c.eval.pass_at_k = {1, 20};
    if (const std::string data = bundled_data_dir(); !data.empty()) {
      c.dataset.train = data + "/gsm8k/train.jsonl";
      c.dataset.test = data + "/gsm8k/test.jsonl";
    }
    return c;
  }
  std::string names;
  for (const auto& n : preset_names()) names += (names.empty() ? "" : ", ") + n;
  throw Error("unknown preset \"" + name + "\" (presets: " + names + ")");
}

std::string bundled_data_dir() {
  std::error_code ec;
  if (const char* env = std::getenv("TPT_DATA_DIR"); env && *env) return env;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share" / "tpt-workbench" / "data";
    if (fs::exists(installed / "gsm8k", ec)) return installed.lexically_normal().string();
  }
#ifdef TPT_SOURCE_DATA_DIR
  if (fs::exists(fs::path(TPT_SOURCE_DATA_DIR) / "gsm8k", ec)) return TPT_SOURCE_DATA_DIR;
#endif
  return {};
}

}  // namespace tpt::config
