// AdamW (decoupled weight decay, as torch.optim.AdamW) over named parameters, with fp32
// master copies and fp32 moments for parameters stored in bf16/fp16: small updates vanish when
// added to a bf16 weight, so the update goes to the fp32 master and the weight is a rounded
// copy. fp32 parameters are their own master.
//
// Its whole state is named tensors (master.*, exp_avg.*, exp_avg_sq.*) plus a step count, so a
// trainer checkpoint is one safetensors file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace tpt::train {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // applied to matrices only: biases and norm weights (1-D) are exempt
};

class AdamW {
 public:
  AdamW(std::vector<std::pair<std::string, torch::Tensor>> params, AdamWOptions options);

  // One update with the gradients in the parameters' .grad(). Parameters without a gradient
  // are skipped (their moments do not decay), as torch does.
  void step(double lr);
  void zero_grad();

  int64_t steps_taken() const { return steps_; }
  const std::vector<std::pair<std::string, torch::Tensor>>& params() const { return params_; }

  // "master.<name>", "exp_avg.<name>", "exp_avg_sq.<name>" -> fp32 tensors (masters for every
  // parameter, so the state alone restores the trained weights).
  std::map<std::string, torch::Tensor> state_tensors() const;
  // The inverse; writes the masters into the parameters. Throws Error naming a missing tensor or
  // a shape mismatch.
  void load_state_tensors(const std::map<std::string, torch::Tensor>& tensors, int64_t steps);

 private:
  struct Slot {
    torch::Tensor master, exp_avg, exp_avg_sq;  // fp32, the parameter's shape
  };
  std::vector<std::pair<std::string, torch::Tensor>> params_;
  std::vector<Slot> slots_;
  AdamWOptions options_;
  int64_t steps_ = 0;
};

}  // namespace tpt::train
