// The decoder's generation API and family-specific behaviour: cached decoding agrees with full
// forwards, batching with left padding and dropping rows change nothing, and each family's
// peculiarity (soft-caps, sliding window, llama3 RoPE, q/k/v bias, (1 + w) norms) is really there.
#include <cmath>
#include <map>

#include "runtime/torch_runtime.h"
#include "test_model_support.h"

using namespace tpt;
using namespace tpt::model_testing;

namespace {

constexpr double kStateTolerance = 1e-4;

torch::Tensor golden_ids(const std::string& name) {
  return read_tensor(golden_dir(name) + "/golden.safetensors", "input_ids");  // [2, 48]
}

// Prefill `prefill` tokens of row 0, then one token at a time; returns [1, T, V] logits.
torch::Tensor decode_with_cache(model::CausalLmImpl& model, const torch::Tensor& ids, int64_t prefill) {
  model::KVCache cache;
  std::vector<torch::Tensor> steps;
  steps.push_back(model.forward(ids.narrow(1, 0, prefill), {}, {}, &cache));
  for (int64_t t = prefill; t < ids.size(1); ++t) steps.push_back(model.forward(ids.narrow(1, t, 1), {}, {}, &cache));
  return torch::cat(steps, 1);
}

}  // namespace

TPT_TEST(model_decoder, cached_decoding_gives_the_logits_of_a_full_forward_for_every_family) {
  tpt::runtime::init_runtime(1);
  torch::NoGradGuard no_grad;
  for (const char* name : kGoldenCases) {
    model::CausalLm model = model::load_model(golden_dir(name));
    const auto ids = golden_ids(name).narrow(0, 0, 1);  // [1, 48]; Gemma's window is 16
    const auto full = model->forward(ids);              // [1, 48, V]
    COMPARE_TENSORS(decode_with_cache(*model, ids, 5), full, kStateTolerance);
    COMPARE_TENSORS(decode_with_cache(*model, ids, 1), full, kStateTolerance);
  }
}

TPT_TEST(model_decoder, last_only_logits_equal_the_last_column_of_all_logits) {
  torch::NoGradGuard no_grad;
  model::CausalLm model = tiny_model(tiny_config("qwen2"));
  const auto ids = torch::randint(0, 64, {2, 9}, torch::kLong);
  const auto all = model->forward(ids);
  const auto last = model->forward(ids, {}, {}, nullptr, model::LogitsFor::Last);
  COMPARE_TENSORS(last, all.narrow(1, 8, 1), 0.0);
}

TPT_TEST(model_decoder, a_left_padded_batch_gives_each_row_the_logits_it_gets_alone) {
  tpt::runtime::init_runtime(1);
  torch::NoGradGuard no_grad;
  for (const char* name : {"llama-gqa-untied", "gemma2-softcap-window"}) {
    model::CausalLm model = model::load_model(golden_dir(name));
    const auto source = golden_ids(name);
    // Rows of 40, 23 and 31 prompt tokens, then 6 decode steps each.
    const std::vector<int64_t> lengths = {40, 23, 31};
    const int64_t longest = 40, steps = 6, b = 3;
    std::vector<torch::Tensor> rows;  // each [1, length + steps]
    for (int64_t i = 0; i < b; ++i) rows.push_back(source.narrow(0, i % 2, 1).narrow(1, i, lengths[i] + steps));

    auto ids = torch::zeros({b, longest}, torch::kLong);  // pad id 0 is a real token id: masked by position
    auto mask = torch::zeros({b, longest}, torch::kBool);
    for (int64_t i = 0; i < b; ++i) {
      ids[i].narrow(0, longest - lengths[i], lengths[i]).copy_(rows[i][0].narrow(0, 0, lengths[i]));
      mask[i].narrow(0, longest - lengths[i], lengths[i]).fill_(true);
    }
    model::KVCache cache;
    auto positions = model::left_padded_positions(mask);
    std::vector<torch::Tensor> batched;  // per step [B, 1, V]
    batched.push_back(model->forward(ids, positions, mask, &cache, model::LogitsFor::Last));
    for (int64_t step = 0; step < steps; ++step) {
      auto next = torch::empty({b, 1}, torch::kLong);
      for (int64_t i = 0; i < b; ++i) next[i][0] = rows[i][0][lengths[i] + step];
      mask = torch::cat({mask, torch::ones({b, 1}, torch::kBool)}, 1);
      positions = positions.narrow(1, positions.size(1) - 1, 1) + 1;
      batched.push_back(model->forward(next, positions, mask, &cache));
    }
    const auto got = torch::cat(batched, 1);  // [B, steps + 1, V]
    for (int64_t i = 0; i < b; ++i) {
      const auto alone = model->forward(rows[i]);  // [1, length + steps, V]
      COMPARE_TENSORS(got[i], alone[0].narrow(0, lengths[i] - 1, steps + 1), kStateTolerance);
    }
  }
}

