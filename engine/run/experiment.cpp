#include "run/experiment.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "run/paths.h"

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

std::vector<std::string> config_changes(const nlohmann::json& stored, const nlohmann::json& current) {
  std::vector<std::string> changes;
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
    changes.push_back(path + ": " + show(old_value) + " -> " + show(new_value));
  }
  return changes;
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

}  // namespace tpt::run
