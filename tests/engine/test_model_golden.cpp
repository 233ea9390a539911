// The decoder reproduces Hugging Face transformers' logits for each supported family: the
// fixtures in tests/fixtures/hf-golden were written by transformers itself (fp32, eager).
#include <iostream>

#include "runtime/torch_runtime.h"
#include "test_model_support.h"

using namespace tpt;
using namespace tpt::model_testing;

namespace {

void check_golden(const std::string& name) {
  tpt::runtime::init_runtime(1);
  torch::NoGradGuard no_grad;
  const std::string dir = golden_dir(name);
  model::CausalLm model = model::load_model(dir);
  const auto ids = read_tensor(dir + "/golden.safetensors", "input_ids");       // [2, 48]
  const auto expected = read_tensor(dir + "/golden.safetensors", "logits");     // [2, 48, 320]
  const auto logits = model->forward(ids);
  // The fixtures' logits are small (random weights, std 0.02): the tolerance scales with them.
  const double scale = expected.abs().max().item<double>();
  const double diff = max_abs_diff(logits, expected);
  std::cout << "       " << name << ": max |logit - HF| = " << diff << " (max |logit| " << scale << ")\n";
  COMPARE_TENSORS(logits, expected, 1e-4 * scale);
}

}  // namespace

TPT_TEST(model_golden, llama_with_grouped_query_attention_and_lm_head_matches_transformers) {
  check_golden("llama-gqa-untied");
}

TPT_TEST(model_golden, llama3_rope_scaling_with_tied_embeddings_matches_transformers) {
  check_golden("llama3-rope-tied");
}

TPT_TEST(model_golden, qwen2_with_qkv_bias_matches_transformers) { check_golden("qwen2-bias-tied"); }

TPT_TEST(model_golden, gemma2_with_softcaps_and_sliding_window_matches_transformers) {
  check_golden("gemma2-softcap-window");
}