TPT_TEST(model_decoder, dropping_finished_rows_from_the_cache_leaves_the_others_unchanged) {
  torch::NoGradGuard no_grad;
  model::CausalLm model = model::load_model(golden_dir("gemma2-softcap-window"));
  const auto ids = golden_ids("gemma2-softcap-window");  // [2, 48]
  const auto three = torch::cat({ids, ids.narrow(0, 0, 1).flip(1)}, 0);  // [3, 48], equal lengths
  const auto full = model->forward(three);                                // [3, 48, V]
  model::KVCache cache;
  model->forward(three.narrow(1, 0, 20), {}, {}, &cache);
  COMPARE(cache.length(), int64_t{20});
  COMPARE(cache.batch_size(), int64_t{3});
  // Row 1 finishes: keep rows 2 and 0, in that order.
  const auto keep = torch::tensor(std::vector<int64_t>{2, 0});
  cache.select_rows(keep);
  COMPARE(cache.batch_size(), int64_t{2});
  const auto kept = three.index_select(0, keep);
  for (int64_t t = 20; t < 48; ++t) {
    const auto positions = torch::full({2, 1}, t, torch::kLong);
    const auto logits = model->forward(kept.narrow(1, t, 1), positions, {}, &cache);  // [2, 1, V]
    COMPARE_TENSORS(logits, full.index_select(0, keep).narrow(1, t, 1), kStateTolerance);
  }
  COMPARE(cache.length(), int64_t{48});
  VERIFY(cache.memory_bytes() > 0);
}

TPT_TEST(model_decoder, the_final_soft_cap_bounds_every_logit) {
  torch::NoGradGuard no_grad;
  auto config = tiny_config("gemma2");
  config["final_logit_softcapping"] = 5.0;
  model::CausalLm model = tiny_model(config, 3, /*stddev=*/1.0);  // large weights: raw logits in the hundreds
  const auto logits = model->forward(torch::randint(0, 64, {2, 12}, torch::kLong));
  VERIFY(logits.abs().max().item<double>() <= 5.0);
  VERIFY(logits.abs().max().item<double>() > 4.0);  // saturated, so the cap is what bounded it

  config["final_logit_softcapping"] = nullptr;
  model::CausalLm uncapped = tiny_model(config, 3, 1.0);
  VERIFY(uncapped->forward(torch::randint(0, 64, {2, 12}, torch::kLong)).abs().max().item<double>() > 5.0);
}

TPT_TEST(model_decoder, the_attention_soft_cap_bounds_scores_before_the_softmax) {
  // With a cap of 1e-6 every score lies within +-1e-6, so attention is uniform over the keys a
  // query may see: the layer's output is o_proj(mean of the visible values), computed here by hand.
  torch::NoGradGuard no_grad;
  auto config = tiny_config("gemma2");
  config["attn_logit_softcapping"] = 1e-6;
  config["num_hidden_layers"] = 1;
  config["layer_types"] = {"full_attention"};
  model::CausalLm model = tiny_model(config, 4, 0.5);
  std::map<std::string, torch::Tensor> seen;
  model->set_activation_hook([&](const std::string& name, const torch::Tensor& t) { seen[name] = t.clone(); });
  const int64_t t = 7;
  model->forward(torch::randint(0, 64, {1, t}, torch::kLong));

  auto& attn = model->model->layers[0]->as<model::DecoderLayer>()->self_attn;
  const auto v = attn->v_proj(seen.at("layers.0.attn_norm")).view({1, t, 2, 16});  // [1, T, H_kv, D]
  const auto visible = torch::tril(torch::ones({t, t}));                               // [T, S]
  const auto mean_v = torch::einsum("ts,bskd->btkd", {visible / visible.sum(1, true), v});  // [1, T, H_kv, D]
  // Query heads 0,1 share KV head 0; heads 2,3 KV head 1.
  const auto per_head = mean_v.repeat_interleave(2, /*dim=*/2).reshape({1, t, 4 * 16});
  COMPARE_TENSORS(seen.at("layers.0.attn"), attn->o_proj(per_head), 1e-4);
}

