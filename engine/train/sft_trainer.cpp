#include "train/sft_trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "core/hash.h"
#include "io/json_fields.h"
#include "train/tensor_files.h"

namespace tpt::train {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStateFile = "trainer_state.json";
constexpr const char* kOptimizerFile = "optimizer.safetensors";

std::string format_value(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return std::to_string(v);
}

// Restores the model's train/eval mode however a step ends.
struct TrainingMode {
  explicit TrainingMode(model::CausalLmImpl& model) : model(model), was(model.is_training()) { model.train(); }
  ~TrainingMode() { model.train(was); }
  model::CausalLmImpl& model;
  bool was;
};

}  // namespace

TrainOptions sft_options(const TrainSettings& s, int64_t examples) {
  TrainOptions options;
  options.epochs = s.epochs;
  options.max_steps = s.max_steps;
  options.micro_batch_size = s.micro_batch_size;
  options.grad_accum_steps = s.grad_accum_steps;
  options.max_grad_norm = s.max_grad_norm;
  options.seed = s.seed;
  options.adamw.weight_decay = s.weight_decay;
  const int64_t steps =
      s.max_steps > 0 ? s.max_steps : sft_steps(examples, s.micro_batch_size, s.grad_accum_steps, s.epochs);
  options.schedule = warmup_schedule(s.learning_rate, s.min_learning_rate, s.decay, s.warmup_ratio, steps);
  options.lora = s.lora;
  return options;
}

SftTrainer::SftTrainer(model::CausalLm model, std::vector<SftExample> data, TrainOptions options)
    : model_(std::move(model)), data_(std::move(data)), options_(std::move(options)) {
  if (data_.empty()) throw Error("SFT: no training examples");
  if (options_.micro_batch_size < 1) throw Error("SFT: micro_batch_size must be at least 1");
  if (options_.grad_accum_steps < 1) throw Error("SFT: grad_accum_steps must be at least 1");
  const int64_t vocab = model_->config().vocab_size;
  uint64_t fingerprint = fnv1a64("sft");
  for (size_t i = 0; i < data_.size(); ++i) {
    const SftExample& ex = data_[i];
    const std::string where = "SFT example " + std::to_string(i);
    if (ex.completion_ids.empty() || (ex.prompt_ids.empty() && ex.completion_ids.size() < 2))
      throw Error(where + ": no completion token to learn (an empty completion, or one token without a prompt)");
    for (const auto* ids : {&ex.prompt_ids, &ex.completion_ids}) {
      for (int32_t id : *ids) {
        if (id < 0 || id >= vocab)
          throw Error(where + ": token id " + std::to_string(id) + " outside the vocabulary [0, " + std::to_string(vocab) + ")");
      }
      fingerprint = fnv1a64(std::string_view(reinterpret_cast<const char*>(ids->data()), ids->size() * sizeof(int32_t)),
                            mix64(fingerprint ^ ids->size()));
    }
    lengths_.push_back(ex.length());
  }
  data_fingerprint_ = fingerprint;

  const int64_t n = static_cast<int64_t>(data_.size());
  micro_per_epoch_ = (n + options_.micro_batch_size - 1) / options_.micro_batch_size;
  steps_per_epoch_ = (micro_per_epoch_ + options_.grad_accum_steps - 1) / options_.grad_accum_steps;
  total_steps_ = options_.max_steps > 0
                     ? options_.max_steps
                     : sft_steps(n, options_.micro_batch_size, options_.grad_accum_steps, options_.epochs);
  if (total_steps_ < 1) throw Error("SFT: the run has no steps (epochs " + std::to_string(options_.epochs) + ")");
  if (options_.schedule.total_steps <= 0) options_.schedule.total_steps = total_steps_;

  std::vector<std::pair<std::string, torch::Tensor>> params;
  if (options_.lora) {
    lora_ = std::make_unique<LoraAdapters>(model_, *options_.lora, options_.seed);
    params = lora_->parameters();
  } else {
    for (const auto& item : model_->named_parameters()) {
      item.value().set_requires_grad(true);
      params.emplace_back(item.key(), item.value());
    }
  }
  optimizer_ = std::make_unique<AdamW>(std::move(params), options_.adamw);
}

