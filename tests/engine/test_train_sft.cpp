// Supervised fine-tuning on tiny random-weight models (CPU, fp32): the loss counts completion
// tokens only, accumulation equals one big batch, a model learns its completions, schedules
// hit their hand-computed values, a NaN stops the run with the last good weights, and
// checkpoints resume to the same weights.
#include <atomic>
#include <cmath>
#include <filesystem>

#include "check.h"
#include "test_model_support.h"
#include "train/sft_trainer.h"

using namespace tpt;
using namespace tpt::train;
using tpt::model_testing::max_abs_diff;
using tpt::model_testing::tiny_config;
using tpt::model_testing::tiny_model;

namespace {

// Prompts and completions of different lengths, ids inside the tiny vocabulary (64).
std::vector<SftExample> pairs() {
  return {{{3, 9, 4}, {20, 21, 22, 1}},
          {{5, 6}, {30, 31, 32, 33, 34, 1}},
          {{7, 8, 9, 10, 11}, {40, 41, 1}},
          {{12, 13, 14, 15}, {50, 51, 52, 53, 1}}};
}

std::map<std::string, torch::Tensor> snapshot(model::CausalLmImpl& model) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : model.named_parameters()) out[item.key()] = item.value().detach().clone();
  return out;
}

void verify_bitwise_equal(model::CausalLmImpl& model, const std::map<std::string, torch::Tensor>& expected) {
  for (const auto& item : model.named_parameters()) {
    if (!torch::equal(item.value().detach(), expected.at(item.key())))
      TPT_FAIL(item.key() + " changed: max abs diff " + std::to_string(max_abs_diff(item.value().detach(), expected.at(item.key()))));
  }
}

TrainOptions quiet_options() {
  TrainOptions o;
  o.micro_batch_size = 4;
  o.schedule.peak_lr = 1e-3;
  o.schedule.decay = LrDecay::Constant;
  o.max_grad_norm = 0;
  return o;
}

}  // namespace

TPT_TEST(train_loss, equals_a_hand_computed_cross_entropy_over_completion_tokens_only) {
  auto model = tiny_model(tiny_config("llama"));
  const auto data = pairs();
  const SftBatch batch = make_batch(data, {0, 1, 2});
  torch::NoGradGuard no_grad;
  const auto logits = model->forward(batch.input_ids, batch.positions, batch.key_padding_mask);  // [3, T, V]
  const auto log_probs = torch::log_softmax(logits.to(torch::kFloat64), -1);
  double expected = 0.0;
  int64_t count = 0;
  for (int64_t r = 0; r < 3; ++r) {
    const SftExample& ex = data[static_cast<size_t>(r)];
    const int64_t p = static_cast<int64_t>(ex.prompt_ids.size());
    for (size_t c = 0; c < ex.completion_ids.size(); ++c) {
      const int64_t t = p + static_cast<int64_t>(c);  // predicted from position t - 1
      expected -= log_probs[r][t - 1][ex.completion_ids[c]].item<double>();
      ++count;
    }
  }
  COMPARE(batch.completion_tokens, count);
  COMPARE(batch.real_tokens, int64_t{7 + 8 + 8});
  COMPARE_NEAR(completion_loss_sum(logits, batch.labels).item<double>(), expected, 1e-4);
}

TPT_TEST(train_loss, prompt_and_padding_positions_get_no_gradient_and_do_not_move_the_loss) {
  auto model = tiny_model(tiny_config("llama"));
  const auto data = pairs();
  const SftBatch batch = make_batch(data, {0, 1, 2});
  torch::Tensor logits;
  {
    torch::NoGradGuard no_grad;
    logits = model->forward(batch.input_ids, batch.positions, batch.key_padding_mask);
  }
  logits.set_requires_grad(true);
  completion_loss_sum(logits, batch.labels).backward();
  // Position t's logits predict token t + 1: they matter only when t + 1 is a completion token.
  const auto predicts_completion = torch::zeros(logits.sizes().slice(0, 2), torch::kBool);  // [B, T]
  predicts_completion.narrow(1, 0, logits.size(1) - 1).copy_(batch.labels.narrow(1, 1, logits.size(1) - 1) != kIgnoreLabel);
  const auto grad_norm = logits.grad().abs().sum(-1);  // [B, T]
  COMPARE(grad_norm.masked_select(predicts_completion.logical_not()).abs().max().item<double>(), 0.0);
  VERIFY(grad_norm.masked_select(predicts_completion).min().item<double>() > 0.0);

  // Arbitrary logits at the prompt and padding positions leave the loss bitwise unchanged.
  const auto scrambled = torch::where(predicts_completion.unsqueeze(-1), logits.detach(), torch::randn(logits.sizes()) * 50);
  COMPARE(completion_loss_sum(scrambled, batch.labels).item<float>(), completion_loss_sum(logits.detach(), batch.labels).item<float>());
}