TPT_TEST(model_decoder, a_sliding_window_layer_hides_keys_window_or_more_tokens_back) {
  torch::NoGradGuard no_grad;
  auto config = tiny_config("gemma2");  // window 4
  config["layer_types"] = {"sliding_attention", "sliding_attention"};
  model::CausalLm model = tiny_model(config, 5, 0.3);
  std::map<std::string, torch::Tensor> seen;
  model->set_activation_hook([&](const std::string& name, const torch::Tensor& t) { seen[name] = t.clone(); });

  auto ids = torch::randint(1, 64, {1, 16}, torch::kLong);
  const auto logits = model->forward(ids);
  const auto layer0 = seen.at("layers.0.output");
  auto changed = ids.clone();
  changed[0][2] = 0;  // token 2 differs
  const auto logits2 = model->forward(changed);
  const auto layer0_2 = seen.at("layers.0.output");

  // One window layer: query i sees token 2 only while i - 2 < 4, i.e. i <= 5.
  VERIFY(max_abs_diff(layer0.narrow(1, 5, 1), layer0_2.narrow(1, 5, 1)) > 1e-4);
  COMPARE_TENSORS(layer0_2.narrow(1, 6, 10), layer0.narrow(1, 6, 10), 0.0);
  // Two window layers: influence reaches 2 * (4 - 1) = 6 columns, up to i = 8.
  VERIFY(max_abs_diff(logits.narrow(1, 8, 1), logits2.narrow(1, 8, 1)) > 1e-4);
  COMPARE_TENSORS(logits2.narrow(1, 9, 7), logits.narrow(1, 9, 7), 0.0);

  // Full attention layers do see it.
  config["layer_types"] = {"full_attention", "full_attention"};
  model::CausalLm full = tiny_model(config, 5, 0.3);
  VERIFY(max_abs_diff(full->forward(ids).narrow(1, 15, 1), full->forward(changed).narrow(1, 15, 1)) > 1e-4);
}

TPT_TEST(model_decoder, llama3_rope_scaling_matches_hand_computed_inverse_frequencies) {
  // head_dim 8, theta 10000: base inverse frequencies 1, 0.1, 0.01, 0.001, wavelengths 2*pi/f =
  // 6.28, 62.8, 628, 6283. With L0 = 128, low_freq_factor 1, high_freq_factor 4: wavelengths
  // under 128/4 = 32 keep their frequency, over 128/1 = 128 are divided by factor 8, between
  // blend with smooth = (L0 / wavelength - low) / (high - low).
  auto config = tiny_config("llama");
  config["hidden_size"] = 32;
  config["num_attention_heads"] = 4;  // head_dim 8
  config.erase("rope_theta");
  config["rope_parameters"] = {{"rope_type", "llama3"}, {"rope_theta", 10000.0}, {"factor", 8.0},
                               {"low_freq_factor", 1.0}, {"high_freq_factor", 4.0},
                               {"original_max_position_embeddings", 128}};
  const model::ModelConfig c = model::parse_model_config(config);
  const auto inv = model::rope_inverse_frequencies(c.rope, c.head_dim);
  COMPARE(inv.size(), size_t{4});
  const double smooth = (128.0 / 62.83185307179586 - 1.0) / (4.0 - 1.0);  // 0.345716...
  COMPARE_NEAR(inv[0], 1.0, 1e-15);                                      // 6.28 < 32: unchanged
  COMPARE_NEAR(inv[1], (1 - smooth) * 0.1 / 8 + smooth * 0.1, 1e-15);   // 32 <= 62.8 <= 128: blended
  COMPARE_NEAR(inv[1], 0.04275118, 1e-8);
  COMPARE_NEAR(inv[2], 0.01 / 8, 1e-15);                                 // 628 > 128: divided by 8
  COMPARE_NEAR(inv[3], 0.001 / 8, 1e-15);

  // transformers 4 spelling: top-level rope_theta and rope_scaling with "type".
  auto old = config;
  old.erase("rope_parameters");
  old["rope_theta"] = 10000.0;
  old["rope_scaling"] = {{"type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0},
                         {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 128}};
  const auto inv_old = model::rope_inverse_frequencies(model::parse_model_config(old).rope, 8);
  for (size_t i = 0; i < 4; ++i) COMPARE(inv_old[i], inv[i]);
}

TPT_TEST(model_decoder, sizes_beyond_any_model_are_refused_with_their_key) {
  // A config.json asking for 1e15 layers allocated a per-layer table of that size; a head_dim of
  // 1e11 the RoPE frequencies; heads x head_dim overflowed int64.
  auto config = tiny_config("llama");
  config["num_hidden_layers"] = 1000000000000000LL;
  VERIFY_THROWS_WITH(model::parse_model_config(config),
                     "config.json: num_hidden_layers: must be at most 100000, got 1000000000000000");
  config = tiny_config("llama");
  config["head_dim"] = 100000000000LL;
  VERIFY_THROWS_WITH(model::parse_model_config(config), "head_dim: must be at most 16777216");
  config = tiny_config("llama");
  config["vocab_size"] = 18446744073709551615ULL;
  VERIFY_THROWS_WITH(model::parse_model_config(config), "vocab_size: must be at most 2147483647");
}

TPT_TEST(model_decoder, qwen2_uses_its_qkv_bias_and_has_no_output_bias) {
  torch::NoGradGuard no_grad;
  // The golden fixture's biases are zeros (transformers initialises biases so), so this uses
  // random ones.
  model::CausalLm model = tiny_model(tiny_config("qwen2"));
  auto attn = model->model->layers[0]->as<model::DecoderLayer>()->self_attn;
  VERIFY(attn->q_proj->bias.defined() && attn->k_proj->bias.defined() && attn->v_proj->bias.defined());
  VERIFY(!attn->o_proj->bias.defined());
  const auto ids = torch::randint(0, 64, {2, 10}, torch::kLong);
  const auto before = model->forward(ids);
  attn->q_proj->bias.zero_();
  attn->k_proj->bias.zero_();
  attn->v_proj->bias.zero_();
  VERIFY(max_abs_diff(model->forward(ids), before) > 1e-3);
}

TPT_TEST(model_decoder, gemma_norms_scale_by_one_plus_w_and_llama_norms_by_w) {
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 3, 8});
  const auto w = torch::randn({8});
  const auto normed = x / torch::sqrt(x.pow(2).mean(-1, true) + 1e-6);
  model::RMSNorm gemma(8, 1e-6, /*unit_offset=*/true, torch::kFloat32);
  gemma->weight.copy_(w);
  COMPARE_TENSORS(gemma(x), normed * (1 + w), 1e-5);
  model::RMSNorm llama(8, 1e-6, /*unit_offset=*/false, torch::kFloat32);
  llama->weight.copy_(w);
  COMPARE_TENSORS(llama(x), normed * w, 1e-5);
}

