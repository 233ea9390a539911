// The round runner end to end on a tiny model: real processes (`tpt run`), a real SQLite
// file, real safetensors folders. The kill-and-resume tests SIGKILL `tpt run` inside each
// phase (TPT_CRASH_AT, see engine/run/crash_point.h), run it again, and require the result to
// be identical to a run that was never interrupted: no sample lost, duplicated or changed, the
// same decisions, scores and trained weights, and a sound database.
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "check.h"
#include "cli_process.h"
#include "model/checkpoint.h"
#include "report/export.h"
#include "report/problems.h"
#include "report/status.h"
#include "run/runner.h"
#include "store/store.h"
#include "text/model_tokenizer.h"
#include "run_snapshot.h"
#include "tiny_experiment.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using Result = tpt::testing::CliResult;
using tpt::testing::slurp;
using tpt::testing::tpt_run;
using tpt::testing::Snapshot;
using tpt::testing::compare_lines;
using tpt::testing::compare_snapshots;
using tpt::testing::rows;
using tpt::testing::snapshot;

const std::string& tiny_model() {
  static const std::string folder = tpt::testing::write_tiny_model(tpt::testing::temp_dir() + "/tiny-model");
  return folder;
}

json tiny_config() { return tpt::testing::tiny_experiment_config(tiny_model()); }

std::string make_experiment(const json& config = tiny_config()) {
  return tpt::testing::write_tiny_experiment(tpt::testing::temp_dir() + "/experiment", config);
}

// The uninterrupted run every other run is compared with.
const Snapshot& reference() {
  static const Snapshot s = [] {
    const std::string dir = make_experiment();
    const Result r = tpt_run("-q run " + dir);
    if (r.status != 0) TPT_FAIL("reference run failed: " + r.err);
    return snapshot(dir);
  }();
  return s;
}

std::string reference_dir() {
  static const std::string dir = [] {
    const std::string d = make_experiment();
    const Result r = tpt_run("-q run " + d);
    if (r.status != 0) TPT_FAIL("run failed: " + r.err);
    return d;
  }();
  return dir;
}

void kill_and_resume(const std::string& point) {
  const Snapshot& expected = reference();
  const std::string dir = make_experiment();
  const Result killed = tpt_run("-q run " + dir, "TPT_CRASH_AT=" + point);
  if (killed.status != 128 + 9)
    TPT_FAIL("expected `tpt run` to be killed at " + point + " (status 137), got " + std::to_string(killed.status) +
             ": " + killed.err);
  const Result status = tpt_run("status " + dir + " --json");
  COMPARE(status.status, 0);
  COMPARE(json::parse(status.out).at("state").get<std::string>(), std::string("interrupted"));
  const Result resumed = tpt_run("-q run " + dir);
  if (resumed.status != 0) TPT_FAIL("the resumed run failed: " + resumed.err);
  compare_snapshots(snapshot(dir), expected);
}

}  // namespace

