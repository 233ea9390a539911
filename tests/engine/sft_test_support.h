// Helpers shared by the `tpt sft` tests (test_sft_*.cpp): tiny HF model folders with a byte
// tokenizer (one with a ChatML template, one without), a round's TrainJob built the way the
// runner builds it (text::PromptFormat), and the TRL files the runner writes for it.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "check.h"
#include "io/json_fields.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/decoder.h"
#include "text/byte_tokenizer.h"
#include "text/model_tokenizer.h"
#include "text/prompt_format.h"
#include "tiny_experiment.h"
#include "train/sft_recipe.h"
#include "train/trainer.h"

namespace tpt::sft_testing {

// The runner tests' tiny Llama (byte tokenizer, EOS <|endoftext|> = 256, no chat template).
// `chat`: with <|im_start|> 257, <|im_end|> 258 and a ChatML template (Qwen 2.5's family), so
// prompts go through it. `nan_weights`: a NaN in the final norm, so that every loss is NaN.
inline std::string write_tiny_model(const std::string& dir, bool chat, bool nan_weights = false) {
  testing::write_tiny_model(dir);
  if (!chat && !nan_weights) return dir;
  nlohmann::json config = io::read_json_file(dir + "/config.json");
  if (chat) {
    config["vocab_size"] = 260;
    config["max_position_embeddings"] = 1024;  // the paper's instruction after Qwen's system turn
  }
  model::CausalLm model(model::parse_model_config(config));
  model::randomize_weights(*model, 3, 0.1);
  if (nan_weights) {
    torch::NoGradGuard no_grad;
    model->model->norm->weight[0] = std::nan("");
  }
  model::SaveOptions options;
  options.copy_tokenizer_files = false;
  model::save_model(*model, dir, options);
  if (!chat) return dir;
  std::ofstream(dir + "/tokenizer.json") << text::byte_tokenizer_json({"<|endoftext|>", "<|im_start|>", "<|im_end|>"}).dump();
  const nlohmann::json tokenizer_config = {
      {"eos_token", "<|endoftext|>"},
      {"add_bos_token", false},
      {"chat_template",
       "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
       "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"}};
  std::ofstream(dir + "/tokenizer_config.json") << tokenizer_config.dump();
  return dir;
}

// Six problems with their kept traces, as Train receives them from Prune.
inline std::vector<std::pair<std::string, std::string>> traces() {
  return {{"Ann has 2 apples and buys 3. How many?", "2+3=5\n#### 5"},
          {"Bo reads 4 pages a day for 2 days. How many pages?", "4*2=8\n#### 8"},
          {"A box holds 9 pens; 4 are taken. How many are left?", "9-4=5 pens are left.\n#### 5"},
          {"What is 6 times 7?", "6*7=42\n#### 42"},
          {"Cy has 10 coins and gives away half. How many?", "10/2=5\n#### 5"},
          {"Two cats and three dogs: how many pets?", "2+3=5 pets\n#### 5"}};
}

// Train's job as the runner builds it (run/phases.cpp): prompts and completion ids from the
// round's PromptFormat; "zero-shot" goes through the chat template when the model has one.
inline train::TrainJob make_job(const std::string& model_dir, text::PromptStyle style, const train::TrainSettings& settings,
                                const std::string& work) {
  const text::ModelTokenizer tokenizer = text::load_model_tokenizer(model_dir);
  const text::PromptFormat format(tokenizer, style);
  train::TrainJob job;
  job.init_dir = model_dir;
  job.work_dir = work + "/work";
  job.output_dir = work + "/model";
  job.settings = settings;
  for (const auto& [question, trace] : traces())
    job.examples.push_back({format.prompt_text(question), trace,
                            format.uses_chat() ? format.user_text(question) : std::string(),
                            format.prompt_ids(question), format.completion_ids(trace)});
  return job;
}

// Four optimizer steps over six examples (3 micro-batches an epoch, the second step of each
// epoch with one), a checkpoint every 2 steps.
inline train::TrainSettings small_settings() {
  train::TrainSettings s;
  s.epochs = 2;
  s.micro_batch_size = 2;
  s.grad_accum_steps = 2;
  s.learning_rate = 2e-3;
  s.warmup_ratio = 0.25;
  s.decay = train::LrDecay::Cosine;
  s.max_grad_norm = 1.0;
  s.weight_decay = 0.01;
  s.seed = 7;
  s.checkpoint_steps = 2;
  return s;
}

// What the runner's command trainer writes for `job`: the JSONL and the TRL config (in `dir`),
// training into `dir`/out. Returns the config's path.
inline std::string write_trl_files(const train::TrainJob& job, const std::string& dir) {
  std::filesystem::create_directories(dir);
  const std::string data = dir + "/train.jsonl", config = dir + "/sft.yaml";
  train::write_sft_data(data, job.examples);
  train::write_trl_config(config, train::recipe_for(job, data, dir + "/out", false));
  return config;
}

// One test's folder: the tiny model, the engine trainer's job on it and the TRL files the
// runner writes for that job.
struct SftCase {
  std::string dir;       // the test's own folder
  std::string model;     // dir/base
  train::TrainJob job;   // the engine trainer works in dir/engine
  std::string config;    // dir/trl/sft.yaml, beside train.jsonl
  std::string out() const { return dir + "/trl/out"; }  // output_dir of the config
};

// `chat`: the model has a chat template and the prompts go through it ("zero-shot"); plain
// prompts otherwise.
inline SftCase make_case(const train::TrainSettings& settings = small_settings(), bool chat = false,
                         bool nan_weights = false) {
  SftCase c;
  c.dir = testing::temp_dir();
  c.model = write_tiny_model(c.dir + "/base", chat, nan_weights);
  c.job = make_job(c.model, chat ? text::PromptStyle::ZeroShot : text::PromptStyle::Plain, settings, c.dir + "/engine");
  c.config = write_trl_files(c.job, c.dir + "/trl");
  return c;
}

}  // namespace tpt::sft_testing
