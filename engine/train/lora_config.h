// What a LoRA adapter is: its rank, scale, dropout and the projections it targets, as PEFT's
// adapter_config.json says it. Apart from lora.h so that code which only configures LoRA (the
// trainer interface, experiment settings) needs no torch. Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tpt::train {

struct LoraConfig {
  int64_t rank = 8;
  double alpha = 16.0;
  double dropout = 0.0;
  // Projection names: any of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj.
  std::vector<std::string> target_modules = {"q_proj", "v_proj"};
  std::string base_model_name_or_path;  // written to adapter_config.json

  double scale() const { return alpha / static_cast<double>(rank); }
};

}  // namespace tpt::train
