#include "train/adamw.h"

#include <cmath>

#include "core/error.h"

namespace tpt::train {

AdamW::AdamW(std::vector<std::pair<std::string, torch::Tensor>> params, AdamWOptions options)
    : params_(std::move(params)), options_(options) {
  torch::NoGradGuard no_grad;
  for (const auto& [name, p] : params_) {
    Slot slot;
    slot.master = p.scalar_type() == torch::kFloat32 ? p : p.detach().to(torch::kFloat32).clone();
    slot.exp_avg = torch::zeros(p.sizes(), p.options().dtype(torch::kFloat32));
    slot.exp_avg_sq = torch::zeros(p.sizes(), p.options().dtype(torch::kFloat32));
    slots_.push_back(std::move(slot));
  }
}

void AdamW::step(double lr) {
  torch::NoGradGuard no_grad;
  ++steps_;
  const double bias1 = 1.0 - std::pow(options_.beta1, static_cast<double>(steps_));
  const double bias2 = 1.0 - std::pow(options_.beta2, static_cast<double>(steps_));
  for (size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i].second;
    if (!p.grad().defined()) continue;
    Slot& s = slots_[i];
    const auto g = p.grad().to(torch::kFloat32);
    if (options_.weight_decay > 0 && p.dim() > 1) s.master.mul_(1.0 - lr * options_.weight_decay);
    s.exp_avg.mul_(options_.beta1).add_(g, 1.0 - options_.beta1);
    s.exp_avg_sq.mul_(options_.beta2).addcmul_(g, g, 1.0 - options_.beta2);
    // torch.optim.AdamW's arithmetic: m / (sqrt(v) / sqrt(bias2) + eps), scaled by lr / bias1.
    const auto denom = (s.exp_avg_sq.sqrt() / std::sqrt(bias2)).add_(options_.eps);
    s.master.addcdiv_(s.exp_avg, denom, -lr / bias1);
    if (!s.master.is_same(p)) p.copy_(s.master);
  }
}

void AdamW::zero_grad() {
  for (auto& [name, p] : params_) {
    if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
  }
}

std::map<std::string, torch::Tensor> AdamW::state_tensors() const {
  std::map<std::string, torch::Tensor> out;
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& name = params_[i].first;
    out["master." + name] = slots_[i].master.detach();
    out["exp_avg." + name] = slots_[i].exp_avg;
    out["exp_avg_sq." + name] = slots_[i].exp_avg_sq;
  }
  return out;
}

void AdamW::load_state_tensors(const std::map<std::string, torch::Tensor>& tensors, int64_t steps) {
  torch::NoGradGuard no_grad;
  auto fetch = [&](const std::string& key, const torch::Tensor& like) {
    const auto it = tensors.find(key);
    if (it == tensors.end()) throw Error("optimizer state: tensor \"" + key + "\" is missing");
    if (it->second.sizes() != like.sizes())
      throw Error("optimizer state: tensor \"" + key + "\" has shape " + c10::str(it->second.sizes()) +
                  ", the parameter has " + c10::str(like.sizes()));
    return it->second;
  };
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& name = params_[i].first;
    Slot& s = slots_[i];
    s.master.copy_(fetch("master." + name, s.master));
    s.exp_avg.copy_(fetch("exp_avg." + name, s.exp_avg));
    s.exp_avg_sq.copy_(fetch("exp_avg_sq." + name, s.exp_avg_sq));
    if (!s.master.is_same(params_[i].second)) params_[i].second.copy_(s.master);
  }
  steps_ = steps;
}

}  // namespace tpt::train