TPT_TEST(runner, two_rounds_fill_every_table_consistently) {
  const std::string dir = reference_dir();
  tpt::store::Store store(dir + "/experiment.sqlite", tpt::store::OpenMode::read_only);
  const auto experiment = store.list_experiments().at(0);
  COMPARE(experiment.state, std::string("completed"));
  const auto rounds = store.list_rounds(experiment.id);
  COMPARE(rounds.size(), size_t{3});
  for (const auto& round : rounds) {
    COMPARE(round.state, tpt::store::RoundState::Done);
    tpt::store::SampleFilter filter;
    filter.round_id = round.id;
    const int64_t samples = store.count_samples(filter);
    filter.kept = true;
    const int64_t kept = store.count_samples(filter);
    const auto metrics = store.get_metrics(round.id);
    // Round 0 scores the base model; rounds 1 and 2 sample pool (6) x k (3).
    COMPARE(samples, round.round_index == 0 ? int64_t{0} : int64_t{18});
    VERIFY(kept <= samples);
    VERIFY(kept <= 6);  // max_per_problem k = 1 over a pool of 6
    // Improve: 4 test problems x 2 answers, every round.
    COMPARE(store.list_eval_samples(round.id).size(), size_t{8});
    for (const char* name : {"pass@1.strict", "pass@1.flexible", "pass@2.strict", "correct@2.flexible"}) {
      VERIFY(metrics.count(name));
      VERIFY(metrics.at(name) >= 0.0 && metrics.at(name) <= 1.0);
    }
    VERIFY(metrics.count("seconds.eval"));
    if (round.round_index == 0) {
      COMPARE(round.model_path, tiny_model());
      continue;
    }
    COMPARE(metrics.at("prune.kept"), static_cast<double>(kept));
    VERIFY(kept > 0);
    COMPARE(metrics.at("train.examples"), static_cast<double>(kept));
    // 2 epochs of ceil(kept / 2) steps, every step recorded for the loss chart.
    COMPARE(metrics.at("train.steps"), static_cast<double>(2 * ((kept + 1) / 2)));
    COMPARE(store.list_train_steps(round.id).size(), static_cast<size_t>(metrics.at("train.steps")));
    VERIFY(std::isfinite(metrics.at("train.loss")));
    // Each round's model is a complete HF folder that loads, tokenizer included.
    COMPARE(round.model_path, dir + "/models/round-" + std::to_string(round.round_index));
    auto model = tpt::model::load_model(round.model_path);
    VERIFY(model->config().vocab_size == 257);
    VERIFY(tpt::text::load_model_tokenizer(round.model_path).eos_id == 256);
    VERIFY(!fs::exists(dir + "/models/round-" + std::to_string(round.round_index) + ".partial"));
  }
  // The trained models differ from the base and from each other.
  VERIFY(slurp(dir + "/models/round-1/model.safetensors") != slurp(tiny_model() + "/model.safetensors"));
  VERIFY(slurp(dir + "/models/round-1/model.safetensors") != slurp(dir + "/models/round-2/model.safetensors"));
}

TPT_TEST(runner, the_same_seed_gives_the_same_experiment) {
  compare_snapshots(snapshot(reference_dir()), reference());
}

TPT_TEST(runner, status_reports_every_round_as_json_with_fractions) {
  const Result r = tpt_run("-q status " + reference_dir() + " --json");
  COMPARE(r.status, 0);
  const json status = json::parse(r.out);
  COMPARE(status.at("state").get<std::string>(), std::string("completed"));
  COMPARE(status.at("rounds").size(), size_t{3});
  for (const auto& round : status.at("rounds")) {
    for (const char* key : {"pass1_strict", "pass1_flexible"}) {
      const double v = round.at(key).get<double>();
      VERIFY(v >= 0.0 && v <= 1.0);
    }
    VERIFY(round.at("pass_at_k").contains("2"));
    VERIFY(round.at("seconds").at("eval").get<double>() >= 0.0);
  }
  COMPARE(status.at("rounds")[1].at("samples").get<int>(), 18);
  VERIFY(status.at("rounds")[1].at("train_loss").is_number());
  VERIFY(status.at("rounds")[0].at("train_loss").is_null());
  const Result table = tpt_run("-q status " + reference_dir());
  VERIFY_CONTAINS(table.out, "P@1 str%");
  VERIFY_CONTAINS(table.out, "completed");
}

TPT_TEST(runner, a_run_killed_during_think_before_a_batch_is_stored_resumes_identically) {
  kill_and_resume("think.generated@2");
}
TPT_TEST(runner, a_run_killed_during_think_after_a_batch_is_stored_resumes_identically) {
  kill_and_resume("think.stored@1");
}
TPT_TEST(runner, a_run_killed_during_prune_resumes_identically) { kill_and_resume("prune.written"); }
TPT_TEST(runner, a_run_killed_during_train_resumes_from_its_checkpoint_identically) {
  kill_and_resume("train.step@3");
}
TPT_TEST(runner, a_run_killed_while_writing_a_checkpoint_resumes_identically) {
  kill_and_resume("train.checkpoint_written@2");
}
TPT_TEST(runner, a_run_killed_while_saving_the_model_resumes_identically) { kill_and_resume("train.saved"); }
TPT_TEST(runner, a_run_killed_during_improve_resumes_identically) { kill_and_resume("eval.stored@2"); }

