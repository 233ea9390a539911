#include "model/decoder.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <limits>

#include "core/error.h"

namespace tpt::model {

namespace {

// rotate_half: [x1, x2] -> [-x2, x1] over the last dim. HF checkpoints (Llama included) are
// permuted for this half-split layout, not the interleaved pairs of Meta's original code.
torch::Tensor rotate_half(const torch::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

// x [B, H, T, D]; cos, sin [B, 1, T, D]
torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  return x * cos + rotate_half(x) * sin;
}

void emit(const ActivationHook* hook, const std::string& name, const torch::Tensor& value) {
  if (hook && *hook) (*hook)(name, value);
}

// x·Wᵀ + b. A single row on the CPU goes through a matrix-vector product: OpenBLAS's GEMM packs
// the whole weight matrix even for one row, which made one-row products 4-5x slower than
// GEMV (256x688: 83 us vs 15 us; 512x8192: 1.15 ms vs 0.25 ms). Decoding one sequence at a
// time is exactly that case.
torch::Tensor linear_rows(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  const int64_t in = weight.size(1);
  if (x.device().is_cpu() && x.numel() == in) {
    torch::Tensor row = torch::mv(weight, x.reshape({in}));  // [out]
    if (bias.defined()) row = row + bias;
    std::vector<int64_t> shape = x.sizes().vec();
    shape.back() = weight.size(0);
    return row.view(shape);
  }
  return torch::linear(x, weight, bias);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

LinearImpl::LinearImpl(int64_t in_features, int64_t out_features, bool with_bias,
                       const torch::TensorOptions& options) {
  weight = register_parameter("weight", torch::empty({out_features, in_features}, options));
  if (with_bias) bias = register_parameter("bias", torch::empty({out_features}, options));
}

torch::Tensor LinearImpl::forward(const torch::Tensor& x) {
  auto out = linear_rows(x, weight, bias);
  if (adapter) out = out + adapter(x);
  return out;
}

EmbeddingImpl::EmbeddingImpl(int64_t vocab_size, int64_t dim, const torch::TensorOptions& options) {
  weight = register_parameter("weight", torch::empty({vocab_size, dim}, options));
}

torch::Tensor EmbeddingImpl::forward(const torch::Tensor& ids) { return torch::embedding(weight, ids); }

RMSNormImpl::RMSNormImpl(int64_t dim, double eps, bool unit_offset, const torch::TensorOptions& options)
    : eps_(eps), unit_offset_(unit_offset) {
  weight = register_parameter("weight", torch::empty({dim}, options));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  const auto x32 = x.to(torch::kFloat32);                                              // [..., C]
  const auto normed = x32 * torch::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true) + eps_);  // [..., C]
  if (unit_offset_) return (normed * (1.0 + weight.to(torch::kFloat32))).to(x.scalar_type());
  return weight * normed.to(x.scalar_type());
}

// ---------------------------------------------------------------------------------------------

AttentionImpl::AttentionImpl(const ModelConfig& config, int64_t layer, const torch::TensorOptions& options)
    : layer_(layer),
      heads_(config.num_heads),
      kv_heads_(config.num_kv_heads),
      head_dim_(config.head_dim),
      scale_(config.attention_scale()),
      softcap_(config.attn_logit_softcap),
      sliding_(config.sliding_window > 0 && config.sliding_layers.at(static_cast<size_t>(layer))) {
  const int64_t c = config.hidden_size;
  q_proj = register_module("q_proj", Linear(c, heads_ * head_dim_, config.qkv_bias, options));
  k_proj = register_module("k_proj", Linear(c, kv_heads_ * head_dim_, config.qkv_bias, options));
  v_proj = register_module("v_proj", Linear(c, kv_heads_ * head_dim_, config.qkv_bias, options));
  o_proj = register_module("o_proj", Linear(heads_ * head_dim_, c, config.o_bias, options));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const AttentionContext& context) {
  const int64_t b = x.size(0), t = x.size(1), groups = heads_ / kv_heads_;
  auto q = q_proj(x).view({b, t, heads_, head_dim_}).transpose(1, 2);     // [B, H, T, D]
  auto k = k_proj(x).view({b, t, kv_heads_, head_dim_}).transpose(1, 2);  // [B, H_kv, T, D]
  auto v = v_proj(x).view({b, t, kv_heads_, head_dim_}).transpose(1, 2);  // [B, H_kv, T, D]
  q = apply_rope(q, context.cos, context.sin);
  k = apply_rope(k, context.cos, context.sin);
  if (context.cache) std::tie(k, v) = context.cache->append(layer_, k, v);  // [B, H_kv, S, D]
  const int64_t s = k.size(2);

  // Grouped-query attention without copying K/V per query head: the G query heads that share
  // a KV head become G*T rows against that head (head h uses KV head h / G, as HF's repeat_kv).
  const auto q_grouped = q.reshape({b, kv_heads_, groups * t, head_dim_});  // [B, H_kv, G*T, D]
  // Scores, soft-cap, mask and softmax in fp32 whatever the activation dtype.
  auto scores = torch::matmul(q_grouped, k.transpose(-2, -1)).to(torch::kFloat32) * scale_;  // [B, H_kv, G*T, S]
  if (softcap_ > 0) scores = torch::tanh(scores / softcap_) * softcap_;  // Gemma 2: before the mask
  if (context.hook) emit(context.hook, "layers." + std::to_string(layer_) + ".attn_scores", scores);
  // A finite fill keeps rows with every key hidden (padding queries) free of NaN: their output
  // is ignored, but NaN would leak through 0 * NaN into later layers' values.
  const auto& blocked = sliding_ ? context.blocked_sliding : context.blocked_full;  // [B, 1, 1, T, S]
  scores = scores.view({b, kv_heads_, groups, t, s}).masked_fill(blocked, std::numeric_limits<float>::lowest());
  const auto probs = torch::softmax(scores, -1).to(v.scalar_type()).view({b, kv_heads_, groups * t, s});
  const auto out = torch::matmul(probs, v)                     // [B, H_kv, G*T, D]
                       .view({b, heads_, t, head_dim_})        // [B, H, T, D]
                       .transpose(1, 2)                        // [B, T, H, D]
                       .reshape({b, t, heads_ * head_dim_});   // [B, T, H*D]
  return o_proj(out);                                          // [B, T, C]
}

// ---------------------------------------------------------------------------------------------

MlpImpl::MlpImpl(const ModelConfig& config, const torch::TensorOptions& options) : activation_(config.activation) {
  const int64_t c = config.hidden_size, f = config.intermediate_size;
  gate_proj = register_module("gate_proj", Linear(c, f, config.mlp_bias, options));
  up_proj = register_module("up_proj", Linear(c, f, config.mlp_bias, options));
  down_proj = register_module("down_proj", Linear(f, c, config.mlp_bias, options));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  auto gate = gate_proj(x);  // [B, T, F]
  switch (activation_) {
    case Activation::Silu: gate = torch::silu(gate); break;
    case Activation::GeluTanh: gate = torch::gelu(gate, "tanh"); break;
    case Activation::Gelu: gate = torch::gelu(gate); break;
  }
  return down_proj(gate * up_proj(x));  // [B, T, C]
}

// ---------------------------------------------------------------------------------------------

DecoderLayerImpl::DecoderLayerImpl(const ModelConfig& config, int64_t layer, const torch::TensorOptions& options)
    : layer_(layer), gemma_(config.gemma_norms) {
  const int64_t c = config.hidden_size;
  const double eps = config.rms_norm_eps;
  self_attn = register_module("self_attn", Attention(config, layer, options));
  mlp = register_module("mlp", Mlp(config, options));
  input_layernorm = register_module("input_layernorm", RMSNorm(c, eps, gemma_, options));
  post_attention_layernorm = register_module("post_attention_layernorm", RMSNorm(c, eps, gemma_, options));
  if (gemma_) {
    pre_feedforward_layernorm = register_module("pre_feedforward_layernorm", RMSNorm(c, eps, true, options));
    post_feedforward_layernorm = register_module("post_feedforward_layernorm", RMSNorm(c, eps, true, options));
  }
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const AttentionContext& context,
                                        const ActivationHook* hook) {
  const std::string prefix = hook && *hook ? "layers." + std::to_string(layer_) + "." : "";
  auto h = input_layernorm(x);  // [B, T, C]
  emit(hook, prefix + "attn_norm", h);
  h = self_attn(h, context);
  emit(hook, prefix + "attn", h);
  if (gemma_) h = post_attention_layernorm(h);
  emit(hook, prefix + "attn_out", h);
  const auto residual = x + h;  // [B, T, C]

  h = gemma_ ? pre_feedforward_layernorm(residual) : post_attention_layernorm(residual);
  emit(hook, prefix + "ffn_norm", h);
  h = mlp(h);
  if (gemma_) h = post_feedforward_layernorm(h);
  emit(hook, prefix + "ffn_out", h);
  auto out = residual + h;  // [B, T, C]
  emit(hook, prefix + "output", out);
  return out;
}

// ---------------------------------------------------------------------------------------------

DecoderImpl::DecoderImpl(const ModelConfig& config, const torch::TensorOptions& options)
    : embed_scale_(config.gemma_norms ? std::sqrt(static_cast<double>(config.hidden_size)) : 0.0) {
  embed_tokens = register_module("embed_tokens", Embedding(config.vocab_size, config.hidden_size, options));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.num_layers; ++i) layers->push_back(DecoderLayer(config, i, options));
  norm = register_module("norm", RMSNorm(config.hidden_size, config.rms_norm_eps, config.gemma_norms, options));
}

