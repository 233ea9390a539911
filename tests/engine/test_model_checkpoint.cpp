// Model folders: saving and loading reproduce a model exactly, sharded checkpoints load, and a
// checkpoint or config.json that does not fit the decoder fails with the tensor or key named.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "io/json_fields.h"
#include "test_model_support.h"

using namespace tpt;
using namespace tpt::model_testing;
namespace fs = std::filesystem;

namespace {

// Copies a golden folder (without its golden logits) into a fresh temporary directory.
std::string copy_golden(const std::string& name) {
  const std::string dir = tpt::testing::temp_dir() + "/" + name;
  fs::create_directories(dir);
  for (const char* file : {"config.json", "model.safetensors", "generation_config.json"})
    fs::copy_file(golden_dir(name) + "/" + file, dir + "/" + file);
  return dir;
}

// Rewrites dir/model.safetensors through `edit`, which may add, drop or change entries.
void edit_weights(const std::string& dir, const std::function<void(std::vector<io::TensorToWrite>&)>& edit) {
  const std::string path = dir + "/model.safetensors";
  io::SafetensorsFile file(path);
  std::vector<io::TensorToWrite> tensors;
  for (const auto& v : file.tensors()) tensors.push_back({v.name, v.dtype, v.shape, v.data, {}});
  edit(tensors);
  io::write_safetensors(path, tensors, file.metadata());
}

void edit_config(const std::string& dir, const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json config = io::read_json_file(dir + "/config.json");
  edit(config);
  io::write_json_file(dir + "/config.json", config);
}

std::vector<io::TensorToWrite>::iterator find_entry(std::vector<io::TensorToWrite>& tensors, const std::string& name) {
  return std::find_if(tensors.begin(), tensors.end(), [&](const io::TensorToWrite& t) { return t.name == name; });
}

}  // namespace

TPT_TEST(model_checkpoint, a_saved_model_loads_back_with_bitwise_equal_logits) {
  torch::NoGradGuard no_grad;
  for (const char* name : kGoldenCases) {
    const std::string source = copy_golden(name);
    std::ofstream(source + "/tokenizer.json") << R"({"version": "1.0"})";
    model::CausalLm model = model::load_model(source);
    const auto ids = read_tensor(golden_dir(name) + "/golden.safetensors", "input_ids");
    const auto logits = model->forward(ids);

    const std::string saved = save_to_temp(*model);
    model::CausalLm reloaded = model::load_model(saved);
    VERIFY(torch::equal(reloaded->forward(ids), logits));
    // Tokenizer and generation files come along; config.json keeps every original key.
    VERIFY(fs::exists(saved + "/tokenizer.json"));
    VERIFY(fs::exists(saved + "/generation_config.json"));
    VERIFY(io::read_json_file(saved + "/config.json") == io::read_json_file(source + "/config.json"));
    COMPARE(io::SafetensorsFile(saved + "/model.safetensors").metadata().at("format"), std::string("pt"));
    // Tied embeddings are stored once, as transformers does.
    VERIFY(io::SafetensorsFile(saved + "/model.safetensors").find("lm_head.weight") == nullptr ||
           !reloaded->config().tie_word_embeddings);
  }
}

TPT_TEST(model_checkpoint, saving_in_bfloat16_records_the_dtype_and_rounds_the_weights) {
  torch::NoGradGuard no_grad;
  model::CausalLm model = model::load_model(golden_dir("qwen2-bias-tied"));
  model::SaveOptions options;
  options.dtype = torch::kBFloat16;
  const std::string saved = save_to_temp(*model, options);
  COMPARE(io::read_json_file(saved + "/config.json").at("dtype").get<std::string>(), std::string("bfloat16"));
  COMPARE(io::SafetensorsFile(saved + "/model.safetensors").at("model.norm.weight").dtype, io::Dtype::BF16);
  model::CausalLm reloaded = model::load_model(saved);  // converted to fp32 on load
  COMPARE(reloaded->dtype(), torch::kFloat32);
  const auto expected = model->model->embed_tokens->weight.to(torch::kBFloat16).to(torch::kFloat32);
  VERIFY(torch::equal(reloaded->model->embed_tokens->weight, expected));

  model::LoadOptions bf16;
  bf16.dtype = torch::kBFloat16;
  model::CausalLm in_bf16 = model::load_model(saved, bf16);
  COMPARE(model::summarize(*in_bf16).dtype, std::string("bfloat16"));
}