std::vector<std::vector<int64_t>> SftTrainer::micro_batches_of(int64_t step) {
  const int64_t epoch = step / steps_per_epoch_, k = step % steps_per_epoch_;
  if (epoch != planned_epoch_) {
    plan_ = plan_epoch(lengths_, options_.micro_batch_size, options_.bucket_window, options_.seed, epoch);
    planned_epoch_ = epoch;
  }
  const int64_t begin = k * options_.grad_accum_steps;
  const int64_t end = std::min<int64_t>(begin + options_.grad_accum_steps, micro_per_epoch_);
  return {plan_.begin() + begin, plan_.begin() + end};
}

SftTrainer::Accumulated SftTrainer::accumulate_gradients(const std::vector<std::vector<int64_t>>& micro_batches,
                                                         int64_t step_for_hooks) {
  std::vector<SftBatch> batches;
  Accumulated result;
  for (const auto& mb : micro_batches) {
    batches.push_back(make_batch(data_, mb, model_->device()));
    result.tokens += batches.back().real_tokens;
    result.completion_tokens += batches.back().completion_tokens;
  }
  const int64_t total = result.completion_tokens;
  double loss = 0.0;
  for (size_t i = 0; i < batches.size(); ++i) {
    const SftBatch& b = batches[i];
    // Dropout masks depend on (seed, step, micro-batch) only, so a resumed run draws the same.
    if (lora_) lora_->reseed_dropout(seeded_key(options_.seed, static_cast<uint64_t>(step_for_hooks) * 1024 + i));
    const auto logits = model_->forward(b.input_ids, b.positions, b.key_padding_mask);  // [B, T, V] fp32
    auto loss_sum = completion_loss_sum(logits, b.labels);                              // scalar
    if (options_.loss_hook) loss_sum = options_.loss_hook(step_for_hooks, static_cast<int>(i), loss_sum);
    const double value = loss_sum.item<double>();
    if (!std::isfinite(value)) {
      optimizer_->zero_grad();
      throw TrainingError(step_for_hooks,
                          "training stopped at step " + std::to_string(step_for_hooks) + ": the loss of micro-batch " +
                              std::to_string(i + 1) + " of " + std::to_string(batches.size()) + " is " +
                              format_value(value) + "; no update was applied, the weights are those after step " +
                              std::to_string(step_for_hooks - 1));
    }
    (loss_sum / static_cast<double>(total)).backward();
    loss += value;
  }
  result.loss = loss / static_cast<double>(total);
  return result;
}

