// The trainer's AdamW: torch.optim.AdamW's arithmetic, and fp32 master weights that keep
// updates too small for a bf16 weight.
#include "check.h"
#include "test_model_support.h"
#include "train/adamw.h"

using namespace tpt::train;

TPT_TEST(train_adamw, matches_torch_adamw_with_weight_decay_over_several_steps) {
  torch::manual_seed(3);
  auto ours = torch::randn({5, 7}).requires_grad_(true);
  auto theirs = ours.detach().clone().requires_grad_(true);
  AdamW adamw({{"w", ours}}, {0.9, 0.95, 1e-8, 0.1});
  torch::optim::AdamW reference({theirs}, torch::optim::AdamWOptions(2e-3).betas({0.9, 0.95}).eps(1e-8).weight_decay(0.1));
  for (int step = 0; step < 5; ++step) {
    const auto target = torch::randn({5, 7});
    (ours - target).pow(2).sum().backward();
    (theirs - target).pow(2).sum().backward();
    adamw.step(2e-3);
    reference.step();
    adamw.zero_grad();
    reference.zero_grad();
  }
  COMPARE_TENSORS(ours.detach(), theirs.detach(), 1e-6);
  COMPARE(adamw.steps_taken(), int64_t{5});
}

TPT_TEST(train_adamw, a_bf16_weight_keeps_an_fp32_master_so_small_updates_add_up) {
  auto w = torch::ones({4}, torch::kBFloat16).requires_grad_(true);
  AdamW adamw({{"w", w}}, {});
  for (int step = 0; step < 20; ++step) {
    w.mutable_grad() = torch::ones({4}, torch::kBFloat16);
    adamw.step(1e-4);  // each step alone is below bf16's resolution at 1.0 (2^-9 below it)
  }
  const auto master = adamw.state_tensors().at("master.w");
  COMPARE(master.scalar_type(), torch::kFloat32);
  COMPARE_NEAR(master[0].item<double>(), 1.0 - 20 * 1e-4, 1e-6);
  COMPARE(w.scalar_type(), torch::kBFloat16);
  COMPARE(w[0].item<float>(), master[0].to(torch::kBFloat16).item<float>());
  VERIFY(w[0].item<float>() < 1.0f);
}