torch::Tensor DecoderImpl::forward(const torch::Tensor& input_ids, const AttentionContext& context,
                                   const ActivationHook* hook) {
  auto h = embed_tokens(input_ids);  // [B, T, C]
  // Gemma multiplies by sqrt(hidden) rounded to the activation dtype (33.94 becomes 34.0 in
  // bf16), as its reference implementation does.
  if (embed_scale_ > 0) h = h * torch::scalar_tensor(embed_scale_, h.options());
  emit(hook, "embed", h);
  for (const auto& layer : *layers) h = layer->as<DecoderLayer>()->forward(h, context, hook);
  h = norm(h);  // [B, T, C]
  emit(hook, "norm", h);
  return h;
}

// ---------------------------------------------------------------------------------------------

CausalLmImpl::CausalLmImpl(ModelConfig config, const torch::TensorOptions& options)
    : config_(std::move(config)), inv_freq_(rope_inverse_frequencies(config_.rope, config_.head_dim)) {
  model = register_module("model", Decoder(config_, options));
  if (!config_.tie_word_embeddings)
    lm_head = register_module("lm_head", Linear(config_.hidden_size, config_.vocab_size, false, options));
}

torch::Dtype CausalLmImpl::dtype() const { return model->embed_tokens->weight.scalar_type(); }
torch::Device CausalLmImpl::device() const { return model->embed_tokens->weight.device(); }