TPT_TEST(train_accumulation, four_micro_batches_give_the_update_of_one_batch_of_the_same_samples) {
  auto a_model = tiny_model(tiny_config("llama"), 3);
  auto b_model = tiny_model(tiny_config("llama"), 3);
  TrainOptions one = quiet_options();
  TrainOptions four = quiet_options();
  four.micro_batch_size = 1;
  four.grad_accum_steps = 4;
  SftTrainer a(a_model, pairs(), one), b(b_model, pairs(), four);
  COMPARE(a.total_steps(), int64_t{1});
  COMPARE(b.total_steps(), int64_t{1});
  COMPARE(b.micro_batches_of(0).size(), size_t{4});
  // Gradients first: loss = sum of token losses / all completion tokens of the step.
  const double loss_a = a.accumulate_gradients({{0, 1, 2, 3}}).loss;
  const double loss_b = b.accumulate_gradients({{0}, {1}, {2}, {3}}).loss;
  COMPARE_NEAR(loss_a, loss_b, 1e-6);
  for (size_t i = 0; i < a.trainable().size(); ++i) {
    const auto& ga = a.trainable()[i].second.grad();
    const auto& gb = b.trainable()[i].second.grad();
    if (max_abs_diff(ga, gb) > 1e-6) TPT_FAIL(a.trainable()[i].first + ": gradient differs by " + std::to_string(max_abs_diff(ga, gb)));
  }
  a.zero_grad();
  b.zero_grad();
  // Then whole steps through the planned batches: the same weights within 1e-6 (lr 1e-3; fp32
  // sums in a different order, through Adam's g / (|g| + eps)).
  const auto ra = a.train_step();
  const auto rb = b.train_step();
  COMPARE(ra.completion_tokens, rb.completion_tokens);
  COMPARE_NEAR(ra.loss, rb.loss, 1e-6);
  COMPARE_NEAR(ra.grad_norm, rb.grad_norm, 1e-6);
  auto pb = snapshot(*b_model);
  for (const auto& item : a_model->named_parameters()) {
    const double d = max_abs_diff(item.value(), pb.at(item.key()));
    if (d > 1e-6) TPT_FAIL(item.key() + ": weights differ by " + std::to_string(d));
  }
}

TPT_TEST(train_sft, a_tiny_model_learns_its_completions_and_greedy_decoding_reproduces_them) {
  auto model = tiny_model(tiny_config("llama"), 5);
  TrainOptions o;
  o.micro_batch_size = 2;
  o.max_steps = 150;
  o.schedule = {1e-2, 10, 0, LrDecay::Cosine, 1e-3};
  o.max_grad_norm = 1.0;
  SftTrainer trainer(model, pairs(), o);
  std::vector<double> losses;
  const auto summary = trainer.train([&](const StepReport& r) { losses.push_back(r.loss); });
  COMPARE(summary.steps, int64_t{150});
  VERIFY(!summary.cancelled);
  VERIFY(losses.front() > 3.0);  // ~ln(64) for random weights
  if (!(summary.last_loss < 0.01)) TPT_FAIL("final loss " + std::to_string(summary.last_loss) + " (expected < 0.01)");

  model->eval();
  torch::NoGradGuard no_grad;
  for (const SftExample& ex : pairs()) {
    std::vector<int64_t> seq(ex.prompt_ids.begin(), ex.prompt_ids.end());
    for (int32_t expected : ex.completion_ids) {
      const auto logits = model->forward(torch::tensor(seq).unsqueeze(0));  // [1, T, V]
      const int64_t next = logits[0][-1].argmax().item<int64_t>();
      COMPARE(next, int64_t{expected});
      seq.push_back(next);
    }
  }
}

TPT_TEST(train_sft, reports_every_step_and_stops_when_cancelled) {
  auto model = tiny_model(tiny_config("qwen2"));
  TrainOptions o = quiet_options();
  o.micro_batch_size = 1;
  o.epochs = 3;
  SftTrainer trainer(model, pairs(), o);
  COMPARE(trainer.total_steps(), int64_t{12});
  std::atomic<bool> cancel{false};
  std::vector<StepReport> reports;
  const auto summary = trainer.train(
      [&](const StepReport& r) {
        reports.push_back(r);
        if (r.step == 5) cancel = true;
      },
      &cancel);
  VERIFY(summary.cancelled);
  COMPARE(summary.steps, int64_t{5});
  COMPARE(reports.size(), size_t{5});
  COMPARE(reports[4].epoch, int64_t{1});
  for (const auto& r : reports) {
    VERIFY(r.completion_tokens > 0 && r.tokens > r.completion_tokens);
    VERIFY(std::isfinite(r.loss) && r.grad_norm > 0);
    COMPARE_NEAR(r.lr, 1e-3, 1e-12);
  }
}

