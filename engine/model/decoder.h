// The decoder-only transformer behind every model the workbench runs: Llama 3.x, Qwen 2.5 and
// Gemma 2 as variants of one forward, the differences written where they happen
// (`if (softcap_ > 0) ...`), configured by ModelConfig.
//
// Modules and parameters carry the Hugging Face checkpoint names all the way down
// (`model.layers.0.self_attn.q_proj.weight`), so loading and saving map 1:1 onto
// named_parameters(). Parameters are created uninitialised: load them (model/checkpoint.h) or
// call randomize_weights().
//
// Shapes: B = batch rows, T = new tokens this call, S = key columns (cached + new),
// C = hidden size, H / H_kv = query / key-value heads, D = head dim, G = H / H_kv, V = vocab.
//
// Generation (prefill then one token at a time, rows of different lengths left-padded):
//
//   KVCache cache;
//   auto mask = ...;                                    // [B, T0] bool, false on left padding
//   auto pos = left_padded_positions(mask);             // [B, T0] 0,1,2.. from each row's first real token
//   auto logits = model->forward(ids, pos, mask, &cache, LogitsFor::Last);   // [B, 1, V]
//   loop: next [B, 1]; mask = cat({mask, ones [B, 1]}, 1); pos = pos.select(1, -1).unsqueeze(1) + 1;
//         logits = model->forward(next, pos, mask, &cache);                    // [B, 1, V]
//   rows finished: keep = indices of live rows; cache.select_rows(keep); mask/pos/next index_select(0, keep)
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <torch/torch.h>

#include "model/config.h"
#include "model/kv_cache.h"

namespace tpt::model {

// Receives named intermediate tensors during a forward, for finding the first layer where two
// implementations disagree. Called synchronously; may copy the tensor. Names, all [B, T, C]
// except logits: embed; layers.N.{attn_norm, attn (attention output), attn_out (after Gemma's
// post-attention norm), ffn_norm, ffn_out, output}; norm; logits [B, T, V].
using ActivationHook = std::function<void(const std::string& name, const torch::Tensor& value)>;

// x @ weight^T + bias with HF's parameter names; weight [out, in].
class LinearImpl : public torch::nn::Module {
 public:
  LinearImpl(int64_t in_features, int64_t out_features, bool bias, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // [..., in] -> [..., out]
  torch::Tensor weight, bias;                     // [out, in], [out] or undefined
  // When set, its output is added to the product: the injection point of LoRA adapters
  // (train/lora.h), which keep their own parameters. [..., in] -> [..., out]
  std::function<torch::Tensor(const torch::Tensor& x)> adapter;
};
TORCH_MODULE(Linear);

class EmbeddingImpl : public torch::nn::Module {
 public:
  EmbeddingImpl(int64_t vocab_size, int64_t dim, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& ids);  // [B, T] int64 -> [B, T, C]
  torch::Tensor weight;                             // [V, C]
};
TORCH_MODULE(Embedding);

// RMSNorm, normalised in fp32. Llama/Qwen: w · x (cast back before the product, as HF does);
// Gemma: x · (1 + w) in fp32, then cast (its weights are stored as offsets from 1).
class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(int64_t dim, double eps, bool unit_offset, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // [..., C] -> [..., C]
  torch::Tensor weight;                           // [C]

 private:
  double eps_;
  bool unit_offset_;
};
TORCH_MODULE(RMSNorm);

// Per-forward attention inputs shared by all layers.
struct AttentionContext {
  torch::Tensor cos, sin;         // [B, 1, T, D] activation dtype
  torch::Tensor blocked_full;     // [B, 1, 1, T, S] true where a key is hidden (causal, padding)
  torch::Tensor blocked_sliding;  // same, plus keys at distance >= window; undefined if no window
  KVCache* cache = nullptr;
  // Receives each layer's attention scores ("layers.N.attn_scores", fp32 [B, H_kv, G*T, S]) after
  // the soft-cap and before the mask, when set (tests check the cap against its formula).
  const ActivationHook* hook = nullptr;
};

class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(const ModelConfig& config, int64_t layer, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x, const AttentionContext& context);  // [B, T, C] -> [B, T, C]

  Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};

 private:
  int64_t layer_, heads_, kv_heads_, head_dim_;
  double scale_, softcap_;
  bool sliding_;
};
TORCH_MODULE(Attention);

// Gated MLP: down(act(gate(x)) * up(x)); SiLU for Llama/Qwen, tanh-GELU (GeGLU) for Gemma 2.
class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(const ModelConfig& config, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // [B, T, C] -> [B, T, C]

  Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};

 private:
  Activation activation_;
};
TORCH_MODULE(Mlp);