TPT_TEST(runner, a_crashed_run_says_where_it_crashed_and_resumes_identically) {
  const std::string dir = make_experiment();
  // Under AddressSanitizer (tests/sanitize.sh) its own SIGSEGV handler would take the signal
  // first and exit 1: the handler under test here is the engine's, so ASan leaves SIGSEGV to it.
  const Result crashed = tpt_run("-q run " + dir, "TPT_CRASH_AT=prune.written TPT_CRASH_SIGNAL=SEGV "
                                                  "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0");
  COMPARE(crashed.status, 128 + 11);
  const auto status = tpt::report::read_status(dir);
  COMPARE(status.state, std::string("failed"));
  COMPARE(status.detail, std::string("crashed (SIGSEGV, a memory fault) in round 1, prune; tpt run resumes it"));
  const Result resumed = tpt_run("-q run " + dir);
  if (resumed.status != 0) TPT_FAIL("the resumed run failed: " + resumed.err);
  compare_snapshots(snapshot(dir), reference());
  COMPARE(tpt::report::read_status(dir).state, std::string("completed"));
}

TPT_TEST(runner, a_changed_setting_is_refused_and_can_be_forked) {
  const std::string dir = make_experiment();
  json config = tiny_config();
  config["rounds"] = 0;
  std::ofstream(dir + "/experiment.json") << config.dump(2);
  COMPARE(tpt_run("-q run " + dir).status, 0);
  config["think"]["temperature"] = 0.5;
  std::ofstream(dir + "/experiment.json") << config.dump(2);
  const Result refused = tpt_run("-q run " + dir);
  COMPARE(refused.status, 1);
  VERIFY_CONTAINS(refused.err, "think.temperature: 1.0 -> 0.5");
  VERIFY_CONTAINS(refused.err, "--fork");
  // A setting that does not change finished rounds (the plan's length) is taken as it is.
  config["think"]["temperature"] = 1.0;
  config["rounds"] = 1;
  std::ofstream(dir + "/experiment.json") << config.dump(2);
  COMPARE(tpt_run("-q run " + dir).status, 0);
  COMPARE(tpt::report::read_status(dir).rounds.size(), size_t{2});
  // The fork is a new experiment whose relative paths still reach the same files.
  config["eval"]["samples"] = 1;
  config["eval"]["pass_at_k"] = {1};
  config["rounds"] = 0;
  std::ofstream(dir + "/experiment.json") << config.dump(2);
  const std::string fork = tpt::testing::temp_dir() + "/fork";
  const Result forked = tpt_run("-q run " + dir + " --fork " + fork);
  COMPARE(forked.status, 0);
  const json written = json::parse(slurp(fork + "/experiment.json"));
  COMPARE(written.at("dataset").at("train").get<std::string>(), dir + "/train.jsonl");
  COMPARE(tpt::report::read_status(fork).state, std::string("completed"));
}

TPT_TEST(runner, a_missing_model_folder_is_named) {
  json config = tiny_config();
  config["model"]["path"] = "/nonexistent/model-folder";
  const std::string dir = make_experiment(config);
  const Result r = tpt_run("-q run " + dir);
  COMPARE(r.status, 1);
  VERIFY_CONTAINS(r.err, "/nonexistent/model-folder");
  VERIFY_CONTAINS(r.err, "model.path");
  COMPARE(tpt::report::read_status(dir).state, std::string("failed"));
}

TPT_TEST(runner, a_full_disk_stops_the_run_with_the_file_named_and_loses_nothing) {
  const std::string dir = make_experiment();
  // A 256 KiB limit on any file the run writes: the database's write-ahead log outgrows it
  // within the first rounds (SIGXFSZ ignored, so writes fail with EFBIG as they would with
  // ENOSPC).
  const Result full = tpt_run("-q run " + dir, "trap '' XFSZ; ulimit -f 256;");
  if (full.status != 1) TPT_FAIL("expected the run to fail (status 1), got " + std::to_string(full.status) + ": " + full.err);
  VERIFY_CONTAINS(full.err, dir);
  // The database could not record why; the run's failure record did.
  const auto stopped = tpt::report::read_status(dir);
  COMPARE(stopped.state, std::string("failed"));
  VERIFY_CONTAINS(stopped.detail, dir);
  tpt::store::Store store(dir + "/experiment.sqlite", tpt::store::OpenMode::read_only);
  COMPARE(store.integrity_check(), std::vector<std::string>{"ok"});
  const Result resumed = tpt_run("-q run " + dir);
  if (resumed.status != 0) TPT_FAIL("the run after the disk was freed failed: " + resumed.err);
  compare_snapshots(snapshot(dir), reference());
}