TPT_TEST(train_sft, a_fully_fine_tuned_model_saved_as_an_hf_folder_reloads_with_identical_logits) {
  auto model = tiny_model(tiny_config("llama"));
  TrainOptions o = quiet_options();
  o.max_steps = 3;
  SftTrainer trainer(model, pairs(), o);
  trainer.train();
  const std::string dir = tpt::testing::temp_dir() + "/finetuned";
  model::save_model(*model, dir);
  auto reloaded = model::load_model(dir);
  const auto ids = torch::tensor({3, 9, 4, 20, 21, 22}).unsqueeze(0);
  torch::NoGradGuard no_grad;
  model->eval();
  COMPARE(torch::equal(reloaded->forward(ids), model->forward(ids)), true);
}

TPT_TEST(train_sft, a_nan_loss_stops_the_run_with_the_step_named_and_the_last_good_weights_kept) {
  auto model = tiny_model(tiny_config("llama"));
  TrainOptions o = quiet_options();
  o.micro_batch_size = 1;
  o.grad_accum_steps = 2;
  o.max_steps = 5;
  o.loss_hook = [](int64_t step, int micro, const torch::Tensor& loss) {
    return step == 3 && micro == 1 ? loss * std::nan("") : loss;
  };
  SftTrainer trainer(model, pairs(), o);
  std::map<std::string, torch::Tensor> after_step_2;
  VERIFY_THROWS_WITH(trainer.train([&](const StepReport& r) {
    if (r.step == 2) after_step_2 = snapshot(*model);
  }),
                     "training stopped at step 3: the loss of micro-batch 2 of 2 is nan");
  COMPARE(trainer.step(), int64_t{2});
  verify_bitwise_equal(*model, after_step_2);
  for (const auto& [name, p] : trainer.trainable()) VERIFY(!p.grad().defined());
}

TPT_TEST(train_sft, a_non_finite_gradient_stops_the_run_before_the_update) {
  auto model = tiny_model(tiny_config("llama"));
  TrainOptions o = quiet_options();
  o.max_steps = 3;
  const torch::Tensor norm_weight = model->model->norm->weight;
  // sqrt(0) adds nothing to the loss but has an infinite derivative: 0 · inf = NaN gradient.
  o.loss_hook = [norm_weight](int64_t step, int, const torch::Tensor& loss) {
    return step == 2 ? loss + (norm_weight.sum() * 0).sqrt() : loss;
  };
  SftTrainer trainer(model, pairs(), o);
  std::map<std::string, torch::Tensor> after_step_1;
  try {
    trainer.train([&](const StepReport& r) {
      if (r.step == 1) after_step_1 = snapshot(*model);
    });
    TPT_FAIL("training did not stop");
  } catch (const TrainingError& e) {
    COMPARE(e.step(), int64_t{2});
    VERIFY_CONTAINS(e.what(), "step 2: the gradient of model.norm.weight is not finite");
  }
  verify_bitwise_equal(*model, after_step_1);
}

TPT_TEST(train_sft, bad_examples_are_refused_with_their_index) {
  auto model = tiny_model(tiny_config("llama"));
  VERIFY_THROWS_WITH(SftTrainer(model, {{{1, 2}, {3}}, {{1, 2}, {}}}, {}), "SFT example 1: no completion token");
  VERIFY_THROWS_WITH(SftTrainer(model, {{{1, 200}, {3}}}, {}), "SFT example 0: token id 200 outside the vocabulary [0, 64)");
}

TPT_TEST(train_schedule, warmup_cosine_and_linear_rates_at_hand_computed_steps) {
  // peak 1e-3, 10 warmup steps, 110 in all: decay spans steps 10..110.
  LrSchedule s{1e-3, 10, 110, LrDecay::Cosine, 0.0};
  COMPARE_NEAR(learning_rate_at(s, 0), 1e-4, 1e-15);   // (0+1)/10
  COMPARE_NEAR(learning_rate_at(s, 4), 5e-4, 1e-15);
  COMPARE_NEAR(learning_rate_at(s, 9), 1e-3, 1e-15);   // warmup's last step reaches the peak
  COMPARE_NEAR(learning_rate_at(s, 10), 1e-3, 1e-15);  // decay's progress 0
  COMPARE_NEAR(learning_rate_at(s, 35), 1e-3 * 0.5 * (1 + std::cos(M_PI * 0.25)), 1e-15);
  COMPARE_NEAR(learning_rate_at(s, 60), 5e-4, 1e-15);  // midpoint: half the peak
  COMPARE_NEAR(learning_rate_at(s, 109), 1e-3 * 0.5 * (1 + std::cos(M_PI * 0.99)), 1e-15);
  COMPARE_NEAR(learning_rate_at(s, 110), 0.0, 1e-15);  // end
  s.min_lr = 1e-4;
  COMPARE_NEAR(learning_rate_at(s, 60), 5.5e-4, 1e-15);
  COMPARE_NEAR(learning_rate_at(s, 110), 1e-4, 1e-15);
  s.decay = LrDecay::Linear;
  COMPARE_NEAR(learning_rate_at(s, 35), 1e-4 + 9e-4 * 0.75, 1e-15);
  COMPARE_NEAR(learning_rate_at(s, 60), 5.5e-4, 1e-15);
  s.decay = LrDecay::Constant;
  COMPARE_NEAR(learning_rate_at(s, 100), 1e-3, 1e-15);
  COMPARE_NEAR(learning_rate_at(s, 3), 4e-4, 1e-15);
  VERIFY_THROWS_WITH(parse_lr_decay("step"), "expected \"cosine\", \"linear\" or \"constant\"");
}

