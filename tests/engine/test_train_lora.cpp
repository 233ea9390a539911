// LoRA on tiny random-weight models (CPU, fp32): PEFT's initialisation, only adapter tensors
// train, merging gives the adapted function, and the PEFT-layout folder round-trips.
#include <filesystem>

#include "check.h"
#include "io/json_fields.h"
#include "test_model_support.h"
#include "train/sft_trainer.h"

using namespace tpt;
using namespace tpt::train;
using tpt::model_testing::max_abs_diff;
using tpt::model_testing::tiny_config;
using tpt::model_testing::tiny_model;

namespace {

const std::vector<std::string> kAllTargets = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};

std::vector<SftExample> pairs() {
  return {{{3, 9, 4}, {20, 21, 22, 1}}, {{5, 6}, {30, 31, 32, 33, 34, 1}}, {{7, 8, 9, 10, 11}, {40, 41, 1}}};
}

torch::Tensor probe_logits(model::CausalLm& model) {
  torch::NoGradGuard no_grad;
  model->eval();
  return model->forward(torch::tensor({{3, 9, 4, 20, 21}, {5, 6, 30, 31, 32}}));  // [2, 5, V]
}

// A LoRA run of a few steps on `model`; the trainer keeps the adapters attached.
std::unique_ptr<SftTrainer> train_lora(model::CausalLm model, int steps = 5, double dropout = 0.1) {
  TrainOptions o;
  o.micro_batch_size = 3;
  o.max_steps = steps;
  o.schedule = {1e-2, 0, 0, LrDecay::Constant, 0.0};
  o.lora = LoraConfig{4, 8.0, dropout, kAllTargets, "tiny-llama"};
  auto trainer = std::make_unique<SftTrainer>(model, pairs(), o);
  trainer->train();
  return trainer;
}

}  // namespace

TPT_TEST(train_lora, fresh_adapters_follow_peft_initialisation_and_change_nothing) {
  auto model = tiny_model(tiny_config("llama"));
  const auto before = probe_logits(model);
  LoraAdapters adapters(model, LoraConfig{4, 8.0, 0.0, {"q_proj", "down_proj"}, ""}, 1);
  COMPARE(adapters.parameters().size(), size_t{2 * 2 * 2});  // 2 layers x 2 targets x (A, B)
  const auto& [a_key, a] = adapters.parameters()[0];
  COMPARE(a_key, std::string("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"));
  COMPARE(a.sizes().vec(), (std::vector<int64_t>{4, 32}));
  const double bound = 1.0 / std::sqrt(32.0);  // kaiming_uniform_(a=√5) on fan_in 32
  VERIFY(a.abs().max().item<double>() <= bound);
  VERIFY(a.abs().max().item<double>() > 0.8 * bound);
  const auto& [b_key, b] = adapters.parameters()[1];
  COMPARE(b_key, std::string("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"));
  COMPARE(b.sizes().vec(), (std::vector<int64_t>{32, 4}));
  COMPARE(b.abs().max().item<double>(), 0.0);
  COMPARE(adapters.parameters()[3].second.sizes().vec(), (std::vector<int64_t>{32, 4}));  // down_proj B [out, r]
  COMPARE(adapters.parameters()[2].second.sizes().vec(), (std::vector<int64_t>{4, 48}));  // down_proj A [r, in]
  COMPARE(torch::equal(probe_logits(model), before), true);
  VERIFY_THROWS_WITH(LoraAdapters(model, LoraConfig{4, 8.0, 0.0, {"qkv"}, ""}, 1), "target module \"qkv\"");
}

TPT_TEST(train_lora, training_changes_only_adapter_tensors_and_leaves_the_base_bitwise_unchanged) {
  auto model = tiny_model(tiny_config("llama"));
  std::map<std::string, torch::Tensor> base;
  for (const auto& item : model->named_parameters()) base[item.key()] = item.value().detach().clone();
  const auto before = probe_logits(model);
  auto trainer = train_lora(model);
  for (const auto& item : model->named_parameters()) {
    if (!torch::equal(item.value(), base.at(item.key()))) TPT_FAIL(item.key() + " changed under LoRA");
    VERIFY(!item.value().requires_grad());
  }
  COMPARE(trainer->trainable().size(), size_t{2 * 7 * 2});
  for (const auto& [key, p] : trainer->trainable()) {
    if (key.find("lora_B") != std::string::npos && p.abs().max().item<double>() == 0.0) TPT_FAIL(key + " did not train");
  }
  VERIFY(max_abs_diff(probe_logits(model), before) > 1e-3);
}

