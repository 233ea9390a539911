#include "run/experiment.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "run/paths.h"
#include "store/store.h"

namespace fs = std::filesystem;

namespace tpt::run {

const std::vector<std::string>& changeable_keys() {
  static const std::vector<std::string> keys = {
      "/name",         "/description",      "/rounds", "/threads", "/model/device", "/think/batch_size",
      "/eval/batch_size", "/train/checkpoint_steps", "/prune", "/stop",
      "/sampler", "/trainer",
      // How programs are run, not what they must print: a machine without bubblewrap may
      // continue an experiment unsandboxed (or the reverse), with more or fewer workers.
      "/sandbox/mode", "/sandbox/workers", "/sandbox/bwrap", "/sandbox/python"};
  return keys;
}

namespace {

bool changeable(const std::string& pointer) {
  for (const auto& key : changeable_keys())
    if (pointer == key || pointer.rfind(key + "/", 0) == 0) return true;
  return false;
}

std::string show(const nlohmann::json* value) { return value ? value->dump() : "(absent)"; }

}  // namespace

std::vector<ConfigChange> config_change_list(const nlohmann::json& stored, const nlohmann::json& current) {
  std::vector<ConfigChange> changes;
  const nlohmann::json a = stored.flatten(), b = current.flatten();
  std::set<std::string> keys;
  for (auto it = a.begin(); it != a.end(); ++it) keys.insert(it.key());
  for (auto it = b.begin(); it != b.end(); ++it) keys.insert(it.key());
  for (const auto& key : keys) {
    if (changeable(key)) continue;
    const nlohmann::json* old_value = a.contains(key) ? &a.at(key) : nullptr;
    const nlohmann::json* new_value = b.contains(key) ? &b.at(key) : nullptr;
    if (old_value && new_value && *old_value == *new_value) continue;
    // JSON pointer "/think/temperature" -> "think.temperature"
    std::string path = key.substr(1);
    std::replace(path.begin(), path.end(), '/', '.');
    changes.push_back({path, show(old_value), show(new_value)});
  }
  return changes;
}

std::vector<std::string> config_changes(const nlohmann::json& stored, const nlohmann::json& current) {
  std::vector<std::string> lines;
  for (const auto& change : config_change_list(stored, current)) lines.push_back(change.to_string());
  return lines;
}

std::string fork_experiment(const config::ExperimentConfig& source, const std::string& new_dir) {
  std::error_code ec;
  // A folder, unless a .json file is named.
  const fs::path target(new_dir);
  const fs::path folder = target.extension() == ".json" ? target.parent_path() : target;
  if (!folder.empty()) fs::create_directories(folder, ec);
  if (ec) throw Error(folder.string() + ": cannot create the folder: " + ec.message());
  const ExperimentPaths paths = ExperimentPaths::locate(new_dir);
  if (fs::exists(paths.config_file, ec))
    throw Error(paths.config_file + ": already exists; fork into a new folder");
  config::ExperimentConfig forked = source;
  forked.dataset.train = source.resolve(source.dataset.train);
  forked.dataset.test = source.resolve(source.dataset.test);
  forked.model.path = source.resolve(source.model.path);
  forked.base_dir = paths.dir;
  forked.save(paths.config_file);
  return paths.config_file;
}

std::vector<MissingModel> missing_round_models(const std::string& dir) {
  const ExperimentPaths paths = ExperimentPaths::locate(dir);
  std::error_code ec;
  if (!fs::exists(paths.store_file, ec)) return {};
  store::Store store(paths.store_file, store::OpenMode::read_only);
  const auto experiments = store.list_experiments();
  if (experiments.empty()) return {};
  const auto rounds = store.list_rounds(experiments.front().id);
  std::vector<MissingModel> missing;
  for (const auto& round : rounds) {
    // Only a model this experiment's Train recorded: a round that kept nothing reuses the
    // previous model (no digest), and round 0 is the base model, checked when a run starts.
    const bool trained = round.round_index > 0 && !round.model_digest.empty() &&
                         round.model_digest != store::kModelTraining && !round.model_path.empty();
    if (!trained || fs::exists(fs::path(round.model_path) / "config.json", ec)) continue;
    MissingModel m;
    m.round = round.round_index;
    m.folder = round.model_path;
    for (const auto& later : rounds)
      if (later.round_index > round.round_index && later.state != store::RoundState::Pending) m.later_rounds_started = true;
    missing.push_back(m);
  }
  return missing;
}

void train_round_again(const std::string& dir, int round) {
  const ExperimentPaths paths = ExperimentPaths::locate(dir);
  if (round < 1) throw Error(paths.dir + ": round " + std::to_string(round) + " has no Train (round 0 scores the base model)");
  const RunLock lock(paths);  // throws while a run holds the experiment
  store::Store store(paths.store_file);
  const auto experiments = store.list_experiments();
  if (experiments.empty()) throw Error(paths.store_file + ": no experiment in it");
  const auto rounds = store.list_rounds(experiments.front().id);
  const store::RoundRecord* target = nullptr;
  for (const auto& r : rounds) {
    if (r.round_index == round) target = &r;
    if (r.round_index > round && r.state != store::RoundState::Pending)
      throw Error(paths.dir + ": round " + std::to_string(r.round_index) + " has started from round " +
                  std::to_string(round) + "'s model; training round " + std::to_string(round) +
                  " again would not change it: fork a new experiment instead");
  }
  if (!target) throw Error(paths.dir + ": there is no round " + std::to_string(round));
  if (target->state != store::RoundState::Eval && target->state != store::RoundState::Done)
    throw Error(paths.dir + ": round " + std::to_string(round) + " has not trained yet (it is at " +
                store::to_string(target->state) + "); a run continues it");
  auto transaction = store.transaction();
  store.set_round_model_path(target->id, "", "");
  store.set_round_state(target->id, store::RoundState::Train);
  transaction.commit();
}

}  // namespace tpt::run
