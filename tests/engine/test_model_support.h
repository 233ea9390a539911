// Helpers shared by the model tests (test_model_*.cpp): tiny configs of each family, HF folders
// in temporary directories, and tensor comparisons that print the first mismatches.
#pragma once

#include <filesystem>
#include <sstream>
#include <string>

#include <torch/torch.h>

#include "check.h"
#include "io/safetensors.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/decoder.h"

namespace tpt::model_testing {

inline std::string golden_dir(const std::string& name) {
  return std::string(TPT_FIXTURES_DIR) + "/hf-golden/" + name;
}

inline const char* const kGoldenCases[] = {"llama-gqa-untied", "llama3-rope-tied", "qwen2-bias-tied",
                                           "gemma2-softcap-window"};

// A config.json for a small model of `family` ("llama", "qwen2", "gemma2"), like transformers
// writes them.
inline nlohmann::json tiny_config(const std::string& family) {
  nlohmann::json c = {
      {"model_type", family},
      {"vocab_size", 64},
      {"hidden_size", 32},
      {"intermediate_size", 48},
      {"num_hidden_layers", 2},
      {"num_attention_heads", 4},
      {"num_key_value_heads", 2},
      {"max_position_embeddings", 128},
      {"rms_norm_eps", 1e-6},
      {"rope_theta", 10000.0},
      {"transformers_version", "5.17.0"},
      {"dtype", "float32"},
      {"initializer_range", 0.02},
  };
  if (family == "llama") {
    c["architectures"] = {"LlamaForCausalLM"};
    c["hidden_act"] = "silu";
    c["tie_word_embeddings"] = false;
  } else if (family == "qwen2") {
    c["architectures"] = {"Qwen2ForCausalLM"};
    c["hidden_act"] = "silu";
    c["tie_word_embeddings"] = true;
    c["rope_theta"] = 1000000.0;
  } else {
    c["architectures"] = {"Gemma2ForCausalLM"};
    c["hidden_activation"] = "gelu_pytorch_tanh";
    c["head_dim"] = 16;  // != hidden / heads
    c["query_pre_attn_scalar"] = 12;
    c["attn_logit_softcapping"] = 50.0;
    c["final_logit_softcapping"] = 30.0;
    c["sliding_window"] = 4;
    c["layer_types"] = {"sliding_attention", "full_attention"};
    c["tie_word_embeddings"] = true;
  }
  return c;
}

inline model::CausalLm tiny_model(const nlohmann::json& config, uint64_t seed = 1, double stddev = 0.1) {
  model::CausalLm model(model::parse_model_config(config));
  model::randomize_weights(*model, seed, stddev);
  model->eval();
  return model;
}

// Saves `model` as an HF folder in a fresh temporary directory.
inline std::string save_to_temp(model::CausalLmImpl& model, const model::SaveOptions& options = {}) {
  const std::string dir = tpt::testing::temp_dir() + "/model";
  model::save_model(model, dir, options);
  return dir;
}

inline torch::Tensor read_tensor(const std::string& path, const std::string& name) {
  io::SafetensorsFile file(path);
  const io::TensorView& view = file.at(name);
  const auto dtype = view.dtype == io::Dtype::I64 ? torch::kLong : torch::kFloat32;
  auto t = torch::empty(view.shape, dtype);
  std::memcpy(t.data_ptr(), view.data, view.size_bytes);
  return t;
}

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

// "at [0, 3, 17]: got 1.25, expected 1.5; ..." for the first `count` elements off by more than `tolerance`.
inline std::string first_mismatches(const torch::Tensor& got, const torch::Tensor& expected, double tolerance,
                                    int count = 5) {
  const auto g = got.to(torch::kFloat64).contiguous(), e = expected.to(torch::kFloat64).contiguous();
  // nonzero() may return its rows strided (column-major): made contiguous to read a row.
  const auto bad = ((g - e).abs() > tolerance).nonzero().contiguous();  // [N, dims]
  std::ostringstream out;
  out.precision(7);
  for (int64_t i = 0; i < bad.size(0) && i < count; ++i) {
    std::vector<int64_t> index(bad[i].data_ptr<int64_t>(), bad[i].data_ptr<int64_t>() + bad.size(1));
    std::vector<at::indexing::TensorIndex> at_index(index.begin(), index.end());
    out << "at " << io::describe_shape(index) << ": got " << g.index(at_index).item<double>() << ", expected "
        << e.index(at_index).item<double>() << "; ";
  }
  out << bad.size(0) << " mismatches in total";
  return out.str();
}

#define COMPARE_TENSORS(got, expected, tolerance)                                                       \
  do {                                                                                                  \
    const auto tpt_g_ = (got);                                                                          \
    const auto tpt_e_ = (expected);                                                                     \
    if (tpt_g_.sizes() != tpt_e_.sizes())                                                               \
      TPT_FAIL(std::string(#got) + ": shape " + ::tpt::io::describe_shape(tpt_g_.sizes().vec()) +          \
               ", expected " + ::tpt::io::describe_shape(tpt_e_.sizes().vec()));                            \
    const double tpt_d_ = ::tpt::model_testing::max_abs_diff(tpt_g_, tpt_e_);                           \
    if (!(tpt_d_ <= (tolerance)))                                                                       \
      TPT_FAIL(std::string(#got) + ": max abs diff " + ::tpt::testing::show(tpt_d_) + " > " +          \
               ::tpt::testing::show(tolerance) + ": " +                                                 \
               ::tpt::model_testing::first_mismatches(tpt_g_, tpt_e_, tolerance));                      \
  } while (0)

}  // namespace tpt::model_testing