TPT_TEST(train_lora, a_merged_adapter_gives_the_logits_of_the_unmerged_one) {
  auto model = tiny_model(tiny_config("qwen2"));
  auto trainer = train_lora(model);
  const auto unmerged = probe_logits(model);
  trainer->lora()->merge_and_detach();
  VERIFY(!trainer->lora()->attached());
  // fp32: B·A folded into W reorders the sums; 1e-5 on logits of magnitude ~1.
  COMPARE_TENSORS(probe_logits(model), unmerged, 1e-5);
}

TPT_TEST(train_lora, adapters_saved_in_peft_layout_load_back_and_reproduce_the_logits) {
  auto model = tiny_model(tiny_config("llama"), 4);
  auto trainer = train_lora(model);
  const auto adapted = probe_logits(model);
  const std::string dir = tpt::testing::temp_dir() + "/adapter";
  trainer->lora()->save(dir);

  const auto config = io::read_json_file(dir + "/adapter_config.json");
  COMPARE(config["peft_type"].get<std::string>(), std::string("LORA"));
  COMPARE(config["task_type"].get<std::string>(), std::string("CAUSAL_LM"));
  COMPARE(config["r"].get<int>(), 4);
  COMPARE(config["lora_alpha"].get<double>(), 8.0);
  COMPARE(config["lora_dropout"].get<double>(), 0.1);
  COMPARE(config["target_modules"].get<std::vector<std::string>>() == kAllTargets, true);
  COMPARE(config["base_model_name_or_path"].get<std::string>(), std::string("tiny-llama"));
  COMPARE(config["bias"].get<std::string>(), std::string("none"));
  COMPARE(config["fan_in_fan_out"].get<bool>(), false);
  io::SafetensorsFile file(dir + "/adapter_model.safetensors");
  COMPARE(file.tensors().size(), size_t{28});
  const io::TensorView& b = file.at("base_model.model.model.layers.1.mlp.up_proj.lora_B.weight");
  COMPARE(io::describe_tensor(b.dtype, b.shape), std::string("F32 [48, 4]"));

  auto fresh = tiny_model(tiny_config("llama"), 4);
  auto loaded = LoraAdapters::load(fresh, dir);
  COMPARE(loaded->config().rank, int64_t{4});
  COMPARE(torch::equal(probe_logits(fresh), adapted), true);  // the same fp32 arithmetic: bitwise
}

TPT_TEST(train_lora, a_folder_that_does_not_fit_the_model_is_refused_with_the_tensor_named) {
  auto model = tiny_model(tiny_config("llama"));
  auto trainer = train_lora(model, 1);
  const std::string dir = tpt::testing::temp_dir() + "/adapter-r4";
  trainer->lora()->save(dir);
  trainer.reset();
  // Claim another rank: every A is then the wrong shape.
  auto config = io::read_json_file(dir + "/adapter_config.json");
  config["r"] = 8;
  io::write_json_file(dir + "/adapter_config.json", config);
  auto fresh = tiny_model(tiny_config("llama"));
  VERIFY_THROWS_WITH(LoraAdapters::load(fresh, dir),
                     "tensor \"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight\": shape [4, 32], expected [8, 32]");
  config["r"] = 4;
  config["peft_type"] = "IA3";
  io::write_json_file(dir + "/adapter_config.json", config);
  VERIFY_THROWS_WITH(LoraAdapters::load(fresh, dir), "peft_type: expected \"LORA\"");
  // A hand-edited config names the field rather than escaping as a JSON library error.
  config["peft_type"] = "LORA";
  config["lora_alpha"] = "16";
  io::write_json_file(dir + "/adapter_config.json", config);
  VERIFY_THROWS_WITH(LoraAdapters::load(fresh, dir), "lora_alpha: expected a number, got \"16\"");
  config["lora_alpha"] = 16;
  config["r"] = 0;
  io::write_json_file(dir + "/adapter_config.json", config);
  VERIFY_THROWS_WITH(LoraAdapters::load(fresh, dir), "r: expected 1 to 65536, got 0");
}
