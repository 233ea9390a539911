// A complete experiment that runs in seconds: a tiny Llama with a byte-level tokenizer saved as
// an HF folder (random weights, so its answers are noise), short GSM8K-format problem files,
// and an experiment.json that keeps traces by length rather than correctness, so that every
// phase — Train included — has work to do. Shared by the runner's tests and the GUI's.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "model/checkpoint.h"
#include "model/config.h"
#include "model/decoder.h"
#include "text/byte_tokenizer.h"

namespace tpt::testing {

// Writes the model into `dir` (created) and returns it.
inline std::string write_tiny_model(const std::string& dir) {
  const nlohmann::json config = {{"model_type", "llama"},
                                 {"architectures", {"LlamaForCausalLM"}},
                                 {"vocab_size", 257},
                                 {"hidden_size", 32},
                                 {"intermediate_size", 64},
                                 {"num_hidden_layers", 2},
                                 {"num_attention_heads", 4},
                                 {"num_key_value_heads", 2},
                                 {"max_position_embeddings", 512},
                                 {"rms_norm_eps", 1e-6},
                                 {"rope_theta", 10000.0},
                                 {"hidden_act", "silu"},
                                 {"tie_word_embeddings", false},
                                 {"bos_token_id", nullptr},
                                 {"eos_token_id", 256},
                                 {"dtype", "float32"}};
  model::CausalLm model(model::parse_model_config(config));
  model::randomize_weights(*model, 11, 0.2);
  model::SaveOptions options;
  options.copy_tokenizer_files = false;
  model::save_model(*model, dir, options);
  std::ofstream(dir + "/tokenizer.json") << text::byte_tokenizer_json({"<|endoftext|>"}).dump();
  std::ofstream(dir + "/tokenizer_config.json")
      << nlohmann::json{{"eos_token", "<|endoftext|>"}, {"add_bos_token", false}}.dump();
  return dir;
}

// "Tom has a apples and gets b more. How many now?" with its worked answer.
inline void write_tiny_problems(const std::string& path, int count, int offset) {
  std::ofstream out(path);
  for (int i = 0; i < count; ++i) {
    const std::string a = std::to_string(offset + i), b = std::to_string(2 * i + 1),
                      sum = std::to_string(offset + i + 2 * i + 1);
    out << nlohmann::json{{"question", "Tom has " + a + " apples and gets " + b + " more. How many now?"},
                          {"answer", a + "+" + b + "=<<" + a + "+" + b + "=" + sum + ">>" + sum + "\n#### " + sum}}
               .dump()
        << "\n";
  }
}

// Two rounds over a pool of 6 of 10 problems (3 samples each), 4 test problems (2 answers each).
inline nlohmann::json tiny_experiment_config(const std::string& model_dir) {
  return {{"schema_version", 1},
          {"name", "tiny"},
          {"rounds", 2},
          {"seed", 7},
          {"threads", 1},
          {"dataset", {{"train", "train.jsonl"}, {"test", "test.jsonl"}}},
          {"model", {{"path", model_dir}, {"device", "cpu"}}},
          {"think",
           {{"prompt_format", "plain"},
            {"samples_per_problem", 3},
            {"pool_size", 6},
            {"temperature", 1.0},
            {"max_new_tokens", 12},
            {"batch_size", 4}}},
          {"prune", {{"rules", {{{"type", "length"}, {"min_chars", 1}}, {{"type", "max_per_problem"}, {"k", 1}}}}}},
          {"train",
           {{"learning_rate", 0.003},
            {"epochs", 2},
            {"micro_batch_size", 2},
            {"gradient_accumulation", 1},
            {"warmup_ratio", 0.0},
            {"checkpoint_steps", 2}}},
          {"eval",
           {{"samples", 2}, {"temperature", 0.8}, {"max_new_tokens", 12}, {"batch_size", 4}, {"pass_at_k", {1, 2}}}}};
}

// An experiment folder `dir` (created) with its problem files and experiment.json.
inline std::string write_tiny_experiment(const std::string& dir, const nlohmann::json& config) {
  std::filesystem::create_directories(dir);
  write_tiny_problems(dir + "/train.jsonl", 10, 3);
  write_tiny_problems(dir + "/test.jsonl", 4, 40);
  std::ofstream(dir + "/experiment.json") << config.dump(2);
  return dir;
}

}  // namespace tpt::testing
