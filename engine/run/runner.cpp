#include "run/runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>

#include "core/hash.h"
#include "data/gsm8k.h"
#include "eval/metrics.h"
#include "model/checkpoint.h"
#include "run/crash_point.h"
#include "run/plan.h"
#include "runtime/torch_runtime.h"
#include "store/store.h"
#include "text/model_tokenizer.h"
#include "text/prompt_format.h"
#include "think/generator.h"
#include "train/lora.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace tpt::run {

const char* to_string(Phase phase) {
  switch (phase) {
    case Phase::Think: return "think";
    case Phase::Prune: return "prune";
    case Phase::Train: return "train";
    case Phase::Eval: return "eval";
  }
  return "";
}

const char* to_string(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::Completed: return "completed";
    case RunOutcome::Stopped: return "stopped";
    case RunOutcome::Cancelled: return "cancelled";
  }
  return "";
}

const std::vector<std::string>& changeable_keys() {
  static const std::vector<std::string> keys = {
      "/name",         "/description",      "/rounds", "/threads", "/model/device", "/think/batch_size",
      "/eval/batch_size", "/train/checkpoint_steps", "/prune", "/stop"};
  return keys;
}

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool changeable(const std::string& pointer) {
  for (const auto& key : changeable_keys())
    if (pointer == key || pointer.rfind(key + "/", 0) == 0) return true;
  return false;
}

std::string show(const json* value) { return value ? value->dump() : "(absent)"; }

// Progress with a rate and an ETA measured over this session's work only (resumed work
// counts as done but not as speed).
class Meter {
 public:
  Meter(Observer* observer, int round, Phase phase, std::string unit, int64_t done, int64_t total)
      : observer_(observer), start_done_(done) {
    p_.round = round;
    p_.phase = phase;
    p_.unit = std::move(unit);
    p_.done = done;
    p_.total = total;
  }
  void update(int64_t done, int64_t tokens, std::optional<double> loss = std::nullopt) {
    p_.done = done;
    tokens_ = tokens;
    p_.loss = loss;
    p_.elapsed_seconds = seconds_since(start_);
    const int64_t new_work = done - start_done_;
    p_.tokens_per_second = p_.elapsed_seconds > 0 ? tokens_ / p_.elapsed_seconds : 0.0;
    p_.eta_seconds = new_work > 0 && p_.total > 0
                         ? p_.elapsed_seconds / new_work * static_cast<double>(std::max<int64_t>(0, p_.total - done))
                         : -1.0;
    if (observer_) observer_->on_progress(p_);
  }
  void report() { update(p_.done, tokens_, p_.loss); }
  double elapsed() const { return seconds_since(start_); }
  int64_t tokens() const { return tokens_; }

 private:
  Observer* observer_;
  Progress p_;
  int64_t start_done_;
  int64_t tokens_ = 0;
  Clock::time_point start_ = Clock::now();
};

struct LoadedModel {
  model::CausalLm model;
  text::ModelTokenizer tokenizer;
};

// One sample to draw (Think) or answer to give (Improve): where it goes and its seed.
struct DrawJob {
  const std::vector<int32_t>* prompt = nullptr;
  int64_t problem_id = 0;
  std::string problem_key;
  std::string gold;
  int sample_index = 0;
  uint64_t seed = 0;
};

}  // namespace

std::vector<std::string> config_changes(const json& stored, const json& current) {
  std::vector<std::string> changes;
  const json a = stored.flatten(), b = current.flatten();
  std::set<std::string> keys;
  for (auto it = a.begin(); it != a.end(); ++it) keys.insert(it.key());
  for (auto it = b.begin(); it != b.end(); ++it) keys.insert(it.key());
  for (const auto& key : keys) {
    if (changeable(key)) continue;
    const json* old_value = a.contains(key) ? &a.at(key) : nullptr;
    const json* new_value = b.contains(key) ? &b.at(key) : nullptr;
    if (old_value && new_value && *old_value == *new_value) continue;
    // JSON pointer "/think/temperature" -> "think.temperature"
    std::string path = key.substr(1);
    std::replace(path.begin(), path.end(), '/', '.');
    changes.push_back(path + ": " + show(old_value) + " -> " + show(new_value));
  }
  return changes;
}

std::string fork_experiment(const config::ExperimentConfig& config, const std::string& new_dir) {
  std::error_code ec;
  // A folder, unless a .json file is named.
  const fs::path target(new_dir);
  const fs::path folder = target.extension() == ".json" ? target.parent_path() : target;
  if (!folder.empty()) fs::create_directories(folder, ec);
  if (ec) throw Error(folder.string() + ": cannot create the folder: " + ec.message());
  const ExperimentPaths paths = ExperimentPaths::locate(new_dir);
  if (fs::exists(paths.config_file, ec))
    throw Error(paths.config_file + ": already exists; fork into a new folder");
  config::ExperimentConfig forked = config;
  forked.dataset.train = config.resolve(config.dataset.train);
  forked.dataset.test = config.resolve(config.dataset.test);
  forked.model.path = config.resolve(config.model.path);
  forked.base_dir = paths.dir;
  forked.save(paths.config_file);
  return paths.config_file;
}

