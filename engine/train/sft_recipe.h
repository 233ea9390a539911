// A round's Train as files an external trainer reads: the training set as TRL's prompt /
// completion JSONL and the settings as a TRL SFT config (YAML), or LLaMA-Factory's config and
// dataset_info.json. The runner's command trainer writes them; `tpt sft` reads the same files
// back and trains with the engine, so both directions are one definition.
//
//   SftRecipe recipe = recipe_for(job, data_file, output_dir);   // from a TrainJob
//   write_sft_data(data_file, job.examples);
//   write_trl_config(config_file, recipe);
//   SftRecipe back = read_trl_config(config_file);               // `tpt sft`: refuses unknown keys
//   auto examples = read_sft_data(back.data_file, tokenizer);    // the same token ids again
//
// Torch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "text/model_tokenizer.h"
#include "train/trainer.h"

namespace tpt::train {

// TRL's SFTConfig / ModelConfig fields the runner writes and `tpt sft` reads, with TRL's names.
struct SftRecipe {
  std::string model_name_or_path;   // the folder training starts from
  std::string data_file;            // datasets: [{path: json, data_files: FILE, split: train}]
  std::string output_dir;           // the trained model (checkpoint-N/ folders inside while training)
  double learning_rate = 1e-5;
  int64_t num_train_epochs = 1;
  int64_t max_steps = 0;            // > 0: exactly this many steps; 0: epochs decide (written as -1)
  int per_device_train_batch_size = 8;
  int gradient_accumulation_steps = 1;
  std::string lr_scheduler_type = "cosine";  // "cosine", "linear", "constant_with_warmup", "cosine_with_min_lr"
  double min_lr = 0.0;              // lr_scheduler_kwargs.min_lr with "cosine_with_min_lr"
  double warmup_ratio = 0.0;
  double max_grad_norm = 1.0;
  double weight_decay = 0.0;
  double adam_beta1 = 0.9, adam_beta2 = 0.999, adam_epsilon = 1e-8;
  uint64_t seed = 0;
  bool bf16 = false;                // the model's weights are bf16
  bool completion_only_loss = true;
  int64_t max_length = 0;           // longest example in tokens; 0 = no truncation (written as null)
  int64_t save_steps = 0;           // a checkpoint every this many steps; 0 = none (save_strategy "no")
  int logging_steps = 1;            // one `{'loss': ...}` line per optimizer step
  std::optional<LoraConfig> lora;   // use_peft with lora_r, lora_alpha, lora_dropout, lora_target_modules
  std::string resume_from_checkpoint;  // a checkpoint-N folder; "" = start fresh

  // The engine's settings these stand for (and the reverse of recipe_for).
  TrainSettings settings() const;
};

// The recipe for `job` (settings, the folder it starts from), training on `data_file` into
// `output_dir`. `bf16`: the init model's weights are bf16. `max_length`: its longest example.
SftRecipe recipe_for(const TrainJob& job, const std::string& data_file, const std::string& output_dir, bool bf16);

// The longest example of `examples` in tokens (prompt + completion).
int64_t longest_example(const std::vector<TrainingExample>& examples);

// TRL's prompt-completion JSONL, one line per example in order: conversational
// ({"prompt": [{"role": "user", ...}], "completion": [{"role": "assistant", ...}]}) for
// examples whose prompt went through a chat template (user_text set), plain strings otherwise.
// Written atomically.
void write_sft_data(const std::string& path, const std::vector<TrainingExample>& examples);

// Reads that JSONL (either form, also a system turn before the user's) and tokenizes each line
// as the engine does for training: a conversational prompt through the model's chat template
// with the assistant's turn opened, a plain one with the tokenizer's BOS; the completion's
// tokens then the token that ends a turn (end-of-turn under a chat template, EOS otherwise).
// Throws FileError naming the file, line and field.
//
// `max_length` > 0 cuts each example to its first max_length tokens (prompt then completion),
// as TRL truncates; the texts are left whole. An example left without a completion token to
// learn is an error naming its line. `truncated`, when given, counts the examples cut.
std::vector<TrainingExample> read_sft_data(const std::string& path, const text::ModelTokenizer& tokenizer,
                                           int64_t max_length = 0, int64_t* truncated = nullptr);

// TRL's SFT YAML (`trl sft --config FILE`). Written atomically.
void write_trl_config(const std::string& path, const SftRecipe& recipe);
// Reads what write_trl_config writes, plus TRL keys with no effect here (report_to, logging
// settings, output options); refuses any other key, naming it, the file and its line.
SftRecipe read_trl_config(const std::string& path);

// The same examples as LLaMA-Factory reads them: conversations as {"messages": [user, assistant]}
// (its sharegpt form), raw prompts as prompt/completion columns (its alpaca form).
void write_llama_factory_data(const std::string& path, const std::vector<TrainingExample>& examples);

// LLaMA-Factory's train config (`llamafactory-cli train FILE`) and its dataset_info.json beside
// `data_file` naming the dataset "tpt_round". `chat_template`: the model's chat family (its
// LLaMA-Factory template, e.g. "llama3"), or "" for raw prompts ("empty").
void write_llama_factory_config(const std::string& path, const SftRecipe& recipe, const std::string& chat_family);

}  // namespace tpt::train