TPT_TEST(model_checkpoint, a_sharded_checkpoint_loads_like_a_single_file) {
  torch::NoGradGuard no_grad;
  const std::string name = "llama-gqa-untied";
  model::CausalLm model = model::load_model(golden_dir(name));
  const std::string dir = tpt::testing::temp_dir() + "/sharded";
  fs::create_directories(dir);
  fs::copy_file(golden_dir(name) + "/config.json", dir + "/config.json");
  io::SafetensorsFile single(golden_dir(name) + "/model.safetensors");
  std::vector<io::TensorToWrite> first, second;
  nlohmann::json weight_map;
  for (const auto& v : single.tensors()) {
    const bool in_first = v.name.find("layers.1.") == std::string::npos;
    (in_first ? first : second).push_back({v.name, v.dtype, v.shape, v.data, {}});
    weight_map[v.name] = in_first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  io::write_safetensors(dir + "/model-00001-of-00002.safetensors", first, {{"format", "pt"}});
  io::write_safetensors(dir + "/model-00002-of-00002.safetensors", second, {{"format", "pt"}});
  io::write_json_file(dir + "/model.safetensors.index.json", {{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}});

  const auto ids = read_tensor(golden_dir(name) + "/golden.safetensors", "input_ids");
  VERIFY(torch::equal(model::load_model(dir)->forward(ids), model->forward(ids)));

  fs::remove(dir + "/model-00002-of-00002.safetensors");
  VERIFY_THROWS_WITH(model::load_model(dir), "model.safetensors.index.json: shard \"model-00002-of-00002.safetensors\" is missing");
}

TPT_TEST(model_checkpoint, a_missing_tensor_is_named) {
  const std::string dir = copy_golden("llama-gqa-untied");
  edit_weights(dir, [](auto& t) { t.erase(find_entry(t, "model.layers.1.mlp.up_proj.weight")); });
  VERIFY_THROWS_WITH(model::load_model(dir),
                     "model.safetensors: tensor \"model.layers.1.mlp.up_proj.weight\" is missing (the model expects [160, 64])");
}

TPT_TEST(model_checkpoint, an_untied_model_without_lm_head_is_refused) {
  const std::string dir = copy_golden("llama-gqa-untied");
  edit_weights(dir, [](auto& t) { t.erase(find_entry(t, "lm_head.weight")); });
  VERIFY_THROWS_WITH(model::load_model(dir), "tensor \"lm_head.weight\" is missing");
}

TPT_TEST(model_checkpoint, an_extra_tensor_is_named_but_known_leftovers_are_ignored) {
  const std::string dir = copy_golden("llama3-rope-tied");  // tied: no lm_head.weight
  static const float inv_freq[8] = {};
  static std::vector<float> lm_head(320 * 64, 0.0f);
  edit_weights(dir, [](auto& t) {
    t.push_back({"model.layers.0.self_attn.rotary_emb.inv_freq", io::Dtype::F32, {8}, inv_freq, {}});
    t.push_back({"lm_head.weight", io::Dtype::F32, {320, 64}, lm_head.data(), {}});  // a tied copy some exporters write
  });
  model::load_model(dir);

  edit_weights(dir, [](auto& t) {
    t.push_back({"model.layers.2.self_attn.q_proj.weight", io::Dtype::F32, {8}, inv_freq, {}});
  });
  VERIFY_THROWS_WITH(model::load_model(dir), "unexpected tensor \"model.layers.2.self_attn.q_proj.weight\" (not part of a llama model");
}

TPT_TEST(model_checkpoint, a_mis_shaped_tensor_is_named_with_both_shapes) {
  const std::string dir = copy_golden("qwen2-bias-tied");
  edit_weights(dir, [](auto& t) {
    auto it = find_entry(t, "model.layers.0.self_attn.k_proj.bias");
    it->shape = {8, 4};
  });
  VERIFY_THROWS_WITH(model::load_model(dir),
                     "tensor \"model.layers.0.self_attn.k_proj.bias\": shape [8, 4] but the model expects [32]");
}

TPT_TEST(model_checkpoint, a_weight_of_an_integer_dtype_is_refused) {
  const std::string dir = copy_golden("qwen2-bias-tied");
  edit_weights(dir, [](auto& t) { find_entry(t, "model.norm.weight")->dtype = io::Dtype::I32; });
  VERIFY_THROWS_WITH(model::load_model(dir), "tensor \"model.norm.weight\": dtype I32 is not a weight type (F32, F16 or BF16)");
}

TPT_TEST(model_checkpoint, f16_weights_are_converted_on_load) {
  torch::NoGradGuard no_grad;
  model::CausalLm model = model::load_model(golden_dir("gemma2-softcap-window"));
  model::SaveOptions options;
  options.dtype = torch::kFloat16;
  const std::string saved = save_to_temp(*model, options);
  model::CausalLm reloaded = model::load_model(saved);
  // Every parameter is the original rounded to f16 and widened back, bit for bit.
  const auto params = model->named_parameters(true);
  const auto loaded = reloaded->named_parameters(true);
  COMPARE(loaded.size(), params.size());
  for (const auto& item : params) {
    const auto expected = item.value().to(torch::kFloat16).to(torch::kFloat32);
    if (!torch::equal(loaded[item.key()], expected)) TPT_FAIL(item.key() + " is not its f16 rounding");
  }
}

TPT_TEST(model_checkpoint, an_unsupported_model_type_names_the_key_and_the_choices) {
  const std::string dir = copy_golden("llama-gqa-untied");
  edit_config(dir, [](auto& c) { c["model_type"] = "mistral"; });
  VERIFY_THROWS_WITH(model::load_model(dir), "config.json: model_type: unsupported \"mistral\" (supported: llama, qwen2, gemma2)");
  edit_config(dir, [](auto& c) {
    c.erase("model_type");
    c["architectures"] = {"Qwen2ForCausalLM"};
  });
  COMPARE(model::read_model_config(dir + "/config.json").family, model::ModelFamily::Qwen2);
}

TPT_TEST(model_checkpoint, a_missing_or_mistyped_config_key_is_named) {
  const std::string dir = copy_golden("llama-gqa-untied");
  edit_config(dir, [](auto& c) { c.erase("hidden_size"); });
  VERIFY_THROWS_WITH(model::load_model(dir), "config.json: hidden_size: missing");
  edit_config(dir, [](auto& c) {
    c["hidden_size"] = 64;
    c["num_key_value_heads"] = 3;
  });
  VERIFY_THROWS_WITH(model::load_model(dir), "config.json: num_key_value_heads: 3 does not divide num_attention_heads 4");
  edit_config(dir, [](auto& c) {
    c["num_key_value_heads"] = 2;
    c["vocab_size"] = "320";
  });
  VERIFY_THROWS_WITH(model::load_model(dir), "config.json: vocab_size: expected an integer, got \"320\"");
}

// A config.json whose sizes are absurd or do not describe the weights is refused before
// anything is allocated: a billion layers used to build modules until memory ran out.
TPT_TEST(model_checkpoint, config_sizes_are_bounded_and_checked_against_the_weights_before_allocating) {
  const std::string dir = copy_golden("llama-gqa-untied");
  const nlohmann::json golden = io::read_json_file(golden_dir("llama-gqa-untied") + "/config.json");
  const auto with = [&](const char* key, nlohmann::json value) {
    edit_config(dir, [&](auto& c) {
      c = golden;
      c[key] = value;
    });
  };
  with("num_hidden_layers", 1'000'000'000);
  VERIFY_THROWS_WITH(model::load_model(dir), "config.json: num_hidden_layers: must be at most 100000, got 1000000000");
  VERIFY_THROWS_WITH(model::check_model_folder(dir), "config.json: num_hidden_layers: must be at most 100000");
  with("vocab_size", int64_t{1} << 62);
  VERIFY_THROWS_WITH(model::load_model(dir), "config.json: vocab_size: must be at most 2147483647, got 4611686018427387904");
  with("hidden_size", int64_t{1} << 40);
  VERIFY_THROWS_WITH(model::load_model(dir), "config.json: hidden_size: must be at most 16777216");

  // Within the bounds, but not these weights: the field and the tensor that contradicts it.
  with("num_hidden_layers", 3000);
  VERIFY_THROWS_WITH(model::load_model(dir),
                     "config.json: num_hidden_layers: 3000, but model.safetensors holds layers model.layers.0 to model.layers.1");
  with("vocab_size", 2'000'000'000);
  VERIFY_THROWS_WITH(model::load_model(dir),
                     "config.json: vocab_size: 2000000000, but model.embed_tokens.weight in model.safetensors has 320 rows");
  with("intermediate_size", 16'000'000);
  VERIFY_THROWS_WITH(model::check_model_folder(dir), "config.json: intermediate_size: 16000000, but model.layers.0.mlp.up_proj.weight");
  with("num_attention_heads", 1'000'000);
  VERIFY_THROWS_WITH(model::load_model(dir), "config.json: num_attention_heads: 1000000, but with head_dim 16 that needs 16000000 rows");
  with("num_key_value_heads", 4);
  VERIFY_THROWS_WITH(model::load_model(dir), "config.json: num_key_value_heads: 4, but with head_dim 16 that needs 64 rows");

  with("num_hidden_layers", 2);  // the golden config itself still loads
  VERIFY(model::load_model(dir)->config().num_layers == 2);
}

TPT_TEST(model_checkpoint, unsupported_rope_and_activation_settings_name_their_key) {
  auto config = tiny_config("llama");
  config["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  VERIFY_THROWS_WITH(model::parse_model_config(config), "config.json: rope_scaling.rope_type: unsupported \"yarn\"");
  config.erase("rope_scaling");
  config["rope_parameters"] = {{"rope_type", "dynamic"}, {"rope_theta", 10000.0}};
  VERIFY_THROWS_WITH(model::parse_model_config(config), "rope_parameters.rope_type: unsupported \"dynamic\"");
  config["rope_parameters"] = {{"rope_type", "llama3"}, {"rope_theta", 10000.0}, {"factor", 8.0}};
  VERIFY_THROWS_WITH(model::parse_model_config(config), "rope_parameters.low_freq_factor: missing");
  config.erase("rope_parameters");
  config["hidden_act"] = "relu2";
  VERIFY_THROWS_WITH(model::parse_model_config(config), "config.json: hidden_act: unsupported \"relu2\"");
}

TPT_TEST(model_checkpoint, configs_of_each_family_read_their_defaults_and_window_layers) {
  const model::ModelConfig gemma = model::read_model_config(golden_dir("gemma2-softcap-window") + "/config.json");
  COMPARE(gemma.family, model::ModelFamily::Gemma2);
  COMPARE(gemma.head_dim, int64_t{32});
  COMPARE(gemma.attention_scale(), 1.0 / std::sqrt(24.0));
  COMPARE(gemma.attn_logit_softcap, 50.0);
  COMPARE(gemma.final_logit_softcap, 30.0);
  COMPARE(gemma.sliding_window, int64_t{16});
  VERIFY(gemma.sliding_layers == std::vector<bool>({true, false, true, false}));
  VERIFY(gemma.tie_word_embeddings && gemma.gemma_norms);
  COMPARE(gemma.activation, model::Activation::GeluTanh);

  // Older Gemma 2 configs have no layer_types: even layers slide.
  auto old = gemma.raw;
  old.erase("layer_types");
  VERIFY(model::parse_model_config(old).sliding_layers == std::vector<bool>({true, false, true, false}));

  const model::ModelConfig qwen = model::read_model_config(golden_dir("qwen2-bias-tied") + "/config.json");
  VERIFY(qwen.qkv_bias && !qwen.o_bias && qwen.tie_word_embeddings);
  COMPARE(qwen.rope.theta, 1e6);
  COMPARE(qwen.sliding_window, int64_t{0});

  const model::ModelConfig llama3 = model::read_model_config(golden_dir("llama3-rope-tied") + "/config.json");
  VERIFY(llama3.rope.llama3);
  COMPARE(llama3.rope.original_max_position_embeddings, 32.0);
  COMPARE(llama3.num_kv_heads, int64_t{1});
}

TPT_TEST(model_checkpoint, a_folder_without_weights_or_config_says_what_is_missing) {
  const std::string dir = tpt::testing::temp_dir();
  VERIFY_THROWS_WITH(model::load_model(dir), "config.json: missing");
  fs::copy_file(golden_dir("llama-gqa-untied") + "/config.json", dir + "/config.json");
  VERIFY_THROWS_WITH(model::load_model(dir), "no model.safetensors or model.safetensors.index.json");
}

TPT_TEST(model_checkpoint, a_folder_is_checked_from_its_headers_without_allocating_the_weights) {
  const std::string dir = copy_golden("llama-gqa-untied");
  model::check_model_folder(dir, "llama");
  VERIFY_THROWS_WITH(model::check_model_folder(dir, "gemma2"), "model_type is \"llama\" but \"gemma2\" was expected");
  edit_weights(dir, [](auto& t) { t.erase(find_entry(t, "model.norm.weight")); });
  VERIFY_THROWS_WITH(model::check_model_folder(dir), "tensor \"model.norm.weight\" is missing");
}

TPT_TEST(model_checkpoint, a_config_far_larger_than_its_weights_fails_before_anything_is_allocated) {
  // 2^30 × 64 fp32 embeddings would be 256 GiB: allocating first would die with bad_alloc.
  const std::string dir = copy_golden("llama-gqa-untied");
  edit_config(dir, [](nlohmann::json& c) { c["vocab_size"] = int64_t{1} << 30; });
  VERIFY_THROWS_WITH(model::load_model(dir),
                     "config.json: vocab_size: 1073741824, but model.embed_tokens.weight in model.safetensors has 320 rows");
  VERIFY_THROWS_WITH(model::check_model_folder(dir), "vocab_size: 1073741824, but model.embed_tokens.weight");
}