TPT_TEST(runner, exports_re_read_as_chat_prompt_completion_and_csv) {
  const std::string dir = reference_dir();
  tpt::store::Store store(dir + "/experiment.sqlite", tpt::store::OpenMode::read_only);
  const auto rounds = store.list_rounds(store.list_experiments().at(0).id);
  const auto kept = store.kept_traces({rounds.at(1).id});

  Result r = tpt_run("-q export " + dir + " --round 1 --format chat-jsonl");
  COMPARE(r.status, 0);
  std::ifstream chat(dir + "/exports/round-1.chat.jsonl");
  std::string line;
  size_t n = 0;
  while (std::getline(chat, line)) {
    const json j = json::parse(line);
    const auto& messages = j.at("messages");
    COMPARE(messages.size(), size_t{2});
    COMPARE(messages[0].at("role").get<std::string>(), std::string("user"));
    COMPARE(messages[0].at("content").get<std::string>(), "Question: " + kept.at(n).question + "\nSolution:");
    COMPARE(messages[1].at("role").get<std::string>(), std::string("assistant"));
    COMPARE(messages[1].at("content").get<std::string>(), kept.at(n).text);
    ++n;
  }
  COMPARE(n, kept.size());

  const std::string out = tpt::testing::temp_dir() + "/pc.jsonl";
  r = tpt_run("-q export " + dir + " --round 1 --format prompt-completion-jsonl --out " + out);
  COMPARE(r.status, 0);
  std::ifstream pc(out);
  n = 0;
  while (std::getline(pc, line)) {
    const json j = json::parse(line);
    COMPARE(j.at("completion").get<std::string>(), kept.at(n).text);
    VERIFY(j.at("prompt").get<std::string>().rfind("Question: ", 0) == 0);
    ++n;
  }
  COMPARE(n, kept.size());

  r = tpt_run("-q export " + dir + " --format csv");
  COMPARE(r.status, 0);
  std::ifstream csv(dir + "/exports/metrics.csv");
  std::vector<std::string> lines;
  while (std::getline(csv, line)) lines.push_back(line);
  COMPARE(lines.size(), size_t{4});  // header + rounds 0..2
  VERIFY_CONTAINS(lines[0], "pass@1.strict");
  VERIFY(lines[1].rfind("0,done,", 0) == 0);
  // The pass@1 column holds the stored value.
  std::vector<std::string> header, row;
  std::stringstream h(lines[0]), v(lines[2]);
  std::string cell;
  while (std::getline(h, cell, ',')) header.push_back(cell);
  while (std::getline(v, cell, ',')) row.push_back(cell);
  const size_t column = std::find(header.begin(), header.end(), "pass@1.strict") - header.begin();
  COMPARE_NEAR(std::stod(row.at(column)), store.get_metrics(rounds.at(1).id).at("pass@1.strict"), 1e-9);

  r = tpt_run("-q export " + dir + " --round 0 --format chat-jsonl");
  COMPARE(r.status, 1);
  VERIFY_CONTAINS(r.err, "round 0");
}

namespace {
// Cancels once Think has stored something; counts what it saw.
struct CancelInThink : tpt::run::Observer {
  tpt::run::RunControl* control = nullptr;
  void on_progress(const tpt::run::Progress& p) override {
    if (p.phase == tpt::run::Phase::Think && p.done >= 8) control->cancel();
  }
};

// Asks for a pause at round 1's first training step, and remembers the step.
struct PauseInTrain : tpt::run::Observer {
  tpt::run::RunControl* control = nullptr;
  std::atomic<int64_t> paused_at_step{-1};
  void on_progress(const tpt::run::Progress& p) override {
    if (p.round != 1 || p.phase != tpt::run::Phase::Train || p.done == 0 || paused_at_step >= 0) return;
    paused_at_step = p.done;
    control->pause();
  }
};

// What the run has stored so far: samples, decisions, training steps and answers of every round.
std::vector<int64_t> stored_counts(const std::string& dir) {
  tpt::store::Store store(dir + "/experiment.sqlite", tpt::store::OpenMode::read_only);
  std::vector<int64_t> counts;
  for (const char* table : {"samples", "decisions", "train_steps", "eval_samples"})
    counts.push_back(std::stoll(rows(store.database(), std::string("SELECT count(*) FROM ") + table).at(0)));
  return counts;
}
}  // namespace

