#include "report/status.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "io/json_fields.h"
#include "run/failure_record.h"
#include "run/paths.h"
#include "store/store.h"

namespace tpt::report {

std::optional<double> RoundStatus::metric(const std::string& name) const {
  const auto it = metrics.find(name);
  if (it == metrics.end() || std::isnan(it->second)) return std::nullopt;
  return it->second;
}

ExperimentStatus read_status(const std::string& dir_or_file) {
  const run::ExperimentPaths paths = run::ExperimentPaths::locate(dir_or_file);
  ExperimentStatus status;
  status.dir = paths.dir;
  if (std::filesystem::exists(paths.config_file)) {
    const auto doc = io::read_json_file(paths.config_file);
    if (doc.contains("rounds") && doc["rounds"].is_number_integer()) status.rounds_planned = doc["rounds"].get<int>();
    if (doc.contains("name") && doc["name"].is_string()) status.name = doc["name"].get<std::string>();
  }
  if (!std::filesystem::exists(paths.store_file)) {
    if (!std::filesystem::exists(paths.config_file))
      throw Error(paths.dir + ": not an experiment folder (no experiment.json, no experiment.sqlite)");
    status.state = run::run_in_progress(paths) ? "running" : "new";
    return status;
  }
  store::Store store(paths.store_file, store::OpenMode::read_only);
  const auto experiments = store.list_experiments();
  if (experiments.empty()) {
    status.state = "new";
    return status;
  }
  const auto& experiment = experiments.front();
  if (status.name.empty()) status.name = experiment.name;
  status.state = experiment.state;
  status.detail = experiment.state_detail;
  if (run::run_in_progress(paths)) {
    status.state = "running";
    status.detail.clear();
  } else if (status.state == "running") {
    // The database could not say why (a full disk, a crash): the run's failure record may.
    if (auto cause = run::read_failure_record(paths.failure_file)) {
      status.state = "failed";
      status.detail = *cause;
    } else {
      status.state = "interrupted";
      status.detail = "the last run ended without finishing (killed); tpt run resumes it";
    }
  }
  for (const auto& r : store.list_rounds(experiment.id)) {
    RoundStatus round;
    round.round = r.round_index;
    round.state = r.state;
    round.model_path = r.model_path;
    round.metrics = store.get_metrics(r.id);
    store::SampleFilter filter;
    filter.round_id = r.id;
    round.samples = store.count_samples(filter);
    filter.kept = true;
    round.kept = store.count_samples(filter);
    round.samplers = store.list_sampler_origins(experiment.id, r.id);
    status.rounds.push_back(std::move(round));
  }
  return status;
}

namespace {
nlohmann::json value_or_null(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

// "pass@4.strict" -> {"4": value} for names of the form <prefix><k>.<suffix>
nlohmann::json by_k(const RoundStatus& r, const std::string& prefix, const std::string& suffix) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : r.metrics) {
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    const size_t dot = rest.find('.');
    if (dot == std::string::npos || rest.substr(dot) != suffix) continue;
    out[rest.substr(0, dot)] = std::isnan(value) ? nlohmann::json() : nlohmann::json(value);
  }
  return out;
}
}  // namespace

nlohmann::json to_json(const ExperimentStatus& status) {
  nlohmann::json rounds = nlohmann::json::array();
  for (const auto& r : status.rounds) {
    nlohmann::json seconds = nlohmann::json::object();
    for (const char* phase : {"think", "prune", "train", "eval"})
      seconds[phase] = value_or_null(r.metric(std::string("seconds.") + phase));
    nlohmann::json samplers = nlohmann::json::array();
    for (const auto& o : r.samplers)
      samplers.push_back({{"phase", o.phase},
                          {"backend", o.backend},
                          {"url", o.url},
                          {"launch_command", o.launch_command},
                          {"server_version", o.server_version},
                          {"model_name", o.model_name}});
    rounds.push_back({{"round", r.round},
                      {"state", store::to_string(r.state)},
                      {"model", r.model_path},
                      {"pass1_strict", value_or_null(r.metric("pass@1.strict"))},
                      {"pass1_flexible", value_or_null(r.metric("pass@1.flexible"))},
                      {"pass_at_k", by_k(r, "pass@", ".strict")},
                      {"pass_at_k_flexible", by_k(r, "pass@", ".flexible")},
                      {"correct_at_k", by_k(r, "correct@", ".strict")},
                      {"samples", r.samples},
                      {"kept", r.kept},
                      {"train_loss", value_or_null(r.metric("train.loss"))},
                      {"seconds", seconds},
                      {"samplers", samplers}});
  }
  return {{"name", status.name},
          {"dir", status.dir},
          {"state", status.state},
          {"detail", status.detail},
          {"rounds_planned", status.rounds_planned},
          {"rounds", rounds}};
}