Runner::Runner(std::string experiment, Observer* observer, RunControl* control)
    : experiment_(std::move(experiment)), observer_(observer), control_(control) {}

namespace {

// One run of one experiment: what Runner::run sets up, and the phases.
class Session {
 public:
  Session(const ExperimentPaths& paths, config::ExperimentConfig config, Observer* observer, RunControl* control)
      : paths_(paths), config_(std::move(config)), observer_(observer), control_(control),
        store_(paths.store_file) {}

  RunResult run();
  // run(), recording a failure in the store (state "failed", an error event) before it
  // propagates.
  RunResult run_guarded() {
    try {
      return run();
    } catch (const std::exception& e) {
      if (experiment_id_ > 0) {
        log("error", -1, "run", e.what());
        try {
          store_.set_experiment_state(experiment_id_, "failed", e.what());
        } catch (const std::exception&) {
          // Nothing more can be recorded (disk full?); the caller still gets the cause.
        }
      }
      throw;
    }
  }

 private:
  void log(const std::string& level, int round, const std::string& phase, const std::string& message,
           std::optional<int64_t> round_id = std::nullopt) {
    store::EventRecord e;
    e.experiment_id = experiment_id_;
    e.level = level;
    e.phase = phase;
    e.message = message;
    e.round_id = round_id;
    try {
      store_.log_event(e);
    } catch (const Error&) {
      // The log is a convenience; a full disk must not hide the message itself.
    }
    if (observer_) observer_->on_log({level, round, phase, message});
  }
  bool go_on() { return !control_ || control_->checkpoint(); }
  const std::atomic<bool>* cancel_flag() const { return control_ ? control_->cancel_flag() : nullptr; }

  void open_experiment();
  void load_problems();
  model::LoadOptions load_options() const;
  LoadedModel load(const std::string& folder) const;
  text::PromptFormat prompt_format(const text::ModelTokenizer& tokenizer) const;

  bool think(int round, int64_t round_id, const std::string& model_path);
  void prune(int round, int64_t round_id);
  bool train(int round, int64_t round_id, const std::string& previous_model, std::string& model_path);
  bool evaluate(int round, int64_t round_id, const std::string& model_path);
  // The draws still to make: `per_problem` per problem, less those already stored; each
  // problem's prompt is encoded once into `prompts` (the jobs point into it). `done` counts the
  // stored ones. `seed_name` names a draw for derive_seed.
  std::vector<DrawJob> missing_draws(const std::vector<store::ProblemRecord>& problems, int per_problem,
                                     const std::vector<store::SampleKey>& stored_keys, const text::PromptFormat& format,
                                     std::unordered_map<int64_t, std::vector<int32_t>>& prompts, int64_t& done,
                                     const std::function<std::string(const store::ProblemRecord&, int)>& seed_name) const;
  // Generates `jobs` in chunks of a few batches, hands each finished chunk to `commit` (which
  // stores it), and stops between chunks on cancel. A chunk interrupted by cancel is dropped:
  // its sequences did not finish, and a resumed run draws them again from their seeds.
  bool draw(const std::vector<DrawJob>& jobs, think::Generator& generator, const think::GenerationOptions& options,
            Meter& meter, int64_t done, const std::function<void(const std::vector<DrawJob>&, size_t, size_t,
                                                                  const std::vector<think::Generation>&)>& commit);
  void add_seconds(int64_t round_id, Phase phase, double seconds);
  std::optional<std::string> stop_reason(const std::vector<double>& pass1_by_round, int round);