TPT_TEST(runner, cancel_stops_between_batches_and_a_later_run_completes_identically) {
  const std::string dir = make_experiment();
  tpt::run::RunControl control;
  CancelInThink observer;
  observer.control = &control;
  const auto result = tpt::run::Runner(dir, &observer, &control).run();
  COMPARE(std::string(tpt::run::to_string(result.outcome)), std::string("cancelled"));
  COMPARE(tpt::report::read_status(dir).state, std::string("cancelled"));
  const auto resumed = tpt::run::Runner(dir).run();
  COMPARE(std::string(tpt::run::to_string(resumed.outcome)), std::string("completed"));
  compare_snapshots(snapshot(dir), reference());
}

TPT_TEST(runner, pause_holds_the_run_until_resume) {
  // Checked by state, not by time: the run says when it holds, and while it holds, however long
  // the test takes looking, nothing more is stored.
  const std::string dir = make_experiment();
  tpt::run::RunControl control;
  PauseInTrain observer;
  observer.control = &control;
  tpt::run::RunResult result;
  std::thread run([&] { result = tpt::run::Runner(dir, &observer, &control).run(); });
  const bool held = control.wait_until_held(std::chrono::minutes(2));
  if (!held) {
    control.cancel();
    run.join();
    TPT_FAIL("the run never held after pause() (paused at step " + std::to_string(observer.paused_at_step) + ")");
  }
  // Held at the step boundary after the step that asked: that step is stored, the next is not.
  const auto at_hold = stored_counts(dir);
  COMPARE(at_hold[2], observer.paused_at_step.load());
  for (int look = 0; look < 50; ++look) {
    VERIFY(control.held());
    COMPARE(stored_counts(dir), at_hold);
  }
  control.resume();
  run.join();
  COMPARE(std::string(tpt::run::to_string(result.outcome)), std::string("completed"));
  VERIFY(!control.held());
  compare_snapshots(snapshot(dir), reference());
}

TPT_TEST(runner, problem_fates_match_the_stored_answers) {
  const std::string dir = reference_dir();
  const auto summary = tpt::report::summarize_problems(dir);
  COMPARE(summary.problems.size(), size_t{4});
  // Recount from the stored answers: solved = at least half of a round's answers correct.
  tpt::store::Store store(dir + "/experiment.sqlite", tpt::store::OpenMode::read_only);
  const auto solved = [&](int round, const std::string& key) {
    auto q = store.database().query(
        "SELECT avg(e.correct_strict) FROM eval_samples e JOIN rounds r ON r.id = e.round_id JOIN problems p ON"
        " p.id = e.problem_id WHERE r.round_index = ?1 AND p.problem_key = ?2",
        "recount");
    q.bind(1, round).bind(2, key);
    VERIFY(q.step());
    return q.real(0) >= 0.5;
  };
  int64_t learned = 0, forgotten = 0, unstable = 0, never = 0;
  for (const auto& p : summary.problems) {
    COMPARE(p.rounds, (std::vector<int>{0, 1, 2}));
    const bool first = solved(0, p.problem_key), middle = solved(1, p.problem_key), last = solved(2, p.problem_key);
    learned += !first && last;
    forgotten += first && !last;
    // Never solved means by no round; solved only in the middle round is unstable.
    unstable += !first && middle && !last;
    never += !first && !middle && !last;
    VERIFY(!p.question.empty());
  }
  COMPARE(summary.learned, learned);
  COMPARE(summary.forgotten, forgotten);
  COMPARE(summary.unstable, unstable);
  COMPARE(summary.never_solved, never);
  COMPARE(summary.learned + summary.forgotten + summary.always_solved + summary.unstable + summary.never_solved,
          int64_t{4});
  const Result r = tpt_run("-q status " + dir + " --problems --json");
  COMPARE(r.status, 0);
  COMPARE(json::parse(r.out).at("problems").size(), size_t{4});
}