class DecoderLayerImpl : public torch::nn::Module {
 public:
  DecoderLayerImpl(const ModelConfig& config, int64_t layer, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x, const AttentionContext& context,
                        const ActivationHook* hook);  // [B, T, C] -> [B, T, C]

  Attention self_attn{nullptr};
  Mlp mlp{nullptr};
  // Llama/Qwen: input_layernorm before attention, post_attention_layernorm before the MLP.
  // Gemma 2 adds the other two and uses post_attention_layernorm on the attention's output.
  RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  RMSNorm pre_feedforward_layernorm{nullptr}, post_feedforward_layernorm{nullptr};

 private:
  int64_t layer_;
  bool gemma_;
};
TORCH_MODULE(DecoderLayer);

// HF's `model.`: embeddings, layers, final norm.
class DecoderImpl : public torch::nn::Module {
 public:
  DecoderImpl(const ModelConfig& config, const torch::TensorOptions& options);
  // [B, T] int64 -> [B, T, C], after the final norm
  torch::Tensor forward(const torch::Tensor& input_ids, const AttentionContext& context, const ActivationHook* hook);

  Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RMSNorm norm{nullptr};

 private:
  double embed_scale_;  // sqrt(hidden) for Gemma, else 0 (no scaling)
};
TORCH_MODULE(Decoder);

enum class LogitsFor { All, Last };

// The causal language model: HF's `*ForCausalLM`.
class CausalLmImpl : public torch::nn::Module {
 public:
  // Parameters are allocated with `options` (dtype, device) and left uninitialised.
  explicit CausalLmImpl(ModelConfig config, const torch::TensorOptions& options = torch::kFloat32);

  // input_ids        [B, T] int64.
  // positions        [B, T] int64: each token's RoPE position, counted from its row's first real
  //                  token (left padding gets any value, it is masked). Undefined: every row
  //                  uses cache.length() + 0..T-1 (no padding).
  // key_padding_mask [B, S] bool, S = cache.length() + T: true for real tokens, false for padding,
  //                  covering the cached columns and the new ones. Undefined: all real.
  // cache            nullable; when given, the new keys/values are appended to it and attention
  //                  sees the cached ones too.
  // which            All: logits for every position; Last: only for column T-1 ([B, 1, V]),
  //                  which with left padding is every row's newest token.
  // Returns logits [B, T, V] (or [B, 1, V]) in fp32, after Gemma's final soft-cap.
  // Query t sees key s when s <= S_past + t (causal), the key is real, and in a sliding-window
  // layer when (S_past + t) - s < window: distances count columns, which equal position
  // distances because real tokens of a row are contiguous.
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& positions = {},
                        const torch::Tensor& key_padding_mask = {}, KVCache* cache = nullptr,
                        LogitsFor which = LogitsFor::All);

  // Final hidden states [B, T, C] -> logits [B, T, V] fp32 (lm_head or tied embeddings, soft-cap).
  torch::Tensor logits(const torch::Tensor& hidden);

  const ModelConfig& config() const { return config_; }
  torch::Dtype dtype() const;
  torch::Device device() const;
  // The weight used as output projection: lm_head.weight, or embed_tokens.weight when tied.
  torch::Tensor output_weight() const;

  void set_activation_hook(ActivationHook hook) { hook_ = std::move(hook); }

  // The folder the model was loaded from (empty if built in code): saving copies its tokenizer
  // files.
  const std::string& source_dir() const { return source_dir_; }
  void set_source_dir(std::string dir) { source_dir_ = std::move(dir); }

  Decoder model{nullptr};
  Linear lm_head{nullptr};  // null when tie_word_embeddings

 private:
  ModelConfig config_;
  std::vector<double> inv_freq_;  // RoPE inverse frequencies [D/2], double precision
  torch::Tensor inv_freq_device_;  // the same as fp32 on the model's device, made on first use
  ActivationHook hook_;
  std::string source_dir_;
};
TORCH_MODULE(CausalLm);

// RoPE positions for a left-padded batch: 0 at each row's first real token. [B, S] bool -> [B, S] int64.
torch::Tensor left_padded_positions(const torch::Tensor& key_padding_mask);

// Fills every parameter from N(0, stddev) (norm weights: 1 + N(0, 0.2) for x·w norms, N(0, 0.2)
// for Gemma's (1 + w)), deterministically from `seed` whatever the device. For tests and
// benchmarks.
void randomize_weights(CausalLmImpl& model, uint64_t seed, double stddev = 0.02);

}  // namespace tpt::model