TPT_TEST(model_decoder, gemma_scales_embeddings_by_the_square_root_of_the_hidden_size) {
  torch::NoGradGuard no_grad;
  model::CausalLm model = tiny_model(tiny_config("gemma2"));
  torch::Tensor embed;
  model->set_activation_hook([&](const std::string& name, const torch::Tensor& t) {
    if (name == "embed") embed = t.clone();
  });
  model->forward(torch::tensor(std::vector<int64_t>{5, 7}).unsqueeze(0));
  const auto table = model->model->embed_tokens->weight;
  COMPARE_TENSORS(embed[0][1], table[7] * std::sqrt(32.0), 1e-6);

  // In bf16 the factor is rounded first: sqrt(3072) = 55.43 becomes 55.5.
  auto config = tiny_config("gemma2");
  config["hidden_size"] = 3072;
  config["num_hidden_layers"] = 1;
  config["layer_types"] = {"full_attention"};
  config["intermediate_size"] = 8;
  model::CausalLm big(model::parse_model_config(config), torch::kBFloat16);
  model::randomize_weights(*big, 1);
  big->set_activation_hook([&](const std::string& name, const torch::Tensor& t) {
    if (name == "embed") embed = t.clone();
  });
  big->forward(torch::tensor(std::vector<int64_t>{3}).unsqueeze(0));
  COMPARE_TENSORS(embed[0][0].to(torch::kFloat32), (big->model->embed_tokens->weight[3] * 55.5).to(torch::kFloat32),
                  0.0);
}

TPT_TEST(model_decoder, a_padding_query_with_every_key_hidden_stays_finite) {
  torch::NoGradGuard no_grad;
  model::CausalLm model = tiny_model(tiny_config("llama"));
  auto mask = torch::ones({2, 6}, torch::kBool);
  mask[1].narrow(0, 0, 3).fill_(false);
  const auto logits = model->forward(torch::randint(0, 64, {2, 6}, torch::kLong), model::left_padded_positions(mask), mask);
  VERIFY(torch::isfinite(logits).all().item<bool>());
}

TPT_TEST(model_decoder, the_summary_describes_the_model_for_people) {
  model::CausalLm model = model::load_model(golden_dir("gemma2-softcap-window"));
  const model::ModelSummary s = model::summarize(*model);
  COMPARE(s.family, std::string("gemma2"));
  COMPARE(s.layers, int64_t{4});
  COMPARE(s.hidden, int64_t{64});
  COMPARE(s.heads, int64_t{4});
  COMPARE(s.kv_heads, int64_t{2});
  COMPARE(s.head_dim, int64_t{32});
  COMPARE(s.vocab, int64_t{320});
  COMPARE(s.dtype, std::string("float32"));
  COMPARE(s.device, std::string("cpu"));
  VERIFY(s.tied_embeddings);
  // Embeddings 320*64, per layer q 128*64, k and v 64*64 each, o 64*128, MLP 3*64*128, 4 norms of 64; final norm 64.
  const int64_t per_layer = 128 * 64 + 2 * 64 * 64 + 64 * 128 + 3 * 64 * 128 + 4 * 64;
  COMPARE(s.parameters, int64_t{320 * 64 + 4 * per_layer + 64});
  VERIFY_CONTAINS(s.to_string(), "gemma2 · ");
  VERIFY_CONTAINS(s.to_string(), "4/2 heads (dim 32)");
}
