// Gemma 2's soft-caps, proven where they act. The golden fixtures' logits stay below 1 and their
// attention scores near 0.2, where a cap of 30 or 50 changes almost nothing: a plain clamp, or no
// cap at all, would pass them. Here the golden Gemma 2 model's q/k projections and final norm are
// scaled until raw scores and logits exceed the caps several times, and the capped values must
// equal c * tanh(raw / c) computed here from the same model run without that cap.
#include <map>
#include <optional>

#include "io/json_fields.h"
#include "test_model_support.h"

using namespace tpt;
using namespace tpt::model_testing;

namespace {

constexpr double kAttentionCap = 50.0, kFinalCap = 30.0;

// The golden Gemma 2 model with the given caps (nullopt: none), its q/k weights and final norm
// scaled by the same amounts whatever the caps.
model::CausalLm scaled_gemma2(std::optional<double> attention_cap, std::optional<double> final_cap) {
  const std::string dir = golden_dir("gemma2-softcap-window");
  nlohmann::json config = io::read_json_file(dir + "/config.json");
  config["attn_logit_softcapping"] = attention_cap ? nlohmann::json(*attention_cap) : nlohmann::json();
  config["final_logit_softcapping"] = final_cap ? nlohmann::json(*final_cap) : nlohmann::json();
  model::CausalLm model(model::parse_model_config(config, dir + "/config.json"),
                        torch::TensorOptions().dtype(torch::kFloat32));
  model::load_weights(*model, dir);
  torch::NoGradGuard no_grad;
  for (auto& item : model->named_parameters(true)) {
    const std::string& name = item.key();
    if (name.find("q_proj.weight") != std::string::npos || name.find("k_proj.weight") != std::string::npos)
      item.value().mul_(40.0);  // scores grow 1,600-fold
    if (name == "model.norm.weight") item.value().fill_(999.0);  // Gemma's (1 + w): hidden x ~1000
  }
  model->eval();
  return model;
}

struct Run {
  std::map<std::string, torch::Tensor> scores;  // layer -> attention scores
  torch::Tensor logits;
};

Run run(model::CausalLm& model) {
  const auto ids = read_tensor(golden_dir("gemma2-softcap-window") + "/golden.safetensors", "input_ids");
  Run r;
  model->set_activation_hook([&](const std::string& name, const torch::Tensor& value) {
    if (name.find("attn_scores") != std::string::npos) r.scores[name] = value.clone();
  });
  torch::NoGradGuard no_grad;
  r.logits = model->forward(ids);
  return r;
}

// c * tanh(x / c), written out here rather than taken from the decoder.
torch::Tensor soft_cap(const torch::Tensor& x, double c) {
  const auto e = torch::exp(2.0 * x.to(torch::kFloat64) / c);
  return (c * (e - 1.0) / (e + 1.0)).to(torch::kFloat32);
}

double max_abs(const torch::Tensor& t) { return t.abs().max().item<double>(); }

}  // namespace

TPT_TEST(model_softcap, gemma2_attention_scores_are_soft_capped_as_c_tanh_x_over_c) {
  model::CausalLm capped = scaled_gemma2(kAttentionCap, kFinalCap);
  model::CausalLm uncapped = scaled_gemma2(std::nullopt, kFinalCap);
  const Run with = run(capped), without = run(uncapped);
  COMPARE(with.scores.size(), size_t{4});  // every layer reports its scores
  // Layer 0 sees the same input in both models; later layers see what earlier caps changed.
  const auto& raw = without.scores.at("layers.0.attn_scores");
  const auto& got = with.scores.at("layers.0.attn_scores");
  VERIFY(max_abs(raw) > 3 * kAttentionCap);  // the cap acts, several times over
  VERIFY(max_abs(got) <= kAttentionCap);
  COMPARE_TENSORS(got, soft_cap(raw, kAttentionCap), 1e-4 * kAttentionCap);
  // A clamp agrees only where scores are far beyond the cap, nowhere near it.
  VERIFY(max_abs(got - raw.clamp(-kAttentionCap, kAttentionCap)) > 1.0);
}

TPT_TEST(model_softcap, gemma2_final_logits_are_soft_capped_as_c_tanh_x_over_c) {
  model::CausalLm capped = scaled_gemma2(kAttentionCap, kFinalCap);
  model::CausalLm uncapped = scaled_gemma2(kAttentionCap, std::nullopt);
  const Run with = run(capped), without = run(uncapped);
  VERIFY(max_abs(without.logits) > 3 * kFinalCap);
  VERIFY(max_abs(with.logits) <= kFinalCap);  // fp32 tanh reaches 1 far out
  COMPARE_TENSORS(with.logits, soft_cap(without.logits, kFinalCap), 1e-4 * kFinalCap);
  VERIFY(max_abs(with.logits - without.logits.clamp(-kFinalCap, kFinalCap)) > 1.0);
}
