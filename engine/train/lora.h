// LoRA adapters on a CausalLm, following PEFT's conventions so adapters move between the
// workbench and Python: for each targeted projection W [out, in],
//
//   y = W x + (alpha / r) · B (A dropout(x)),   A [r, in] Kaiming-uniform(a = √5), B [out, r] zeros
//
// so a fresh adapter changes nothing. Adapters hook into LinearImpl::adapter and keep their own
// fp32 parameters; the base weights are frozen (requires_grad off) while attached.
//
// On disk (PEFT layout): adapter_config.json and adapter_model.safetensors with keys
// `base_model.model.<module>.lora_A.weight`, e.g.
// `base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "model/decoder.h"
#include "train/lora_config.h"

namespace tpt::train {

class LoraAdapters {
 public:
  // Attaches fresh adapters (A from `seed`, B zero) to every Linear of `model` whose name ends in
  // a target; freezes the base. Throws Error when a target is unknown or matches nothing.
  LoraAdapters(model::CausalLm model, LoraConfig config, uint64_t seed);
  // Detaches (the base keeps any merge, and is unfrozen).
  ~LoraAdapters();
  LoraAdapters(const LoraAdapters&) = delete;
  LoraAdapters& operator=(const LoraAdapters&) = delete;

  // Reads a PEFT folder and attaches its adapters to `model`. Throws FileError naming the file
  // and key (missing or extra tensor, wrong shape, unsupported option).
  static std::unique_ptr<LoraAdapters> load(model::CausalLm model, const std::string& folder);
  // Writes adapter_config.json and adapter_model.safetensors (fp32) into `folder`.
  void save(const std::string& folder) const;

  // W += scale · B·A (in fp32, rounded once to W's dtype), then detaches: the model then runs
  // the adapted function without hooks.
  void merge_and_detach();
  void detach();
  bool attached() const { return attached_; }

  // PEFT keys -> parameters (lora_A then lora_B per module, module order of the model).
  const std::vector<std::pair<std::string, torch::Tensor>>& parameters() const { return params_; }
  int64_t parameter_count() const;
  const LoraConfig& config() const { return config_; }

  // Dropout draws come from this generator only, so a seeded run (and a resumed one) is
  // reproducible. Dropout applies while the model is in training mode.
  void reseed_dropout(uint64_t seed);

 private:
  struct Module;
  LoraAdapters(model::CausalLm model, LoraConfig config);
  void attach_all();

  model::CausalLm model_;
  LoraConfig config_;
  std::vector<std::shared_ptr<Module>> modules_;
  std::vector<std::pair<std::string, torch::Tensor>> params_;
  std::shared_ptr<at::Generator> dropout_rng_;
  bool attached_ = false;
};

// "base_model.model.<module>.lora_A.weight" for module "model.layers.0.self_attn.q_proj".
std::string peft_key(const std::string& module, char which /* 'A' or 'B' */);

}  // namespace tpt::train