TPT_TEST(train_batching, epochs_are_length_bucketed_seeded_shuffles_of_every_example) {
  std::vector<int64_t> lengths;
  for (int i = 0; i < 50; ++i) lengths.push_back((i * 37) % 23 + 1);
  const auto plan = plan_epoch(lengths, 4, 5, 7, 0);
  COMPARE(plan.size(), size_t{13});
  std::vector<int> seen(50, 0);
  for (const auto& batch : plan)
    for (int64_t i : batch) ++seen[static_cast<size_t>(i)];
  for (int s : seen) COMPARE(s, 1);
  COMPARE(plan_epoch(lengths, 4, 5, 7, 0) == plan, true);   // deterministic
  COMPARE(plan_epoch(lengths, 4, 5, 8, 0) == plan, false);  // seeded
  COMPARE(plan_epoch(lengths, 4, 5, 7, 1) == plan, false);  // reshuffled per epoch
  // Sorted within windows: less padding than unsorted batches of the same examples.
  auto padding = [&](const std::vector<std::vector<int64_t>>& batches) {
    int64_t pad = 0;
    for (const auto& b : batches) {
      int64_t longest = 0;
      for (int64_t i : b) longest = std::max(longest, lengths[static_cast<size_t>(i)]);
      for (int64_t i : b) pad += longest - lengths[static_cast<size_t>(i)];
    }
    return pad;
  };
  VERIFY(padding(plan) < padding(plan_epoch(lengths, 4, 1, 7, 0)));
}

TPT_TEST(train_checkpoint, resuming_from_a_checkpoint_reaches_the_weights_of_an_uninterrupted_run) {
  std::vector<SftExample> data = pairs();
  data.push_back({{1, 2}, {3, 4, 5}});
  data.push_back({{6}, {7, 8}});
  TrainOptions o = quiet_options();
  o.micro_batch_size = 2;
  o.epochs = 2;  // 3 steps per epoch
  o.schedule = {1e-3, 2, 0, LrDecay::Cosine, 0.0};
  o.seed = 11;
  const std::string base = tpt::testing::temp_dir();  // a fresh directory per call
  for (const bool lora : {false, true}) {
    if (lora) o.lora = LoraConfig{4, 8.0, 0.1, {"q_proj", "v_proj", "down_proj"}, ""};
    auto straight_model = tiny_model(tiny_config("llama"), 9);
    SftTrainer straight(straight_model, data, o);
    COMPARE(straight.train().steps, int64_t{6});

    const std::string dir = base + (lora ? "/resume-lora" : "/resume-full");
    {
      auto first_model = tiny_model(tiny_config("llama"), 9);
      SftTrainer first(first_model, data, o);
      for (int i = 0; i < 4; ++i) first.train_step();
      first.save_checkpoint(dir);
    }
    auto resumed_model = tiny_model(tiny_config("llama"), 9);
    SftTrainer resumed(resumed_model, data, o);
    resumed.load_checkpoint(dir);
    COMPARE(resumed.step(), int64_t{4});
    COMPARE(resumed.train().steps, int64_t{6});
    for (size_t i = 0; i < straight.trainable().size(); ++i) {
      const auto& name = straight.trainable()[i].first;
      if (!torch::equal(straight.trainable()[i].second, resumed.trainable()[i].second))
        TPT_FAIL(std::string(lora ? "LoRA " : "full ") + name + " differs after resuming by " +
                 std::to_string(max_abs_diff(straight.trainable()[i].second, resumed.trainable()[i].second)));
    }
  }
  // A checkpoint of other options is refused with the field named.
  auto other_model = tiny_model(tiny_config("llama"), 9);
  o.lora.reset();
  o.micro_batch_size = 3;
  SftTrainer other(other_model, data, o);
  VERIFY_THROWS_WITH(other.load_checkpoint(base + "/resume-full"),
                     "micro_batch_size: the checkpoint has 2, this run 3");
}