  ExperimentPaths paths_;
  config::ExperimentConfig config_;
  Observer* observer_;
  RunControl* control_;
  store::Store store_;
  int64_t experiment_id_ = 0;
  std::string base_model_;
  std::vector<store::ProblemRecord> pool_;      // the training pool, few-shot examples left out
  std::vector<store::ProblemRecord> eval_set_;  // the (subset of the) evaluation split
  std::vector<text::WorkedExample> examples_;
  Clock::time_point started_ = Clock::now();
};

void Session::open_experiment() {
  const json current = config_.to_json();
  auto experiments = store_.list_experiments();
  if (experiments.empty()) {
    store::ExperimentRecord record;
    record.name = config_.name;
    record.config_json = current.dump();
    experiment_id_ = store_.create_experiment(record);
    return;
  }
  // One experiment per folder: the database's experiment is this folder's, whatever its name.
  const store::ExperimentRecord& stored = experiments.front();
  experiment_id_ = stored.id;
  const auto rounds = store_.list_rounds(experiment_id_);
  if (!rounds.empty()) {
    const auto changes = config_changes(json::parse(stored.config_json), current);
    if (!changes.empty()) {
      std::string message = paths_.config_file + ": the settings changed since this experiment's rounds were run (" +
                            std::to_string(rounds.size()) + " round(s) stored); running on would mix settings "
                            "within one experiment:";
      for (const auto& c : changes) message += "\n  " + c;
      message += "\nUndo the change, or run the new settings as a new experiment: tpt run " + paths_.dir +
                 " --fork NEW_FOLDER";
      throw ConfigChangedError(message);
    }
  }
  store_.set_experiment_config(experiment_id_, current.dump());
}

void Session::load_problems() {
  data::Gsm8kOptions options;
  options.question_field = config_.dataset.question_field;
  options.answer_field = config_.dataset.answer_field;
  options.on_malformed = io::parse_on_malformed(config_.dataset.on_malformed);
  auto to_records = [&](const data::ProblemSet& set, const std::string& split) {
    std::vector<store::ProblemRecord> records;
    records.reserve(set.problems.size());
    for (const auto& p : set.problems)
      records.push_back({0, experiment_id_, split, p.id, p.question, p.solution, p.gold});
    const auto ids = store_.upsert_problems(records);
    for (size_t i = 0; i < records.size(); ++i) records[i].id = ids[i];
    return records;
  };
  const auto key_of = [](const store::ProblemRecord& p) { return p.problem_key; };

  std::vector<store::ProblemRecord> train;
  const bool needs_train = config_.rounds > 0 || config_.eval.split == "train" ||
                           config_.think.prompt_format == "few-shot";
  if (needs_train) {
    const std::string file = config_.resolve(config_.dataset.train);
    if (file.empty()) throw Error(paths_.config_file + ": dataset.train: required to run rounds (the training pool)");
    options.id_prefix = "train";
    const data::ProblemSet set = data::load_gsm8k(file, options);
    if (set.problems.empty()) throw Error(file + ": no problems in the training pool");
    if (set.report.skipped > 0)
      log("warning", -1, "run", file + ": skipped " + std::to_string(set.report.skipped) + " malformed line(s)");
    train = to_records(set, "train");
  }
  TrainingPool split = split_training_pool(config_, train);
  pool_ = std::move(split.pool);
  examples_ = std::move(split.examples);

  if (config_.eval.split == "train") {
    eval_set_ = pool_;
  } else {
    const std::string file = config_.resolve(config_.dataset.test);
    if (file.empty()) throw Error(paths_.config_file + ": dataset.test: required (Improve scores each round on it)");
    options.id_prefix = "test";
    const data::ProblemSet set = data::load_gsm8k(file, options);
    if (set.problems.empty()) throw Error(file + ": no problems in the test split");
    if (set.report.skipped > 0)
      log("warning", -1, "run", file + ": skipped " + std::to_string(set.report.skipped) + " malformed line(s)");
    eval_set_ = to_records(set, "test");
  }
  // The same subset every round: rounds are compared on the same problems.
  eval_set_ = seeded_subset(eval_set_, derive_seed(config_.seed, "eval-subset"), config_.eval.subset_size, key_of);
  std::sort(eval_set_.begin(), eval_set_.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
}

model::LoadOptions Session::load_options() const {
  model::LoadOptions options;
  if (config_.model.device == "cuda") options.device = torch::Device(torch::kCUDA);
  else if (config_.model.device == "cpu") options.device = torch::Device(torch::kCPU);
  else options.device = model::best_device();
  if (config_.model.dtype == "float32") options.dtype = torch::kFloat32;
  if (config_.model.dtype == "bfloat16") options.dtype = torch::kBFloat16;
  if (config_.model.dtype == "float16") options.dtype = torch::kFloat16;
  return options;
}

LoadedModel Session::load(const std::string& folder) const {
  LoadedModel loaded{model::load_model(folder, load_options()), text::load_model_tokenizer(folder)};
  return loaded;
}

text::PromptFormat Session::prompt_format(const text::ModelTokenizer& tokenizer) const {
  return text::PromptFormat(tokenizer, *text::parse_prompt_style(config_.think.prompt_format), examples_);
}

bool Session::draw(const std::vector<DrawJob>& jobs, think::Generator& generator,
                   const think::GenerationOptions& options, Meter& meter, int64_t done,
                   const std::function<void(const std::vector<DrawJob>&, size_t, size_t,
                                            const std::vector<think::Generation>&)>& commit) {
  // A few batches per commit: big enough to keep batches full, small enough that a crash
  // loses little.
  const size_t chunk = static_cast<size_t>(std::max(16, options.batch_size * 2));
  int64_t tokens = 0;
  for (size_t begin = 0; begin < jobs.size(); begin += chunk) {
    if (!go_on()) return false;
    const size_t end = std::min(jobs.size(), begin + chunk);
    std::vector<think::GenerationRequest> requests;
    requests.reserve(end - begin);
    for (size_t i = begin; i < end; ++i) requests.push_back({*jobs[i].prompt, jobs[i].seed});
    const int64_t before = tokens;
    auto generations = generator.generate(
        requests, options,
        [&](const think::GenerationProgress& p) {
          meter.update(done + p.sequences_done, before + p.tokens_generated);
        },
        cancel_flag());
    if (control_ && control_->cancel_requested()) return false;
    for (const auto& g : generations) tokens += static_cast<int64_t>(g.token_ids.size());
    commit(jobs, begin, end, generations);
    done += static_cast<int64_t>(end - begin);
    meter.update(done, tokens);
  }
  return true;
}

std::vector<DrawJob> Session::missing_draws(
    const std::vector<store::ProblemRecord>& problems, int per_problem, const std::vector<store::SampleKey>& stored_keys,
    const text::PromptFormat& format, std::unordered_map<int64_t, std::vector<int32_t>>& prompts, int64_t& done,
    const std::function<std::string(const store::ProblemRecord&, int)>& seed_name) const {
  const std::set<store::SampleKey> stored(stored_keys.begin(), stored_keys.end());
  std::vector<DrawJob> jobs;
  for (const auto& p : problems) {
    for (int i = 0; i < per_problem; ++i) {
      if (stored.count({p.id, i})) {
        ++done;
        continue;
      }
      auto it = prompts.find(p.id);
      if (it == prompts.end()) it = prompts.emplace(p.id, format.prompt_ids(p.question)).first;
      jobs.push_back({&it->second, p.id, p.problem_key, p.gold, i, derive_seed(config_.seed, seed_name(p, i))});
    }
  }
  return jobs;
}

bool Session::think(int round, int64_t round_id, const std::string& model_path) {
  const int k = config_.think.samples_per_problem;
  const auto pool = seeded_subset(pool_, derive_seed(config_.seed, "pool/" + std::to_string(round)),
                                  config_.think.pool_size,
                                  [](const store::ProblemRecord& p) { return p.problem_key; });
  LoadedModel loaded = load(model_path);
  loaded.model->eval();
  const text::PromptFormat format = prompt_format(loaded.tokenizer);
  std::unordered_map<int64_t, std::vector<int32_t>> prompts;
  int64_t done = 0;
  const std::vector<DrawJob> jobs =
      missing_draws(pool, k, store_.sample_keys(round_id), format, prompts, done,
                    [&](const store::ProblemRecord& p, int i) {
                      return "think/" + std::to_string(round) + "/" + p.problem_key + "/" + std::to_string(i);
                    });
  const int64_t total = static_cast<int64_t>(pool.size()) * k;
  if (done > 0 && !jobs.empty())
    log("info", round, "think", "resuming: " + std::to_string(done) + " of " + std::to_string(total) +
                                    " samples already stored", round_id);
  Meter meter(observer_, round, Phase::Think, "samples", done, total);
  meter.report();

  think::GenerationOptions options;
  options.sampling.temperature = config_.think.temperature;
  options.sampling.top_p = config_.think.top_p;
  options.sampling.top_k = config_.think.top_k;
  options.max_new_tokens = config_.think.max_new_tokens;
  options.batch_size = config_.think.batch_size;
  options.stop_ids = loaded.tokenizer.stop_ids;
  options.stop_strings = format.stop_strings();
  for (const auto& s : config_.think.stop) options.stop_strings.push_back(s);

  think::Generator generator(loaded.model, *loaded.tokenizer.tokenizer);
  const bool finished = draw(jobs, generator, options, meter, done,
                             [&](const std::vector<DrawJob>& all, size_t begin, size_t end,
                                 const std::vector<think::Generation>& generations) {
                               crash_point("think.generated");
                               std::vector<store::SampleRecord> records;
                               records.reserve(end - begin);
                               for (size_t i = begin; i < end; ++i) {
                                 const auto& g = generations[i - begin];
                                 store::SampleRecord r;
                                 r.round_id = round_id;
                                 r.problem_id = all[i].problem_id;
                                 r.sample_index = all[i].sample_index;
                                 r.text = g.text;
                                 r.token_count = static_cast<int>(g.token_ids.size());
                                 r.finish_reason = think::to_string(g.finish_reason);
                                 r.seed = all[i].seed;
                                 r.sampling = {options.sampling.temperature, options.sampling.top_p,
                                               options.sampling.top_k, options.max_new_tokens};
                                 records.push_back(std::move(r));
                               }
                               store_.insert_samples(records, store::OnConflict::ignore);
                               crash_point("think.stored");
                             });
  add_seconds(round_id, Phase::Think, meter.elapsed());
  if (!finished) return false;
  store_.put_metrics(round_id, {{"think.samples", static_cast<double>(total)},
                                {"think.problems", static_cast<double>(pool.size())},
                                {"think.tokens_per_second", meter.elapsed() > 0 ? meter.tokens() / meter.elapsed() : 0}});
  return true;
}

void Session::prune(int round, int64_t round_id) {
  const auto start = Clock::now();
  if (observer_) observer_->on_progress({round, Phase::Prune, 0, 0, "samples", 0, 0, -1, std::nullopt});
  const auto inputs = store_.prune_inputs(round_id);
  const auto decisions = config_.prune.apply(inputs);
  std::vector<store::DecisionRecord> records;
  records.reserve(decisions.size());
  int64_t kept = 0, correct = 0;
  std::set<std::string> problems_kept;
  for (size_t i = 0; i < decisions.size(); ++i) {
    const auto& d = decisions[i];
    records.push_back({d.sample_id, d.kept, d.dropped_by, d.reason, d.judgement.extracted, d.judgement.verdict,
                       d.verdicts, ""});
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
  log("info", round, "prune",
      "kept " + std::to_string(kept) + " of " + std::to_string(inputs.size()) + " samples (" +
          std::to_string(problems_kept.size()) + " problems) with rules " + config_.prune.to_json().dump(),
      round_id);
  add_seconds(round_id, Phase::Prune, seconds_since(start));
}

namespace {
// Writes a trainer checkpoint so that a crash at any instant leaves one complete checkpoint:
// the new one goes to a temporary folder and replaces the old one by two renames.
void save_checkpoint_atomically(train::SftTrainer& trainer, const std::string& folder) {
  const std::string tmp = folder + ".tmp", old = folder + ".old";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  trainer.save_checkpoint(tmp);
  crash_point("train.checkpoint_written");
  fs::remove_all(old, ec);
  if (fs::exists(folder)) fs::rename(folder, old);
  fs::rename(tmp, folder);
  fs::remove_all(old, ec);
}

std::optional<std::string> find_checkpoint(const std::string& folder) {
  for (const std::string& candidate : {folder, folder + ".old"})
    if (fs::exists(fs::path(candidate) / "trainer_state.json")) return candidate;
  return std::nullopt;
}
}  // namespace

bool Session::train(int round, int64_t round_id, const std::string& previous_model, std::string& model_path) {
  const std::string final_dir = paths_.model_dir(round);
  // Renamed into place only when complete: if it exists, Train finished before a crash.
  if (fs::exists(fs::path(final_dir) / "config.json")) {
    model_path = final_dir;
    return true;
  }
  std::vector<int64_t> rounds;
  if (config_.train.data == "accumulate") {
    for (const auto& r : store_.list_rounds(experiment_id_))
      if (r.round_index >= 1 && r.round_index <= round) rounds.push_back(r.id);
  } else {
    rounds.push_back(round_id);
  }
  auto traces = store_.kept_traces(rounds);
  if (config_.train.max_examples > 0 && static_cast<int64_t>(traces.size()) > config_.train.max_examples) {
    traces = seeded_subset(traces, derive_seed(config_.seed, "train-subset/" + std::to_string(round)),
                           config_.train.max_examples,
                           [](const store::KeptTrace& t) { return std::to_string(t.sample_id); });
    std::sort(traces.begin(), traces.end(), [](const auto& a, const auto& b) { return a.sample_id < b.sample_id; });
  }
  if (traces.empty()) {
    log("warning", round, "train",
        "no trace was kept in this round: the model stays as it was (M" + std::to_string(round) + " = M" +
            std::to_string(round - 1) + ")",
        round_id);
    model_path = previous_model;
    store_.put_metrics(round_id, {{"train.examples", 0.0}, {"train.steps", 0.0}});
    return true;
  }

  const std::string init = config_.train.init == "base" ? base_model_ : previous_model;
  LoadedModel loaded = load(init);
  const text::PromptFormat format = prompt_format(loaded.tokenizer);
  std::vector<train::SftExample> examples;
  examples.reserve(traces.size());
  for (const auto& t : traces) examples.push_back({format.prompt_ids(t.question), format.completion_ids(t.text)});

  train::TrainOptions options;
  options.epochs = config_.train.epochs;
  options.micro_batch_size = config_.train.micro_batch_size;
  options.grad_accum_steps = config_.train.gradient_accumulation;
  options.max_grad_norm = config_.train.max_grad_norm;
  options.seed = derive_seed(config_.seed, "train/" + std::to_string(round));
  options.adamw.weight_decay = config_.train.weight_decay;
  options.schedule.peak_lr = config_.train.learning_rate;
  options.schedule.decay = config_.train.schedule == "linear"   ? train::LrDecay::Linear
                           : config_.train.schedule == "constant" ? train::LrDecay::Constant
                                                                  : train::LrDecay::Cosine;
  const int64_t micro = (static_cast<int64_t>(examples.size()) + options.micro_batch_size - 1) / options.micro_batch_size;
  const int64_t total_steps = options.epochs * ((micro + options.grad_accum_steps - 1) / options.grad_accum_steps);
  options.schedule.total_steps = total_steps;
  options.schedule.warmup_steps = static_cast<int64_t>(std::ceil(config_.train.warmup_ratio * total_steps));
  if (config_.train.method == "lora") {
    train::LoraConfig lora;
    lora.rank = config_.train.lora.rank;
    lora.alpha = config_.train.lora.alpha;
    lora.dropout = config_.train.lora.dropout;
    lora.target_modules = config_.train.lora.targets;
    lora.base_model_name_or_path = init;
    options.lora = lora;
  }

  const std::string partial = paths_.partial_dir(round);
  const std::string checkpoint = (fs::path(partial) / "checkpoint").string();
  train::SftTrainer trainer(loaded.model, std::move(examples), options);
  if (auto found = find_checkpoint(checkpoint)) {
    trainer.load_checkpoint(*found);
    store_.delete_train_steps_after(round_id, trainer.step());
    log("info", round, "train",
        "resuming from the checkpoint at step " + std::to_string(trainer.step()) + " of " +
            std::to_string(trainer.total_steps()),
        round_id);
  } else {
    std::error_code ec;
    fs::remove_all(partial, ec);
    store_.delete_train_steps_after(round_id, 0);
    log("info", round, "train",
        "training on " + std::to_string(traces.size()) + " traces: " + std::to_string(trainer.total_steps()) +
            " steps (" + config_.train.method + ", init from " + init + ")",
        round_id);
  }

  Meter meter(observer_, round, Phase::Train, "steps", trainer.step(), trainer.total_steps());
  meter.report();
  int64_t tokens = 0;
  const train::TrainSummary summary = trainer.train(
      [&](const train::StepReport& r) {
        tokens += r.tokens;
        store_.put_train_steps({{round_id, r.step, r.loss, r.lr, r.grad_norm, r.tokens, r.completion_tokens, r.seconds}});
        meter.update(r.step, tokens, r.loss);
        crash_point("train.step");
        if (config_.train.checkpoint_steps > 0 && r.step % config_.train.checkpoint_steps == 0 &&
            r.step < r.total_steps)
          save_checkpoint_atomically(trainer, checkpoint);
        // Pausing here holds the run between two steps; cancel is seen by the trainer itself.
        go_on();
      },
      cancel_flag());
  add_seconds(round_id, Phase::Train, meter.elapsed());
  if (summary.cancelled) {
    save_checkpoint_atomically(trainer, checkpoint);
    log("info", round, "train", "cancelled at step " + std::to_string(trainer.step()) + "; a checkpoint was saved",
        round_id);
    return false;
  }

  // The model folder is written beside the checkpoint and renamed into place at the end.
  const std::string staging = (fs::path(partial) / "model").string();
  std::error_code ec;
  fs::remove_all(staging, ec);
  if (trainer.lora()) {
    trainer.lora()->save((fs::path(staging) / "adapter").string());
    trainer.lora()->merge_and_detach();
  }
  model::CausalLm model = trainer.model();
  model->set_source_dir(init);
  model::save_model(*model, staging);
  crash_point("train.saved");
  fs::create_directories(paths_.models_dir);
  fs::rename(staging, final_dir);
  fs::remove_all(partial, ec);
  model_path = final_dir;

  const auto steps = store_.list_train_steps(round_id);
  double loss_sum = 0;
  for (const auto& s : steps) loss_sum += s.loss;
  store_.put_metrics(round_id, {{"train.examples", static_cast<double>(traces.size())},
                                {"train.steps", static_cast<double>(steps.size())},
                                {"train.loss", steps.empty() ? 0.0 : loss_sum / steps.size()},
                                {"train.final_loss", steps.empty() ? 0.0 : steps.back().loss}});
  return true;
}

bool Session::evaluate(int round, int64_t round_id, const std::string& model_path) {
  const int n = config_.eval.samples;
  LoadedModel loaded = load(model_path);
  loaded.model->eval();
  const text::PromptFormat format = prompt_format(loaded.tokenizer);
  std::unordered_map<int64_t, std::vector<int32_t>> prompts;
  int64_t done = 0;
  // The same seeds every round: rounds differ by their model, not by their luck.
  const std::vector<DrawJob> jobs = missing_draws(
      eval_set_, n, store_.eval_sample_keys(round_id), format, prompts, done,
      [](const store::ProblemRecord& p, int i) { return "eval/" + p.problem_key + "/" + std::to_string(i); });
  const int64_t total = static_cast<int64_t>(eval_set_.size()) * n;
  Meter meter(observer_, round, Phase::Eval, "answers", done, total);
  meter.report();

  think::GenerationOptions options;
  options.sampling.temperature = config_.eval.temperature;
  options.sampling.top_p = config_.eval.top_p;
  options.max_new_tokens = config_.eval.max_new_tokens;
  options.batch_size = config_.eval.batch_size;
  options.stop_ids = loaded.tokenizer.stop_ids;
  options.stop_strings = format.stop_strings();
  for (const auto& s : config_.think.stop) options.stop_strings.push_back(s);

  think::Generator generator(loaded.model, *loaded.tokenizer.tokenizer);
  const bool finished = draw(jobs, generator, options, meter, done,
                             [&](const std::vector<DrawJob>& all, size_t begin, size_t end,
                                 const std::vector<think::Generation>& generations) {
                               std::vector<store::EvalSampleRecord> records;
                               records.reserve(end - begin);
                               for (size_t i = begin; i < end; ++i) {
                                 const auto& g = generations[i - begin];
                                 const eval::Judged j = eval::judge(g.text, all[i].gold);
                                 store::EvalSampleRecord r;
                                 r.round_id = round_id;
                                 r.problem_id = all[i].problem_id;
                                 r.sample_index = all[i].sample_index;
                                 r.text = g.text;
                                 r.token_count = static_cast<int>(g.token_ids.size());
                                 r.finish_reason = think::to_string(g.finish_reason);
                                 r.seed = all[i].seed;
                                 r.temperature = options.sampling.temperature;
                                 r.extracted_strict = j.extracted_strict;
                                 r.extracted_flexible = j.extracted_flexible;
                                 r.correct_strict = j.correct_strict;
                                 r.correct_flexible = j.correct_flexible;
                                 records.push_back(std::move(r));
                               }
                               store_.insert_eval_samples(records, store::OnConflict::ignore);
                               crash_point("eval.stored");
                             });
  add_seconds(round_id, Phase::Eval, meter.elapsed());
  if (!finished) return false;
  const eval::Scores scores = eval::score(store_.problem_results(round_id), config_.eval.pass_at_k);
  store_.put_metrics(round_id, eval::to_metrics(scores));
  return true;
}

void Session::add_seconds(int64_t round_id, Phase phase, double seconds) {
  const std::string name = std::string("seconds.") + to_string(phase);
  const auto metrics = store_.get_metrics(round_id);
  const auto it = metrics.find(name);
  store_.put_metric(round_id, name, (it == metrics.end() ? 0.0 : it->second) + seconds);
}

std::optional<std::string> Session::stop_reason(const std::vector<double>& pass1, int round) {
  char text[160];
  const double latest = pass1.back();
  if (config_.stop.target_pass1 && latest >= *config_.stop.target_pass1) {
    std::snprintf(text, sizeof text, "Pass@1 (strict) reached %.4f in round %d, at or above the target %.4f", latest,
                  round, *config_.stop.target_pass1);
    return std::string(text);
  }
  const int plateau = config_.stop.plateau_rounds;
  if (plateau > 0 && static_cast<int>(pass1.size()) > plateau) {
    const size_t split = pass1.size() - static_cast<size_t>(plateau);
    const double best_before = *std::max_element(pass1.begin(), pass1.begin() + split);
    const double best_after = *std::max_element(pass1.begin() + split, pass1.end());
    if (best_after <= best_before) {
      std::snprintf(text, sizeof text, "Pass@1 (strict) has not improved on %.4f for %d round(s)", best_before,
                    plateau);
      return std::string(text);
    }
  }
  return std::nullopt;
}

RunResult Session::run() {
  open_experiment();
  store_.set_experiment_state(experiment_id_, "running");
  log("info", -1, "run", "run started: " + runtime::runtime_summary(runtime::runtime_info()));
  base_model_ = config_.resolve(config_.model.path);
  if (!fs::exists(fs::path(base_model_) / "config.json"))
    throw FileError({paths_.config_file, 0},
                    "model.path: \"" + base_model_ + "\" is not a model folder (no config.json in it)");
  load_problems();

  RunResult result;
  std::vector<double> pass1;
  double spent_seconds = 0;
  std::string previous_model = base_model_;
  for (int round = 0; round <= config_.rounds; ++round) {
    const int64_t round_id = store_.ensure_round(experiment_id_, round);
    store::RoundRecord record = *store_.get_round(round_id);
    auto round_seconds = [&] {
      double s = 0;
      for (const auto& [name, value] : store_.get_metrics(round_id))
        if (name.rfind("seconds.", 0) == 0) s += value;
      return s;
    };
    if (record.state != "done") {
      if (config_.stop.max_hours && spent_seconds >= *config_.stop.max_hours * 3600) {
        result.outcome = RunOutcome::Stopped;
        result.detail = "the time budget of " + std::to_string(*config_.stop.max_hours) + " h is spent";
        break;
      }
      if (!go_on()) {
        result.outcome = RunOutcome::Cancelled;
        break;
      }
      if (record.state == "pending") {
        store_.set_round_config(round_id, config_.to_json().dump());
        store_.set_round_state(round_id, round == 0 ? "eval" : "think");
        record.state = round == 0 ? "eval" : "think";
        log("info", round, "run", "round " + std::to_string(round) + " started", round_id);
      }
      std::string model_path = round == 0 ? base_model_ : record.model_path;
      bool finished = true;
      if (record.state == "think") {
        if (observer_) observer_->on_phase(round, Phase::Think);
        finished = think(round, round_id, previous_model);
        if (finished) {
          store_.set_round_config(round_id, config_.to_json().dump());
          store_.set_round_state(round_id, "prune");
          record.state = "prune";
        }
      }
      // Between phases too, after the phase is announced: a pause or cancel asked for during
      // the last batch, or on the announcement itself, holds the run before the phase starts.
      const auto enter = [&](Phase phase) {
        if (observer_) observer_->on_phase(round, phase);
        return go_on();
      };
      if (finished && record.state == "prune" && !enter(Phase::Prune)) finished = false;
      if (finished && record.state == "prune") {
        prune(round, round_id);
        store_.set_round_state(round_id, "train");
        record.state = "train";
      }
      if (finished && record.state == "train" && !enter(Phase::Train)) finished = false;
      if (finished && record.state == "train") {
        finished = train(round, round_id, previous_model, model_path);
        if (finished) {
          auto transaction = store_.transaction();
          store_.set_round_model_path(round_id, model_path);
          store_.set_round_state(round_id, "eval");
          transaction.commit();
          record.state = "eval";
        }
      }
      if (finished && record.state == "eval" && !enter(Phase::Eval)) finished = false;
      if (finished && record.state == "eval") {
        if (round == 0) store_.set_round_model_path(round_id, model_path);
        finished = evaluate(round, round_id, model_path);
        if (finished) {
          store_.set_round_state(round_id, "done");
          record.state = "done";
          const auto metrics = store_.get_metrics(round_id);
          char line[200];
          std::snprintf(line, sizeof line, "round %d done: Pass@1 %.2f%% strict, %.2f%% flexible", round,
                        100 * metrics.at("pass@1.strict"), 100 * metrics.at("pass@1.flexible"));
          log("info", round, "run", line, round_id);
          if (observer_) observer_->on_round_done(round, metrics);
        }
      }
      if (!finished) {
        result.outcome = RunOutcome::Cancelled;
        break;
      }
      record = *store_.get_round(round_id);
    }
    previous_model = record.model_path.empty() ? previous_model : record.model_path;
    spent_seconds += round_seconds();
    result.rounds_done = round + 1;
    const auto metrics = store_.get_metrics(round_id);
    if (auto it = metrics.find("pass@1.strict"); it != metrics.end()) pass1.push_back(it->second);
    if (round < config_.rounds && !pass1.empty()) {
      if (auto reason = stop_reason(pass1, round)) {
        result.outcome = RunOutcome::Stopped;
        result.detail = *reason;
        break;
      }
    }
  }
  store_.optimize();
  const std::string state = to_string(result.outcome);
  store_.set_experiment_state(experiment_id_, state, result.detail);
  log("info", -1, "run",
      "run " + state + (result.detail.empty() ? "" : ": " + result.detail) + " (" + std::to_string(result.rounds_done) +
          " round(s) done)");
  return result;
}

}  // namespace

RunResult Runner::run() {
  const ExperimentPaths paths = ExperimentPaths::locate(experiment_);
  config::ExperimentConfig config = config::ExperimentConfig::load(paths.config_file);
  RunLock lock(paths);
  if (config.threads > 0) runtime::init_runtime(config.threads);
  Session session(paths, std::move(config), observer_, control_);
  return session.run_guarded();
}

}  // namespace tpt::run