// A round's model counts only if this experiment's database recorded it, with the digest of
// what its Train wrote. Folders it cannot vouch for are set aside (never deleted) and the round
// trains again, so the result is the uninterrupted run's.
namespace {

std::vector<std::string> set_aside_folders(const std::string& dir, int round) {
  std::vector<std::string> found;
  const std::string prefix = "round-" + std::to_string(round) + ".set-aside-";
  for (const auto& entry : fs::directory_iterator(dir + "/models"))
    if (entry.path().filename().string().rfind(prefix, 0) == 0) found.push_back(entry.path().string());
  return found;
}

void set_round_state(const std::string& dir, int round, tpt::store::RoundState state) {
  tpt::store::Store store(dir + "/experiment.sqlite");
  for (const auto& r : store.list_rounds(store.list_experiments().at(0).id))
    if (r.round_index == round) store.set_round_state(r.id, state);
}

void flip_a_weight_byte(const std::string& model_dir) {
  std::fstream f(model_dir + "/model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(-5, std::ios::end);
  char c = 0;
  f.read(&c, 1);
  f.seekp(-5, std::ios::end);
  c = static_cast<char>(c ^ 0x10);
  f.write(&c, 1);
}

}  // namespace

TPT_TEST(runner, model_folders_of_a_deleted_or_empty_database_are_set_aside_and_trained_again) {
  const std::string dir = make_experiment();
  COMPARE(tpt_run("-q run " + dir).status, 0);
  const std::string trained_round1 = slurp(dir + "/models/round-1/model.safetensors");
  // The database is deleted, then replaced by an empty file: both times the folders were left
  // by a database that is gone, and describe nothing this one recorded.
  for (int attempt = 1; attempt <= 2; ++attempt) {
    fs::remove(dir + "/experiment.sqlite");
    fs::remove(dir + "/experiment.sqlite-wal");
    fs::remove(dir + "/experiment.sqlite-shm");
    if (attempt == 2) std::ofstream(dir + "/experiment.sqlite").flush();
    const Result r = tpt_run("run " + dir);
    if (r.status != 0) TPT_FAIL("run " + std::to_string(attempt) + " failed: " + r.err);
    VERIFY_CONTAINS(r.err, "/models/round-1 was not written by this experiment's Train");
    compare_snapshots(snapshot(dir), reference());
    for (int round : {1, 2}) COMPARE(set_aside_folders(dir, round).size(), static_cast<size_t>(attempt));
  }
  // Nothing was lost: the folder set aside first holds the first run's model.
  const auto aside = set_aside_folders(dir, 1);
  VERIFY(std::any_of(aside.begin(), aside.end(),
                     [&](const std::string& f) { return slurp(f + "/model.safetensors") == trained_round1; }));
}

TPT_TEST(runner, a_linked_model_folder_is_not_taken_for_the_rounds_model) {
  const std::string dir = make_experiment();
  fs::create_directories(dir + "/models");
  fs::create_directory_symlink(tiny_model(), dir + "/models/round-1");
  const Result r = tpt_run("run " + dir);
  if (r.status != 0) TPT_FAIL("run failed: " + r.err);
  VERIFY_CONTAINS(r.err, "/models/round-1 is a link to " + tiny_model());
  compare_snapshots(snapshot(dir), reference());
  VERIFY(!fs::is_symlink(dir + "/models/round-1"));
  // The link itself was moved aside; what it pointed to is untouched.
  const auto aside = set_aside_folders(dir, 1);
  COMPARE(aside.size(), size_t{1});
  VERIFY(fs::is_symlink(aside.at(0)));
  VERIFY(fs::exists(tiny_model() + "/model.safetensors"));
}

TPT_TEST(runner, a_trained_model_changed_before_it_is_scored_is_trained_again) {
  const std::string dir = make_experiment();
  COMPARE(tpt_run("-q run " + dir).status, 0);
  // Round 2 back before its Improve, its model edited on disk.
  set_round_state(dir, 2, tpt::store::RoundState::Eval);
  flip_a_weight_byte(dir + "/models/round-2");
  const Result r = tpt_run("run " + dir);
  if (r.status != 0) TPT_FAIL("run failed: " + r.err);
  VERIFY_CONTAINS(r.err, "/models/round-2: changed since round 2's Train wrote it");
  compare_snapshots(snapshot(dir), reference());
  COMPARE(set_aside_folders(dir, 2).size(), size_t{1});
}

TPT_TEST(runner, the_next_round_refuses_to_start_from_a_changed_model) {
  const std::string dir = make_experiment();
  COMPARE(tpt_run("-q run " + dir).status, 0);
  set_round_state(dir, 2, tpt::store::RoundState::Think);
  flip_a_weight_byte(dir + "/models/round-1");
  const Result r = tpt_run("-q run " + dir);
  COMPARE(r.status, 1);
  VERIFY_CONTAINS(r.err, "/models/round-1: changed since round 1's Train wrote it");
  VERIFY_CONTAINS(r.err, "Round 2 starts from round 1's model");
  // Put back as it was, the model is used again.
  flip_a_weight_byte(dir + "/models/round-1");
  COMPARE(tpt_run("-q run " + dir).status, 0);
  compare_snapshots(snapshot(dir), reference());
}
