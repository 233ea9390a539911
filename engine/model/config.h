// The decoder's configuration, read from a Hugging Face config.json.
//
// One decoder covers Llama 3.x, Qwen 2.5 and Gemma 2; this struct holds every knob on which they
// differ, each filled from the key HF uses (both spellings where transformers 4 and 5 differ,
// e.g. `rope_scaling` vs `rope_parameters`). Values the decoder cannot honour fail here with
// the key named (`config.json: rope_scaling.rope_type: unsupported "yarn"`) rather than
// producing a model that runs and is silently wrong. Torch-free, so UIs can read configs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tpt::model {

enum class ModelFamily { Llama, Qwen2, Gemma2 };

std::string family_name(ModelFamily family);  // "llama", "qwen2", "gemma2" (HF model_type)

enum class Activation { Silu, GeluTanh, Gelu };

struct RopeConfig {
  double theta = 10000.0;
  // "llama3" frequency rewrite (Llama 3.1+); off for "default".
  bool llama3 = false;
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  double original_max_position_embeddings = 8192;
};

struct ModelConfig {
  ModelFamily family = ModelFamily::Llama;
  std::string model_type;  // as written in config.json

  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;  // not always hidden_size / num_heads (Gemma 2: 256)
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  RopeConfig rope;

  bool tie_word_embeddings = false;
  bool qkv_bias = false;  // Qwen 2, or Llama's attention_bias
  bool o_bias = false;    // Llama's attention_bias only
  bool mlp_bias = false;
  Activation activation = Activation::Silu;

  // Gemma 2. Zero means "off" for the soft-caps and the window.
  bool gemma_norms = false;        // (1 + w) RMSNorm, four norms per layer, embedding * sqrt(hidden)
  double query_pre_attn_scalar = 0;  // scores scaled by this^-0.5; 0: head_dim^-0.5
  double attn_logit_softcap = 0;
  double final_logit_softcap = 0;
  int64_t sliding_window = 0;
  std::vector<bool> sliding_layers;  // per layer: uses the sliding window

  // The file as read, so saving writes back every key, including those the decoder ignores.
  nlohmann::json raw;

  int64_t kv_groups() const { return num_heads / num_kv_heads; }
  double attention_scale() const;
};

// Reads a parsed config.json; `source` names the file in errors. Throws FileError
// ("config.json: hidden_size: missing").
ModelConfig parse_model_config(const nlohmann::json& doc, const std::string& source = "config.json");
ModelConfig read_model_config(const std::string& path);

// The llama3 rewrite of RoPE inverse frequencies (or the plain ones), for pairs 0..head_dim/2,
// computed in double precision.
std::vector<double> rope_inverse_frequencies(const RopeConfig& rope, int64_t head_dim);

// Weights that take part in a matrix product for every token: the attention and MLP
// projections of every layer and the output projection (tied or not); not the embedding
// lookup, norms or biases. The N of "2N FLOPs per token" in benchmarks.
double matmul_weights(const ModelConfig& config);

}  // namespace tpt::model
