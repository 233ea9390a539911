// The four phases of a round (see runner.h for what each journals and how each resumes).
#include <filesystem>
#include <set>

#include "eval/metrics.h"
#include "io/model_digest.h"
#include "prune/code_verifier.h"
#include "run/backends.h"
#include "run/crash_point.h"
#include "run/improve.h"
#include "run/meter.h"
#include "run/options.h"
#include "run/plan.h"
#include "run/session.h"
#include "text/model_tokenizer.h"

namespace fs = std::filesystem;

namespace tpt::run {

namespace {

const auto problem_key_of = [](const store::ProblemRecord& p) { return p.problem_key; };

}  // namespace

think::Sampler* Session::phase_sampler(int round, int64_t round_id, Phase phase, const std::string& model_path,
                                       const text::ModelTokenizer& tokenizer) {
  const bool reused = sampler_ && sampler_->model_path == model_path;
  if (reused) {
    if (sampler_->opened.server) sampler_->opened.server->retarget(round, phase);
  } else {
    // The server's notes (a restart, say) belong to the phase it serves at the time.
    release_sampler();
    auto open = std::make_unique<OpenSampler>();
    OpenSampler* self = open.get();  // the callbacks read the phase it serves now
    open->model_path = model_path;
    open->round = round;
    open->phase = phase;
    open->round_id = round_id;
    open->tokenizer = tokenizer;  // a copy the sampler keeps: it may outlive this phase
    ServerJob job;
    job.model_dir = model_path;
    job.name = "round-" + std::to_string(round);
    job.seed = config_.seed;
    job.log_file = paths_.server_log(round, to_string(phase));
    job.round = round;
    job.phase = phase;
    const std::string adapter = (fs::path(model_path) / "adapter").string();
    if (serves_lora_adapters(config_) && model_path != base_model_ && fs::exists(fs::path(adapter) / "adapter_config.json")) {
      job.model_dir = base_model_;
      job.adapter_dir = adapter;
      job.lora_rank = config_.train.lora.rank;
      job.lora_targets = config_.train.lora.targets;
    }
    open->opened = open_sampler(
        config_, job, open->tokenizer,
        [this](const ServerStatus& status) { if (observer_) observer_->on_server(status); },
        [this, self](const std::string& level, const std::string& message) {
          log(level, self->round, to_string(self->phase), message, self->round_id);
        },
        control_ ? control_->cancel_flag() : nullptr);
    if (!open->opened.sampler) return nullptr;
    sampler_ = std::move(open);
  }
  sampler_->round = round;
  sampler_->phase = phase;
  sampler_->round_id = round_id;
  const SamplerOrigin& o = sampler_->opened.origin;
  store_.record_sampler_origin(
      {round_id, to_string(phase), o.backend, o.url, o.launch_command, o.server_version, o.model_name, "", ""});
  if (o.backend != "engine")
    log("info", round, to_string(phase),
        std::string(reused ? "still sampling on " : "sampling on ") + o.url + " (model \"" + o.model_name + "\"" +
            (o.server_version.empty() ? "" : ", server " + o.server_version) + ")" +
            (o.launch_command.empty() ? "; attached: the server must serve " + model_path : ""),
        round_id);
  return sampler_->opened.sampler.get();
}

void Session::release_sampler() { sampler_.reset(); }

bool Session::think(int round, int64_t round_id, const std::string& model_path) {
  const auto pool =
      seeded_subset(pool_, pool_seed(config_.seed, round), config_.think.pool_size, problem_key_of);
  const text::ModelTokenizer tokenizer = text::load_model_tokenizer(model_path);
  const text::PromptFormat format = prompt_format(tokenizer);
  const DrawPlan plan = plan_draws(
      pool, config_.think.samples_per_problem, store_.sample_keys(round_id),
      [&](const store::ProblemRecord& p, int i) { return think_sample_seed(config_.seed, round, p.problem_key, i); },
      [&](const std::string& question) { return prompt_for(format, question); });
  if (plan.stored > 0 && !plan.draws.empty())
    log("info", round, "think", "resuming: " + std::to_string(plan.stored) + " of " + std::to_string(plan.total) +
                                    " samples already stored", round_id);
  Meter meter(observer_, round, Phase::Think, "samples", plan.stored, plan.total);
  meter.report();

  const think::SamplingSettings settings = think_sampling(config_, format);
  // A resumed Think with nothing left to draw opens no sampler (a launched server takes minutes).
  think::Sampler* sampler = nullptr;
  if (!plan.draws.empty() && !(sampler = phase_sampler(round, round_id, Phase::Think, model_path, tokenizer))) return false;
  const auto store_samples = [&](const std::vector<think::Sample>& samples) {
    crash_point("think.generated");
    std::vector<store::SampleRecord> records;
    records.reserve(samples.size());
    for (const auto& s : samples) {
      const Draw& draw = plan.draws[s.request];
      store::SampleRecord r;
      r.round_id = round_id;
      r.problem_id = draw.problem_id;
      r.sample_index = draw.sample_index;
      r.text = s.text;
      r.token_count = static_cast<int>(s.token_count);
      r.finish_reason = think::to_string(s.finish_reason);
      r.seed = draw.seed;
      r.sampling = {settings.temperature, settings.top_p, settings.top_k, settings.max_new_tokens};
      // Both checkers judge a math sample as it is stored, so the trace browser shows a verdict
      // while Think is still running or paused, and its verifier audit can count where they
      // disagree. A code problem's judge runs programs: that waits for Prune.
      if (!code::CodeSpec::is_spec(draw.gold)) {
        const eval::Judged judged = eval::judge(r.text, draw.gold);
        r.correct_strict = judged.correct_strict;
        r.correct_flexible = judged.correct_flexible;
      }
      records.push_back(std::move(r));
    }
    store_.insert_samples(records, store::OnConflict::ignore);
    crash_point("think.stored");
  };
  const bool finished = plan.draws.empty() || sampler->sample(
      sample_requests(plan.draws), settings, store_samples,
      [&](const think::SamplingProgress& p) { meter.update(plan.stored + p.samples_done, p.tokens); }, work_control());
  release_sampler();
  add_seconds(round_id, Phase::Think, meter.elapsed());
  if (!finished) return false;
  store_.put_metrics(round_id, {{"think.samples", static_cast<double>(plan.total)},
                                {"think.problems", static_cast<double>(pool.size())},
                                {"think.tokens_per_second", meter.rate()}});
  return true;
}

bool Session::prune(int round, int64_t round_id) {
  const auto start = Clock::now();
  if (observer_) observer_->on_progress({round, Phase::Prune, 0, 0, "samples", 0, 0, -1, std::nullopt});
  const auto inputs = store_.prune_inputs(round_id);
  // Code rounds run every program on its tests: that takes a while, so it reports progress
  // with an ETA, waits while paused, and stops on cancel (nothing is written then; a resumed
  // run prunes the round again from the start).
  Meter meter(observer_, round, Phase::Prune, "samples", 0, static_cast<int64_t>(inputs.size()));
  const prune::ProblemVerifier verifier(
      config_.prune.verifier(), config_.sandbox, code::StopPolicy::RunAll, control_ ? control_->cancel_flag() : nullptr,
      [&](size_t done, size_t) {
        meter.update(static_cast<int64_t>(done), 0);
        return go_on();
      });
  std::vector<prune::Decision> decisions;
  try {
    decisions = config_.prune.apply(inputs, verifier);
  } catch (const prune::JudgingStopped&) {
    log("info", round, "prune", "cancelled while judging programs; nothing was written", round_id);
    return false;
  }
  std::vector<store::DecisionRecord> records;
  records.reserve(decisions.size());
  int64_t kept = 0, correct = 0;
  std::set<std::string> problems_kept;
  for (size_t i = 0; i < decisions.size(); ++i) {
    const auto& d = decisions[i];
    records.push_back(store::decision_record(d));
    if (d.kept) {
      ++kept;
      problems_kept.insert(inputs[i].problem_key);
    }
    if (d.judgement.verdict == prune::Verdict::Correct) ++correct;
  }
  {
    auto transaction = store_.transaction();
    // Rewritten whole: a re-prune after a rule change leaves no decision of the old rules.
    store_.clear_decisions(round_id);
    store_.write_decisions(records);
    crash_point("prune.written");
    transaction.commit();
  }
  const double n = static_cast<double>(inputs.size());
  store_.put_metrics(round_id, {{"prune.kept", static_cast<double>(kept)},
                                {"prune.problems_kept", static_cast<double>(problems_kept.size())},
                                {"think.correct", n > 0 ? correct / n : 0.0}});
  if (observer_)
    observer_->on_progress({round, Phase::Prune, static_cast<int64_t>(inputs.size()),
                            static_cast<int64_t>(inputs.size()), "samples", seconds_since(start), 0, 0, std::nullopt});
  // The rules by name, for a person reading the log; the full rule set is stored with the round.
  std::string rules;
  for (const auto& rule : config_.prune.rules()) {
    if (!rule.enabled) continue;
    rules += (rules.empty() ? "" : ", ") + (rule.name.empty() ? std::string(prune::to_string(rule.type)) : rule.name);
  }
  log("info", round, "prune",
      "kept " + std::to_string(kept) + " of " + std::to_string(inputs.size()) + " samples (" +
          std::to_string(problems_kept.size()) + " problems) by " + (rules.empty() ? "no rule" : rules) +
          " (verifier " + config_.prune.verifier().describe() + ")",
      round_id);
  add_seconds(round_id, Phase::Prune, seconds_since(start));
  return true;
}

// The kept traces round `round` trains on: its own (train.data "replace") or every round's so
// far ("accumulate"), capped at train.max_examples by a seeded subset, in sample order.
std::vector<store::KeptTrace> Session::training_traces(int round, int64_t round_id) {
  std::vector<int64_t> rounds;
  if (config_.train.data == config::TrainData::Accumulate) {
    for (const auto& r : store_.list_rounds(experiment_id_))
      if (r.round_index >= 1 && r.round_index <= round) rounds.push_back(r.id);
  } else {
    rounds.push_back(round_id);
  }
  auto traces = store_.kept_traces(rounds);
  if (config_.train.max_examples > 0 && static_cast<int64_t>(traces.size()) > config_.train.max_examples) {
    traces = seeded_subset(traces, train_subset_seed(config_.seed, round), config_.train.max_examples,
                           [](const store::KeptTrace& t) { return std::to_string(t.sample_id); });
    std::sort(traces.begin(), traces.end(), [](const auto& a, const auto& b) { return a.sample_id < b.sample_id; });
  }
  return traces;
}

bool Session::train(int round, int64_t round_id, const std::string& previous_model, std::string& model_path) {
  release_sampler();  // a server on the GPUs would leave the trainer no memory
  const std::string final_dir = paths_.model_dir(round);
  const std::string partial_dir = paths_.partial_dir(round);
  const store::RoundRecord record = *store_.get_round(round_id);
  // The trainer publishes the folder only when complete. It is this run's own when the database
  // says Train was under way (the run stopped between publishing and recording it); any other
  // folder at that place (left by a deleted database, linked in, copied) is not trusted.
  const bool ours = record.model_digest == store::kModelTraining;
  std::error_code ec;
  if (fs::exists(fs::symlink_status(final_dir, ec))) {
    if (ours && !fs::is_symlink(final_dir, ec) && fs::exists(fs::path(final_dir) / "config.json")) {
      model_path = final_dir;
      store_.set_round_model_path(round_id, final_dir, io::model_digest(final_dir));
      return true;
    }
    set_aside(round, round_id, final_dir,
              fs::is_symlink(final_dir, ec) ? "is a link to " + fs::read_symlink(final_dir, ec).string()
                                            : "was not written by this experiment's Train (its database has no record of it)");
  }
  // A trainer's checkpoints resume Train only when this database started that Train.
  if (!ours && fs::exists(fs::symlink_status(partial_dir, ec)))
    set_aside(round, round_id, partial_dir, "holds checkpoints of a Train this experiment's database did not start");

  const auto traces = training_traces(round, round_id);
  if (traces.empty()) {
    log("warning", round, "train",
        "no trace was kept in this round: the model stays as it was (M" + std::to_string(round) + " = M" +
            std::to_string(round - 1) + ")",
        round_id);
    model_path = previous_model;
    std::string digest;  // the previous round's, unless it is the base model
    for (const auto& r : store_.list_rounds(experiment_id_))
      if (r.round_index == round - 1 && r.model_path == previous_model && r.round_index > 0) digest = r.model_digest;
    store_.set_round_model_path(round_id, model_path, digest);
    store_.put_metrics(round_id, {{"train.examples", 0.0}, {"train.steps", 0.0}});
    return true;
  }
  store_.set_round_model_path(round_id, "", store::kModelTraining);

  const std::string init = config_.train.init == config::TrainInit::Base ? base_model_ : previous_model;
  const text::ModelTokenizer tokenizer = text::load_model_tokenizer(init);
  const text::PromptFormat format = prompt_format(tokenizer);
  train::TrainJob job;
  job.init_dir = init;
  job.work_dir = paths_.partial_dir(round);
  job.output_dir = final_dir;
  job.settings = train_settings(config_, round);
  job.examples.reserve(traces.size());
  for (const auto& t : traces)
    job.examples.push_back({format.prompt_text(t.question), t.text,
                            format.uses_chat() ? format.user_text(t.question) : std::string(),
                            format.prompt_ids(t.question), format.completion_ids(t.text)});

  std::optional<Meter> meter;
  int64_t tokens = 0;
  train::TrainCallbacks callbacks;
  callbacks.on_start = [&](int64_t step, int64_t total_steps, bool resumed) {
    store_.delete_train_steps_after(round_id, step);
    log("info", round, "train",
        resumed ? "resuming from the checkpoint at step " + std::to_string(step) + " of " + std::to_string(total_steps)
                : "training on " + std::to_string(traces.size()) + " traces: " + std::to_string(total_steps) +
                      " steps (" + std::string(to_string(config_.train.method)) + ", init from " + init + ")",
        round_id);
    meter.emplace(observer_, round, Phase::Train, "steps", step, total_steps);
    meter->report();
  };
  callbacks.on_step = [&](const train::StepReport& r) {
    tokens += r.tokens;
    store_.put_train_steps({{round_id, r.step, r.loss, r.lr, r.grad_norm, r.tokens, r.completion_tokens, r.seconds}});
    meter->update(r.step, tokens, r.loss);
    crash_point("train.step");
  };
  callbacks.on_milestone = [](const char* name) { crash_point(("train." + std::string(name)).c_str()); };
  TrainerHooks hooks;
  hooks.round = round;
  hooks.log_file = paths_.trainer_log(round);
  hooks.on_status = [this](const TrainerStatus& status) {
    if (observer_) observer_->on_trainer(status);
  };
  hooks.log = [&](const std::string& level, const std::string& message) { log(level, round, "train", message, round_id); };
  const train::TrainOutcome outcome = open_trainer(config_, hooks)->train(job, callbacks, work_control());
  add_seconds(round_id, Phase::Train, meter ? meter->elapsed() : 0.0);
  if (outcome.cancelled) {
    log("info", round, "train", "cancelled at step " + std::to_string(outcome.steps) + "; a checkpoint was saved",
        round_id);
    return false;
  }
  model_path = final_dir;
  store_.set_round_model_path(round_id, final_dir, io::model_digest(final_dir));

  const auto steps = store_.list_train_steps(round_id);
  double loss_sum = 0;
  for (const auto& s : steps) loss_sum += s.loss;
  store_.put_metrics(round_id, {{"train.examples", static_cast<double>(traces.size())},
                                {"train.steps", static_cast<double>(steps.size())},
                                {"train.loss", steps.empty() ? 0.0 : loss_sum / steps.size()},
                                {"train.final_loss", steps.empty() ? 0.0 : steps.back().loss}});
  return true;
}

bool Session::improve(int round, int64_t round_id, const std::string& model_path) {
  const text::ModelTokenizer tokenizer = text::load_model_tokenizer(model_path);
  const text::PromptFormat format = prompt_format(tokenizer);
  const DrawPlan plan = plan_draws(
      eval_set_, config_.eval.samples, store_.eval_sample_keys(round_id),
      [&](const store::ProblemRecord& p, int i) { return eval_sample_seed(config_.seed, p.problem_key, i); },
      [&](const std::string& question) { return prompt_for(format, question); });
  Meter meter(observer_, round, Phase::Eval, "answers", plan.stored, plan.total);
  meter.report();

  const think::SamplingSettings settings = eval_sampling(config_, format);
  think::Sampler* sampler = nullptr;
  if (!plan.draws.empty() && !(sampler = phase_sampler(round, round_id, Phase::Eval, model_path, tokenizer))) return false;
  const auto store_answers = [&](const std::vector<Answer>& answers) {
    std::vector<store::EvalSampleRecord> records;
    records.reserve(answers.size());
    for (const auto& a : answers) {
      store::EvalSampleRecord r;
      r.round_id = round_id;
      r.problem_id = a.draw->problem_id;
      r.sample_index = a.draw->sample_index;
      r.text = a.sample.text;
      r.token_count = static_cast<int>(a.sample.token_count);
      r.finish_reason = think::to_string(a.sample.finish_reason);
      r.seed = a.draw->seed;
      r.temperature = settings.temperature;
      r.extracted_strict = a.judged.extracted_strict;
      r.extracted_flexible = a.judged.extracted_flexible;
      r.correct_strict = a.judged.correct_strict;
      r.correct_flexible = a.judged.correct_flexible;
      r.detail = a.judged.detail;
      records.push_back(std::move(r));
    }
    store_.insert_eval_samples(records, store::OnConflict::ignore);
    crash_point("eval.stored");
  };
  const bool finished = plan.draws.empty() || answer_draws(
      plan.draws, *sampler, settings, store_answers,
      [&](const think::SamplingProgress& p) { meter.update(plan.stored + p.samples_done, p.tokens); }, work_control(),
      config_.sandbox);
  add_seconds(round_id, Phase::Eval, meter.elapsed());
  if (!finished) return false;
  const eval::Scores scores = eval::score(store_.problem_results(round_id), config_.eval.pass_at_k);
  store_.put_metrics(round_id, eval::to_metrics(scores));
  return true;
}

}  // namespace tpt::run