StepReport SftTrainer::train_step() {
  if (done()) throw Error("SFT: all " + std::to_string(total_steps_) + " steps are done");
  const auto start = std::chrono::steady_clock::now();
  TrainingMode mode(*model_);
  StepReport r;
  r.step = step_ + 1;
  r.total_steps = total_steps_;
  r.epoch = step_ / steps_per_epoch_;
  r.lr = learning_rate_at(options_.schedule, step_);
  optimizer_->zero_grad();
  const Accumulated pass = accumulate_gradients(micro_batches_of(step_), r.step);
  r.loss = pass.loss;
  r.tokens = pass.tokens;
  r.completion_tokens = pass.completion_tokens;

  // Global L2 norm over every gradient, in fp32 per tensor then double.
  double sum_squares = 0.0;
  for (const auto& [name, p] : optimizer_->params()) {
    if (!p.grad().defined()) continue;
    const double sq = p.grad().to(torch::kFloat32).pow(2).sum().item<double>();
    if (!std::isfinite(sq)) {
      optimizer_->zero_grad();
      throw TrainingError(r.step, "training stopped at step " + std::to_string(r.step) + ": the gradient of " + name +
                                      " is not finite (loss " + format_value(r.loss) +
                                      "); no update was applied, the weights are those after step " +
                                      std::to_string(r.step - 1));
    }
    sum_squares += sq;
  }
  r.grad_norm = std::sqrt(sum_squares);
  if (options_.max_grad_norm > 0 && r.grad_norm > options_.max_grad_norm) {
    // torch.nn.utils.clip_grad_norm_'s factor.
    const double factor = options_.max_grad_norm / (r.grad_norm + 1e-6);
    torch::NoGradGuard no_grad;
    for (const auto& [name, p] : optimizer_->params()) {
      if (p.grad().defined()) p.grad().mul_(factor);
    }
  }
  optimizer_->step(r.lr);
  optimizer_->zero_grad();
  ++step_;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

TrainSummary SftTrainer::train(const StepCallback& on_step, const std::atomic<bool>* cancel) {
  const auto start = std::chrono::steady_clock::now();
  TrainSummary summary;
  while (!done()) {
    if (cancel && cancel->load()) {
      summary.cancelled = true;
      break;
    }
    const StepReport r = train_step();
    summary.last_loss = r.loss;
    summary.tokens += r.tokens;
    if (on_step) on_step(r);
  }
  summary.steps = step_;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

void SftTrainer::save_checkpoint(const std::string& folder) const {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) throw FileError({folder, 0}, "cannot create folder: " + ec.message());
  write_tensor_file((fs::path(folder) / kOptimizerFile).string(), optimizer_->state_tensors());
  nlohmann::json state = {{"format", 1},
                          {"step", step_},
                          {"total_steps", total_steps_},
                          {"optimizer_steps", optimizer_->steps_taken()},
                          {"seed", std::to_string(options_.seed)},
                          {"micro_batch_size", options_.micro_batch_size},
                          {"grad_accum_steps", options_.grad_accum_steps},
                          {"bucket_window", options_.bucket_window},
                          {"examples", static_cast<int64_t>(data_.size())},
                          {"data_fingerprint", hex64(data_fingerprint_)},
                          {"mode", lora_ ? "lora" : "full"}};
  // Written last: a folder with a state file has a complete optimizer file beside it.
  io::write_json_file((fs::path(folder) / kStateFile).string(), state);
}

void SftTrainer::load_checkpoint(const std::string& folder) {
  const std::string state_path = (fs::path(folder) / kStateFile).string();
  const nlohmann::json state = io::read_json_file(state_path);
  auto expect = [&](const std::string& key, const nlohmann::json& ours) {
    if (!state.contains(key)) throw FileError({state_path, 0}, key + ": missing");
    if (state[key] != ours)
      throw FileError({state_path, 0}, key + ": the checkpoint has " + io::describe_json(state[key]) + ", this run " + io::describe_json(ours) +
                                           " (resume with the same data and options)");
  };
  expect("format", 1);
  expect("mode", lora_ ? "lora" : "full");
  expect("seed", std::to_string(options_.seed));
  expect("micro_batch_size", options_.micro_batch_size);
  expect("grad_accum_steps", options_.grad_accum_steps);
  expect("bucket_window", options_.bucket_window);
  expect("examples", static_cast<int64_t>(data_.size()));
  expect("data_fingerprint", hex64(data_fingerprint_));
  const int64_t step = state.value("step", int64_t{-1});
  if (step < 0 || step > total_steps_)
    throw FileError({state_path, 0}, "step: " + std::to_string(step) + " is outside this run's 0.." + std::to_string(total_steps_));
  auto tensors = read_tensor_file((fs::path(folder) / kOptimizerFile).string());
  for (auto& [name, t] : tensors) t = t.to(model_->device());
  try {
    optimizer_->load_state_tensors(tensors, state.value("optimizer_steps", step));
  } catch (const Error& e) {
    throw FileError({(fs::path(folder) / kOptimizerFile).string(), 0}, e.what());
  }
  step_ = step;
}

}  // namespace tpt::train