torch::Tensor CausalLmImpl::output_weight() const {
  return lm_head ? lm_head->weight : model->embed_tokens->weight;
}

torch::Tensor CausalLmImpl::logits(const torch::Tensor& hidden) {
  auto out = linear_rows(hidden, output_weight(), {}).to(torch::kFloat32);  // [B, T, V]
  if (config_.final_logit_softcap > 0)
    out = torch::tanh(out / config_.final_logit_softcap) * config_.final_logit_softcap;
  return out;
}

torch::Tensor CausalLmImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& positions_in,
                                    const torch::Tensor& key_padding_mask, KVCache* cache, LogitsFor which) {
  if (input_ids.dim() != 2) throw Error("CausalLm::forward: input_ids must be [B, T]");
  const auto device = this->device();
  const int64_t b = input_ids.size(0), t = input_ids.size(1);
  const int64_t past = cache ? cache->length() : 0;
  const int64_t s = past + t;
  if (cache && !cache->empty() && cache->batch_size() != b)
    throw Error("CausalLm::forward: " + std::to_string(b) + " rows but the cache holds " +
                std::to_string(cache->batch_size()));
  const auto long_options = torch::TensorOptions().dtype(torch::kLong).device(device);

  auto ids = input_ids.to(device, torch::kLong);
  torch::Tensor positions = positions_in.defined()
                                ? positions_in.to(device, torch::kLong)
                                : (torch::arange(past, s, long_options).unsqueeze(0).expand({b, t}));  // [B, T]
  if (positions.sizes() != input_ids.sizes())
    throw Error("CausalLm::forward: positions must have the shape of input_ids [B, T]");

  // RoPE angles in fp32 from fp32 inverse frequencies, as HF computes them.
  if (!inv_freq_device_.defined() || inv_freq_device_.device() != device)
    inv_freq_device_ = torch::tensor(inv_freq_, torch::kFloat64).to(device, torch::kFloat32);
  const auto angles = positions.to(torch::kFloat32).unsqueeze(-1) * inv_freq_device_;  // [B, T, D/2]
  const auto emb = torch::cat({angles, angles}, -1).unsqueeze(1);                        // [B, 1, T, D]
  AttentionContext context;
  const auto act_dtype = dtype();
  context.cos = emb.cos().to(act_dtype);
  context.sin = emb.sin().to(act_dtype);
  context.cache = cache;

  // Masks, shared by all layers: query t sits at column past + t.
  const auto key_col = torch::arange(s, long_options);                  // [S]
  const auto query_col = torch::arange(past, s, long_options).unsqueeze(1);  // [T, 1]
  auto blocked = key_col.unsqueeze(0) > query_col;                      // [T, S] future keys
  blocked = blocked.unsqueeze(0).expand({b, t, s});                     // [B, T, S]
  if (key_padding_mask.defined()) {
    if (key_padding_mask.dim() != 2 || key_padding_mask.size(0) != b || key_padding_mask.size(1) != s)
      throw Error("CausalLm::forward: key_padding_mask must be [B, S] = [" + std::to_string(b) + ", " +
                  std::to_string(s) + "] (cached columns + new tokens)");
    blocked = blocked | key_padding_mask.to(device, torch::kBool).logical_not().unsqueeze(1);
  }
  context.blocked_full = blocked.view({b, 1, 1, t, s});
  if (config_.sliding_window > 0) {
    const auto far = (query_col - key_col.unsqueeze(0)) >= config_.sliding_window;  // [T, S]
    context.blocked_sliding = (blocked | far.unsqueeze(0)).view({b, 1, 1, t, s});
  }

  const ActivationHook* hook = hook_ ? &hook_ : nullptr;
  context.hook = hook;
  auto hidden = model->forward(ids, context, hook);  // [B, T, C]
  if (cache) cache->advance(t);
  if (which == LogitsFor::Last) hidden = hidden.narrow(1, t - 1, 1);  // [B, 1, C]
  auto out = logits(hidden);  // [B, T or 1, V]
  emit(hook, "logits", out);
  return out;
}

torch::Tensor left_padded_positions(const torch::Tensor& key_padding_mask) {
  // [B, S] bool -> [B, S] int64: cumulative count of real tokens minus one, padding clamped to 0
  return (key_padding_mask.to(torch::kLong).cumsum(1) - 1).clamp_min(0);
}

void randomize_weights(CausalLmImpl& model, uint64_t seed, double stddev) {
  torch::NoGradGuard no_grad;
  auto generator = at::detail::createCPUGenerator(seed);
  const bool gemma = model.config().gemma_norms;
  for (auto& item : model.named_parameters()) {
    auto& param = item.value();
    const bool is_norm = item.key().find("norm") != std::string::npos;
    auto values = torch::randn(param.sizes(), generator, torch::kFloat32) * (is_norm ? 0.2 : stddev);
    if (is_norm && !gemma) values += 1.0;
    param.copy_(values);
  }
}

}  // namespace tpt::model