namespace {
std::string percent(const std::optional<double>& v) {
  if (!v) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", 100 * *v);
  return text;
}

std::string duration(const std::optional<double>& seconds) {
  if (!seconds) return "-";
  char text[32];
  const double s = *seconds;
  if (s < 60) std::snprintf(text, sizeof text, "%.1fs", s);
  else if (s < 3600) std::snprintf(text, sizeof text, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  else std::snprintf(text, sizeof text, "%dh%02dm", static_cast<int>(s) / 3600, static_cast<int>(s) / 60 % 60);
  return text;
}
}  // namespace

std::string format_table(const ExperimentStatus& status) {
  std::string out = status.name + " (" + status.dir + "): " + status.state;
  if (!status.detail.empty()) out += " — " + status.detail;
  out += "\n";
  if (status.rounds.empty()) return out + "no rounds yet\n";
  // The largest k with a pass@k, for one column.
  std::string k_name;
  for (const auto& r : status.rounds)
    for (const auto& [name, value] : r.metrics)
      if (name.rfind("pass@", 0) == 0 && name.find(".strict") != std::string::npos && name != "pass@1.strict")
        if (k_name.empty() || std::stoi(name.substr(5)) > std::stoi(k_name.substr(5))) k_name = name;
  const std::string k_label = k_name.empty() ? "pass@k" : k_name.substr(0, k_name.find('.'));
  char line[400];
  std::snprintf(line, sizeof line, "%5s  %-6s  %9s  %9s  %8s  %8s  %8s  %8s  %8s  %8s  %8s  %8s\n", "round", "state",
                "P@1 str%", "P@1 flx%", (k_label + "%").c_str(), "samples", "kept", "loss", "think", "prune", "train",
                "eval");
  out += line;
  for (const auto& r : status.rounds) {
    char loss[32] = "-";
    if (auto l = r.metric("train.loss")) std::snprintf(loss, sizeof loss, "%.4f", *l);
    std::snprintf(line, sizeof line, "%5d  %-6s  %9s  %9s  %8s  %8lld  %8lld  %8s  %8s  %8s  %8s  %8s\n", r.round,
                  store::to_string(r.state), percent(r.metric("pass@1.strict")).c_str(),
                  percent(r.metric("pass@1.flexible")).c_str(),
                  percent(k_name.empty() ? std::nullopt : r.metric(k_name)).c_str(),
                  static_cast<long long>(r.samples), static_cast<long long>(r.kept), loss,
                  duration(r.metric("seconds.think")).c_str(), duration(r.metric("seconds.prune")).c_str(),
                  duration(r.metric("seconds.train")).c_str(), duration(r.metric("seconds.eval")).c_str());
    out += line;
  }
  // Servers only: a table of "engine" lines would say nothing.
  bool any_server = false;
  for (const auto& r : status.rounds)
    for (const auto& o : r.samplers) any_server |= o.backend != "engine";
  if (any_server) {
    out += "samplers:\n";
    for (const auto& r : status.rounds)
      for (const auto& o : r.samplers)
        out += "  round " + std::to_string(r.round) + " " + o.phase + ": " + describe_sampler(o) + "\n";
  }
  return out;
}

std::string describe_sampler(const store::SamplerOriginRecord& o) {
  if (o.backend == "engine") return "engine (in process)";
  std::string out = o.backend + " " + o.url;
  if (!o.server_version.empty()) out += " (" + o.server_version + ")";
  if (!o.model_name.empty()) out += ", model " + o.model_name;
  out += o.launch_command.empty() ? ", attached" : ", launched: " + o.launch_command;
  return out;
}

}  // namespace tpt::report
